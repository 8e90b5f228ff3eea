package io.cairn.storage;

import io.cairn.storage.memory.MemoryStorageEngine;
import io.cairn.storage.rocksdb.RocksDbStorageEngine;
import io.cairn.storage.support.EngineSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Opens a storage backend by name.
 *
 * <p>Settings (all optional, string-valued):
 * <ul>
 *   <li>{@code storage.max-key-bytes}, {@code storage.max-value-bytes}: {@link StorageLimits}</li>
 *   <li>{@code storage.scan-max-skipped}: dead records one scan page may skip before returning early
 *       with a cursor (default 100000)</li>
 *   <li>{@code rocksdb.sync-writes}: fsync the WAL per write (default true)</li>
 *   <li>{@code rocksdb.lock-stripes}: lock stripes for per-key writer serialization (default 1024)</li>
 *   <li>{@code rocksdb.<option>}: any RocksDB DBOptions/ColumnFamilyOptions option by its RocksDB
 *       name, e.g. {@code rocksdb.max_background_jobs=4}; unknown names are rejected. Defaults that
 *       differ from RocksDB's: LZ4 compression, a 64 MiB block cache with a 10-bit bloom filter.</li>
 * </ul>
 * Other {@code storage.*} keys are rejected as typos; keys of other components are ignored.
 */
public final class StorageEngines {
    public static final String MEMORY = "memory";
    public static final String ROCKSDB = "rocksdb";
    public static final List<String> BACKENDS = List.of(MEMORY, ROCKSDB);

    private static final List<String> STORAGE_KEYS = List.of(
            StorageLimits.MAX_KEY_BYTES, StorageLimits.MAX_VALUE_BYTES, EngineSettings.SCAN_MAX_SKIPPED);

    private StorageEngines() {}

    /**
     * @param backend  one of {@link #BACKENDS}
     * @param dataDir  the backend's directory; ignored (may be null) for {@code memory}
     * @param settings string settings as described above; null means none
     */
    public static StorageEngine open(String backend, Path dataDir, Map<String, String> settings) {
        Map<String, String> s = settings == null ? Map.of() : settings;
        for (String key : s.keySet()) {
            if (key.startsWith("storage.") && !STORAGE_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown storage setting '" + key + "'; known: " + STORAGE_KEYS);
            }
        }
        if (backend == null) {
            throw new IllegalArgumentException("storage backend must be one of " + BACKENDS + ", got null");
        }
        return switch (backend.trim().toLowerCase(java.util.Locale.ROOT)) {
            case MEMORY -> MemoryStorageEngine.open(s);
            case ROCKSDB -> {
                if (dataDir == null) {
                    throw new IllegalArgumentException("the rocksdb backend needs a data directory");
                }
                yield RocksDbStorageEngine.open(dataDir, s);
            }
            default -> throw new IllegalArgumentException(
                    "unknown storage backend '" + backend + "'; valid backends: " + BACKENDS);
        };
    }
}
