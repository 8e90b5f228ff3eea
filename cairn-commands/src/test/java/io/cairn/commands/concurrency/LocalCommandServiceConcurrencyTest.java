package io.cairn.commands.concurrency;

import static io.cairn.commands.support.Replies.argv;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.clock.Clock;
import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.commands.LocalCommandService;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Atomicity and isolation of LocalCommandService under threads (the two Netty event loops, and more). */
@Timeout(60)
class LocalCommandServiceConcurrencyTest {
    private final StorageEngine engine = StorageEngines.open("memory", null, Map.of());
    private final LocalCommandService service = new LocalCommandService(engine, 8, Clock.SYSTEM,
            new HybridLogicalClock(Clock.SYSTEM, 1000), new LocalCommandService.Options(5, 100));
    private final ExecutorService pool = Executors.newFixedThreadPool(6);

    @AfterEach
    void tearDown() throws InterruptedException {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        service.close();
        engine.close();
    }

    private Reply call(String... args) {
        // The future must already be complete: the service never hops threads.
        var f = service.execute(argv(args));
        assertTrue(f.isDone(), "completed on the caller's thread");
        return f.join();
    }

    @Test
    void concurrentIncrsLoseNothing() throws Exception {
        int threads = 6;
        int perThread = 5_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < perThread; i++) {
                    assertInstanceOf(Reply.Int.class, call("INCR", "counter"));
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : futures) {
            f.get(30, TimeUnit.SECONDS);
        }
        assertEquals(new Reply.Int(threads * perThread), call("INCRBY", "counter", "0"));
    }

    @Test
    void execTransfersKeepTheSumForConcurrentReaders() throws Exception {
        call("MSET", "acct:{x}a", "1000", "acct:{x}b", "1000");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong observations = new AtomicLong();
        AtomicLong transfers = new AtomicLong();
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            int dir = t;
            futures.add(pool.submit(() -> {
                for (int i = 0; i < 3_000; i++) {
                    String from = (i + dir) % 2 == 0 ? "acct:{x}a" : "acct:{x}b";
                    String to = from.endsWith("a") ? "acct:{x}b" : "acct:{x}a";
                    Reply r = service.exec(List.<byte[][]>of(argv("DECRBY", from, "7"), argv("INCRBY", to, "7")), List.of())
                            .join();
                    assertEquals(2, ((Reply.Array) r).items().size());
                    transfers.incrementAndGet();
                }
                return null;
            }));
        }
        for (int t = 0; t < 3; t++) {
            futures.add(pool.submit(() -> {
                while (!stop.get()) {
                    Reply.Array r = (Reply.Array) call("MGET", "acct:{x}a", "acct:{x}b");
                    long a = Long.parseLong(((Reply.Bulk) r.items().get(0)).utf8());
                    long b = Long.parseLong(((Reply.Bulk) r.items().get(1)).utf8());
                    assertEquals(2000, a + b, "MGET saw half of a transfer");
                    observations.incrementAndGet();
                }
                return null;
            }));
        }
        for (int i = 0; i < 3; i++) {
            futures.get(i).get(30, TimeUnit.SECONDS);
        }
        stop.set(true);
        for (Future<?> f : futures) {
            f.get(30, TimeUnit.SECONDS);
        }
        assertEquals(9_000, transfers.get());
        assertTrue(observations.get() > 0);
        Reply.Array r = (Reply.Array) call("MGET", "acct:{x}a", "acct:{x}b");
        assertEquals(2000, Long.parseLong(((Reply.Bulk) r.items().get(0)).utf8())
                + Long.parseLong(((Reply.Bulk) r.items().get(1)).utf8()));
    }

    @Test
    void optimisticWatchLoopsConvergeToTheExactTotal() throws Exception {
        // Classic WATCH/GET/MULTI/SET/EXEC increment: retries on conflict, never loses an update.
        byte[] key = "w".getBytes(StandardCharsets.UTF_8);
        int threads = 4;
        int perThread = 500;
        AtomicLong aborts = new AtomicLong();
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                for (int i = 0; i < perThread; i++) {
                    while (true) {
                        long token = service.watchToken(key).join();
                        Reply cur = call("GET", "w");
                        long v = cur instanceof Reply.Bulk b ? Long.parseLong(b.utf8()) : 0;
                        Reply r = service.exec(List.<byte[][]>of(argv("SET", "w", String.valueOf(v + 1))),
                                List.of(new CommandService.Watch(key, token))).join();
                        if (r != Reply.Null.ARRAY) {
                            break;
                        }
                        aborts.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
        assertEquals("2000", ((Reply.Bulk) call("GET", "w")).utf8());
    }
}
