package io.cairn.server.embedded;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.consistency.ReadConsistency;
import io.cairn.api.consistency.WriteConsistency;
import io.cairn.api.kv.BatchOp;
import io.cairn.api.kv.BatchResult;
import io.cairn.api.kv.CairnException;
import io.cairn.api.kv.CallOptions;
import io.cairn.api.kv.Health;
import io.cairn.api.kv.InvalidKeyException;
import io.cairn.api.kv.PutOptions;
import io.cairn.api.kv.ScanPage;
import io.cairn.api.kv.ScanRequest;
import io.cairn.api.kv.ShuttingDownException;
import io.cairn.api.kv.ValueTooLargeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Three embedded nodes in one process ({@code Cairn.node}), used through the KeyValue API. */
@Timeout(120)
class EmbeddedClusterTest {
    @TempDir
    Path dir;

    private final List<CairnNode> nodes = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        nodes.addAll(EmbeddedCluster.start(dir, Map.of()));
    }

    @AfterEach
    void stop() {
        nodes.forEach(CairnNode::close);
    }

    @Test
    void oneDatabaseThroughEveryNode() throws Exception {
        CairnNode a = nodes.get(0), b = nodes.get(1), c = nodes.get(2);
        a.put("k", "v1");
        assertEquals("v1", b.get("k"));
        assertEquals("v1", c.getAsync("k").get(10, TimeUnit.SECONDS));
        assertTrue(c.compareAndSet("k", "v1", "v2"));
        assertFalse(a.compareAndSet("k", "v1", "v3"), "the expected value is stale");
        assertEquals("v2", a.get("k"));
        assertTrue(b.compareAndSet("fresh", null, "created"), "null expected = only if absent");
        assertFalse(b.compareAndSet("fresh", null, "again"));
        assertTrue(a.delete("k"));
        assertFalse(a.delete("k"));
        assertNull(c.get("k"));

        // TTL: gone after it elapses, on every node.
        b.put("short", "lived", PutOptions.ttl(Duration.ofMillis(300)));
        assertEquals("lived", a.get("short"));
        Thread.sleep(500);
        assertNull(c.get("short"));

        // FOLLOWER reads through one node see that node's callers' writes (shared session).
        CallOptions follower = CallOptions.defaults().withRead(ReadConsistency.FOLLOWER);
        for (int i = 0; i < 20; i++) {
            c.put("ryw", "x" + i);
            assertEquals("x" + i, c.get("ryw", follower));
        }
        // ALL writes complete while every replica is up.
        c.put("all".getBytes(StandardCharsets.UTF_8), "w".getBytes(StandardCharsets.UTF_8),
                new PutOptions(null, CallOptions.defaults().withWrite(WriteConsistency.ALL)));
        assertEquals("w", a.get("all"));
    }

    @Test
    void scanCoversEveryPartitionAndBatchesWork() throws Exception {
        CairnNode a = nodes.get(0);
        List<CompletableFuture<Void>> puts = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            puts.add(a.putAsync("scan:" + i, "v" + i));
        }
        CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        a.put("other", "x");
        Set<String> seen = new HashSet<>();
        ScanRequest req = ScanRequest.prefix("scan:").withCount(50).withValues(true);
        for (int pages = 0; pages < 1000; pages++) {
            ScanPage page = nodes.get(pages % 3).scan(req);
            for (ScanPage.Entry e : page.entries()) {
                String k = new String(e.key(), StandardCharsets.UTF_8);
                assertEquals("v" + k.substring(5), new String(e.value(), StandardCharsets.UTF_8));
                seen.add(k);
            }
            if (page.done()) {
                break;
            }
            req = req.withCursor(page.nextCursor());
        }
        assertEquals(300, seen.size());

        // Same hash tag: one atomic MULTI/EXEC in one partition.
        List<BatchResult> atomic = a.batch(List.of(
                new BatchOp.Put("{u1}name".getBytes(StandardCharsets.UTF_8), "ann".getBytes(StandardCharsets.UTF_8), null),
                new BatchOp.Put("{u1}mail".getBytes(StandardCharsets.UTF_8), "a@x".getBytes(StandardCharsets.UTF_8), null),
                new BatchOp.Get("{u1}name".getBytes(StandardCharsets.UTF_8))));
        assertInstanceOf(BatchResult.Value.class, atomic.get(2));
        assertArrayEquals("ann".getBytes(StandardCharsets.UTF_8), ((BatchResult.Value) atomic.get(2)).value());
        // Keys across partitions: pipelined, each op answered.
        List<BatchResult> spread = nodes.get(1).batch(List.of(
                new BatchOp.Get("scan:1".getBytes(StandardCharsets.UTF_8)),
                new BatchOp.Get("scan:2".getBytes(StandardCharsets.UTF_8)),
                new BatchOp.Get("nope".getBytes(StandardCharsets.UTF_8))));
        assertArrayEquals("v1".getBytes(StandardCharsets.UTF_8), ((BatchResult.Value) spread.get(0)).value());
        assertNull(((BatchResult.Value) spread.get(2)).value());
    }

    @Test
    void badInputAndShutdownHaveDistinctExceptions() throws Exception {
        CairnNode a = nodes.get(0);
        assertThrows(InvalidKeyException.class, () -> a.get((String) null));
        assertThrows(InvalidKeyException.class, () -> a.put("", "v"));
        assertThrows(InvalidKeyException.class, () -> a.get(new byte[70 * 1024]));
        ExecutionException async = assertThrows(ExecutionException.class,
                () -> a.getAsync(new byte[0]).get(5, TimeUnit.SECONDS));
        assertInstanceOf(InvalidKeyException.class, async.getCause());
        assertEquals(Health.Status.UP, a.health().status());
        a.put("counted", "1");
        assertTrue(a.stats().calls() > 0, "calls are counted");

        CairnNode c = nodes.get(2);
        c.close();
        c.close(); // idempotent
        assertEquals(Health.Status.DOWN, c.health().status());
        assertThrows(ShuttingDownException.class, () -> c.put("k", "v"));
        // The other two still form a majority of every group.
        a.put("after-close", "ok");
        assertEquals("ok", nodes.get(1).get("after-close"));
    }

    @Test
    void noQuorumTimesOutWithAnOutcomeUnknownWrite() {
        CairnNode a = nodes.get(0);
        nodes.get(1).close();
        nodes.get(2).close();
        CairnException e = assertThrows(CairnException.class,
                () -> a.put("k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8),
                        new PutOptions(null, CallOptions.defaults().withTimeout(Duration.ofSeconds(2)))));
        assertTrue(e.outcomeUnknown(), "a write with no quorum may or may not be applied: " + e);
    }

    @Test
    void theEnginesValueLimitSurfacesAsValueTooLarge() {
        // Values are checked against the node's storage limit (storage.max-value-bytes, 1 KiB here).
        CairnNode small = Cairn.node(io.cairn.server.ServerConfig.load(null, Map.of("port", "0"),
                List.of("storage.max-value-bytes=1024"), Map.of()));
        try {
            small.put("fits".getBytes(StandardCharsets.UTF_8), new byte[1024]);
            assertThrows(ValueTooLargeException.class, () -> small.put("big".getBytes(StandardCharsets.UTF_8), new byte[2048]));
        } finally {
            small.close();
        }
    }
}
