package io.cairn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsApplyWithoutAnySource() {
        ServerConfig c = ServerConfig.load(null, Map.of(), List.of(), Map.of());
        assertEquals("127.0.0.1", c.string("bind"));
        assertEquals(6380, c.intValue("port"));
        assertEquals("memory", c.string("storage"));
        assertEquals(16, c.intValue("partitions"));
        assertTrue(c.bool("protected-mode"));
    }

    @Test
    void flagsOverrideTheFileAndTheEnvironmentOverridesBoth() throws IOException {
        Path yaml = dir.resolve("cairn.yaml");
        Files.writeString(yaml, """
                port: 7000
                bind: 127.0.0.2
                maxclients: 50
                storage-options:
                  storage.max-key-bytes: 1024
                """);
        ServerConfig c = ServerConfig.load(yaml, Map.of("port", "7001", "maxclients", "60"),
                List.of("storage.max-value-bytes=4096"),
                Map.of("CAIRN_PORT", "7002", "HOME", "/root", "CAIRN_STORAGE_OPTIONS", "storage.max-key-bytes=2048"));
        assertEquals(7002, c.intValue("port"), "env wins over flag and file");
        assertEquals(60, c.intValue("maxclients"), "flag wins over file");
        assertEquals("127.0.0.2", c.string("bind"), "file wins over default");
        assertEquals(Map.of("storage.max-key-bytes", "2048", "storage.max-value-bytes", "4096"), c.storageOptions());
    }

    @Test
    void environmentNamesMapToDottedAndDashedKeys() {
        ServerConfig c = ServerConfig.load(null, Map.of(), List.of(),
                Map.of("CAIRN_EXPIRY_ACTIVE_BATCH", "7", "CAIRN_PROTECTED_MODE", "no"));
        assertEquals(7, c.intValue("expiry.active.batch"));
        assertEquals(false, c.bool("protected-mode"));
    }

    @Test
    void unknownKeysAreRefusedWherever_theyComeFrom() throws IOException {
        Path yaml = dir.resolve("bad.yaml");
        Files.writeString(yaml, "prot: 1\n");
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.load(yaml, Map.of(), List.of(), Map.of())).getMessage().contains("unknown setting 'prot'"));
        assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.load(null, Map.of("nope", "1"), List.of(), Map.of()));
        assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.load(null, Map.of(), List.of(), Map.of("CAIRN_NOPE", "1")));
        assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.load(null, Map.of(), List.of("no-equals-sign"), Map.of()));
    }

    @Test
    void badValuesAreRefusedWithTheKeyNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.load(null, Map.of("port", "70000"), List.of(), Map.of())).getMessage().contains("port"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.load(null, Map.of("port", "abc"), List.of(), Map.of())).getMessage().contains("port"));
        assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.load(null, Map.of("storage", "floppy"), List.of(), Map.of()));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.load(null, Map.of("storage", "rocksdb"), List.of(), Map.of())).getMessage().contains("data-dir"));
        assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.load(null, Map.of("protected-mode", "maybe"), List.of(), Map.of()));
        assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.load(null, Map.of("partitions", "0"), List.of(), Map.of()));
    }

    @Test
    void effectiveConfigurationMasksThePassword() {
        ServerConfig c = ServerConfig.load(null, Map.of("requirepass", "s3cret"), List.of(), Map.of());
        assertEquals("********", c.effective().get("requirepass"));
        assertEquals("s3cret", c.string("requirepass"));
    }

    @Test
    void nodeIdIsStableForANameAndPersistedWhenRandom() {
        String a = CairnServer.resolveNodeId("n1", null);
        assertEquals(a, CairnServer.resolveNodeId("n1", null));
        assertTrue(a.matches("[0-9a-f]{40}"));
        String persisted = CairnServer.resolveNodeId(null, dir);
        assertEquals(persisted, CairnServer.resolveNodeId(null, dir));
    }
}
