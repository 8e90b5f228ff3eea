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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;

/** DEBUG LEADER-STEPDOWN over RESP on three in-process nodes: leadership leaves the node, writes go on. */
@Timeout(120)
class DebugLeaderStepdownTest {
    /** Jedis 6 has no DEBUG of its own. */
    private static final ProtocolCommand DEBUG = () -> "DEBUG".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private final List<CairnNode> nodes = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        // without leader-balance-interval-ms=0 the balancer would hand leadership back
        nodes.addAll(EmbeddedCluster.start(dir, Map.of("enable-debug-command", "yes", "leader-balance-interval-ms", "0")));
    }

    @AfterEach
    void stop() {
        nodes.forEach(CairnNode::close);
    }

    private static int leads(CairnNode n) {
        RaftNode raft = n.server().raft();
        return (int) raft.hostedPartitions().stream().filter(raft::isLeader).count();
    }

    @Test
    void stepdownHandsLeadershipToOtherReplicasAndWritesGoOn() throws Exception {
        CairnNode busiest = nodes.stream().max(Comparator.comparingInt(DebugLeaderStepdownTest::leads)).orElseThrow();
        int before = leads(busiest);
        assertTrue(before > 0, "4 partitions over 3 nodes: some node leads one");
        try (Jedis j = new Jedis("127.0.0.1", busiest.server().port(), 30_000)) {
            long moved = (Long) j.sendCommand(DEBUG, "LEADER-STEPDOWN");
            assertTrue(moved > 0, "moved " + moved + " of " + before);
            assertEquals(before - moved, leads(busiest), "the node no longer leads what it handed over");
            assertTrue(leads(busiest) < before);

            for (int i = 0; i < 20; i++) {
                assertEquals("OK", j.set("after-stepdown:" + i, "v" + i));
            }
            for (int i = 0; i < 20; i++) {
                assertEquals("v" + i, nodes.get(i % 3).get("after-stepdown:" + i));
            }
        }

        // With a bound: at most one leadership moves, from whichever node leads now.
        CairnNode leader = nodes.stream().filter(n -> leads(n) > 0).findFirst().orElseThrow();
        int had = leads(leader);
        try (Jedis j = new Jedis("127.0.0.1", leader.server().port(), 30_000)) {
            assertEquals(1L, j.sendCommand(DEBUG, "LEADER-STEPDOWN", "1"));
            assertEquals(had - 1, leads(leader));
            assertEquals("OK", j.set("after-second-stepdown", "x"));
        }
        assertEquals("x", nodes.get(0).get("after-second-stepdown"));
    }
}
