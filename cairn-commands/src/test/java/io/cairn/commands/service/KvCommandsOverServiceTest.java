package io.cairn.commands.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.api.clock.ManualClock;
import io.cairn.api.kv.BatchOp;
import io.cairn.api.kv.BatchResult;
import io.cairn.api.kv.InvalidKeyException;
import io.cairn.api.kv.KvCommands;
import io.cairn.api.kv.KvLimits;
import io.cairn.api.kv.ScanPage;
import io.cairn.api.kv.ScanRequest;
import io.cairn.api.kv.ShuttingDownException;
import io.cairn.api.kv.ValueTooLargeException;
import io.cairn.api.reply.Reply;
import io.cairn.commands.LocalCommandService;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shared KeyValue translation ({@link KvCommands}) against the real command executor: what an
 * embedded node will run. Server-side limits are smaller than the client-side ones on purpose, so
 * the server's own errors must map to the same exceptions the client-side checks throw.
 */
@Timeout(30)
class KvCommandsOverServiceTest {
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private final StorageEngine engine = StorageEngines.open("memory", null,
            Map.of("storage.max-value-bytes", "16", "storage.max-key-bytes", "8"));
    private final LocalCommandService service = new LocalCommandService(engine, 4, clock,
            new HybridLogicalClock(clock, 1000), new LocalCommandService.Options(0, 10));
    private final KvCommands kv = KvCommands.DEFAULT;

    @AfterEach
    void tearDown() {
        service.close();
        engine.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Reply run(byte[][] argv) {
        return service.execute(argv).join();
    }

    @Test
    void getPutDeleteCompareAndSet() {
        assertNull(KvCommands.decodeGet(run(kv.get(b("k")))));
        assertTrue(KvCommands.decodeCompareAndSet(run(kv.compareAndSet(b("k"), null, b("v1"), null))),
                "absent → set");
        assertFalse(KvCommands.decodeCompareAndSet(run(kv.compareAndSet(b("k"), null, b("v2"), null))),
                "present, expected absent → not set");
        assertTrue(KvCommands.decodeCompareAndSet(run(kv.compareAndSet(b("k"), b("v1"), b("v2"), null))));
        assertFalse(KvCommands.decodeCompareAndSet(run(kv.compareAndSet(b("k"), b("v1"), b("v3"), null))));
        assertArrayEquals(b("v2"), KvCommands.decodeGet(run(kv.get(b("k")))));
        KvCommands.decodePut(run(kv.put(b("k"), b("v4"), Duration.ofMillis(100))));
        clock.advance(101);
        assertNull(KvCommands.decodeGet(run(kv.get(b("k")))));
        KvCommands.decodePut(run(kv.put(b("k"), b("v"), null)));
        assertTrue(KvCommands.decodeDelete(run(kv.delete(b("k")))));
        assertFalse(KvCommands.decodeDelete(run(kv.delete(b("k")))));
    }

    @Test
    void serverLimitsMapToTheSameExceptionsAsClientChecks() {
        CompletableFuture<Void> big = KvCommands.decode(service.execute(kv.put(b("k"), new byte[17], null)),
                KvCommands::decodePut, true);
        assertInstanceOf(ValueTooLargeException.class, big.exceptionNow());
        CompletableFuture<byte[]> longKey = KvCommands.decode(
                service.execute(new KvCommands(KvLimits.DEFAULT).put(b("123456789"), b("v"), null)),
                r -> { KvCommands.decodePut(r); return null; }, true);
        assertInstanceOf(InvalidKeyException.class, longKey.exceptionNow());
    }

    @Test
    void scanWithPrefixPagesThroughEveryKeyOnce() {
        for (int i = 0; i < 300; i++) {
            KvCommands.decodePut(run(kv.put(b("p*" + i), b("v"), null)));
            KvCommands.decodePut(run(kv.put(b("q" + i), b("v"), null)));
        }
        Set<String> seen = new HashSet<>();
        ScanRequest req = ScanRequest.prefix("p*").withCount(50);
        int pages = 0;
        while (true) {
            ScanPage page = KvCommands.decodeScan(run(kv.scan(req)));
            page.keys().forEach(k -> seen.add(new String(k, StandardCharsets.UTF_8)));
            pages++;
            if (page.done()) {
                break;
            }
            req = req.withCursor(page.nextCursor());
        }
        assertEquals(300, seen.size());
        assertTrue(seen.stream().allMatch(k -> k.startsWith("p*")), "the '*' of the prefix matched literally");
        assertTrue(pages > 1);
    }

    @Test
    void atomicBatchRunsAsOneExec() {
        List<BatchOp> ops = List.of(BatchOp.put("{t}a", "1"), BatchOp.compareAndSet("{t}a", "1", "2"),
                BatchOp.get("{t}a"), BatchOp.delete("{t}b"));
        assertTrue(KvCommands.atomic(ops));
        Reply exec = service.exec(kv.batch(ops), List.of()).join();
        List<BatchResult> results = KvCommands.decodeExec(ops, exec);
        assertEquals(new BatchResult.Written(), results.get(0));
        assertEquals(new BatchResult.Swapped(true), results.get(1));
        assertArrayEquals(b("2"), ((BatchResult.Value) results.get(2)).value());
        assertEquals(new BatchResult.Deleted(false), results.get(3));
    }

    @Test
    void aClosedServiceIsShuttingDown() {
        service.close();
        CompletableFuture<byte[]> get = KvCommands.decode(service.execute(kv.get(b("k"))), KvCommands::decodeGet, false);
        assertInstanceOf(ShuttingDownException.class, get.exceptionNow());
    }
}
