package io.cairn.cluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.cluster.ApplyResult;
import io.cairn.cluster.ClusterCodec.ControlReply;
import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.ClusterSettings;
import io.cairn.cluster.ControlCommand;
import io.cairn.cluster.NodeInfo;
import io.cairn.cluster.NodeSpec;
import io.cairn.cluster.NodeState;
import io.cairn.cluster.PartitionReplicas;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-node cluster grows to four and shrinks back to three under writes. The node that
 * leaves is the one leading the controller (the bootstrap node), so leaving also moves the
 * controller's leadership and membership. Moves match the planner's figure (the replicas not
 * where the ring wants them), nothing acknowledged is lost, no deleted key comes back, and the
 * node that left holds no data and no controller replica.
 */
class ClusterShrinkTest {
    static final int PARTITIONS = 8;

    @TempDir
    Path dir;

    /** The planner's figure for a map change: replicas it will move, from {@code m} as the controller will see it. */
    static int plannedMoves(AgentCluster c, ClusterMap m) {
        return c.planner.distance(m);
    }

    static ClusterMap applied(ClusterMap m, ControlCommand command) {
        return ((ApplyResult.Applied) m.apply(command)).map();
    }

    @Test
    @Timeout(120)
    void growsToFourAndShrinksBackUnderWrites() throws Exception {
        ClusterSettings settings = new ClusterSettings(AgentCluster.CLUSTER, PARTITIONS, 3, 128, 4, 64);
        long started = System.nanoTime();
        try (AgentCluster c = new AgentCluster(dir, settings, AgentCluster.defaults())) {
            Workload w = new Workload(PARTITIONS);
            try {
                AgentCluster.Member n1 = c.bootstrap("n1");
                c.join("n2", n1.raftAddress());
                c.join("n3", n1.raftAddress());
                ClusterMap three = c.awaitSettled(Duration.ofSeconds(60));
                for (AgentCluster.Member m : c.live()) {
                    w.start(m.id, m.service);
                }
                w.awaitWrites(300, Duration.ofSeconds(30));

                // Joining: the planner's figure is the number of replicas the ring puts on the newcomer.
                ClusterMap withFour = applied(applied(three, new ControlCommand.Join(new NodeSpec("n4", "planned:1", "planned:2", ""))),
                        new ControlCommand.MarkUp("n4", three.epoch() + 1));
                int plannedIn = plannedMoves(c, withFour);
                long[] movesBefore = c.moveCounts();
                AgentCluster.Member n4 = c.join("n4", c.member("n2").raftAddress());
                w.start("n4", n4.service);
                ClusterMap four = c.awaitSettled(Duration.ofSeconds(90));
                long movedIn = c.moveCounts()[0] - movesBefore[0];
                int ideal = settings.replicationFactor() * PARTITIONS / 4;
                assertEquals(plannedIn, movedIn, "moves when n4 joined");
                // With 8 partitions the ring cannot give n4 exactly its share (RF x P / nodes); it never takes more than twice it.
                assertTrue(plannedIn >= 1 && plannedIn <= 2 * ideal, "planned " + plannedIn + ", ideal " + ideal);
                assertEquals(plannedIn, four.replicaCount("n4"));
                w.awaitWrites(200, Duration.ofSeconds(30));

                // Leaving: the controller's leader goes; every replica it holds moves away, then it is removed.
                AgentCluster.Member leaving = c.controllerLeader();
                assertTrue(leaving != null, "a controller leader");
                int plannedOut = four.replicaCount(leaving.id);
                movesBefore = c.moveCounts();
                ControlReply reply = leaving.agent.leave();
                assertTrue(reply.accepted(), reply.errorLine());
                AgentCluster.await(Duration.ofSeconds(90), () -> c.map().node(leaving.id).map(NodeInfo::state)
                        .orElse(NodeState.LEFT) == NodeState.LEFT, () -> leaving.id + " to be removed; map "
                        + AgentCluster.describe(c.map()));
                ClusterMap after = c.awaitSettled(Duration.ofSeconds(60));
                long movedOut = c.moveCounts()[0] - movesBefore[0];
                for (PartitionReplicas p : after.partitions()) {
                    assertEquals(3, p.replicas().size(), "partition " + p.partition());
                    assertTrue(!p.replicas().contains(leaving.id), "partition " + p.partition() + " " + p.replicas());
                }
                assertEquals(plannedOut, movedOut, "moves when " + leaving.id + " left");

                // The node that left holds nothing: no replica, no data, no controller replica.
                AgentCluster.await(Duration.ofSeconds(30), () -> leaving.agent.localControllerDivision().isEmpty(),
                        () -> leaving.id + " to remove its controller replica");
                assertEquals(Set.of(), leaving.node.hostedPartitions());
                // A dropped group's data goes once Ratis has closed and removed it (the drop returns then, or later).
                AgentCluster.await(Duration.ofSeconds(30), () -> java.util.stream.IntStream.range(0, PARTITIONS)
                        .allMatch(p -> leaving.engine.stats(p).keys() == 0), () -> leaving.id + "'s engine to be empty: "
                        + java.util.stream.IntStream.range(0, PARTITIONS).mapToObj(p -> p + "=" + leaving.engine.stats(p).keys())
                        .toList());
                Set<String> remaining = Set.copyOf(c.live().stream().map(m -> m.id).filter(id -> !id.equals(leaving.id)).toList());
                AgentCluster.await(Duration.ofSeconds(30), () -> c.live().stream().filter(m -> !m.id.equals(leaving.id))
                                .allMatch(m -> m.agent.controllerMembers().keySet().equals(remaining)),
                        () -> "the controller members to be " + remaining);

                w.awaitWrites(200, Duration.ofSeconds(30));
                w.close();
                System.out.printf("grow 3->4 and shrink (%s left): moves in %d (planned %d, ideal %d), out %d (planned %d);"
                                + " %d writes, %d failures, epoch %d, %d ms%n", leaving.id, movedIn, plannedIn, ideal, movedOut,
                        plannedOut, w.writes.get(), w.failures.size(), after.epoch(), (System.nanoTime() - started) / 1_000_000);
                assertEquals(List.of(), w.failures.subList(0, Math.min(10, w.failures.size())), "failed commands");
                assertEquals(0, c.moveCounts()[1], "no move should have been given up");

                c.awaitReplicasConverged(after, Duration.ofSeconds(30));
                c.checkReplicas(after, w);
                for (AgentCluster.Member m : c.live()) {
                    w.checkReadsThrough(m.id, m.service);
                }
            } finally {
                w.close();
            }
        }
    }
}
