package io.cairn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.resp.ClusterModeSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/** {@code cluster-mode} and its limits: defaults, sources, validation, and what a running node reports. */
class ClusterModeConfigTest {
    @TempDir
    Path dir;

    private static ServerConfig load(Map<String, String> flags) {
        return ServerConfig.load(null, flags, List.of(), Map.of());
    }

    @Test
    void proxyByDefault() {
        ClusterModeSettings s = load(Map.of()).clusterModeSettings();
        assertEquals(ClusterModeSettings.DEFAULTS, s);
        assertEquals(ClusterModeSettings.Mode.PROXY, s.mode());
    }

    @Test
    void setFromYamlFlagsOrEnvironment() throws IOException {
        Path yaml = dir.resolve("cairn.yaml");
        Files.writeString(yaml, "cluster-mode: redirect\ncluster-leader-wait-ms: 750\n");
        ClusterModeSettings fromYaml = ServerConfig.load(yaml, Map.of(), List.of(), Map.of()).clusterModeSettings();
        assertEquals(ClusterModeSettings.Mode.REDIRECT, fromYaml.mode());
        assertEquals(750, fromYaml.leaderWaitMillis());
        ClusterModeSettings fromEnv = ServerConfig.load(yaml, Map.of("cluster-mode", "proxy"), List.of(),
                Map.of("CAIRN_CLUSTER_MODE", "REDIRECT", "CAIRN_CLUSTER_SCAN_PAGE_KEYS", "50",
                        "CAIRN_CLUSTER_SCAN_MAX_KEYS", "1000")).clusterModeSettings();
        assertEquals(ClusterModeSettings.Mode.REDIRECT, fromEnv.mode(), "the environment wins, any case");
        assertEquals(50, fromEnv.scanPageKeys());
        assertEquals(1000, fromEnv.scanMaxKeys());
        assertEquals(ClusterModeSettings.Mode.PROXY, load(Map.of("cluster-mode", "proxy")).clusterModeSettings().mode());
    }

    @Test
    void badValuesAreRefusedWithTheKeyNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> load(Map.of("cluster-mode", "moved")))
                .getMessage().contains("cluster-mode must be proxy or redirect"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> load(Map.of("cluster-scan-page-keys", "0")))
                .getMessage().contains("cluster-scan-page-keys"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> load(Map.of("cluster-leader-wait-ms", "-1")))
                .getMessage().contains("cluster-leader-wait-ms"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> load(Map.of("cluster-scan-max-keys", "x")))
                .getMessage().contains("cluster-scan-max-keys"));
    }

    @Test
    void redirectNeedsEveryPeersRespPort() {
        String dataDir = dir.toString();
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> load(Map.of(
                "cluster-mode", "redirect", "node-id", "n1", "port", "7101", "data-dir", dataDir,
                "peers", "n1@127.0.0.1:7001/7101,n2@127.0.0.1:7002,n3@127.0.0.1:7003/7103")));
        assertTrue(missing.getMessage().contains("peer n2"), missing.getMessage());
        IllegalArgumentException wrongPort = assertThrows(IllegalArgumentException.class, () -> load(Map.of(
                "cluster-mode", "redirect", "node-id", "n1", "port", "7100", "data-dir", dataDir,
                "peers", "n1@127.0.0.1:7001/7101,n2@127.0.0.1:7002/7102")));
        assertTrue(wrongPort.getMessage().contains("7101") && wrongPort.getMessage().contains("7100"),
                wrongPort.getMessage());
        // all given and matching: fine; proxy mode does not need them
        load(Map.of("cluster-mode", "redirect", "node-id", "n1", "port", "7101", "data-dir", dataDir,
                "peers", "n1@127.0.0.1:7001/7101,n2@127.0.0.1:7002/7102"));
        load(Map.of("node-id", "n1", "port", "7101", "data-dir", dataDir,
                "peers", "n1@127.0.0.1:7001,n2@127.0.0.1:7002"));
        // a single node has nobody to redirect to: redirect mode is accepted and serves every key
        load(Map.of("cluster-mode", "redirect"));
    }

    @Test
    void aSingleNodeInRedirectModeServesEveryKeyAndReportsItsMode() throws Exception {
        try (CairnServer server = CairnServer.start(load(Map.of("cluster-mode", "redirect", "port", "0")));
             Jedis j = new Jedis("127.0.0.1", server.port(), 10_000)) {
            assertEquals(Map.of("cluster-mode", "redirect"), j.configGet("cluster-mode"));
            for (int i = 0; i < 50; i++) {
                assertEquals("OK", j.set("k" + i, "v" + i));
            }
            assertEquals(50, j.dbSize());
            assertEquals(50, j.keys("*").size());
            int slot = (int) j.clusterKeySlot("k7");
            java.util.Set<String> inSlot = new java.util.HashSet<>();
            for (int i = 0; i < 50; i++) {
                if (io.cairn.storage.SlotHash.slot(("k" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)) == slot) {
                    inSlot.add("k" + i);
                }
            }
            assertEquals(inSlot.size(), j.clusterCountKeysInSlot(slot));
            assertEquals(inSlot, new java.util.HashSet<>(j.clusterGetKeysInSlot(slot, 10)));
            assertTrue(j.clusterInfo().contains("cluster_state:ok"));
        }
    }
}
