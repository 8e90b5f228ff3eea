package io.cairn.verify.net;

import static io.cairn.verify.net.Sockets.assertClosedByPeer;
import static io.cairn.verify.net.Sockets.assertEchoes;
import static io.cairn.verify.net.Sockets.assertNoEcho;
import static io.cairn.verify.net.Sockets.awaitTrue;
import static io.cairn.verify.net.Sockets.connect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LinkProxyTest {
    private static final InetSocketAddress LISTEN = new InetSocketAddress("127.0.9.9", 0);

    private EchoServer echo;
    private LinkProxy proxy;

    @BeforeEach
    void setUp() throws IOException {
        echo = EchoServer.start(0);
    }

    @AfterEach
    void tearDown() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        echo.close();
    }

    private LinkProxy start(int maxConnections) throws IOException {
        proxy = LinkProxy.start("a->b", LISTEN, echo.address(), maxConnections);
        return proxy;
    }

    @Test
    void forwardsBothWaysAndCountsBytes() throws Exception {
        start(4);
        assertEquals("127.0.9.9", proxy.listenAddress().getAddress().getHostAddress());
        try (Socket s = connect(proxy.listenAddress())) {
            assertEchoes(s, "hello");
            assertEchoes(s, "x".repeat(200_000)); // several 64 KiB chunks
            assertEquals(2 * 200_005, proxy.bytesForwarded());
            assertEquals(1, proxy.openConnections());
            // a half-close is forwarded: the echo server sees EOF, closes, and so do we
            s.shutdownOutput();
            assertClosedByPeer(s);
        }
        awaitTrue("connection released", () -> proxy.openConnections() == 0);
        assertEquals("a->b", proxy.name());
        assertFalse(proxy.isBlocked());
    }

    @Test
    void blockFreezesExistingAndNewConnectionsAndHealClosesThem() throws Exception {
        start(4);
        try (Socket before = connect(proxy.listenAddress())) {
            assertEchoes(before, "ping");
            proxy.block();
            proxy.block(); // idempotent
            assertTrue(proxy.isBlocked());
            long forwarded = proxy.bytesForwarded();
            int targetConnections = echo.accepted.get();

            assertNoEcho(before, "lost?", 500);
            try (Socket during = connect(proxy.listenAddress())) {
                assertNoEcho(during, "anyone?", 500);
                awaitTrue("both connections held", () -> proxy.openConnections() == 2);
                assertEquals(forwarded, proxy.bytesForwarded(), "nothing forwarded while blocked");
                assertEquals(targetConnections, echo.accepted.get(), "no target connect while blocked");

                proxy.heal();
                assertFalse(proxy.isBlocked());
                // the held chunks are never delivered: both frozen connections just end
                assertClosedByPeer(before);
                assertClosedByPeer(during);
            }
            assertEquals(forwarded, proxy.bytesForwarded());
            awaitTrue("frozen connections released", () -> proxy.openConnections() == 0);
        }
        proxy.heal(); // idempotent
        try (Socket after = connect(proxy.listenAddress())) {
            assertEchoes(after, "back");
        }
    }

    @Test
    void targetDownClosesTheConnectionAndTheProxySurvives() throws Exception {
        start(4);
        int port = echo.port();
        echo.close();
        for (int i = 0; i < 3; i++) {
            try (Socket s = connect(proxy.listenAddress())) {
                assertClosedByPeer(s);
            }
        }
        awaitTrue("failed connections released", () -> proxy.openConnections() == 0);

        echo = EchoServer.start(port); // the node comes back on the same port
        try (Socket s = connect(proxy.listenAddress())) {
            assertEchoes(s, "revived");
        }
    }

    @Test
    void enforcesMaxConnections() throws Exception {
        start(2);
        Socket a = connect(proxy.listenAddress());
        try (Socket b = connect(proxy.listenAddress())) {
            assertEchoes(a, "a");
            assertEchoes(b, "b");
            try (Socket c = connect(proxy.listenAddress())) {
                assertClosedByPeer(c);
            }
            assertEquals(2, proxy.openConnections());
            a.close();
            awaitTrue("slot freed", () -> proxy.openConnections() == 1);
            try (Socket d = connect(proxy.listenAddress())) {
                assertEchoes(d, "d");
            }
            assertEchoes(b, "still fine");
        } finally {
            a.close();
        }
    }

    @Test
    void closeStopsEverythingPromptly() throws Exception {
        start(4);
        try (Socket live = connect(proxy.listenAddress()); Socket frozen = connect(proxy.listenAddress())) {
            assertEchoes(live, "live");
            assertEchoes(frozen, "frozen");
            proxy.block();
            assertNoEcho(frozen, "held", 100);
            long t0 = System.nanoTime();
            proxy.close();
            proxy.close(); // idempotent
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(4), "close is bounded");
            assertEquals(0, proxy.liveThreads());
            assertEquals(0, proxy.openConnections());
            assertClosedByPeer(live);
            assertClosedByPeer(frozen);
        }
        assertThrows(ConnectException.class, () -> connect(proxy.listenAddress()).close());
    }

    /**
     * Streams a position-dependent byte pattern through the proxy while block/heal is toggled:
     * whatever comes back on a connection must be an exact prefix of what was sent on it (a
     * dropped or stale chunk would break the pattern), and traffic must flow again after the
     * final heal.
     */
    @Test
    void blockHealChurnNeverCorruptsAStream() throws Exception {
        start(8);
        AtomicLong verified = new AtomicLong();
        AtomicReference<String> corruption = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread client = Thread.ofVirtual().start(() -> {
            while (!stop.get()) {
                try {
                    Socket s = connect(proxy.listenAddress());
                    s.setSoTimeout(1_000);
                    Thread writer = Thread.ofVirtual().start(() -> {
                        byte[] chunk = new byte[10_000];
                        try {
                            for (long pos = 0; !stop.get(); pos += chunk.length) {
                                for (int i = 0; i < chunk.length; i++) {
                                    chunk[i] = pattern(pos + i);
                                }
                                s.getOutputStream().write(chunk);
                            }
                        } catch (IOException endOfSession) {
                            // closed by heal or by the reader
                        }
                    });
                    byte[] buf = new byte[8192];
                    long pos = 0;
                    try {
                        for (int n; (n = s.getInputStream().read(buf)) >= 0 && !stop.get(); ) {
                            for (int i = 0; i < n; i++, pos++) {
                                if (buf[i] != pattern(pos)) {
                                    corruption.compareAndSet(null, "byte " + pos + " of a stream is wrong");
                                    return;
                                }
                            }
                            verified.addAndGet(n);
                        }
                    } catch (IOException endOfSession) {
                        // reset by heal, or read timeout while blocked: start a new session
                    } finally {
                        s.close();
                        writer.join(2_000);
                    }
                } catch (IOException | InterruptedException e) {
                    if (e instanceof InterruptedException) {
                        return;
                    }
                }
            }
        });
        try {
            for (int round = 0; round < 10; round++) {
                Thread.sleep(40);
                proxy.block();
                long frozenAt = proxy.bytesForwarded();
                Thread.sleep(40);
                assertEquals(frozenAt, proxy.bytesForwarded(), "bytes forwarded while blocked");
                proxy.heal();
            }
            long before = verified.get();
            awaitTrue("traffic flows after the last heal", () -> verified.get() > before + 100_000);
        } finally {
            stop.set(true);
            client.join(5_000);
        }
        assertEquals(null, corruption.get());
        assertFalse(client.isAlive());
    }

    private static byte pattern(long pos) {
        return (byte) (pos % 251 + pos / 251 % 7);
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> LinkProxy.start("x", LISTEN, echo.address(), 0));
        assertThrows(IllegalArgumentException.class,
                () -> LinkProxy.start("x", LISTEN, InetSocketAddress.createUnresolved("nowhere", 1), 1));
    }
}
