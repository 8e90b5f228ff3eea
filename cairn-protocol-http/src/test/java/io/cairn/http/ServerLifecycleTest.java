package io.cairn.http;

import static io.cairn.http.TestNode.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.storage.SlotHash;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the server does around the API: cross-partition refusals and service failures as statuses,
 * request timeouts, graceful shutdown, the connection limit, idle connections, settings.
 */
@Timeout(60)
class ServerLifecycleTest {

    /**
     * Unit-level stand-in for the replicated service's partition rule (ReplicatedCommandService
     * answers exactly this for an EXEC whose keys span partitions), over the real local service.
     */
    static final class PartitionCheckingService extends ForwardingService {
        PartitionCheckingService(CommandService delegate) {
            super(delegate);
        }

        @Override
        public CompletableFuture<Reply> exec(List<byte[][]> commands, List<Watch> watches) {
            int p = -1;
            for (byte[][] argv : commands) {
                int q = SlotHash.partitionOf(argv[1], TestNode.PARTITIONS);
                if (p >= 0 && q != p) {
                    return CompletableFuture.completedFuture(
                            Reply.error("CROSSSLOT Keys in request don't hash to the same slot"));
                }
                p = q;
            }
            return super.exec(commands, watches);
        }
    }

    /** Two keys in different partitions of {@link TestNode#PARTITIONS}. */
    private static String[] keysInTwoPartitions() {
        String first = "k0";
        int p = SlotHash.partitionOf(first.getBytes(), TestNode.PARTITIONS);
        for (int i = 1; ; i++) {
            String other = "k" + i;
            if (SlotHash.partitionOf(other.getBytes(), TestNode.PARTITIONS) != p) {
                return new String[] {first, other};
            }
        }
    }

    @Test
    void crossPartitionRequestsAre409AndApplyNothing() throws Exception {
        try (TestNode node = new TestNode(TestNode.SETTINGS, PartitionCheckingService::new)) {
            String[] k = keysInTwoPartitions();
            String body = "{\"commands\":[{\"cmd_type\":\"set\",\"key\":\"" + k[0] + "\",\"value\":\"1\"},"
                    + "{\"cmd_type\":\"set\",\"key\":\"" + k[1] + "\",\"value\":\"2\"}]}";
            HttpResponse<byte[]> r = node.execute(body);
            assertEquals(409, r.statusCode());
            assertEquals(json("{\"error\":\"CROSSSLOT Keys in request don't hash to the same slot\"}"), json(r));
            assertEquals(Reply.Null.BULK, node.direct("GET", k[0]));
            assertEquals(Reply.Null.BULK, node.direct("GET", k[1]));
            // The pre-checked (incr) path reports it the same way.
            r = node.execute("{\"commands\":[{\"cmd_type\":\"incr\",\"key\":\"" + k[0] + "\"},"
                    + "{\"cmd_type\":\"incr\",\"key\":\"" + k[1] + "\"}]}");
            assertEquals(409, r.statusCode());
            assertEquals(Reply.Null.BULK, node.direct("GET", k[0]));
            // Hash tags put keys together: then it runs.
            r = node.execute("""
                    {"commands":[{"cmd_type":"set","key":"{t}a","value":"1"},{"cmd_type":"incr","key":"{t}b"},
                                 {"cmd_type":"incr","key":"{t}a"}]}""");
            assertEquals(200, r.statusCode());
            assertEquals(json("{\"results\":[{\"ok\":true},{\"value\":1},{\"value\":2}]}"), json(r));
        }
    }

    @Test
    void serviceErrorsAndFailuresBecome503And504() throws Exception {
        Function<CommandService, CommandService> failing = local -> new ForwardingService(local) {
            @Override
            public CompletableFuture<Reply> execute(byte[][] argv) {
                String key = new String(argv[1], StandardCharsets.UTF_8);
                return switch (key) {
                    case "tryagain" -> CompletableFuture.completedFuture(Reply.error("TRYAGAIN partition 3 is moving"));
                    case "timeout" -> CompletableFuture.completedFuture(Reply.error(
                            "TIMEOUT no reply from the partition's replicas in time"));
                    case "down" -> CompletableFuture.failedFuture(new IllegalStateException("command service is closed"));
                    case "never" -> new CompletableFuture<>();
                    default -> super.execute(argv);
                };
            }
        };
        HttpSettings quickTimeout = TestNode.SETTINGS.withRequestTimeout(300);
        try (TestNode node = new TestNode(quickTimeout, failing)) {
            assertEquals(503, node.get("/v1/kv/tryagain").statusCode());
            assertEquals(json("{\"error\":\"TRYAGAIN partition 3 is moving\"}"), json(node.get("/v1/kv/tryagain")));
            assertEquals(504, node.get("/v1/kv/timeout").statusCode());
            HttpResponse<byte[]> down = node.get("/v1/kv/down");
            assertEquals(503, down.statusCode());
            assertEquals(json("{\"error\":\"UNAVAILABLE command service is closed\"}"), json(down));
            long start = System.nanoTime();
            HttpResponse<byte[]> never = node.get("/v1/kv/never");
            assertEquals(504, never.statusCode());
            assertTrue(json(never).get("error").textValue().startsWith("TIMEOUT "));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "bounded by http.request-timeout-ms");
            assertEquals(200, node.get("/health").statusCode(), "the server is unaffected");
        }
    }

    @Test
    void closeAnswersRequestsInFlightThenRefusesConnections() throws Exception {
        CompletableFuture<Reply> held = new CompletableFuture<>();
        java.util.concurrent.CountDownLatch asked = new java.util.concurrent.CountDownLatch(1);
        Function<CommandService, CommandService> holding = local -> new ForwardingService(local) {
            @Override
            public CompletableFuture<Reply> execute(byte[][] argv) {
                if (new String(argv[1], StandardCharsets.UTF_8).equals("held")) {
                    asked.countDown();
                    return held;
                }
                return super.execute(argv);
            }
        };
        TestNode node = new TestNode(TestNode.SETTINGS, holding);
        try {
            int port = node.server.port();
            CompletableFuture<HttpResponse<byte[]>> inFlight = node.client.sendAsync(
                    HttpRequest.newBuilder(node.uri("/v1/kv/held")).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertTrue(asked.await(10, TimeUnit.SECONDS), "the request reached the service");
            Thread closer = new Thread(node.server::close);
            closer.start();
            Thread.sleep(200); // close() is now waiting for the held request
            assertTrue(closer.isAlive(), "close waits for the answer owed");
            held.complete(Reply.bulk("late but delivered"));
            HttpResponse<byte[]> r = inFlight.get(10, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            assertEquals(json("{\"value\":\"late but delivered\"}"), json(r));
            closer.join(10_000);
            assertTrue(!closer.isAlive(), "close finished");
            assertThrows(java.io.IOException.class, () -> new Socket("127.0.0.1", port).close());
        } finally {
            node.close();
        }
    }

    @Test
    void connectionsOverTheLimitGet503AndIdleConnectionsAreClosed() throws Exception {
        HttpSettings settings = new HttpSettings("127.0.0.1", 0, 1, 2, 64 * 1024, 4096, 8192, 16, 50, 1024,
                16 * 1024, 100, 16, 10_000, 1, 5);
        try (TestNode node = new TestNode(settings, Function.identity());
             Socket a = new Socket("127.0.0.1", node.server.port());
             Socket b = new Socket("127.0.0.1", node.server.port())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (node.server.connections() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            TestNode.RawResponse third = node.rawGet("/health");
            assertEquals(503, third.status());
            assertEquals(json("{\"error\":\"too many connections (http.max-connections)\"}"), json(third.body()));
            // a and b said nothing: http.idle-timeout-seconds=1 closes them (read returns EOF).
            for (Socket s : List.of(a, b)) {
                s.setSoTimeout(10_000);
                InputStream in = s.getInputStream();
                assertEquals(-1, in.read(), "closed by the server");
            }
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (node.server.connections() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(200, node.get("/health").statusCode(), "slots are free again");
        }
    }

    @Test
    void aTakenPortIsAClearError() throws Exception {
        try (TestNode node = new TestNode()) {
            PrometheusMeterRegistry other = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> HttpServer.start(
                    TestNode.SETTINGS.withAddress("127.0.0.1", node.server.port()), node.local,
                    new HttpEndpoints(() -> HttpEndpoints.Readiness.READY, Map::of, other)));
            assertTrue(e.getMessage().startsWith("cannot listen on 127.0.0.1:" + node.server.port()), e.getMessage());
            assertTrue(other.getMeters().stream().noneMatch(m -> m.getId().getName().equals("cairn.http.connections")),
                    "a server that failed to start leaves no gauge behind");
            // One running server per registry: a second would share (and later remove) the first one's gauge.
            IllegalArgumentException shared = assertThrows(IllegalArgumentException.class, () -> HttpServer.start(
                    TestNode.SETTINGS, node.local, new HttpEndpoints(() -> HttpEndpoints.Readiness.READY, Map::of,
                            node.registry)));
            assertTrue(shared.getMessage().contains("already holds a running HttpServer's meters"), shared.getMessage());
            assertEquals(200, node.get("/health").statusCode());
            assertTrue(node.registry.scrape().contains("cairn_http_connections"), "the running server's gauge is intact");
        }
    }

    @Test
    void settingsReadTheirKeysAndRefuseBadValues() {
        HttpSettings s = HttpSettings.from(Map.of(HttpSettings.PORT, "9000", HttpSettings.MAX_BODY_BYTES, "2048",
                HttpSettings.EXECUTE_MAX_ATTEMPTS, "3", "unrelated.key", "x"));
        assertEquals(9000, s.port());
        assertEquals(2048, s.maxBodyBytes());
        assertEquals(3, s.executeMaxAttempts());
        assertEquals(HttpSettings.DEFAULTS.maxCommands(), s.maxCommands());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HttpSettings.from(Map.of(HttpSettings.MAX_COMMANDS, "0")));
        assertEquals("http.max-commands-per-request must be in 1..1000000, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> HttpSettings.from(Map.of(HttpSettings.PORT, "eighty")));
        assertEquals("http.port must be an integer, got 'eighty'", e.getMessage());
        HttpSettings capped = HttpSettings.DEFAULTS.cappedAt(100, 200);
        assertEquals(100, capped.maxKeyBytes());
        assertEquals(200, capped.maxValueBytes());
        assertEquals(HttpSettings.KEYS.size(), HttpSettings.class.getRecordComponents().length);
    }

    /** Delegates everything to a real service; subclasses change one answer. */
    static class ForwardingService implements CommandService {
        private final CommandService delegate;

        ForwardingService(CommandService delegate) {
            this.delegate = delegate;
        }

        @Override
        public CompletableFuture<Reply> execute(byte[][] argv) {
            return delegate.execute(argv);
        }

        @Override
        public CompletableFuture<Long> watchToken(byte[] key) {
            return delegate.watchToken(key);
        }

        @Override
        public CompletableFuture<Reply> exec(List<byte[][]> commands, List<Watch> watches) {
            return delegate.exec(commands, watches);
        }

        @Override
        public long approximateKeyCount() {
            return delegate.approximateKeyCount();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
