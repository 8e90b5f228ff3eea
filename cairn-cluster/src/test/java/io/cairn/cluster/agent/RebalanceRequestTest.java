package io.cairn.cluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.cluster.ApplyResult;
import io.cairn.cluster.ClusterCodec.ControlReply;
import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.ClusterSettings;
import io.cairn.cluster.ControlCommand;
import io.cairn.cluster.NodeInfo;
import io.cairn.cluster.NodeSpec;
import io.cairn.cluster.NodeState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cluster.rebalance.auto=false}: a fourth node joins and gets no replica for several
 * controller loop passes (it is UP and the planner sees it); once an operator asks for a
 * rebalance ({@link ClusterAgent#requestRebalance}) the balance moves run, the placement is the
 * planner's target, and the request is cleared from the map.
 */
class RebalanceRequestTest {
    static final int PARTITIONS = 8;
    /** Controller loop passes the joiner must stay without replicas (AgentCluster's loop interval is 300 ms). */
    static final int IDLE_PASSES = 6;

    @TempDir
    Path dir;

    @Test
    @Timeout(100)
    void withAutoRebalanceOffAJoinerGetsReplicasOnlyAfterARequest() throws Exception {
        ClusterSettings settings = new ClusterSettings(AgentCluster.CLUSTER, PARTITIONS, 3, 128, 4, 64);
        Map<String, String> overrides = AgentCluster.defaults();
        overrides.put(ClusterAgentConfig.REBALANCE_AUTO, "false");
        try (AgentCluster c = new AgentCluster(dir, settings, overrides)) {
            AgentCluster.Member n1 = c.bootstrap("n1");
            c.join("n2", n1.raftAddress());
            c.join("n3", n1.raftAddress());
            // Growing to the replication factor is restoring replication, not balancing: it happens without a request.
            ClusterMap three = c.awaitSettled(Duration.ofSeconds(60));
            assertFalse(three.rebalanceRequested());

            ClusterMap planned = ((ApplyResult.Applied) three.apply(new ControlCommand.Join(new NodeSpec("n4", "p:1", "p:2", ""))))
                    .map();
            planned = ((ApplyResult.Applied) planned.apply(new ControlCommand.MarkUp("n4", planned.epoch()))).map();
            int plannedMoves = c.planner.distance(planned);
            assertTrue(plannedMoves > 0, "the ring gives n4 replicas");

            long[] before = c.moveCounts();
            AgentCluster.Member n4 = c.join("n4", n1.raftAddress());
            AgentCluster.await(Duration.ofSeconds(20), () -> c.map().node("n4").map(NodeInfo::state).orElse(NodeState.LEFT)
                    == NodeState.UP, () -> "n4 to be UP");
            long idleMs = IDLE_PASSES * Long.parseLong(overrides.get(ClusterAgentConfig.CONTROLLER_LOOP_INTERVAL_MS));
            long until = System.nanoTime() + Duration.ofMillis(idleMs).toNanos();
            while (System.nanoTime() < until) {
                ClusterMap m = c.map();
                assertEquals(0, m.replicaCount("n4") + m.involvement("n4"), "no balance move without a request: " + AgentCluster.describe(m));
                Thread.sleep(100);
            }
            assertEquals(before[0], c.moveCounts()[0], "moves completed while nobody asked for a rebalance");
            assertEquals(Map.of(), Map.copyOf(AgentCluster.groups(n4).stream().collect(java.util.stream.Collectors.toMap(p -> p, p -> p))),
                    "n4 hosts no partition");

            ControlReply r = n4.agent.requestRebalance();
            assertTrue(r.accepted(), r.errorLine());
            AgentCluster.await(Duration.ofSeconds(60), () -> c.map().node("n4").isPresent() && !c.map().rebalanceRequested()
                    && c.settled(), () -> "the requested rebalance to finish; map " + AgentCluster.describe(c.map()));
            ClusterMap after = c.map();
            long moved = c.moveCounts()[0] - before[0];
            System.out.printf("rebalance on request: %d moves (planned %d), n4 holds %d replicas, epoch %d%n", moved, plannedMoves,
                    after.replicaCount("n4"), after.epoch());
            assertEquals(plannedMoves, moved, "the rebalance made exactly the planner's moves");
            assertEquals(plannedMoves, after.replicaCount("n4"));
            assertEquals(0, c.planner.distance(after), "the placement is the target");
            assertFalse(after.rebalanceRequested(), "the request was cleared once the placement was reached");
        }
    }
}
