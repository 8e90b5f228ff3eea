package io.cairn.cluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.cluster.ClusterSettings;
import io.cairn.cluster.NodeInfo;
import io.cairn.cluster.NodeState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.io.IOException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node comes back after its controller replica was taken out of the controller group: the
 * group grows back to three voters promptly.
 *
 * <p>The path: three nodes, controller n1+n2+n3, n3 alone in its zone and not the leader. n3
 * stops; once it is DOWN only two nodes are UP, so the controller shrinks to one voter (n3 out,
 * then the other follower: an even group is shrunk). n3 restarts with its old controller replica
 * on disk, which still names itself a voter; it asks for votes, and the leader answers a removed
 * peer with "shut down", so that replica closes itself but stays registered with n3's Raft
 * server (the test waits for that before n3's agent joins). When n3 is UP the leader grows the
 * group, n3 first (spares in zones the group lacks come first), and asks n3 to host the
 * controller group: "already exists". Before the fix the leader took that as "hosted" and
 * staged the leftover for a configuration change while n3's reconciler deleted it (the leader's
 * configuration did not list n3 yet): the change waited for a catch-up that could not come until
 * it timed out ({@code cluster.controller.change-timeout-ms}; a rolling restart of real
 * processes showed the controller at one voter for ~25 s). Now the leader deletes a leftover
 * replica on a node it adds and hosts a fresh one, and a node keeps a controller replica its
 * leader is catching up (it is among the leader's followers).
 *
 * <p>Bound: back to three voters within {@value #REGROWTH_BOUND_MS} ms of n3 being UP in the map
 * (a few controller loop passes of 300 ms and two catch-ups of a small log; the stall it guards
 * against lasts a controller change timeout, 10 s here).
 */
class ControllerRegrowthTest {
    static final long REGROWTH_BOUND_MS = 6000;

    @TempDir
    Path dir;

    static Set<String> voters(AgentCluster c) {
        AgentCluster.Member leader = c.controllerLeader();
        if (leader == null) {
            return Set.of();
        }
        RaftServer.Division d = leader.agent.localControllerDivision().orElse(null);
        if (d == null) {
            return Set.of();
        }
        RaftConfiguration conf = d.getRaftConf();
        if (!conf.getPreviousPeers().isEmpty()) {
            return Set.of(); // a change is half done
        }
        Set<String> out = new TreeSet<>();
        conf.getCurrentPeers().forEach(p -> out.add(p.getId().toString()));
        return out;
    }

    /** True once {@code id} does not lead the controller; if it does, asks it to hand the leadership to another member. */
    static boolean handLeadershipAway(AgentCluster c, String id) {
        AgentCluster.Member leader = c.controllerLeader();
        if (leader == null) {
            return false;
        }
        if (!leader.id.equals(id)) {
            return true;
        }
        RaftServer.Division d = leader.agent.localControllerDivision().orElseThrow();
        List<RaftPeer> peers = List.copyOf(d.getRaftConf().getCurrentPeers());
        RaftPeerId heir = peers.stream().map(RaftPeer::getId).filter(p -> !p.toString().equals(id)).findFirst().orElseThrow();
        try (RaftClient client = leader.agent.oneShotClient(peers, 5000)) {
            client.admin().transferLeadership(heir, 5000);
        } catch (IOException | RuntimeException e) {
            // looked at again on the next poll
        }
        return false;
    }

    static NodeState state(AgentCluster c, String id) {
        return c.map().node(id).map(NodeInfo::state).orElse(NodeState.LEFT);
    }

    @Test
    @Timeout(100)
    void aReturningNodeWithAStaleControllerReplicaIsAddedBackPromptly() throws Exception {
        ClusterSettings settings = new ClusterSettings(AgentCluster.CLUSTER, 4, 3, 64, 4, 64);
        try (AgentCluster c = new AgentCluster(dir, settings, AgentCluster.defaults())) {
            // The victim, n3, is alone in its zone: when it is back, it is the first spare the leader adds (spares in
            // zones the group lacks come first), before its reconciler has cleaned up: the case under test.
            c.zones.put("n1", "a");
            c.zones.put("n2", "a");
            c.zones.put("n3", "b");
            String victim = "n3";
            AgentCluster.Member n1 = c.bootstrap("n1");
            c.join("n2", n1.raftAddress());
            c.join("n3", n1.raftAddress());
            c.awaitSettled(Duration.ofSeconds(60));
            AgentCluster.await(Duration.ofSeconds(30), () -> voters(c).equals(Set.of("n1", "n2", "n3")),
                    () -> "three controller voters, now " + voters(c));
            AgentCluster.await(Duration.ofSeconds(20), () -> handLeadershipAway(c, victim),
                    () -> "the controller leadership to be off " + victim);
            String seed = c.controllerLeader().raftAddress();

            c.stop(victim);
            AgentCluster.await(Duration.ofSeconds(30), () -> state(c, victim) == NodeState.DOWN,
                    () -> victim + " to be DOWN, map " + AgentCluster.describe(c.map()));
            AgentCluster.await(Duration.ofSeconds(30), () -> voters(c).size() == 1,
                    () -> "the controller to shrink to one voter with two nodes UP, now " + voters(c));
            assertTrue(c.member(victim).agent == null);

            // Back on its old port and directory. Its controller replica reopens from disk naming itself a voter; it
            // asks for votes and the leader, which removed it, tells it to shut down: it closes but stays registered
            // with the node's Raft server. Wait for that before the agent joins, so that the leader meets this
            // leftover when it grows the group (the order a real restart has when the node's agent is slower to
            // join than its old replica to campaign).
            c.restart(victim, seed, m -> AgentCluster.await(Duration.ofSeconds(20), () -> m.agent.localControllerDivision()
                    .map(d -> !d.getInfo().isAlive()).orElse(false), () -> victim + "'s old controller replica to be shut down"
                    + " (registered: " + m.agent.localControllerDivision().isPresent() + ")"));
            AgentCluster.await(Duration.ofSeconds(20), () -> state(c, victim) == NodeState.UP,
                    () -> victim + " to be UP again, map " + AgentCluster.describe(c.map()));
            long upAt = System.nanoTime();
            AgentCluster.await(Duration.ofSeconds(40), () -> voters(c).size() == 3,
                    () -> "three controller voters again, now " + voters(c));
            long regrowthMs = (System.nanoTime() - upAt) / 1_000_000;
            System.out.printf("controller regrowth after %s returned: %d ms (bound %d ms)%n", victim, regrowthMs,
                    REGROWTH_BOUND_MS);
            assertEquals(Set.of("n1", "n2", "n3"), voters(c));
            assertTrue(regrowthMs <= REGROWTH_BOUND_MS, "the controller took " + regrowthMs + " ms to be back at three voters"
                    + " after " + victim + " was UP (bound " + REGROWTH_BOUND_MS + " ms)");
            // Every node hosts a live controller replica and hears of the three members.
            AgentCluster.await(Duration.ofSeconds(20), () -> c.live().stream().allMatch(m ->
                            m.agent.localControllerDivision().map(d -> d.getInfo().isAlive()).orElse(false)
                                    && m.agent.controllerMembers().keySet().equals(Set.of("n1", "n2", "n3"))),
                    () -> "every node to host a live controller replica and know the three members");
        }
    }
}
