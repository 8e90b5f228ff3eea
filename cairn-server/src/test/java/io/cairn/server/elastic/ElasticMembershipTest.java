package io.cairn.server.elastic;

import static io.cairn.server.elastic.ElasticNodes.await;
import static io.cairn.server.elastic.ElasticNodes.freePort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.PartitionReplicas;
import io.cairn.server.embedded.CairnNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * {@code cairn server} with elastic membership, wired end to end (config keys → cluster agent →
 * RaftNode → RESP): one node bootstraps, two join through its Raft address, and the cluster grows
 * every partition to 3 replicas while keys written through RESP stay readable on every node.
 * CLUSTER NODES and INFO show the map's members and epoch.
 */
@Timeout(240)
class ElasticMembershipTest {
    @TempDir
    Path dir;

    private ElasticNodes nodes;

    @org.junit.jupiter.api.BeforeEach
    void fixture() {
        nodes = new ElasticNodes(dir);
    }

    @AfterEach
    void stop() {
        nodes.close();
    }

    private CairnNode start(String name, int raftPort, Map<String, String> how) {
        return nodes.start(name, raftPort, how);
    }

    @Test
    void growsFromOneBootstrapNodeToThreeReplicasPerPartition() throws Exception {
        int[] raft = {freePort(), freePort(), freePort()};
        CairnNode first = start("n1", raft[0], Map.of("bootstrap", "yes"));
        try (Jedis j = new Jedis("127.0.0.1", first.server().port(), 10_000)) {
            for (int i = 0; i < 50; i++) {
                assertEquals("OK", j.set("before:" + i, "v" + i));
            }
        }
        String seed = "127.0.0.1:" + raft[0];
        start("n2", raft[1], Map.of("join", seed));
        start("n3", raft[2], Map.of("join", seed));

        await(Duration.ofSeconds(150), () -> fullyReplicated(first.server().agent().map(), 3),
                () -> "every partition on 3 replicas, no move left: " + first.server().agent().map());
        ClusterMap map = first.server().agent().map();
        System.out.println("ElasticMembershipTest: grown to 3 nodes at epoch " + map.epoch());

        for (int n = 0; n < 3; n++) {
            try (Jedis j = new Jedis("127.0.0.1", nodes.get(n).server().port(), 10_000)) {
                for (int i = 0; i < 50; i++) {
                    assertEquals("v" + i, j.get("before:" + i), "node " + n);
                }
                assertEquals("OK", j.set("after:" + n, "w" + n));
                String clusterNodes = j.clusterNodes();
                assertEquals(3, clusterNodes.lines().count(), clusterNodes);
            }
        }
        for (int n = 0; n < 3; n++) {
            for (int i = 0; i < 3; i++) {
                assertEquals("w" + i, nodes.get(n).get("after:" + i));
            }
            // Every node hosts a replica of every partition now (RF 3 on 3 nodes).
            assertEquals(4, nodes.get(n).server().raft().hostedPartitions().size(), "node " + n);
        }
    }

    @Test
    void misconfiguredElasticNodesAreRefusedWithAClearError() {
        Map<String, String> base = Map.of("node-id", "x", "raft-port", "7999", "data-dir", dir.resolve("x").toString());
        assertRefused(with(base, Map.of("bootstrap", "yes", "join", "127.0.0.1:7001")), "either bootstraps");
        assertRefused(with(base, Map.of("bootstrap", "yes", "peers", "x@127.0.0.1:7999")), "cannot be combined");
        assertRefused(Map.of("node-id", "x", "data-dir", dir.resolve("x").toString(), "join", "127.0.0.1:7001"),
                "raft-port");
        assertRefused(Map.of("node-id", "x", "raft-port", "7999", "bootstrap", "yes"), "data-dir");
    }

    private static Map<String, String> with(Map<String, String> a, Map<String, String> b) {
        Map<String, String> m = new LinkedHashMap<>(a);
        m.putAll(b);
        return m;
    }

    private static void assertRefused(Map<String, String> settings, String expected) {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> io.cairn.server.ServerConfig.load(null, settings, List.of(), Map.of()));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static boolean fullyReplicated(ClusterMap map, int rf) {
        if (!map.isBootstrapped() || map.movesInProgress() > 0) {
            return false;
        }
        for (PartitionReplicas p : map.partitions()) {
            if (p.replicas().size() != rf) {
                return false;
            }
        }
        return true;
    }


}
