package io.cairn.storage.contract;

import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import java.nio.file.Path;
import java.util.Map;

class MemoryStorageEngineTest extends StorageEngineContract {
    @Override
    protected StorageEngine openEngine(Path dir, Map<String, String> settings) {
        return StorageEngines.open("memory", null, settings);
    }
}
