package io.cairn.cluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.ClusterSettings;
import io.cairn.cluster.PartitionReplicas;
import io.cairn.raft.RaftNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A partition's Raft group changes behind the controller's back (as when a move given up by the
 * controller still went through at the partition's leader): the controller's audit finds the
 * group's voters differ from the map by one swap and records it as a move, which completes at
 * once; the planner then moves the replica back where the ring wants it. Nothing is lost.
 */
class AuditRepairTest {
    static final int PARTITIONS = 8;

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void theAuditRecordsAGroupChangeTheMapMissed() throws Exception {
        ClusterSettings settings = new ClusterSettings(AgentCluster.CLUSTER, PARTITIONS, 3, 128, 4, 64);
        Map<String, String> overrides = new HashMap<>(AgentCluster.defaults());
        // No periodic pass while the group is changed by hand: the new replica must not be dropped before it votes.
        overrides.put(ClusterAgentConfig.RECONCILE_INTERVAL_MS, "120000");
        overrides.put(ClusterAgentConfig.AUDIT_PARTITIONS_PER_PASS, "4");
        try (AgentCluster c = new AgentCluster(dir, settings, overrides)) {
            Workload w = new Workload(PARTITIONS);
            try {
                AgentCluster.Member n1 = c.bootstrap("n1");
                for (String id : List.of("n2", "n3", "n4")) {
                    c.join(id, n1.raftAddress());
                }
                ClusterMap settled = c.awaitSettled(Duration.ofSeconds(90));
                for (AgentCluster.Member m : c.live()) {
                    w.start(m.id, m.service);
                }
                w.awaitWrites(200, Duration.ofSeconds(30));

                PartitionReplicas part = settled.partition(0);
                List<String> before = part.replicas();
                String outsider = c.live().stream().map(m -> m.id).filter(id -> !before.contains(id)).findFirst().orElseThrow();
                List<String> behindTheBack = new java.util.ArrayList<>(before.subList(0, before.size() - 1));
                behindTheBack.add(outsider);
                AtomicLong recordedAt = new AtomicLong(-1);
                for (AgentCluster.Member m : c.live()) {
                    m.agent.addMapListener(map -> {
                        if (map.partition(0).replicas().contains(outsider)) {
                            recordedAt.compareAndSet(-1, map.epoch());
                        }
                    });
                }

                AgentCluster.Member dest = c.member(outsider);
                dest.node.hostReplica(0, ClusterAgent.peers(settled, before), Duration.ofSeconds(20));
                RaftNode.GroupState changed = c.member(before.get(0)).node.changeReplicas(0,
                        ClusterAgent.peers(settled, behindTheBack), Duration.ofSeconds(30));
                assertEquals(Set.copyOf(behindTheBack), changed.voterIds().stream().map(Object::toString).collect(Collectors.toSet()));
                long changedAt = System.nanoTime();

                AgentCluster.await(Duration.ofSeconds(30), () -> recordedAt.get() > 0,
                        () -> "the audit to record " + outsider + " in partition 0; map " + AgentCluster.describe(c.map()));
                long recordedMs = (System.nanoTime() - changedAt) / 1_000_000;
                ClusterMap done = c.awaitSettled(Duration.ofSeconds(90));
                RaftNode.GroupState group = n1.node.groupState(0, Duration.ofSeconds(10));
                assertEquals(Set.copyOf(done.partition(0).replicas()),
                        group.voterIds().stream().map(Object::toString).collect(Collectors.toSet()), "partition 0's voters");
                // The ring did not change, so the planner put the replica back where it was.
                assertEquals(Set.copyOf(before), Set.copyOf(done.partition(0).replicas()), "partition 0's replicas");

                w.awaitWrites(200, Duration.ofSeconds(30));
                w.close();
                System.out.printf("audit: partition 0 changed %s -> %s by hand, recorded at epoch %d after %d ms; final %s;"
                                + " %d writes, %d failures%n", before, behindTheBack, recordedAt.get(), recordedMs,
                        done.partition(0).replicas(), w.writes.get(), w.failures.size());
                assertEquals(List.of(), w.failures.subList(0, Math.min(10, w.failures.size())), "failed commands");
                c.awaitReplicasConverged(done, Duration.ofSeconds(30));
                c.checkReplicas(done, w);
                for (AgentCluster.Member m : c.live()) {
                    w.checkReadsThrough(m.id, m.service);
                }
            } finally {
                w.close();
            }
        }
    }
}
