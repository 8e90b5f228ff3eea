package io.cairn.storage.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.storage.Record;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import io.cairn.storage.StorageException;
import io.cairn.storage.WriteBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RocksDB-specific behaviour that the shared contract cannot express. */
class RocksDbEngineTest {
    @TempDir
    Path tmp;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private String latestOptionsFile(Path db) throws IOException {
        try (Stream<Path> files = Files.list(db)) {
            Path newest = files.filter(p -> p.getFileName().toString().startsWith("OPTIONS-"))
                    .max(java.util.Comparator.comparing(p -> p.getFileName().toString())).orElseThrow();
            return Files.readString(newest);
        }
    }

    @Test
    void dataSurvivesCloseAndReopenAndCloseReleasesTheLock() {
        Path db = tmp.resolve("db");
        try (StorageEngine e = StorageEngines.open("rocksdb", db, Map.of())) {
            e.put(1, b("k"), Record.value(b("v"), 5, 1_000));
            e.write(new WriteBatch().put(2, b("a"), Record.value(b("1"), 6)).delete(2, b("t"), 7));
        }
        // Reopening proves the close released the DB lock and native handles.
        try (StorageEngine e = StorageEngines.open("rocksdb", db, Map.of())) {
            assertEquals(Record.value(b("v"), 5, 1_000), e.getRaw(1, b("k")));
            assertEquals(Record.value(b("1"), 6), e.get(2, b("a"), 0));
            assertEquals(Record.tombstone(7), e.getRaw(2, b("t")));
        }
    }

    @Test
    void secondOpenOfTheSameDirectoryFailsClearly() {
        Path db = tmp.resolve("db");
        try (StorageEngine first = StorageEngines.open("rocksdb", db, Map.of())) {
            StorageException e = assertThrows(StorageException.class, () -> StorageEngines.open("rocksdb", db, Map.of()));
            assertTrue(e.getMessage().contains(db.toString()), e.getMessage());
            first.put(0, b("still"), Record.value(b("works"), 1));
        }
    }

    @Test
    void lz4IsTheDefaultCompression() throws IOException {
        Path db = tmp.resolve("db");
        StorageEngines.open("rocksdb", db, Map.of()).close();
        String options = latestOptionsFile(db);
        assertTrue(options.contains("compression=kLZ4Compression"), "OPTIONS file lacks LZ4");
    }

    @Test
    void rocksdbOptionsPassThroughByName() throws IOException {
        Path db = tmp.resolve("db");
        try (StorageEngine e = StorageEngines.open("rocksdb", db, Map.of(
                "rocksdb.max_background_jobs", "3",
                "rocksdb.write_buffer_size", "8388608",
                "rocksdb.compression", "kNoCompression",
                "rocksdb.block_based_table_factory", "{block_size=8192;filter_policy=bloomfilter:8:false}",
                "rocksdb.sync-writes", "false"))) {
            e.put(0, b("k"), Record.value(b("v"), 1));
        }
        String options = latestOptionsFile(db);
        assertTrue(options.contains("max_background_jobs=3"), "DBOptions option not applied");
        assertTrue(options.contains("write_buffer_size=8388608"), "ColumnFamilyOptions option not applied");
        assertTrue(options.contains("compression=kNoCompression"), "explicit compression overrides the LZ4 default");
        assertTrue(options.contains("block_size=8192"), "nested table options are passed through");
    }

    @Test
    void unknownOrBadRocksdbOptionsAreRejectedByName() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> StorageEngines.open("rocksdb", tmp.resolve("a"), Map.of("rocksdb.max_backround_jobs", "3")));
        assertTrue(unknown.getMessage().contains("rocksdb.max_backround_jobs"), unknown.getMessage());
        IllegalArgumentException badValue = assertThrows(IllegalArgumentException.class,
                () -> StorageEngines.open("rocksdb", tmp.resolve("b"), Map.of("rocksdb.write_buffer_size", "lots")));
        assertTrue(badValue.getMessage().contains("rocksdb.write_buffer_size"), badValue.getMessage());
        assertFalse(Files.exists(tmp.resolve("a")), "nothing created for rejected settings");
    }

    @Test
    void lastPartitionHasNoUpperBoundProblems() {
        int last = StorageEngine.MAX_PARTITIONS - 1;
        try (StorageEngine e = StorageEngines.open("rocksdb", tmp.resolve("db"), Map.of("rocksdb.sync-writes", "false"))) {
            byte[] high = new byte[100];
            java.util.Arrays.fill(high, (byte) 0xFF);
            e.put(last, high, Record.value(b("x"), 1));
            e.put(last, b("a"), Record.value(b("y"), 1, 10));
            e.put(last - 1, b("a"), Record.value(b("z"), 1, 10));
            assertEquals(2, e.scan(last, null, 10, 0).entries().size());
            assertEquals(List.of("a"), e.expiredKeys(last, null, 10, 20).stream().map(String::new).toList());
            assertEquals(1, e.purgeExpired(last, 20, 10));
            assertNotNull(e.getRaw(last - 1, b("a")), "purge of the last partition stays in it");
            e.dropPartition(last);
            assertNull(e.getRaw(last, high));
            assertTrue(e.scan(last, null, 10, 0).entries().isEmpty());
            assertNotNull(e.getRaw(last - 1, b("a")));
        }
    }
}
