package io.cairn.server.elastic;

import static io.cairn.server.elastic.ElasticNodes.await;
import static io.cairn.server.elastic.ElasticNodes.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.NodeState;
import io.cairn.cluster.PartitionReplicas;
import io.cairn.server.embedded.CairnNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisException;

/**
 * CLUSTER LAG on three in-process elastic nodes over real RESP connections: every partition is
 * reported by exactly its leader, with the other two replicas as voters; once writes settle every
 * replica's lag is 0 (its match index is the leader's last index). With one node stopped and
 * writes going on, the leaders report that node's replicas behind by the entries written since and
 * silent for as long as it has been gone, while the live replicas stay caught up.
 */
@Timeout(150)
class ClusterLagTest {
    @TempDir
    Path dir;

    private ElasticNodes nodes;

    @BeforeEach
    void fixture() {
        nodes = new ElasticNodes(dir);
    }

    @AfterEach
    void stop() {
        nodes.close();
    }

    /** One replica entry of CLUSTER LAG. */
    private record Replica(String node, String role, long matchIndex, long lag, long lastContactMs) {}

    /** One partition entry of CLUSTER LAG. */
    private record Led(int partition, String leader, long term, long commitIndex, long lastIndex, Map<String, Replica> replicas) {}

    @Test
    void lagIsZeroOnceSettledAndGrowsForAStoppedReplica() throws Exception {
        int[] raft = {freePort(), freePort(), freePort()};
        CairnNode first = nodes.start("n1", raft[0], Map.of("bootstrap", "yes"));
        for (int i = 1; i < 3; i++) {
            nodes.start("n" + (i + 1), raft[i], Map.of("join", "127.0.0.1:" + raft[0]));
        }
        await(Duration.ofSeconds(90), () -> threeReplicasEverywhere(first.server().agent().map()),
                () -> "3 UP nodes holding every partition: " + first.server().agent().map());
        write(first, "a:", 200);

        // Settled: each partition reported once, by its leader, the two others voters with lag 0.
        List<CairnNode> all = List.of(nodes.get(0), nodes.get(1), nodes.get(2));
        await(Duration.ofSeconds(20), () -> settled(lagOf(all)), () -> "every replica caught up: " + lagOf(all));
        Map<Integer, Led> settled = lagOf(all);
        assertEquals(Set.of(0, 1, 2, 3), settled.keySet(), settled.toString());
        for (Led l : settled.values()) {
            assertEquals(2, l.replicas().size(), l.toString());
            assertTrue(!l.replicas().containsKey(l.leader()), "the leader is not its own follower: " + l);
            for (Replica r : l.replicas().values()) {
                assertEquals("voter", r.role(), l.toString());
                assertEquals(l.lastIndex(), r.matchIndex(), l.toString());
                assertTrue(r.lastContactMs() < 5_000, "a live follower answers heartbeats: " + l);
            }
            assertTrue(l.commitIndex() > 0 && l.commitIndex() <= l.lastIndex(), l.toString());
            assertTrue(l.term() > 0, l.toString());
        }
        System.out.println("ClusterLagTest: settled " + settled);

        // n3 stops; writes go on through n1. n3's replicas fall behind and go silent; n1 and n2 keep up.
        long stoppedAt = System.nanoTime(); // before close: n3 stops answering while it shuts down
        nodes.get(2).close();
        write(first, "b:", 200);
        List<CairnNode> live = List.of(nodes.get(0), nodes.get(1));
        await(Duration.ofSeconds(30), () -> n3BehindAndSilent(lagOf(live), 1_000),
                () -> "n3 behind and silent for 1 s on every partition, the others caught up: " + lagOf(live));
        Map<Integer, Led> behind = lagOf(live);
        long goneMs = (System.nanoTime() - stoppedAt) / 1_000_000;
        System.out.println("ClusterLagTest: n3 stopped " + goneMs + " ms ago: " + behind);
        for (Led l : behind.values()) {
            Replica n3 = l.replicas().get("n3");
            // Each partition took about 50 of the 200 writes since n3 stopped: it lacks all of them.
            assertTrue(n3.lag() >= 10, "n3 lacks the writes made since it stopped: " + l);
            assertTrue(n3.lastContactMs() <= goneMs + 1_000, "silent no longer than it has been gone (" + goneMs + " ms): " + l);
            assertTrue(l.leader().equals("n1") || l.leader().equals("n2"), l.toString());
        }
    }

    // ------------------------------------------------------------------ helpers

    private static boolean threeReplicasEverywhere(ClusterMap map) {
        return map.isBootstrapped() && map.movesInProgress() == 0
                && map.nodes().stream().filter(n -> n.state() == NodeState.UP).count() == 3
                && map.partitions().stream().map(PartitionReplicas::replicas).allMatch(r -> r.size() == 3);
    }

    private static boolean settled(Map<Integer, Led> lag) {
        return lag.size() == 4 && lag.values().stream().allMatch(l -> l.replicas().size() == 2
                && l.replicas().values().stream().allMatch(r -> r.lag() == 0));
    }

    private static boolean n3BehindAndSilent(Map<Integer, Led> lag, long silentMs) {
        if (lag.size() != 4) {
            return false;
        }
        for (Led l : lag.values()) {
            Replica n3 = l.replicas().get("n3");
            if (n3 == null || n3.lag() == 0 || n3.lastContactMs() < silentMs) {
                return false;
            }
            for (Replica r : l.replicas().values()) {
                if (!r.node().equals("n3") && r.lag() != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Writes {@code count} keys through {@code node}, retrying each (bounded) while a partition elects a leader. */
    private static void write(CairnNode node, String prefix, int count) throws InterruptedException {
        try (Jedis j = jedis(node)) {
            for (int i = 0; i < count; i++) {
                for (int attempt = 0; ; attempt++) {
                    try {
                        assertEquals("OK", j.set(prefix + i, "v" + i));
                        break;
                    } catch (JedisException e) {
                        if (attempt >= 20) {
                            throw e;
                        }
                        Thread.sleep(250);
                    }
                }
            }
        }
    }

    /**
     * CLUSTER LAG of every node given, merged by partition (the higher term wins, as {@code cairn
     * topology} merges); each entry's leader must be the node that reported it.
     */
    private static Map<Integer, Led> lagOf(List<CairnNode> nodes) {
        Map<Integer, Led> out = new HashMap<>();
        for (CairnNode n : nodes) {
            String name = n.server().agent().self().id();
            try (Jedis j = jedis(n)) {
                for (Object entry : (List<?>) j.sendCommand(Protocol.Command.CLUSTER, "LAG")) {
                    Map<String, Object> p = pairs(entry);
                    Map<String, Replica> replicas = new LinkedHashMap<>();
                    for (Object r : (List<?>) p.get("replicas")) {
                        Map<String, Object> m = pairs(r);
                        Replica replica = new Replica(text(m.get("node")), text(m.get("role")), (Long) m.get("match-index"),
                                (Long) m.get("lag"), (Long) m.get("last-contact-ms"));
                        replicas.put(replica.node(), replica);
                    }
                    Led led = new Led((int) (long) (Long) p.get("partition"), text(p.get("leader")), (Long) p.get("term"),
                            (Long) p.get("commit-index"), (Long) p.get("last-index"), replicas);
                    assertEquals(name, led.leader(), "a node reports only partitions it leads: " + led);
                    out.merge(led.partition(), led, (a, b) -> a.term() >= b.term() ? a : b);
                }
            }
        }
        return out;
    }

    private static Map<String, Object> pairs(Object flat) {
        List<?> l = (List<?>) flat;
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < l.size(); i += 2) {
            m.put(text(l.get(i)), l.get(i + 1));
        }
        return m;
    }

    private static String text(Object o) {
        return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
    }

    private static Jedis jedis(CairnNode n) {
        return new Jedis("127.0.0.1", n.server().port(), 10_000);
    }
}
