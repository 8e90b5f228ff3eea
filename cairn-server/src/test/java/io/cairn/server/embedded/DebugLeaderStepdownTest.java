package io.cairn.server.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.raft.RaftNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
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

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @BeforeEach
    void start() throws Exception {
        int[] raft = {freePort(), freePort(), freePort()};
        String peers = "n1@127.0.0.1:" + raft[0] + ",n2@127.0.0.1:" + raft[1] + ",n3@127.0.0.1:" + raft[2];
        for (int i = 1; i <= 3; i++) {
            Map<String, String> s = new LinkedHashMap<>();
            s.put("node-id", "n" + i);
            s.put("port", "0");
            s.put("peers", peers);
            s.put("partitions", "4");
            s.put("data-dir", dir.resolve("n" + i).toString());
            s.put("command-timeout-ms", "3000");
            s.put("raft.election.timeout-min-ms", "400");
            s.put("raft.election.timeout-max-ms", "800");
            s.put("enable-debug-command", "yes");
            s.put("leader-balance-interval-ms", "0"); // the balancer would hand leadership back
            nodes.add(Cairn.node(s));
        }
        for (CairnNode n : nodes) {
            n.awaitReady(Duration.ofSeconds(60));
        }
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
