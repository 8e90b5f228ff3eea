package io.cairn.storage.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.storage.Record;
import io.cairn.storage.ScanResult;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import io.cairn.storage.StorageLimits;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot file is backend-neutral: memory and RocksDB restore each other's snapshots. */
class SnapshotPortabilityTest {
    @TempDir
    Path tmp;

    private static void fill(StorageEngine e) {
        e.put(4, "a".getBytes(StandardCharsets.UTF_8), Record.value(new byte[] {1}, 1));
        e.put(4, new byte[] {(byte) 0xFF}, Record.value(new byte[] {2}, 2, 50_000));
        e.delete(4, "gone".getBytes(StandardCharsets.UTF_8), 3);
    }

    private static List<ScanResult.Entry> contents(StorageEngine e) {
        return e.scan(4, null, 100, 0).entries();
    }

    private static String render(List<ScanResult.Entry> entries) {
        StringBuilder sb = new StringBuilder();
        for (ScanResult.Entry x : entries) {
            sb.append(java.util.HexFormat.of().formatHex(x.key())).append('=').append(x.record()).append(';');
        }
        return sb.toString();
    }

    @Test
    void memoryToRocksDbAndBack() {
        try (StorageEngine memory = StorageEngines.open("memory", null, Map.of());
             StorageEngine rocks = StorageEngines.open("rocksdb", tmp.resolve("db"), Map.of("rocksdb.sync-writes", "false"))) {
            fill(memory);
            memory.snapshot(4, tmp.resolve("from-memory"));
            rocks.restore(4, tmp.resolve("from-memory"));
            assertEquals(render(contents(memory)), render(contents(rocks)));
            assertEquals(Record.tombstone(3), rocks.getRaw(4, "gone".getBytes(StandardCharsets.UTF_8)));
            assertEquals(memory.stats(4), rocks.stats(4));

            rocks.put(4, "b".getBytes(StandardCharsets.UTF_8), Record.value(new byte[] {3}, 9));
            rocks.snapshot(4, tmp.resolve("from-rocks"));
            memory.restore(4, tmp.resolve("from-rocks"));
            assertEquals(render(contents(rocks)), render(contents(memory)));
            assertEquals(rocks.stats(4), memory.stats(4));
        }
    }

    @Test
    void snapshotWithKeysBeyondTheTargetsLimitsIsRejected() {
        try (StorageEngine big = StorageEngines.open("memory", null, Map.of());
             StorageEngine small = StorageEngines.open("memory", null, Map.of(StorageLimits.MAX_KEY_BYTES, "4"))) {
            big.put(1, "longer-than-four".getBytes(StandardCharsets.UTF_8), Record.value(new byte[0], 1));
            big.snapshot(1, tmp.resolve("s"));
            RuntimeException e = assertThrows(RuntimeException.class, () -> small.restore(1, tmp.resolve("s")));
            assertTrue(e.getMessage().contains("key length"), e.getMessage());
        }
    }
}
