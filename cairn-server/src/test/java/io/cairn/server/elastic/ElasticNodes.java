package io.cairn.server.elastic;

import io.cairn.server.embedded.Cairn;
import io.cairn.server.embedded.CairnNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * In-process elastic nodes ({@code bootstrap}/{@code join}) on loopback with short election,
 * heartbeat and controller periods, 4 partitions; closed in reverse order of start.
 */
final class ElasticNodes implements AutoCloseable {
    private final Path dir;
    private final List<CairnNode> nodes = new ArrayList<>();

    ElasticNodes(Path dir) {
        this.dir = dir;
    }

    /** Starts node {@code name} with Raft on {@code raftPort}, plus {@code how} (bootstrap or join). */
    CairnNode start(String name, int raftPort, Map<String, String> how) {
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

    /** Closes {@code node} with the others (a node this fixture did not start: static, single). */
    CairnNode adopt(CairnNode node) {
        nodes.add(node);
        return node;
    }

    CairnNode get(int i) {
        return nodes.get(i);
    }

    @Override
    public void close() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).close();
        }
        nodes.clear();
    }

    static void await(Duration timeout, BooleanSupplier condition, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what.get());
            }
            Thread.sleep(200);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
