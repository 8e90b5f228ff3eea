package io.cairn.server.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.raft.RaftNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A graceful stop (what SIGTERM and SHUTDOWN run) hands the partitions the node leads to live
 * replicas before it goes, so the survivors have leaders at once instead of after an election
 * timeout. Election timeouts here are long (4-5 s) so that the two cases cannot be confused.
 */
@Timeout(120)
class GracefulShutdownHandoverTest {
    private static final long ELECTION_MIN_MS = 4000;

    @TempDir
    Path dir;

    private final List<CairnNode> nodes = new ArrayList<>();

    @AfterEach
    void stop() {
        nodes.forEach(CairnNode::close);
    }

    private static List<Integer> led(CairnNode n) {
        RaftNode raft = n.server().raft();
        return raft.hostedPartitions().stream().filter(raft::isLeader).sorted().toList();
    }

    @Test
    void closingALeaderHandsItsPartitionsOverWithoutAnElection() throws Exception {
        nodes.addAll(EmbeddedCluster.start(dir, Map.of("leader-balance-interval-ms", "0",
                "raft.election.timeout-min-ms", String.valueOf(ELECTION_MIN_MS), "raft.election.timeout-max-ms", "5000",
                "command-timeout-ms", "20000")));
        CairnNode leaving = nodes.stream().max(Comparator.comparingInt(n -> led(n).size())).orElseThrow();
        List<Integer> handed = led(leaving);
        assertTrue(!handed.isEmpty(), "4 partitions over 3 nodes: some node leads one");
        List<CairnNode> survivors = nodes.stream().filter(n -> n != leaving).toList();
        for (int i = 0; i < 20; i++) {
            leaving.put("before:" + i, "v" + i);
        }

        long closeStarted = System.nanoTime();
        leaving.close();
        long closeMs = (System.nanoTime() - closeStarted) / 1_000_000;

        // Leaders on the survivors well before any follower could even notice the leader's silence.
        long deadline = System.nanoTime() + (ELECTION_MIN_MS / 2) * 1_000_000;
        List<Integer> leaderless = new ArrayList<>(handed);
        while (!leaderless.isEmpty() && System.nanoTime() < deadline) {
            leaderless.removeIf(p -> survivors.stream().anyMatch(n -> n.server().raft().isLeader(p)));
            Thread.sleep(20);
        }
        long sinceClose = (System.nanoTime() - closeStarted) / 1_000_000;
        assertTrue(leaderless.isEmpty(), "partitions " + leaderless + " of " + handed + " still leaderless "
                + sinceClose + " ms after the close began (close took " + closeMs + " ms): no hand-over");
        for (int i = 0; i < 20; i++) {
            assertEquals("v" + i, survivors.get(i % 2).get("before:" + i));
            survivors.get(i % 2).put("after:" + i, "w" + i);
        }
    }
}
