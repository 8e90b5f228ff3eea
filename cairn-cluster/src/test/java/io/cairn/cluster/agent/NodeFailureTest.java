package io.cairn.cluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.ClusterSettings;
import io.cairn.cluster.NodeInfo;
import io.cairn.cluster.NodeState;
import io.cairn.cluster.PartitionReplicas;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node of a four-node cluster stops (like a crash) for longer than {@code down-after-ms}: the
 * controller marks it DOWN and re-creates its replicas on the other nodes until every partition
 * has three replicas again, while writers keep going. Restarted on its old data directory, it
 * rejoins: the replicas the map no longer gives it are dropped (never merged back), it takes its
 * share again, and every acknowledged write is where it should be.
 */
class NodeFailureTest {
    static final int PARTITIONS = 8;

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void aNodeDownPastDownAfterIsReplacedAndRejoinsCleanly() throws Exception {
        ClusterSettings settings = new ClusterSettings(AgentCluster.CLUSTER, PARTITIONS, 3, 128, 4, 64);
        try (AgentCluster c = new AgentCluster(dir, settings, AgentCluster.defaults())) {
            Workload w = new Workload(PARTITIONS);
            try {
                AgentCluster.Member n1 = c.bootstrap("n1");
                for (String id : List.of("n2", "n3", "n4")) {
                    c.join(id, n1.raftAddress());
                }
                ClusterMap four = c.awaitSettled(Duration.ofSeconds(90));
                AgentCluster.Member leader = c.controllerLeader();
                // The victim: a data node that does not lead the controller (ControllerFailoverTest stops that one).
                AgentCluster.Member victim = c.live().stream().filter(m -> m != leader && four.replicaCount(m.id) > 0)
                        .reduce((a, b) -> b).orElseThrow();
                for (AgentCluster.Member m : c.live()) {
                    if (m != victim) {
                        w.start(m.id, m.service);
                    }
                }
                w.awaitWrites(300, Duration.ofSeconds(30));

                Set<Integer> held = new TreeSet<>();
                for (PartitionReplicas p : four.partitions()) {
                    if (p.replicas().contains(victim.id)) {
                        held.add(p.partition());
                    }
                }
                long stoppedAt = System.nanoTime();
                c.retireCounters(victim.id);
                c.stop(victim.id);
                AgentCluster.await(Duration.ofSeconds(30), () -> c.map().node(victim.id).map(NodeInfo::state)
                        .orElse(NodeState.LEFT) == NodeState.DOWN, () -> victim.id + " to be marked DOWN");
                long downMs = (System.nanoTime() - stoppedAt) / 1_000_000;
                assertTrue(downMs >= 4000, victim.id + " was marked DOWN after " + downMs + " ms, before down-after-ms");

                // Its replicas are re-created elsewhere: three replicas per partition, on the three live nodes.
                ClusterMap healed = c.awaitSettled(Duration.ofSeconds(90));
                long restoredMs = (System.nanoTime() - stoppedAt) / 1_000_000;
                for (PartitionReplicas p : healed.partitions()) {
                    assertEquals(3, p.replicas().size(), "partition " + p.partition());
                    assertTrue(!p.replicas().contains(victim.id), "partition " + p.partition() + " " + p.replicas());
                }
                w.awaitWrites(200, Duration.ofSeconds(30));

                // Back on its old data: stale replicas go, then it takes its share again.
                c.restart(victim.id, n1.raftAddress());
                AgentCluster.await(Duration.ofSeconds(30), () -> c.map().node(victim.id).map(NodeInfo::state)
                        .orElse(NodeState.LEFT) == NodeState.UP, () -> victim.id + " to be UP again");
                ClusterMap rejoined = c.awaitSettled(Duration.ofSeconds(90));
                long rejoinedMs = (System.nanoTime() - stoppedAt) / 1_000_000;
                assertTrue(rejoined.replicaCount(victim.id) > 0, victim.id + " should replicate partitions again");
                // Partitions it held before and does not hold now: no group, no data.
                for (int p : held) {
                    if (!rejoined.partition(p).replicas().contains(victim.id)) {
                        int part = p;
                        AgentCluster.await(Duration.ofSeconds(30), () -> victim.engine.stats(part).keys() == 0,
                                () -> victim.id + " to drop its stale replica of partition " + part);
                    }
                }
                w.awaitWrites(200, Duration.ofSeconds(30));
                w.close();
                System.out.printf("node %s down: DOWN after %d ms, replicas restored after %d ms, rejoined and settled after"
                                + " %d ms; held %s; moves %s; %d writes, %d failures, epoch %d%n", victim.id, downMs, restoredMs,
                        rejoinedMs, held, java.util.Arrays.toString(c.moveCounts()), w.writes.get(), w.failures.size(),
                        rejoined.epoch());
                assertEquals(List.of(), w.failures.subList(0, Math.min(10, w.failures.size())), "failed commands");

                c.awaitReplicasConverged(rejoined, Duration.ofSeconds(30));
                c.checkReplicas(rejoined, w);
                for (AgentCluster.Member m : c.live()) {
                    w.checkReadsThrough(m.id, m.service);
                }
            } finally {
                w.close();
            }
        }
    }
}
