package io.cairn.server.elastic;

import static io.cairn.server.elastic.ElasticNodes.await;
import static io.cairn.server.elastic.ElasticNodes.freePort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.cluster.ClusterCodec;
import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.NodeInfo;
import io.cairn.cluster.NodeState;
import io.cairn.cluster.PartitionReplicas;
import io.cairn.cluster.Planner;
import io.cairn.server.embedded.Cairn;
import io.cairn.server.embedded.CairnNode;
import java.nio.charset.StandardCharsets;
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
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Cairn's CLUSTER extensions against in-process elastic nodes over real RESP connections:
 * CLUSTER MAP is the agent's map as JSON, CLUSTER LEAVE drains a node until the controller marks
 * it LEFT (replication factor kept, data readable), CLUSTER REBALANCE reports the planner's view,
 * and nodes without elastic membership refuse them (and CLUSTER LAG, REBALANCE START) with a clear
 * error. CLUSTER LAG itself: ClusterLagTest.
 */
@Timeout(200)
@org.junit.jupiter.api.extension.ExtendWith(ThreadDumpOnTimeout.class) // a read once hung here: show where
class ClusterAdminCommandsTest {
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
    void leaveDrainsANodeToLeftKeepingThreeReplicasAndTheData() throws Exception {
        int[] raft = {freePort(), freePort(), freePort(), freePort()};
        CairnNode first = start("n1", raft[0], Map.of("bootstrap", "yes"));
        String seed = "127.0.0.1:" + raft[0];
        for (int i = 1; i < 4; i++) {
            start("n" + (i + 1), raft[i], Map.of("join", seed));
        }
        await(Duration.ofSeconds(120), () -> settled(first.server().agent().map(), 4, null),
                () -> "4 UP nodes, 3 replicas per partition, no move: " + first.server().agent().map());
        try (Jedis j = jedis(first)) {
            for (int i = 0; i < 100; i++) {
                assertEquals("OK", j.set("k:" + i, "v" + i));
            }
            // CLUSTER MAP: the agent's map, epoch included, in the codec's encoding.
            long before = first.server().agent().epoch();
            ClusterMap fromResp = ClusterCodec.decodeMap((byte[]) j.sendCommand(Protocol.Command.CLUSTER, "MAP"));
            ClusterMap local = first.server().agent().map();
            assertTrue(fromResp.epoch() >= before && fromResp.epoch() <= local.epoch(), fromResp.epoch() + " vs " + local.epoch());
            if (fromResp.epoch() == local.epoch()) {
                assertEquals(local, fromResp);
            }
            assertEquals(4, fromResp.nodes().size());

            Map<String, Long> status = rebalance(j);
            assertEquals(0L, status.get("moves-in-progress"), status.toString());
            assertEquals(0L, status.get("replicas-misplaced"), status.toString());
            assertEquals(300L, status.get("controller-loop-interval-ms"), status.toString());

            JedisDataException unknown = assertThrows(JedisDataException.class,
                    () -> j.sendCommand(Protocol.Command.CLUSTER, "LEAVE", "no-such-node"));
            assertTrue(unknown.getMessage().startsWith("UNKNOWNNODE"), unknown.getMessage());
            JedisDataException arity = assertThrows(JedisDataException.class,
                    () -> j.sendCommand(Protocol.Command.CLUSTER, "LEAVE", "n4", "extra"));
            assertTrue(arity.getMessage().contains("wrong number of arguments"), arity.getMessage());
        }

        // The leaving node asks for itself (no argument): the reply carries the map's new epoch.
        CairnNode leaving = nodes.get(3);
        long epochBefore = leaving.server().agent().epoch();
        String reply;
        try (Jedis j = jedis(leaving)) {
            reply = new String((byte[]) j.sendCommand(Protocol.Command.CLUSTER, "LEAVE"), StandardCharsets.UTF_8);
        }
        assertTrue(reply.matches("OK epoch \\d+"), reply);
        long leaveEpoch = Long.parseLong(reply.substring("OK epoch ".length()));
        assertTrue(leaveEpoch > epochBefore, reply + " after " + epochBefore);

        // Asking again, through another node and by its CLUSTER NODES id, is refused: it is LEAVING already (or LEFT).
        try (Jedis j = jedis(first)) {
            String hexId = (String) sha1Of("n4");
            JedisDataException again = assertThrows(JedisDataException.class,
                    () -> j.sendCommand(Protocol.Command.CLUSTER, "LEAVE", hexId));
            assertTrue(again.getMessage().startsWith("NOCHANGE") || again.getMessage().startsWith("WRONGSTATE"),
                    again.getMessage());
        }

        await(Duration.ofSeconds(120), () -> settled(first.server().agent().map(), 3, "n4"),
                () -> "n4 LEFT, 3 replicas per partition on n1..n3, no move: " + first.server().agent().map());
        ClusterMap after = first.server().agent().map();
        System.out.println("ClusterAdminCommandsTest: n4 left, epoch " + leaveEpoch + " -> " + after.epoch());
        for (PartitionReplicas p : after.partitions()) {
            assertEquals(3, p.replicas().size(), "partition " + p.partition());
            assertFalse(p.replicas().contains("n4"), "partition " + p.partition());
        }
        for (int n = 0; n < 3; n++) {
            try (Jedis j = jedis(nodes.get(n))) {
                for (int i = 0; i < 100; i++) {
                    assertEquals("v" + i, j.get("k:" + i), "node n" + (n + 1));
                }
                Map<String, Long> status = rebalance(j);
                assertEquals(0L, status.get("moves-in-progress"), status.toString());
            }
        }
        // The leaving node drops its replicas as the moves complete.
        await(Duration.ofSeconds(30), () -> leaving.server().raft().hostedPartitions().isEmpty(),
                () -> "n4 hosts no partition: " + leaving.server().raft().hostedPartitions());
    }

    @Test
    void nodesWithoutElasticMembershipRefuseTheExtensions() throws Exception {
        int raftPort = freePort();
        Map<String, String> s = new LinkedHashMap<>();
        s.put("node-id", "s1");
        s.put("port", "0");
        s.put("peers", "s1@127.0.0.1:" + raftPort);
        s.put("replication-factor", "1");
        s.put("partitions", "2");
        s.put("data-dir", dir.resolve("s1").toString());
        CairnNode staticNode = Cairn.node(s);
        nodes.adopt(staticNode);
        CairnNode single = Cairn.node(Map.of("port", "0"));
        nodes.adopt(single);

        try (Jedis j = jedis(staticNode)) {
            for (String sub : new String[] {"MAP", "LEAVE", "REBALANCE", "LAG"}) {
                JedisDataException e = assertThrows(JedisDataException.class,
                        () -> j.sendCommand(Protocol.Command.CLUSTER, sub));
                assertTrue(e.getMessage().startsWith("ERR this node has static membership (peers)"), e.getMessage());
            }
            JedisDataException start = assertThrows(JedisDataException.class,
                    () -> j.sendCommand(Protocol.Command.CLUSTER, "REBALANCE", "START"));
            assertTrue(start.getMessage().startsWith("ERR this node has static membership (peers)"), start.getMessage());
            assertEquals("OK", j.set("still", "served")); // the refusal does not disturb the node
        }
        try (Jedis j = jedis(single)) {
            for (String sub : new String[] {"MAP", "LEAVE", "REBALANCE", "LAG"}) {
                JedisDataException e = assertThrows(JedisDataException.class,
                        () -> j.sendCommand(Protocol.Command.CLUSTER, sub));
                assertTrue(e.getMessage().startsWith("ERR this node is a single node"), e.getMessage());
            }
            @SuppressWarnings("unchecked")
            List<Object> help = (List<Object>) j.sendCommand(Protocol.Command.CLUSTER, "HELP");
            String text = help.stream().map(l -> new String((byte[]) l, StandardCharsets.UTF_8)).reduce("", (a, b) -> a + "\n" + b);
            assertTrue(text.contains("LEAVE [<node-id>]") && text.contains("MAP") && text.contains("REBALANCE [START]")
                    && text.contains("LAG"), text);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Jedis jedis(CairnNode n) {
        return new Jedis("127.0.0.1", n.server().port(), 10_000);
    }

    /** CLUSTER REBALANCE's map reply (a flat array over RESP2), as field to value. */
    private static Map<String, Long> rebalance(Jedis j) {
        @SuppressWarnings("unchecked")
        List<Object> flat = (List<Object>) j.sendCommand(Protocol.Command.CLUSTER, "REBALANCE");
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < flat.size(); i += 2) {
            m.put(new String((byte[]) flat.get(i), StandardCharsets.UTF_8), (Long) flat.get(i + 1));
        }
        assertNotNull(m.get("epoch"), m.toString());
        return m;
    }

    /**
     * {@code liveNodes} UP nodes, every partition on 3 of them, no move under way; and, if
     * {@code left} is given, that node LEFT.
     */
    private static boolean settled(ClusterMap map, int liveNodes, String left) {
        // Also at the placement's target: 3 replicas each can be reached before the joiner got its share.
        if (!map.isBootstrapped() || map.movesInProgress() > 0 || new Planner().distance(map) != 0) {
            return false;
        }
        int up = 0;
        for (NodeInfo n : map.nodes()) {
            if (n.state() == NodeState.UP) {
                up++;
            }
            if (n.id().equals(left) && n.state() != NodeState.LEFT) {
                return false;
            }
        }
        if (up != liveNodes) {
            return false;
        }
        for (PartitionReplicas p : map.partitions()) {
            if (p.replicas().size() != 3 || (left != null && p.replicas().contains(left))) {
                return false;
            }
        }
        return true;
    }

    private static Object sha1Of(String name) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1")
                .digest(name.getBytes(StandardCharsets.UTF_8)));
    }


}
