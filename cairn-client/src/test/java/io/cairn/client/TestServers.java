package io.cairn.client;

import io.cairn.server.CairnServer;
import io.cairn.server.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Real in-JVM Cairn nodes on ephemeral loopback ports, and the two kinds of broken node tests need. */
final class TestServers {
    private TestServers() {}

    /**
     * A single-node server, memory engine. Storage limits are small so the tests can hit them:
     * values up to {@link #MAX_VALUE_BYTES}, keys up to {@link #MAX_KEY_BYTES}.
     */
    static final int MAX_VALUE_BYTES = 1024;
    static final int MAX_KEY_BYTES = 64;

    static CairnServer start(Map<String, String> settings) throws InterruptedException {
        Map<String, String> flags = new HashMap<>(settings);
        flags.putIfAbsent("port", "0");
        flags.putIfAbsent("bind", "127.0.0.1");
        return CairnServer.start(ServerConfig.load(null, flags,
                List.of("storage.max-value-bytes=" + MAX_VALUE_BYTES, "storage.max-key-bytes=" + MAX_KEY_BYTES),
                Map.of()));
    }

    static CairnServer start() throws InterruptedException {
        return start(Map.of());
    }

    static String seed(CairnServer server) {
        return "127.0.0.1:" + server.port();
    }

    /** A loopback port nothing listens on (bound once to pick it, then released): connecting is refused. */
    static String deadSeed() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    /**
     * A port that accepts connections and reads whatever is sent, but never answers: the shape of
     * a hung node, which only a timeout can detect.
     */
    static final class Silent implements AutoCloseable {
        private final ServerSocket socket;
        private final Thread acceptor;

        Silent() throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = new Thread(this::acceptLoop, "silent-node");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String seed() {
            return "127.0.0.1:" + socket.getLocalPort();
        }

        private void acceptLoop() {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    Thread reader = new Thread(() -> drain(s), "silent-node-reader");
                    reader.setDaemon(true);
                    reader.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private static void drain(Socket s) {
            try (s; InputStream in = s.getInputStream()) {
                byte[] buf = new byte[4096];
                while (in.read(buf) >= 0) {
                    // swallow
                }
            } catch (IOException e) {
                // closed
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
