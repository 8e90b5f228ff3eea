package io.cairn.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.consistency.ReadConsistency;
import io.cairn.api.consistency.WriteConsistency;
import io.cairn.api.kv.BatchOp;
import io.cairn.api.kv.BatchResult;
import io.cairn.api.kv.CairnClosedException;
import io.cairn.api.kv.CairnConnectionException;
import io.cairn.api.kv.CairnServerException;
import io.cairn.api.kv.CairnTimeoutException;
import io.cairn.api.kv.CallOptions;
import io.cairn.api.kv.Health;
import io.cairn.api.kv.InvalidKeyException;
import io.cairn.api.kv.KvLimits;
import io.cairn.api.kv.PutOptions;
import io.cairn.api.kv.ScanPage;
import io.cairn.api.kv.ScanRequest;
import io.cairn.api.kv.ValueTooLargeException;
import io.cairn.server.CairnServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Assumptions;

/** CairnClient against a real single-node Cairn server over loopback. */
class CairnClientTest {
    static CairnServer server;
    static CairnClient kv;

    @BeforeAll
    static void start() throws InterruptedException {
        server = TestServers.start();
        kv = CairnClient.connect(List.of(TestServers.seed(server)));
    }

    @AfterAll
    static void stop() {
        if (kv != null) {
            kv.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    @Timeout(30)
    void getPutDelete() {
        assertNull(kv.get("gpd:missing"));
        kv.put("gpd:a", "1");
        assertEquals("1", kv.get("gpd:a"));
        kv.put("gpd:a", "2");
        assertEquals("2", kv.get("gpd:a"));
        byte[] binary = {0, (byte) 0xFF, '\r', '\n', 0};
        kv.put(b("gpd:bin"), binary);
        assertArrayEquals(binary, kv.get(b("gpd:bin")));
        kv.put(b("gpd:empty"), new byte[0]);
        assertArrayEquals(new byte[0], kv.get(b("gpd:empty")), "an empty value is a value, not null");
        assertTrue(kv.delete("gpd:a"));
        assertFalse(kv.delete("gpd:a"));
        assertNull(kv.get("gpd:a"));
    }

    @Test
    @Timeout(30)
    void compareAndSet() {
        assertFalse(kv.compareAndSet("cas:k", "x", "y"), "absent key never equals a value");
        assertNull(kv.get("cas:k"));
        assertTrue(kv.compareAndSet("cas:k", null, "v1"), "absent → set");
        assertFalse(kv.compareAndSet("cas:k", null, "v2"), "present, expected absent → not set");
        assertTrue(kv.compareAndSet("cas:k", "v1", "v2"), "match → set");
        assertFalse(kv.compareAndSet("cas:k", "v1", "v3"), "mismatch → false");
        assertEquals("v2", kv.get("cas:k"));
        assertTrue(kv.compareAndSet(b("cas:k"), b("v2"), b("v3"), PutOptions.ttl(Duration.ofMinutes(5))));
        assertEquals("v3", kv.get("cas:k"));
    }

    @Test
    @Timeout(30)
    void putWithTtlExpires() throws InterruptedException {
        kv.put("ttl:k", "v", PutOptions.ttl(Duration.ofMillis(300)));
        kv.put("ttl:keep", "v");
        assertEquals("v", kv.get("ttl:k"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (kv.get("ttl:k") != null && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertNull(kv.get("ttl:k"), "expired");
        assertEquals("v", kv.get("ttl:keep"));
        kv.put("ttl:k", "again", PutOptions.ttl(Duration.ofMinutes(1)));
        kv.put("ttl:k", "no ttl");
        Thread.sleep(50);
        assertEquals("no ttl", kv.get("ttl:k"), "a put without TTL clears the previous TTL, like SET");
    }

    @Test
    @Timeout(60)
    void scanPagesThroughAThousandKeys() {
        List<BatchOp> puts = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            puts.add(BatchOp.put("scan:" + i, "v" + i));
        }
        puts.add(BatchOp.put("other:1", "x"));
        assertTrue(kv.batch(puts).stream().allMatch(r -> r instanceof BatchResult.Written));

        Set<String> keys = new HashSet<>();
        ScanRequest req = ScanRequest.prefix("scan:").withCount(100);
        int pages = 0;
        while (true) {
            ScanPage page = kv.scan(req);
            pages++;
            page.keys().forEach(k -> keys.add(new String(k, StandardCharsets.UTF_8)));
            if (page.done()) {
                break;
            }
            req = req.withCursor(page.nextCursor());
        }
        assertEquals(1000, keys.size());
        assertTrue(keys.stream().allMatch(k -> k.startsWith("scan:")));
        assertTrue(pages >= 10, "COUNT 100 over 1000 keys takes several pages, got " + pages);

        Map<String, String> values = new HashMap<>();
        req = ScanRequest.prefix("scan:1").withCount(500).withValues(true);
        while (true) {
            ScanPage page = kv.scan(req);
            page.entries().forEach(e -> values.put(new String(e.key(), StandardCharsets.UTF_8),
                    new String(e.value(), StandardCharsets.UTF_8)));
            if (page.done()) {
                break;
            }
            req = req.withCursor(page.nextCursor());
        }
        assertEquals(111, values.size()); // scan:1, scan:10..19, scan:100..199
        values.forEach((k, v) -> assertEquals("v" + k.substring("scan:".length()), v));
    }

    @Test
    @Timeout(30)
    void batchesPipelineAndAreAtomicWithinAHashTag() {
        List<BatchResult> plain = kv.batch(List.of(BatchOp.put("batch:a", "1"), BatchOp.get("batch:a"),
                BatchOp.delete("batch:b"), BatchOp.compareAndSet("batch:a", "1", "2"),
                BatchOp.put(b("batch:big"), new byte[TestServers.MAX_VALUE_BYTES + 1])));
        assertEquals(new BatchResult.Written(), plain.get(0));
        assertArrayEquals(b("1"), ((BatchResult.Value) plain.get(1)).value());
        assertEquals(new BatchResult.Deleted(false), plain.get(2));
        assertEquals(new BatchResult.Swapped(true), plain.get(3));
        assertInstanceOf(ValueTooLargeException.class, ((BatchResult.Failed) plain.get(4)).error(),
                "a refused operation fails alone; the others of a non-atomic batch ran");
        assertEquals("2", kv.get("batch:a"));

        List<BatchResult> atomic = kv.batch(List.of(BatchOp.put("{acct}:x", "10"), BatchOp.put("{acct}:y", "20"),
                BatchOp.compareAndSet("{acct}:x", "10", "11"), BatchOp.get("{acct}:y")));
        assertEquals(List.of(new BatchResult.Written(), new BatchResult.Written(), new BatchResult.Swapped(true)),
                atomic.subList(0, 3));
        assertArrayEquals(b("20"), ((BatchResult.Value) atomic.get(3)).value());
        assertEquals(List.of(), kv.batch(List.of()));
    }

    @Test
    @Timeout(30)
    void asyncVariants() {
        CompletableFuture<Void> put = kv.putAsync(b("async:k"), b("v"));
        put.join();
        assertArrayEquals(b("v"), kv.getAsync(b("async:k")).join());
        assertEquals("v", kv.getAsync("async:k").join());
        assertTrue(kv.compareAndSetAsync(b("async:k"), b("v"), b("w")).join());
        assertFalse(kv.compareAndSetAsync("async:k", "v", "x").join());
        List<CompletableFuture<Void>> many = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            many.add(kv.putAsync("async:n" + i, Integer.toString(i)));
        }
        CompletableFuture.allOf(many.toArray(new CompletableFuture<?>[0])).join();
        assertEquals("499", kv.get("async:n499"));
        assertEquals(1, kv.batchAsync(List.of(BatchOp.get("async:n1"))).join().size());
        ScanPage page = kv.scanAsync(ScanRequest.prefix("async:n4").withCount(1000)).join();
        assertTrue(page.done());
        assertEquals(111, page.entries().size()); // async:n4, n40..n49, n400..n499
        assertTrue(kv.deleteAsync(b("async:k")).join());
        assertFalse(kv.deleteAsync("async:k").join());

        CompletableFuture<byte[]> bad = kv.getAsync(new byte[0]);
        assertInstanceOf(InvalidKeyException.class, bad.exceptionNow(), "async failures are not wrapped");
        CompletableFuture<Void> big = kv.putAsync(b("async:big"), new byte[TestServers.MAX_VALUE_BYTES + 1]);
        CompletionException joined = assertThrows(CompletionException.class, big::join);
        assertInstanceOf(ValueTooLargeException.class, joined.getCause(), "exactly one level of wrapping from join()");
        assertInstanceOf(ValueTooLargeException.class, big.exceptionNow());
    }

    @Test
    @Timeout(30)
    void invalidKeys() {
        assertThrows(InvalidKeyException.class, () -> kv.get((byte[]) null));
        assertThrows(InvalidKeyException.class, () -> kv.put((String) null, "v"));
        assertThrows(InvalidKeyException.class, () -> kv.put(new byte[0], b("v")));
        assertThrows(InvalidKeyException.class, () -> kv.delete(""));
        assertThrows(InvalidKeyException.class, () -> kv.compareAndSet("", null, "v"));
        assertThrows(InvalidKeyException.class, () -> kv.batch(List.of(BatchOp.get("ok"), BatchOp.get(""))));
        // Longer than the server's storage.max-key-bytes but within the client's default limit:
        // the server refuses, and the client reports the same exception type as its own check.
        String longKey = "k".repeat(TestServers.MAX_KEY_BYTES + 1);
        InvalidKeyException refused = assertThrows(InvalidKeyException.class, () -> kv.put(longKey, "v"));
        assertTrue(refused.getMessage().contains("storage.max-key-bytes"), refused.getMessage());
        try (CairnClient strict = CairnClient.connect(CairnClient.Config.of(List.of(TestServers.seed(server)))
                .withLimits(new KvLimits(8, 16)))) {
            InvalidKeyException local = assertThrows(InvalidKeyException.class, () -> strict.get("123456789"));
            assertEquals("key of 9 bytes exceeds the limit of 8 bytes", local.getMessage());
        }
    }

    @Test
    @Timeout(30)
    void oversizeValues() {
        kv.put(b("big:ok"), new byte[TestServers.MAX_VALUE_BYTES]);
        ValueTooLargeException refused = assertThrows(ValueTooLargeException.class,
                () -> kv.put(b("big:no"), new byte[TestServers.MAX_VALUE_BYTES + 1]));
        assertTrue(refused.getMessage().contains("exceeds maximum allowed size"), refused.getMessage());
        assertNull(kv.get("big:no"));
        assertThrows(ValueTooLargeException.class,
                () -> kv.compareAndSet(b("big:ok"), null, new byte[TestServers.MAX_VALUE_BYTES + 1]));
        try (CairnClient strict = CairnClient.connect(CairnClient.Config.of(List.of(TestServers.seed(server)))
                .withLimits(new KvLimits(64, 16)))) {
            ValueTooLargeException local = assertThrows(ValueTooLargeException.class,
                    () -> strict.put(b("big:x"), new byte[17]));
            assertEquals(17, local.valueBytes());
            assertEquals(16, local.limitBytes());
        }
    }

    @Test
    @Timeout(30)
    void closedClientFailsClearlyAndCloseIsIdempotent() {
        CairnClient c = CairnClient.connect(List.of(TestServers.seed(server)));
        c.put("closed:k", "v");
        c.close();
        c.close();
        CairnClosedException e = assertThrows(CairnClosedException.class, () -> c.get("closed:k"));
        assertEquals("this CairnClient is closed", e.getMessage());
        assertInstanceOf(CairnClosedException.class, c.putAsync(b("closed:k"), b("w")).exceptionNow());
        assertThrows(CairnClosedException.class, () -> c.awaitReady(Duration.ofSeconds(1)));
        assertEquals(Health.Status.DOWN, c.health().status());
        assertEquals("v", kv.get("closed:k"), "closing one client does not affect the server or other clients");
    }

    @Test
    @Timeout(30)
    void closeWaitsForCallsInFlight() {
        CairnClient c = CairnClient.connect(List.of(TestServers.seed(server)));
        List<CompletableFuture<Void>> puts = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            puts.add(c.putAsync("inflight:" + i, "v"));
        }
        c.close();
        for (CompletableFuture<Void> p : puts) {
            p.join(); // graceful: every call started before close completes normally
        }
        assertEquals("v", kv.get("inflight:199"));
    }

    @Test
    @Timeout(30)
    void failsOverWhenTheFirstSeedIsDead() throws Exception {
        String dead = TestServers.deadSeed();
        try (CairnClient c = CairnClient.connect(List.of(dead, TestServers.seed(server)))) {
            c.put("failover:k", "v");
            assertEquals("v", c.get("failover:k"));
            assertTrue(c.compareAndSet("failover:k", "v", "w"));
            assertTrue(c.stats().retries() >= 1, c.stats().toString());
            assertEquals(1L, c.stats().details().get("currentNode"));
            Health h = c.health();
            assertEquals(Health.Status.DEGRADED, h.status(), h.toString());
            assertEquals(TestServers.seed(server), h.details().get("node"));
        }
    }

    @Test
    @Timeout(60)
    void failsOverWhenTheCurrentNodeGoesAway() throws Exception {
        CairnServer first = TestServers.start();
        try (CairnClient c = CairnClient.connect(List.of(TestServers.seed(first), TestServers.seed(server)))) {
            c.put("moving:k", "on-first");
            assertEquals("on-first", c.get("moving:k"));
            first.close();
            // The node is gone: idempotent calls move to the next seed (the two nodes are separate
            // single-node stores here, so the data does not follow; in a cluster it would).
            c.put("moving:k", "on-second");
            assertEquals("on-second", c.get("moving:k"));
            assertEquals("on-second", kv.get("moving:k"));
            assertTrue(c.stats().details().get("failovers") >= 1);
        } finally {
            first.close();
        }
    }

    @Test
    @Timeout(30)
    void noReachableSeedIsAConnectionException() throws Exception {
        List<String> seeds = List.of(TestServers.deadSeed(), TestServers.deadSeed());
        CairnConnectionException e = assertThrows(CairnConnectionException.class, () -> CairnClient.connect(seeds));
        assertTrue(e.getMessage().contains("could not connect to any Cairn node"), e.getMessage());
        assertFalse(e.outcomeUnknown());
    }

    @Test
    @Timeout(30)
    void aHungNodeIsATimeout() throws Exception {
        try (TestServers.Silent silent = new TestServers.Silent()) {
            CairnClient.Config config = CairnClient.Config.of(List.of(silent.seed()))
                    .withTimeout(Duration.ofMillis(300));
            long start = System.nanoTime();
            CairnTimeoutException e = assertThrows(CairnTimeoutException.class, () -> CairnClient.connect(config));
            assertFalse(e.outcomeUnknown(), "nothing was sent, so nothing can have been applied");
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "the call budget bounds the wait");
        }
    }

    @Test
    @Timeout(30)
    void passwordProtectedNode() throws Exception {
        CairnServer secured = TestServers.start(Map.of("requirepass", "s3cret"));
        try {
            String seed = TestServers.seed(secured);
            try (CairnClient c = CairnClient.connect(CairnClient.Config.of(List.of(seed)).withPassword("s3cret"))) {
                c.put("auth:k", "v");
                assertEquals("v", c.get("auth:k"));
                assertFalse(c.config().toString().contains("s3cret"), "the password is never printed");
            }
            CairnConnectionException e = assertThrows(CairnConnectionException.class,
                    () -> CairnClient.connect(CairnClient.Config.of(List.of(seed)).withPassword("wrong")));
            assertFalse(e.outcomeUnknown());
        } finally {
            secured.close();
        }
    }

    @Test
    @Timeout(30)
    void awaitReadyAndHealth() {
        kv.awaitReady(Duration.ofSeconds(5));
        Health h = kv.health();
        assertEquals(Health.Status.UP, h.status(), h.toString());
        assertTrue(kv.stats().calls() > 0);
        assertEquals(CallOptions.defaults(), kv.defaultCallOptions());
    }

    @Test
    @Timeout(30)
    void perCallConsistencySwitchesTheConnectionOnlyWhenItChanges() {
        try (CairnClient c = CairnClient.connect(List.of(TestServers.seed(server)))) {
            c.put("consistency:k", "v");
            assertEquals(0L, c.stats().details().get("consistencySwitches"), "the defaults need no switch");
            CallOptions follower = CallOptions.defaults().withRead(ReadConsistency.FOLLOWER)
                    .withWrite(WriteConsistency.ALL);
            try {
                assertEquals("v", c.get("consistency:k", follower), "read-your-writes on the same connection");
            } catch (CairnServerException e) {
                Assumptions.abort("this server does not implement CLIENT CONSISTENCY: " + e.getMessage());
            }
            assertEquals(1L, c.stats().details().get("consistencySwitches"));
            c.put("consistency:k", "w", PutOptions.none().withCall(follower));
            assertEquals(1L, c.stats().details().get("consistencySwitches"), "same setting: no second switch");
            assertEquals("w", c.get("consistency:k"));
            assertEquals(2L, c.stats().details().get("consistencySwitches"), "back to the defaults");
            List<CompletableFuture<String>> mixed = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                CallOptions o = i % 2 == 0 ? CallOptions.defaults()
                        : CallOptions.defaults().withRead(ReadConsistency.STALE);
                mixed.add(KvCommandsMap.getString(c, "consistency:k", o));
            }
            mixed.forEach(f -> assertEquals("w", f.join()));
            assertEquals(1L, c.stats().details().get("connectionsOpened"), "one connection per node, whatever the mix");
        }
    }

    @Test
    @Timeout(30)
    void syncAndAsyncReportTheSameExceptionObject() {
        CompletableFuture<Void> f = kv.putAsync(b("same:k"), new byte[TestServers.MAX_VALUE_BYTES + 1]);
        ValueTooLargeException async = assertInstanceOf(ValueTooLargeException.class,
                assertThrows(CompletionException.class, f::join).getCause());
        assertSame(async, assertThrows(ValueTooLargeException.class,
                () -> io.cairn.api.kv.KvCommands.await(f)));
    }
}
