package io.cairn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.cluster.NodeSpec;
import io.cairn.server.embedded.Cairn;
import io.cairn.server.embedded.CairnNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code advertise-host}: what an elastic node writes into the cluster map (its Raft peer address
 * and RESP address) when that differs from what it binds to. A wildcard bind without it is refused.
 */
class AdvertiseHostTest {
    @TempDir
    Path dir;

    @Test
    void aWildcardBindNeedsAnAdvertisedHost() {
        Map<String, String> flags = Map.of("bind", "0.0.0.0", "bootstrap", "yes", "node-id", "n1", "raft-port", "7000",
                "data-dir", dir.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.load(null, flags, List.of(), Map.of()));
        assertTrue(e.getMessage().contains("advertise-host"), e.getMessage());

        Map<String, String> advertised = new LinkedHashMap<>(flags);
        advertised.put("advertise-host", "10.1.2.3");
        assertEquals("10.1.2.3", ServerConfig.load(null, advertised, List.of(), Map.of()).advertiseHost());
        assertEquals("127.0.0.1", ServerConfig.load(null, Map.of(), List.of(), Map.of()).advertiseHost());
    }

    @Test
    @Timeout(90)
    void nodesAdvertiseTheConfiguredHostAndJoinThroughIt() throws Exception {
        int raft1 = freePort();
        int raft2 = freePort();
        try (CairnNode n1 = Cairn.node(settings("n1", raft1, Map.of("bootstrap", "yes")));
             CairnNode n2 = Cairn.node(settings("n2", raft2, Map.of("join", "localhost:" + raft1)))) {
            for (CairnNode n : List.of(n1, n2)) {
                NodeSpec self = n.server().agent().self();
                assertEquals("localhost:" + (n == n1 ? raft1 : raft2), self.raftAddress());
                assertTrue(self.respAddress().startsWith("localhost:"), self.respAddress());
            }
            // Both nodes dial each other by the advertised name: data written through one is read through the other.
            n2.put("advertised", "yes");
            assertEquals("yes", n1.get("advertised"));
        }
    }

    private Map<String, String> settings(String name, int raftPort, Map<String, String> how) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("node-id", name);
        s.put("port", "0");
        s.put("bind", "127.0.0.1");
        s.put("advertise-host", "localhost");
        s.put("raft-port", String.valueOf(raftPort));
        s.put("partitions", "2");
        s.put("replication-factor", "2");
        s.put("data-dir", dir.resolve(name).toString());
        s.put("command-timeout-ms", "10000");
        s.put("raft.election.timeout-min-ms", "400");
        s.put("raft.election.timeout-max-ms", "800");
        s.put("cluster.heartbeat-interval-ms", "300");
        s.put("cluster.controller.loop-interval-ms", "300");
        s.putAll(how);
        return s;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
