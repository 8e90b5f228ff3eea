package io.cairn.verify.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/** Bounded socket helpers for the proxy tests: every read has a timeout. */
final class Sockets {
    private Sockets() {}

    static Socket connect(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        s.connect(address, 2_000);
        s.setSoTimeout(2_000);
        return s;
    }

    /** Writes {@code msg} and asserts the same bytes come back within 2 s. */
    static void assertEchoes(Socket s, String msg) throws IOException {
        byte[] out = msg.getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(out);
        s.setSoTimeout(2_000);
        byte[] in = s.getInputStream().readNBytes(out.length);
        assertArrayEquals(out, in, "echo of '" + msg + "'");
    }

    /** Writes {@code msg} and asserts that nothing at all comes back within {@code millis}. */
    static void assertNoEcho(Socket s, String msg, int millis) throws IOException {
        s.getOutputStream().write(msg.getBytes(StandardCharsets.UTF_8));
        s.setSoTimeout(millis);
        try {
            int b = s.getInputStream().read();
            fail("expected silence, got " + (b < 0 ? "EOF" : "data"));
        } catch (SocketTimeoutException expected) {
            // frozen, as it should be
        }
    }

    /** Asserts the peer closes {@code s} (EOF or reset) within 3 s, without sending any byte. */
    static void assertClosedByPeer(Socket s) throws IOException {
        s.setSoTimeout(3_000);
        InputStream in = s.getInputStream();
        try {
            int b = in.read();
            if (b >= 0) {
                fail("expected the connection to end, but a byte arrived: " + b);
            }
        } catch (SocketTimeoutException e) {
            fail("connection still open after 3 s");
        } catch (SocketException reset) {
            // connection reset: also a close
        }
    }

    static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for: " + what);
            }
            Thread.sleep(10);
        }
        assertTrue(condition.getAsBoolean());
    }
}
