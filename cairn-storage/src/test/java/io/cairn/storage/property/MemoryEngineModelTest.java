package io.cairn.storage.property;

import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import java.nio.file.Path;
import java.util.Map;

class MemoryEngineModelTest extends EngineModelProperties {
    @Override
    StorageEngine open(Path dir) {
        return StorageEngines.open("memory", null, Map.of());
    }
}
