package io.cairn.server.embedded;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Three {@code Cairn.node}s in this JVM on loopback (4 partitions, RF 3, short election timeouts). */
final class EmbeddedCluster {
    private EmbeddedCluster() {}

    /** Starts the nodes with the common settings plus {@code extra}, and waits until each is ready. */
    static List<CairnNode> start(Path dir, Map<String, String> extra) throws Exception {
        int[] raft = {freePort(), freePort(), freePort()};
        String peers = "n1@127.0.0.1:" + raft[0] + ",n2@127.0.0.1:" + raft[1] + ",n3@127.0.0.1:" + raft[2];
        List<CairnNode> nodes = new ArrayList<>();
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
            s.putAll(extra);
            nodes.add(Cairn.node(s));
        }
        for (CairnNode n : nodes) {
            n.awaitReady(Duration.ofSeconds(60));
        }
        return nodes;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
