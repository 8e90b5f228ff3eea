package io.cairn.server.redirect;

import io.cairn.raft.RaftNode;
import io.cairn.server.embedded.Cairn;
import io.cairn.server.embedded.CairnNode;
import io.cairn.storage.SlotHash;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Three {@code Cairn.node}s in this JVM on loopback with {@code cluster-mode redirect}: fixed RESP
 * ports named in {@code peers} (redirect mode sends clients there), 4 partitions of 3 replicas,
 * short election timeouts, and no leader balancer (leadership moves only when a test moves it;
 * {@link #spreadLeaders} puts each partition on its preferred leader once).
 */
final class RedirectCluster implements AutoCloseable {
    static final int PARTITIONS = 4;

    final List<CairnNode> nodes = new ArrayList<>();
    final int[] respPorts = new int[3];

    private RedirectCluster() {}

    static RedirectCluster start(Path dir, Map<String, String> extra) throws Exception {
        RedirectCluster c = new RedirectCluster();
        int[] raft = new int[3];
        for (int i = 0; i < 3; i++) {
            raft[i] = freePort();
            c.respPorts[i] = freePort();
        }
        StringBuilder peers = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            peers.append(i == 0 ? "" : ",").append("n").append(i + 1).append("@127.0.0.1:").append(raft[i]).append('/')
                    .append(c.respPorts[i]);
        }
        try {
            for (int i = 0; i < 3; i++) {
                Map<String, String> s = new LinkedHashMap<>();
                s.put("node-id", "n" + (i + 1));
                s.put("bind", "127.0.0.1");
                s.put("port", String.valueOf(c.respPorts[i]));
                s.put("peers", peers.toString());
                s.put("partitions", String.valueOf(PARTITIONS));
                s.put("data-dir", dir.resolve("n" + (i + 1)).toString());
                s.put("command-timeout-ms", "10000");
                s.put("raft.election.timeout-min-ms", "400");
                s.put("raft.election.timeout-max-ms", "800");
                s.put("leader-balance-interval-ms", "0");
                s.put("cluster-mode", "redirect");
                s.putAll(extra);
                c.nodes.add(Cairn.node(s));
            }
            for (CairnNode n : c.nodes) {
                n.awaitReady(Duration.ofSeconds(60));
            }
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Moves each partition's leadership to its preferred replica (which spreads leaders over the nodes). */
    void spreadLeaders() {
        for (CairnNode n : nodes) {
            n.server().raft().balanceLeaders(PARTITIONS, Duration.ofSeconds(5));
        }
    }

    RaftNode raft(int node) {
        return nodes.get(node).server().raft();
    }

    /** The node (0..2) that leads {@code partition} as the partition's own replicas agree on; -1 if they do not (yet). */
    int leaderOf(int partition) {
        String seen = null;
        for (int i = 0; i < 3; i++) {
            String l = raft(i).leaderOf(partition);
            if (l == null || (seen != null && !seen.equals(l))) {
                return -1;
            }
            seen = l;
        }
        return Integer.parseInt(seen.substring(1)) - 1;
    }

    /** Waits until every partition's replicas agree on a leader; returns the leaders by partition. */
    int[] awaitLeaders(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            int[] leaders = new int[PARTITIONS];
            boolean all = true;
            for (int p = 0; p < PARTITIONS; p++) {
                leaders[p] = leaderOf(p);
                all &= leaders[p] >= 0;
            }
            if (all) {
                return leaders;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("partitions without an agreed leader after " + timeout);
            }
            Thread.sleep(20);
        }
    }

    static int partitionOf(String key) {
        return SlotHash.partitionOf(key.getBytes(StandardCharsets.UTF_8), PARTITIONS);
    }

    static int slotOf(String key) {
        return SlotHash.slot(key.getBytes(StandardCharsets.UTF_8));
    }

    /** A key (prefix + number) of partition {@code p}. */
    static String keyIn(int p, String prefix) {
        for (int i = 0; ; i++) {
            if (partitionOf(prefix + i) == p) {
                return prefix + i;
            }
        }
    }

    @Override
    public void close() {
        nodes.forEach(CairnNode::close);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
