package io.cairn.cli.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.cli.CairnCli;
import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.NodeInfo;
import io.cairn.cluster.NodeState;
import io.cairn.cluster.PartitionReplicas;
import io.cairn.cluster.Planner;
import io.cairn.server.embedded.Cairn;
import io.cairn.server.embedded.CairnNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code cairn topology}, {@code cairn leave} and {@code cairn rebalance} run in-process through
 * picocli against in-process elastic nodes (real Raft over loopback, real RESP): their JSON
 * output against the nodes' own maps (replica lag from every partition's leader included), a
 * rebalance request, a drain with {@code leave --wait}, a stopped node's replicas shown behind and
 * silent, and every exit code (0 ok, 1 refused, 2 unknown node, 3 closed port, 4 no answer in time).
 */
@Timeout(200)
class AdminCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final List<CairnNode> nodes = new ArrayList<>();

    @AfterEach
    void stop() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).close();
        }
    }

    /** One picocli run: exit code, standard output, standard error. */
    private record Run(int exitCode, String out, String err) {
        JsonNode json() throws IOException {
            return JSON.readTree(out);
        }
    }

    private static Run cairn(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new CairnCli());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private CairnNode start(String name, int raftPort, Map<String, String> how) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("node-id", name);
        s.put("port", "0");
        s.put("raft-port", String.valueOf(raftPort));
        s.put("partitions", "4");
        s.put("data-dir", dir.resolve(name).toString());
        s.put("command-timeout-ms", "5000");
        s.put("raft.election.timeout-min-ms", "400");
        s.put("raft.election.timeout-max-ms", "800");
        s.put("cluster.heartbeat-interval-ms", "300");
        s.put("cluster.controller.loop-interval-ms", "300");
        s.put("cluster.reconcile-interval-ms", "1000");
        s.putAll(how);
        CairnNode n = Cairn.node(s);
        nodes.add(n);
        return n;
    }

    @Test
    void topologyLeaveAndRebalanceOnAnElasticCluster() throws Exception {
        int[] raft = {freePort(), freePort(), freePort(), freePort()};
        CairnNode first = start("n1", raft[0], Map.of("bootstrap", "yes"));
        for (int i = 1; i < 4; i++) {
            start("n" + (i + 1), raft[i], Map.of("join", "127.0.0.1:" + raft[0]));
        }
        await(Duration.ofSeconds(120), () -> balanced(first.server().agent().map(), 4),
                () -> "4 UP nodes holding 3 replicas per partition: " + first.server().agent().map());
        String port = String.valueOf(first.server().port());
        for (int i = 0; i < 40; i++) {
            first.put("k:" + i, "v" + i);
        }

        // topology --output json: the node's map, with a leader (one of the replicas) per partition
        // and its lag report, every other replica caught up once the writes settled.
        await(Duration.ofSeconds(20), () -> allCaughtUp(cairn("topology", "--port", port, "--output", "json")),
                () -> "every replica caught up: " + cairn("topology", "--port", port, "--output", "json").out());
        Run topology = cairn("topology", "--port", port, "--output", "json");
        assertEquals(0, topology.exitCode(), topology.err());
        JsonNode t = topology.json();
        assertEquals(0, t.get("lagUnanswered").size(), topology.out());
        ClusterMap map = first.server().agent().map();
        assertTrue(t.get("epoch").asLong() <= map.epoch() && t.get("epoch").asLong() > 0, topology.out());
        assertEquals(4, t.get("nodes").size(), topology.out());
        int replicasHeld = 0;
        for (JsonNode n : t.get("nodes")) {
            assertEquals("UP", n.get("state").asText(), topology.out());
            assertEquals(map.replicaCount(n.get("id").asText()), n.get("replicas").asInt(), topology.out());
            replicasHeld += n.get("replicas").asInt();
        }
        assertEquals(4 * 3, replicasHeld, topology.out());
        int leads = 0;
        for (JsonNode n : t.get("nodes")) {
            leads += n.get("leads").asInt();
        }
        assertEquals(4, leads, topology.out());
        assertEquals(4, t.get("partitions").size());
        int slotsCovered = 0;
        for (JsonNode p : t.get("partitions")) {
            Set<String> replicas = new HashSet<>();
            p.get("replicas").forEach(r -> replicas.add(r.asText()));
            assertEquals(3, replicas.size(), topology.out());
            assertTrue(replicas.contains(p.get("leader").asText()), topology.out());
            JsonNode lag = p.get("lag");
            assertEquals(p.get("leader").asText(), lag.get("leader").asText(), topology.out());
            Set<String> followers = new HashSet<>(replicas);
            followers.remove(lag.get("leader").asText());
            Set<String> reported = new HashSet<>();
            for (JsonNode r : lag.get("replicas")) {
                reported.add(r.get("node").asText());
                assertEquals("voter", r.get("role").asText(), topology.out());
                assertEquals(lag.get("lastIndex").asLong(), r.get("matchIndex").asLong(), topology.out());
            }
            assertEquals(followers, reported, topology.out());
            slotsCovered += p.get("slots").get(1).asInt() - p.get("slots").get(0).asInt() + 1;
        }
        assertEquals(16384, slotsCovered, topology.out());

        Run table = cairn("topology", "--port", port);
        assertEquals(0, table.exitCode(), table.err());
        System.out.println("AdminCommandsTest: cairn topology\n" + table.out());
        assertTrue(table.out().contains("NODE") && table.out().contains("PARTITION") && table.out().contains("n4")
                && table.out().contains("LAG") && !table.out().contains("lag unknown"), table.out());

        // rebalance --status only reports; plain rebalance asks the controller first (its verdict carries the map's epoch).
        Run status = cairn("rebalance", "--port", port, "--status", "--output", "json");
        assertEquals(0, status.exitCode(), status.err());
        assertTrue(status.json().get("balanced").asBoolean(), status.out());
        assertTrue(status.json().get("requestedAtEpoch").isNull(), status.out());
        long epochBeforeRequest = first.server().agent().epoch();
        Run rebalance = cairn("rebalance", "--port", port, "--output", "json");
        assertEquals(0, rebalance.exitCode(), rebalance.out() + rebalance.err());
        assertTrue(rebalance.json().get("requestedAtEpoch").asLong() >= epochBeforeRequest, rebalance.out());
        Run watchBalanced = cairn("rebalance", "--port", port, "--watch", "--timeout", "30");
        assertEquals(0, watchBalanced.exitCode(), watchBalanced.err());
        assertTrue(watchBalanced.out().contains("rebalance requested") && watchBalanced.out().contains("balanced at epoch"),
                watchBalanced.out());

        // leave: unknown node (2), then n4 drained to LEFT with --wait (0).
        Run unknown = cairn("leave", "--port", port, "--node", "nope");
        assertEquals(2, unknown.exitCode(), unknown.out() + unknown.err());
        assertTrue(unknown.err().contains("not in the cluster map"), unknown.err());

        Run leave = cairn("leave", "--port", port, "--node", "n4", "--wait", "--timeout", "120", "--output", "json");
        assertEquals(0, leave.exitCode(), leave.out() + leave.err());
        System.out.println("AdminCommandsTest: cairn leave --node n4 --wait --output json\n" + leave.out());
        JsonNode l = leave.json();
        assertEquals("n4", l.get("node").asText());
        assertEquals("LEFT", l.get("state").asText());
        ClusterMap after = first.server().agent().map();
        assertEquals(NodeState.LEFT, after.node("n4").map(NodeInfo::state).orElseThrow(), after.toString());
        for (PartitionReplicas p : after.partitions()) {
            assertEquals(3, p.replicas().size(), after.toString());
            assertFalse(p.replicas().contains("n4"), after.toString());
        }
        for (int i = 0; i < 40; i++) {
            assertEquals("v" + i, nodes.get(1).get("k:" + i));
        }
        // Asked again: already done, still exit 0.
        Run again = cairn("leave", "--port", port, "--node", "n4");
        assertEquals(0, again.exitCode(), again.out() + again.err());

        // Three nodes for replication factor 3: the controller refuses to drain another (1).
        Run refused = cairn("leave", "--port", port, "--node", "n3");
        assertEquals(1, refused.exitCode(), refused.out() + refused.err());
        assertTrue(refused.err().contains("TOOFEWNODES"), refused.err());

        Run topologyAfter = cairn("topology", "--port", port, "--output", "json");
        assertEquals(0, topologyAfter.exitCode(), topologyAfter.err());
        boolean n4Left = false;
        for (JsonNode n : topologyAfter.json().get("nodes")) {
            n4Left |= n.get("id").asText().equals("n4") && n.get("state").asText().equals("LEFT");
        }
        assertTrue(n4Left, topologyAfter.out());

        // n3 stops; writes go on. Its replicas fall behind and go silent; topology says it did not answer.
        nodes.get(2).close();
        for (int i = 0; i < 40; i++) {
            first.put("after:" + i, "v" + i);
        }
        await(Duration.ofSeconds(30), () -> n3BehindEverywhere(cairn("topology", "--port", port, "--output", "json",
                        "--silent-after-ms", "500")),
                () -> "n3 behind and silent on every partition: " + cairn("topology", "--port", port, "--output", "json").out());
        Run stopped = cairn("topology", "--port", port, "--output", "json", "--silent-after-ms", "500");
        assertEquals(0, stopped.exitCode(), stopped.err());
        assertTrue(stopped.json().get("lagUnanswered").get("n3").asText().contains("cannot connect"), stopped.out());
        Run stoppedTable = cairn("topology", "--port", port, "--silent-after-ms", "500", "--lag-timeout-ms", "500");
        assertEquals(0, stoppedTable.exitCode(), stoppedTable.err());
        System.out.println("AdminCommandsTest: cairn topology with n3 stopped\n" + stoppedTable.out());
        assertTrue(stoppedTable.out().contains("lag unknown from n3") && stoppedTable.out().contains("silent"),
                stoppedTable.out());
    }

    /** Every partition's lag reported by its leader, every other replica at the leader's last index. */
    private static boolean allCaughtUp(Run topology) {
        try {
            if (topology.exitCode() != 0) {
                return false;
            }
            for (JsonNode p : topology.json().get("partitions")) {
                JsonNode lag = p.get("lag");
                if (lag == null || lag.isNull() || lag.get("replicas").size() != p.get("replicas").size() - 1) {
                    return false;
                }
                for (JsonNode r : lag.get("replicas")) {
                    if (r.get("lag").asLong() != 0) {
                        return false;
                    }
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Every partition's leader (n1 or n2) reports n3 behind and silent, the other live replica caught up. */
    private static boolean n3BehindEverywhere(Run topology) {
        try {
            if (topology.exitCode() != 0) {
                return false;
            }
            for (JsonNode p : topology.json().get("partitions")) {
                JsonNode lag = p.get("lag");
                if (lag == null || lag.isNull() || lag.get("leader").asText().equals("n3")) {
                    return false;
                }
                for (JsonNode r : lag.get("replicas")) {
                    boolean n3 = r.get("node").asText().equals("n3");
                    if (n3 && (r.get("lag").asLong() == 0 || !r.get("silent").asBoolean())) {
                        return false;
                    }
                    if (!n3 && r.get("lag").asLong() != 0) {
                        return false;
                    }
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void exitCodesForNonElasticNodesClosedPortsAndSilentServers() throws Exception {
        CairnNode single = Cairn.node(Map.of("port", "0"));
        nodes.add(single);
        String port = String.valueOf(single.server().port());
        for (String[] args : new String[][] {{"topology"}, {"leave"}, {"rebalance"}}) {
            Run r = cairn(args[0], "--port", port);
            assertEquals(1, r.exitCode(), args[0] + ": " + r.out() + r.err());
            assertTrue(r.err().contains("single node"), r.err());
        }

        int closed = freePort(); // nothing listens there any more
        for (String cmd : new String[] {"topology", "leave", "rebalance"}) {
            Run r = cairn(cmd, "--port", String.valueOf(closed));
            assertEquals(3, r.exitCode(), cmd + ": " + r.out() + r.err());
        }

        // A server that accepts connections but never answers: the request times out (4).
        ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread acceptor = null;
        try {
            acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException e) {
                    // closed: done
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Run r = cairn("topology", "--port", String.valueOf(silent.getLocalPort()), "--socket-timeout-ms", "300");
            assertEquals(4, r.exitCode(), r.out() + r.err());
            assertTrue(r.err().contains("no answer in time"), r.err());
        } finally {
            silent.close();
            if (acceptor != null) {
                acceptor.join(5_000);
            }
            for (Socket s : accepted) {
                s.close();
            }
        }

        Run badOutput = cairn("topology", "--port", port, "--output", "yaml");
        assertEquals(1, badOutput.exitCode(), badOutput.err());
        assertTrue(badOutput.err().contains("--output must be table or json"), badOutput.err());
    }

    private static boolean balanced(ClusterMap map, int upNodes) {
        // At the placement's target too: 3 replicas each can be reached before the last joiner got its share.
        if (!map.isBootstrapped() || map.movesInProgress() > 0 || new Planner().distance(map) != 0) {
            return false;
        }
        long up = map.nodes().stream().filter(n -> n.state() == NodeState.UP).count();
        return up == upNodes && map.partitions().stream().allMatch(p -> p.replicas().size() == 3);
    }

    private static void await(Duration timeout, BooleanSupplier condition, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what.get());
            }
            Thread.sleep(200);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
