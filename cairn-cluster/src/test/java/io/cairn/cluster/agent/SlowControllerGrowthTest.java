package io.cairn.cluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.ClusterSettings;
import io.cairn.cluster.PartitionReplicas;
import io.cairn.api.reply.Reply;
import io.cairn.storage.SlotHash;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failure class: "a cluster grown from 1 node: the joiner's view missed partitions it should
 * own; data stayed unreachable on the founder". A cluster grows 1 → 2 → 3 under writes while its
 * controller is slow (every controller replica waits {@value #APPLY_DELAY_MS} ms before applying
 * each entry, so joins, map reads, moves and their completions all lag). Then: every node's view
 * is the controller's map, every node hosts exactly the partitions the map gives it, every
 * partition has its three replicas, every partition is writable and readable through every node,
 * and every acknowledged write reads back through every node and sits in every replica's engine.
 *
 * <p>Also watches the controller group's size all along: 1, then 3 (never 2 where Ratis allows
 * adding two members at once, see {@link ControllerDuties}).
 */
class SlowControllerGrowthTest {
    static final int PARTITIONS = 8;
    static final long APPLY_DELAY_MS = 80;

    @TempDir
    Path dir;

    @Test
    @Timeout(110)
    void growsFromOneNodeToThreeUnderWritesWithASlowController() throws Exception {
        ClusterSettings settings = new ClusterSettings(AgentCluster.CLUSTER, PARTITIONS, 3, 128, 4, 64);
        long started = System.nanoTime();
        AtomicLong delayedApplies = new AtomicLong();
        try (AgentCluster c = new AgentCluster(dir, settings, AgentCluster.defaults())) {
            c.controllerApplyObserver = index -> {
                delayedApplies.incrementAndGet();
                Thread.sleep(APPLY_DELAY_MS);
            };
            Set<Integer> sizes = new ConcurrentSkipListSet<>();
            AtomicBoolean watching = new AtomicBoolean(true);
            Thread watcher = new Thread(() -> {
                while (watching.get()) {
                    AgentCluster.Member leader = c.controllerLeader();
                    RaftServer.Division d = leader == null ? null : leader.agent.localControllerDivision().orElse(null);
                    if (d != null) {
                        // The voters that count for commits: both sets while a change is half done.
                        var conf = d.getRaftConf();
                        sizes.add(conf.getCurrentPeers().size());
                        if (!conf.getPreviousPeers().isEmpty()) {
                            sizes.add(conf.getPreviousPeers().size());
                        }
                    }
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "controller-size-watcher");
            watcher.setDaemon(true);
            Workload w = new Workload(PARTITIONS);
            try {
                AgentCluster.Member n1 = c.bootstrap("n1");
                watcher.start();
                w.start("a", n1.service);
                w.awaitWrites(100, Duration.ofSeconds(30));

                AgentCluster.Member n2 = c.join("n2", n1.raftAddress());
                w.start("b", n2.service);
                // n3 joins while n2's moves are (very likely) still under way: the slow controller lags behind both.
                w.awaitWrites(50, Duration.ofSeconds(30));
                AgentCluster.Member n3 = c.join("n3", "n2@" + n2.raftAddress());
                w.start("c", n3.service);
                ClusterMap three = c.awaitSettled(Duration.ofSeconds(70));
                w.awaitWrites(100, Duration.ofSeconds(30));
                w.close();

                // Replication restored: three replicas per partition, on the three nodes.
                for (PartitionReplicas p : three.partitions()) {
                    assertEquals(Set.of("n1", "n2", "n3"), Set.copyOf(p.replicas()), "partition " + p.partition());
                }
                // Every node's view is the controller's map, and it hosts exactly what the map gives it.
                AgentCluster.await(Duration.ofSeconds(20), () -> c.live().stream().allMatch(m -> m.agent.epoch() >= three.epoch()),
                        () -> "every node to know epoch " + three.epoch() + "; they know "
                                + c.live().stream().map(m -> m.id + "@" + m.agent.epoch()).toList());
                for (AgentCluster.Member m : c.live()) {
                    Set<Integer> expected = new TreeSet<>();
                    for (PartitionReplicas p : m.agent.map().partitions()) {
                        if (p.replicas().contains(m.id)) {
                            expected.add(p.partition());
                        }
                    }
                    assertEquals(expected, new TreeSet<>(m.node.hostedPartitions()), m.id + " hosts what its map gives it");
                    assertEquals(PARTITIONS, expected.size(), m.id + " replicates every partition");
                }
                // Every partition writable and readable through every node.
                Map<Integer, String> keyOf = keysPerPartition();
                for (AgentCluster.Member writer : c.live()) {
                    for (Map.Entry<Integer, String> e : keyOf.entrySet()) {
                        String value = "through-" + writer.id;
                        Reply r = writer.service.execute(Workload.argv("SET", e.getValue(), value)).get(30, TimeUnit.SECONDS);
                        assertEquals(Reply.OK, r, "SET of partition " + e.getKey() + " through " + writer.id);
                        for (AgentCluster.Member reader : c.live()) {
                            Reply g = reader.service.execute(Workload.argv("GET", e.getValue())).get(30, TimeUnit.SECONDS);
                            assertTrue(g instanceof Reply.Bulk b && b.utf8().equals(value), "GET of partition " + e.getKey()
                                    + " through " + reader.id + " after a SET through " + writer.id + ": " + g);
                        }
                    }
                }
                System.out.printf("growth 1->3 with a slow controller (%d ms per entry, %d entries delayed): %d writes,"
                                + " %d failures, epoch %d, moves %s, controller sizes seen %s, %d ms%n", APPLY_DELAY_MS,
                        delayedApplies.get(), w.writes.get(), w.failures.size(), three.epoch(),
                        java.util.Arrays.toString(c.moveCounts()), sizes, (System.nanoTime() - started) / 1_000_000);
                assertTrue(delayedApplies.get() > 50, "the controller was slowed down: " + delayedApplies.get() + " entries");
                assertEquals(List.of(), w.failures.subList(0, Math.min(10, w.failures.size())), "failed commands");
                assertEquals(0, c.moveCounts()[1], "no move should have been given up");
                c.awaitReplicasConverged(three, Duration.ofSeconds(30));
                c.checkReplicas(three, w);
                for (AgentCluster.Member m : c.live()) {
                    w.checkReadsThrough(m.id, m.service);
                }

                // The controller group: one voter, then three (two only where Ratis refuses adding two at once).
                AgentCluster.await(Duration.ofSeconds(20), () -> ControllerRegrowthTest.voters(c).size() == 3,
                        () -> "three controller voters, now " + ControllerRegrowthTest.voters(c));
                watching.set(false);
                watcher.join(5000);
                assertTrue(sizes.contains(1) && sizes.contains(3) && sizes.stream().allMatch(s -> s >= 1 && s <= 3),
                        "controller sizes seen " + sizes);
                if (majorityAddAllowed(c)) {
                    assertFalse(sizes.contains(2), "the controller went through two voters: " + sizes);
                }
            } finally {
                watching.set(false);
                w.close();
            }
        }
    }

    /** True if the nodes' Ratis servers accept a change adding as many voters as it keeps (1 → 3 at once). */
    static boolean majorityAddAllowed(AgentCluster c) {
        RaftServer.Division d = c.controllerLeader().agent.localControllerDivision().orElseThrow();
        return RaftServerConfigKeys.LeaderElection.memberMajorityAdd(d.getRaftServer().getProperties());
    }

    /** One key per partition. */
    static Map<Integer, String> keysPerPartition() {
        Map<Integer, String> out = new HashMap<>();
        List<String> tried = new ArrayList<>();
        for (int i = 0; out.size() < PARTITIONS && i < 100_000; i++) {
            String k = "probe-" + i;
            tried.add(k);
            out.putIfAbsent(SlotHash.partitionOf(k.getBytes(StandardCharsets.UTF_8), PARTITIONS), k);
        }
        assertEquals(PARTITIONS, out.size(), "keys for every partition among " + tried.size());
        return out;
    }
}
