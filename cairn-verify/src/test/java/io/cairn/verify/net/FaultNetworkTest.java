package io.cairn.verify.net;

import static io.cairn.verify.net.Sockets.assertClosedByPeer;
import static io.cairn.verify.net.Sockets.assertEchoes;
import static io.cairn.verify.net.Sockets.assertNoEcho;
import static io.cairn.verify.net.Sockets.connect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class FaultNetworkTest {
    private static final List<String> NODES = List.of("n1", "n2", "n3");

    @TempDir
    Path dir;

    private final Map<String, EchoServer> servers = new LinkedHashMap<>();
    private final Map<String, Integer> raftPorts = new LinkedHashMap<>();
    private FaultNetwork net;

    @BeforeEach
    void setUp() throws IOException {
        for (String n : NODES) {
            EchoServer s = EchoServer.start(0);
            servers.put(n, s);
            raftPorts.put(n, s.port());
        }
        net = FaultNetwork.start(NODES, raftPorts, dir.resolve("hosts"));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (net != null) {
            net.close();
        }
        for (EchoServer s : servers.values()) {
            s.close();
        }
    }

    @Test
    void writesHostsFilesAndRoutesEveryLinkToItsTarget() throws Exception {
        assertEquals("n2.cairn", FaultNetwork.hostName("n2"));
        assertEquals("node-a.cairn", FaultNetwork.hostName("Node-A"));
        Path f1 = net.hostsFile("n1");
        assertEquals(dir.resolve("hosts").resolve("n1.hosts"), f1);
        List<String> lines = Files.readAllLines(f1).stream().filter(l -> !l.startsWith("#")).toList();
        assertEquals(List.of("127.0.0.1 localhost", "127.0.0.1 n1.cairn", "127.0.1.2 n2.cairn", "127.0.1.3 n3.cairn"),
                lines);
        List<String> lines3 = Files.readAllLines(net.hostsFile("n3")).stream().filter(l -> !l.startsWith("#")).toList();
        assertEquals(List.of("127.0.0.1 localhost", "127.0.0.1 n3.cairn", "127.0.3.1 n1.cairn", "127.0.3.2 n2.cairn"),
                lines3);

        for (String a : NODES) {
            for (String b : NODES) {
                if (a.equals(b)) {
                    continue;
                }
                InetSocketAddress addr = net.linkAddress(a, b);
                String expectedIp = "127.0." + (NODES.indexOf(a) + 1) + "." + (NODES.indexOf(b) + 1);
                assertEquals(expectedIp, addr.getAddress().getHostAddress());
                assertEquals(raftPorts.get(b), addr.getPort());
                Map<String, Integer> before = acceptedCounts();
                try (Socket s = connect(new InetSocketAddress(InetAddress.getByName(expectedIp), raftPorts.get(b)))) {
                    assertEchoes(s, a + " says hi to " + b);
                }
                Map<String, Integer> after = acceptedCounts();
                for (String n : NODES) {
                    assertEquals(before.get(n) + (n.equals(b) ? 1 : 0), after.get(n), "link " + a + "->" + b + " reached " + n);
                }
                assertTrue(net.link(a, b).bytesForwarded() > 0);
            }
        }
    }

    @Test
    void peersSpecListsNodesInOrder() {
        Map<String, Integer> resp = Map.of("n1", 6381, "n2", 6382, "n3", 6383);
        String expected = String.format("n1@n1.cairn:%d/6381,n2@n2.cairn:%d/6382,n3@n3.cairn:%d/6383",
                raftPorts.get("n1"), raftPorts.get("n2"), raftPorts.get("n3"));
        assertEquals(expected, net.peersSpec(resp));
        assertThrows(IllegalArgumentException.class, () -> net.peersSpec(Map.of("n1", 1)));
    }

    @Test
    void partitionBlocksLinksBetweenComponentsOnlyAndHealAllRestores() throws Exception {
        try (Socket n2n1 = connect(net.linkAddress("n2", "n1"))) {
            assertEchoes(n2n1, "before");

            net.partition(List.of(List.of("n1"), List.of("n2", "n3")));
            assertEquals(List.of("n1->n2", "n1->n3", "n2->n1", "n3->n1"), net.blockedLinks());
            assertNoEcho(n2n1, "frozen", 300);
            for (String[] link : new String[][] {{"n1", "n2"}, {"n1", "n3"}, {"n3", "n1"}}) {
                try (Socket s = connect(net.linkAddress(link[0], link[1]))) {
                    assertNoEcho(s, "blocked", 300);
                }
            }
            for (String[] link : new String[][] {{"n2", "n3"}, {"n3", "n2"}}) {
                try (Socket s = connect(net.linkAddress(link[0], link[1]))) {
                    assertEchoes(s, "same side");
                }
            }

            net.healAll();
            assertEquals(List.of(), net.blockedLinks());
            assertClosedByPeer(n2n1);
        }
        for (String a : NODES) {
            for (String b : NODES) {
                if (!a.equals(b)) {
                    try (Socket s = connect(net.linkAddress(a, b))) {
                        assertEchoes(s, "healed");
                    }
                }
            }
        }
    }

    @Test
    void partitionReplacesStateAndIsolatesUnlistedNodes() {
        net.block("n2", "n3");
        assertEquals(List.of("n2->n3"), net.blockedLinks());
        net.partition(List.of(List.of("n1", "n2")));
        assertEquals(List.of("n1->n3", "n2->n3", "n3->n1", "n3->n2"), net.blockedLinks());
        net.partition(List.of(List.of("n1", "n2", "n3")));
        assertEquals(List.of(), net.blockedLinks());
        net.isolate("n2");
        assertEquals(List.of("n1->n2", "n2->n1", "n2->n3", "n3->n2"), net.blockedLinks());
        net.block("n3", "n1");
        net.heal("n1", "n2");
        assertEquals(List.of("n2->n1", "n2->n3", "n3->n1", "n3->n2"), net.blockedLinks());
        assertThrows(IllegalArgumentException.class, () -> net.partition(List.of(List.of("n1"), List.of("n1", "n2"))));
        assertThrows(IllegalArgumentException.class, () -> net.isolate("n9"));
        assertThrows(IllegalArgumentException.class, () -> net.block("n1", "n1"));
        net.healAll();
        assertEquals(List.of(), net.blockedLinks());
    }

    @Test
    void failedStartReleasesWhatItStartedAndRejectsBadInput() throws Exception {
        // every listen address of a second network on the same ports is taken by the first one
        assertThrows(IOException.class, () -> FaultNetwork.start(NODES, raftPorts, dir.resolve("other")));
        assertTrue(Files.notExists(dir.resolve("other").resolve("n1.hosts")));
        try (Socket s = connect(net.linkAddress("n1", "n2"))) {
            assertEchoes(s, "first network unaffected");
        }
        assertThrows(IllegalArgumentException.class,
                () -> FaultNetwork.start(List.of("n1", "N1"), Map.of("n1", 1, "N1", 2), dir));
        assertThrows(IllegalArgumentException.class,
                () -> FaultNetwork.start(List.of("n1.x"), Map.of("n1.x", 1), dir));
        assertThrows(IllegalArgumentException.class, () -> FaultNetwork.start(List.of("n1"), Map.of(), dir));
    }

    @Test
    void aChildJvmResolvesPeerNamesThroughItsHostsFileToItsOwnLinkProxy() throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java,
                "-Djdk.net.hosts.file=" + net.hostsFile("n1"),
                "-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"),
                ResolveAndEcho.class.getName(), "n2.cairn", String.valueOf(raftPorts.get("n2"))));
        long forwarded = net.link("n1", "n2").bytesForwarded();
        int acceptedByN2 = servers.get("n2").accepted.get();

        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            boolean done = p.waitFor(8, TimeUnit.SECONDS);
            String output = new String(p.getInputStream().readNBytes(64 * 1024), StandardCharsets.UTF_8);
            assertTrue(done, "child JVM did not finish in time; output so far:\n" + output);
            assertEquals(0, p.exitValue(), output);
            assertTrue(output.contains("resolved n2.cairn 127.0.1.2"), output);
            assertTrue(output.contains("echo hello via hosts file"), output);
        } finally {
            p.destroyForcibly();
        }
        assertTrue(net.link("n1", "n2").bytesForwarded() >= forwarded + 2 * "hello via hosts file\n".length());
        assertEquals(acceptedByN2 + 1, servers.get("n2").accepted.get());
    }

    private Map<String, Integer> acceptedCounts() throws InterruptedException {
        Thread.sleep(20); // let the echo servers' accept loops catch up
        Map<String, Integer> m = new LinkedHashMap<>();
        servers.forEach((n, s) -> m.put(n, s.accepted.get()));
        return m;
    }

    /** Runs in the child JVM: resolve a peer's host name and talk to it on its Raft port. */
    public static final class ResolveAndEcho {
        public static void main(String[] args) throws IOException {
            InetAddress peer = InetAddress.getByName(args[0]);
            System.out.println("resolved " + args[0] + " " + peer.getHostAddress());
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(peer, Integer.parseInt(args[1])), 3_000);
                s.setSoTimeout(3_000);
                byte[] msg = "hello via hosts file\n".getBytes(StandardCharsets.UTF_8);
                OutputStream out = s.getOutputStream();
                out.write(msg);
                InputStream in = s.getInputStream();
                System.out.print("echo " + new String(in.readNBytes(msg.length), StandardCharsets.UTF_8));
            }
            System.out.flush();
        }
    }
}
