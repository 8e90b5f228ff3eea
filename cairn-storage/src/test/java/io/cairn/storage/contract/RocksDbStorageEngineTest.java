package io.cairn.storage.contract;

import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

class RocksDbStorageEngineTest extends StorageEngineContract {
    @Override
    protected StorageEngine openEngine(Path dir, Map<String, String> settings) {
        Map<String, String> s = new HashMap<>(settings);
        // fsync per write is covered by the durability test; here it would only slow things down.
        s.putIfAbsent("rocksdb.sync-writes", "false");
        return StorageEngines.open("rocksdb", dir, s);
    }
}
