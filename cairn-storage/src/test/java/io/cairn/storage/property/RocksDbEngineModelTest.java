package io.cairn.storage.property;

import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import java.nio.file.Path;
import java.util.Map;

class RocksDbEngineModelTest extends EngineModelProperties {
    @Override
    StorageEngine open(Path dir) {
        return StorageEngines.open("rocksdb", dir, Map.of("rocksdb.sync-writes", "false"));
    }
}
