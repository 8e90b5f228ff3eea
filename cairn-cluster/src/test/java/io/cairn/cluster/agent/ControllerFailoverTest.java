package io.cairn.cluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.ClusterSettings;
import io.cairn.cluster.PartitionReplicas;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node leading the controller stops in the middle of a rebalance (a fifth node joining,
 * one move at a time): the remaining controller members elect a new leader, which resumes the
 * move it finds in the map, finishes the rebalance, re-creates the stopped node's replicas once
 * it is DOWN, and replaces it in the controller group — under writes, losing nothing. Restarted
 * on its old data, the old leader drops its stale replicas and is taken back into the partitions
 * and the controller group.
 */
class ControllerFailoverTest {
    static final int PARTITIONS = 8;

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void aRebalanceCompletesAfterTheControllerLeaderStops() throws Exception {
        // One move at a time, so that the rebalance is still under way when the leader stops.
        ClusterSettings settings = new ClusterSettings(AgentCluster.CLUSTER, PARTITIONS, 3, 128, 1, 64);
        try (AgentCluster c = new AgentCluster(dir, settings, AgentCluster.defaults())) {
            Workload w = new Workload(PARTITIONS);
            try {
                AgentCluster.Member n1 = c.bootstrap("n1");
                for (String id : List.of("n2", "n3", "n4")) {
                    c.join(id, n1.raftAddress());
                }
                c.awaitSettled(Duration.ofSeconds(120));
                AgentCluster.await(Duration.ofSeconds(30), () -> c.live().stream()
                        .allMatch(m -> m.agent.controllerMembers().size() == 3), () -> "a controller of three members");
                AgentCluster.Member leader = c.controllerLeader();
                assertTrue(leader != null, "a controller leader");
                Set<String> membersBefore = leader.agent.controllerMembers().keySet();
                for (AgentCluster.Member m : c.live()) {
                    if (m != leader) {
                        w.start(m.id, m.service);
                    }
                }
                w.awaitWrites(200, Duration.ofSeconds(30));

                long[] movesBefore = c.moveCounts();
                AgentCluster.Member n5 = c.join("n5", c.member("n4").raftAddress());
                w.start("n5", n5.service);
                // Stop the leader once the rebalance is under way: a move done, more to go.
                AgentCluster.await(Duration.ofSeconds(60), () -> {
                    ClusterMap m = c.map();
                    return c.moveCounts()[0] > movesBefore[0] && m.movesInProgress() > 0 && c.planner.distance(m) > 0;
                }, () -> "the rebalance to be under way; map " + AgentCluster.describe(c.map()));
                ClusterMap atStop = c.map();
                int distanceAtStop = c.planner.distance(atStop);
                // The move in flight when the leader stops: how it ends, as a surviving node sees the map.
                PartitionReplicas inFlight = atStop.partitions().stream().filter(p -> p.move() != null).findFirst().orElseThrow();
                java.util.concurrent.atomic.AtomicReference<List<String>> endedWith = new java.util.concurrent.atomic.AtomicReference<>();
                AgentCluster.Member watcher = c.live().stream().filter(m -> m != leader).findFirst().orElseThrow();
                java.util.function.Consumer<ClusterMap> watch = m -> {
                    if (m.epoch() > atStop.epoch() && m.partition(inFlight.partition()).move() == null) {
                        endedWith.compareAndSet(null, m.partition(inFlight.partition()).replicas());
                    }
                };
                watcher.agent.addMapListener(watch);
                watch.accept(watcher.agent.map());
                long stoppedAt = System.nanoTime();
                c.retireCounters(leader.id);
                c.stop(leader.id);

                AgentCluster.await(Duration.ofSeconds(30), () -> c.controllerLeader() != null, () -> "a new controller leader");
                AgentCluster.Member successor = c.controllerLeader();
                long electedMs = (System.nanoTime() - stoppedAt) / 1_000_000;
                ClusterMap done = c.awaitSettled(Duration.ofSeconds(120));
                long settledMs = (System.nanoTime() - stoppedAt) / 1_000_000;
                for (PartitionReplicas p : done.partitions()) {
                    assertEquals(3, p.replicas().size(), "partition " + p.partition());
                    assertTrue(!p.replicas().contains(leader.id), "partition " + p.partition() + " " + p.replicas());
                }
                assertTrue(successor.agent.movesCompleted() > 0, "the new leader should have carried out moves");
                assertEquals(Set.copyOf(inFlight.replicasAfterMove()), Set.copyOf(endedWith.get()),
                        "the move " + inFlight.move() + " of partition " + inFlight.partition() + " in flight when the leader"
                                + " stopped should have completed");
                // The stopped leader is replaced in the controller group by a live node.
                Set<String> live = c.live().stream().map(m -> m.id).collect(Collectors.toSet());
                AgentCluster.await(Duration.ofSeconds(30), () -> c.live().stream().allMatch(m ->
                                m.agent.controllerMembers().size() == 3 && live.containsAll(m.agent.controllerMembers().keySet())),
                        () -> "three live controller members, seen " + c.live().stream()
                                .map(m -> m.agent.controllerMembers().keySet()).toList());

                // The old leader comes back on its old data: its controller replica (removed from the group while it
                // was down) and its partition replicas are stale. It drops what the map no longer gives it and is
                // taken back into both.
                long restartedAt = System.nanoTime();
                c.restart(leader.id, watcher.raftAddress());
                AgentCluster.await(Duration.ofSeconds(30), () -> c.map().node(leader.id).map(io.cairn.cluster.NodeInfo::state)
                        .orElse(null) == io.cairn.cluster.NodeState.UP, () -> leader.id + " to be UP again");
                ClusterMap back = c.awaitSettled(Duration.ofSeconds(90));
                long backMs = (System.nanoTime() - restartedAt) / 1_000_000;
                assertTrue(back.replicaCount(leader.id) > 0, leader.id + " should replicate partitions again");
                Set<String> all = c.live().stream().map(m -> m.id).collect(Collectors.toSet());
                AgentCluster.await(Duration.ofSeconds(45), () -> c.live().stream()
                                .allMatch(m -> m.agent.controllerMembers().keySet().equals(all))
                                && c.member(leader.id).agent.localControllerDivision()
                                .map(d -> ((io.cairn.cluster.ControllerStateMachine) d.getStateMachine()).currentMap().epoch())
                                .orElse(-1L) == c.map().epoch(),
                        () -> "five controller members with " + leader.id + "'s replica current, seen "
                                + c.live().stream().map(m -> m.agent.controllerMembers().keySet()).toList());

                w.awaitWrites(200, Duration.ofSeconds(30));
                w.close();
                System.out.printf("%s back: settled after %d ms with %d replicas on it%n", leader.id, backMs,
                        back.replicaCount(leader.id));
                System.out.printf("controller leader %s stopped with %d replicas to move (map epoch %d, partition %d moving %s):"
                                + " %s elected after %d ms, settled after %d ms; controller %s -> %s; moves %s; %d writes,"
                                + " %d failures, epoch %d%n",
                        leader.id, distanceAtStop, atStop.epoch(), inFlight.partition(), inFlight.move(), successor.id,
                        electedMs, settledMs, membersBefore,
                        successor.agent.controllerMembers().keySet(), java.util.Arrays.toString(c.moveCounts()),
                        w.writes.get(), w.failures.size(), done.epoch());
                assertEquals(List.of(), w.failures.subList(0, Math.min(10, w.failures.size())), "failed commands");

                ClusterMap end = c.map();
                c.awaitReplicasConverged(end, Duration.ofSeconds(30));
                c.checkReplicas(end, w);
                for (AgentCluster.Member m : c.live()) {
                    w.checkReadsThrough(m.id, m.service);
                }
            } finally {
                w.close();
            }
        }
    }
}
