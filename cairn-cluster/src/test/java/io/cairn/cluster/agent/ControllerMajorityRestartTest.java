package io.cairn.cluster.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.cluster.ClusterSettings;
import io.cairn.cluster.NodeState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two of the controller's three members stop at different times (the controller has no
 * majority); one restarts on its data directory and joins through the survivor. Its controller
 * replica reopens from disk and votes, so the group has a majority again — and the node must be
 * able to join, and the controller's leader to change the map, with it.
 *
 * <p>Before the fix the majority came back but nobody could propose anything: a proposal that
 * failed while the controller had no majority (the survivor's failure detector marking the
 * stopped nodes, the restarted node's first {@code Join}) spent its Ratis retries, and Ratis's
 * ordered sliding window then fails every later write of that client at once ({@code
 * AlreadyClosedException}) — the restarted node's start timed out and the leader's passes failed
 * forever ("controller UNAVAILABLE" in an elastic verify run after two kills). {@link
 * io.cairn.cluster.ControllerClient} now replaces a client whose proposal failed.
 */
class ControllerMajorityRestartTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(110)
    void aRestartedMemberRestoresTheControllerMajority() throws Exception {
        ClusterSettings settings = new ClusterSettings(AgentCluster.CLUSTER, 4, 3, 64, 4, 64);
        try (AgentCluster c = new AgentCluster(dir, settings, AgentCluster.defaults())) {
            AgentCluster.Member n1 = c.bootstrap("n1");
            c.join("n2", n1.raftAddress());
            c.join("n3", n1.raftAddress());
            c.awaitSettled(Duration.ofSeconds(60));
            AgentCluster.await(Duration.ofSeconds(30), () -> ControllerRegrowthTest.voters(c).equals(Set.of("n1", "n2", "n3")),
                    () -> "three controller voters, now " + ControllerRegrowthTest.voters(c));
            String seed = c.member("n2").raftAddress();
            c.stop("n1");
            Thread.sleep(1500);
            c.stop("n3");
            // Long enough for proposals made meanwhile (the survivor suspecting the others) to spend their retries.
            Thread.sleep(8000);

            long restartedAt = System.nanoTime();
            c.restart("n1", seed); // fails (join timeout) if nothing can be proposed once the majority is back
            long joinedMs = (System.nanoTime() - restartedAt) / 1_000_000;
            // The controller's leader changes the map again: n3, still stopped, is marked DOWN.
            AgentCluster.await(Duration.ofSeconds(30), () -> ControllerRegrowthTest.state(c, "n3") == NodeState.DOWN,
                    () -> "n3 to be marked DOWN, map " + AgentCluster.describe(c.map()));
            assertTrue(c.controllerLeader() != null, "a controller leader");
            c.restart("n3", seed);
            c.awaitSettled(Duration.ofSeconds(60));
            AgentCluster.await(Duration.ofSeconds(30), () -> ControllerRegrowthTest.voters(c).size() == 3,
                    () -> "three controller voters again, now " + ControllerRegrowthTest.voters(c));
            System.out.printf("n1 joined %d ms after its restart; controller voters %s%n", joinedMs,
                    ControllerRegrowthTest.voters(c));
        }
    }
}
