package io.cairn.storage.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import io.cairn.storage.StorageLimits;
import io.cairn.storage.memory.MemoryStorageEngine;
import io.cairn.storage.rocksdb.RocksDbStorageEngine;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageEnginesTest {
    @TempDir
    Path tmp;

    @Test
    void opensBothBackendsByName() {
        try (StorageEngine m = StorageEngines.open("memory", null, null)) {
            assertInstanceOf(MemoryStorageEngine.class, m);
            assertEquals("memory", m.name());
            assertEquals(StorageLimits.DEFAULT, m.limits());
        }
        try (StorageEngine r = StorageEngines.open(" RocksDB ", tmp.resolve("db"), Map.of())) {
            assertInstanceOf(RocksDbStorageEngine.class, r);
            assertEquals("rocksdb", r.name());
            assertTrue(((RocksDbStorageEngine) r).syncWrites(), "durability first: sync writes by default");
        }
    }

    @Test
    void unknownBackendListsTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StorageEngines.open("lmdb", tmp, Map.of()));
        assertTrue(e.getMessage().contains("memory") && e.getMessage().contains("rocksdb"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StorageEngines.open(null, tmp, Map.of()));
    }

    @Test
    void rocksdbNeedsADirectory() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StorageEngines.open("rocksdb", null, Map.of()));
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
    }

    @Test
    void settingsAreValidatedWithTheirKeyInTheMessage() {
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class,
                () -> StorageEngines.open("memory", null, Map.of("storage.max-key-byte", "10")));
        assertTrue(typo.getMessage().contains("storage.max-key-byte"), typo.getMessage());
        IllegalArgumentException notNumber = assertThrows(IllegalArgumentException.class,
                () -> StorageEngines.open("memory", null, Map.of(StorageLimits.MAX_VALUE_BYTES, "big")));
        assertTrue(notNumber.getMessage().contains(StorageLimits.MAX_VALUE_BYTES), notNumber.getMessage());
        IllegalArgumentException sync = assertThrows(IllegalArgumentException.class,
                () -> StorageEngines.open("rocksdb", tmp.resolve("x"), Map.of("rocksdb.sync-writes", "maybe")));
        assertTrue(sync.getMessage().contains("rocksdb.sync-writes"), sync.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> StorageEngines.open("rocksdb", tmp.resolve("y"), Map.of("rocksdb.lock-stripes", "1000")));
        try (StorageEngine m = StorageEngines.open("memory", null, Map.of("server.port", "6379", "rocksdb.nonsense", "1"))) {
            assertEquals("memory", m.name(), "other components' keys are not the engine's business");
        }
    }
}
