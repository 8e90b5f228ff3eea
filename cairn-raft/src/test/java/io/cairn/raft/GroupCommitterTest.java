package io.cairn.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import io.cairn.raft.codec.Command;
import io.cairn.raft.codec.CommandCodec;
import io.cairn.raft.codec.ReplyCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class GroupCommitterTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final java.util.concurrent.ExecutorService completions = Executors.newFixedThreadPool(2);

    @AfterEach
    void stop() {
        timer.shutdownNow();
        completions.shutdownNow();
    }

    /** A sender that records batches and answers each command with its own version, when released. */
    private static final class ManualSender implements BytesSender {
        final ConcurrentLinkedQueue<List<Command>> sent = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<CompletableFuture<byte[]>> pending = new ConcurrentLinkedQueue<>();
        final List<CompletableFuture<byte[]>> answers = new ArrayList<>();

        @Override
        public synchronized CompletableFuture<byte[]> send(byte[] encoded) {
            List<Command> batch = CommandCodec.decode(encoded);
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            // The reply to give when released, recorded before the batch becomes visible: a test that
            // sees it in sent may call releaseAll (unsynchronized) at once.
            replies.put(f, ReplyCodec.encode(batch.stream().map(c -> (Reply) Reply.integer(c.version())).toList()));
            answers.add(f);
            pending.add(f);
            sent.add(batch);
            return f;
        }

        final java.util.Map<CompletableFuture<byte[]>, byte[]> replies = new java.util.concurrent.ConcurrentHashMap<>();

        void releaseAll() {
            for (CompletableFuture<byte[]> f; (f = pending.poll()) != null; ) {
                f.complete(replies.get(f));
            }
        }
    }

    /** The test senders answer bytes only; the log index is not what these tests are about. */
    interface BytesSender {
        CompletableFuture<byte[]> send(byte[] encoded);
    }

    private GroupCommitter committer(BytesSender bytes, int maxCommands, int maxInFlight, int maxPending,
                                     long waitMicros) {
        AtomicLong clock = new AtomicLong(1000);
        GroupCommitter.Sender sender = encoded -> bytes.send(encoded).thenApply(b -> new GroupCommitter.Sent(b, 0));
        return new GroupCommitter("test", sender, clock::incrementAndGet, v -> v * 10, timer, completions,
                maxCommands, 1 << 20, maxInFlight, waitMicros, maxPending);
    }

    private static GroupCommitter.Template cmd(String key) {
        return RaftNode.execute(new byte[][] {"SET".getBytes(), key.getBytes(), "v".getBytes()});
    }

    @Test
    void sendsAtOnceWhileSlotsAreFreeThenCoalesces() throws Exception {
        ManualSender sender = new ManualSender();
        GroupCommitter c = committer(sender, 100, 1, 10_000, 0);
        List<CompletableFuture<Reply>> futures = new ArrayList<>();
        futures.add(c.submit(cmd("first")));
        assertEquals(1, sender.sent.size(), "the first command leaves immediately");
        for (int i = 0; i < 250; i++) {
            futures.add(c.submit(cmd("k" + i)));
        }
        assertEquals(1, sender.sent.size(), "the rest waits for the in-flight entry");
        // Each release lets the queued commands out in batches of at most 100.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (futures.stream().anyMatch(f -> !f.isDone()) && System.nanoTime() < deadline) {
            sender.releaseAll();
            Thread.sleep(5);
        }
        for (CompletableFuture<Reply> f : futures) {
            assertInstanceOf(Reply.Int.class, f.get(10, TimeUnit.SECONDS));
        }
        List<Integer> sizes = sender.sent.stream().map(List::size).toList();
        assertEquals(List.of(1, 100, 100, 50), sizes);
        // Versions are assigned in submission order and grow along the send order; now = f(version).
        long previous = 0;
        for (List<Command> batch : sender.sent) {
            for (Command command : batch) {
                assertTrue(command.version() > previous);
                assertEquals(command.version() * 10, command.nowMillis());
                previous = command.version();
            }
        }
        // Every caller got the reply of its own command.
        for (int i = 1; i < futures.size(); i++) {
            assertTrue(((Reply.Int) futures.get(i).get()).value() > ((Reply.Int) futures.get(i - 1).get()).value());
        }
        assertEquals(4, c.stats()[0]);
        assertEquals(251, c.stats()[1]);
    }

    @Test
    void refusesBeyondMaxPending() throws Exception {
        ManualSender sender = new ManualSender();
        GroupCommitter c = committer(sender, 10, 1, 20, 0);
        c.submit(cmd("in-flight"));
        List<CompletableFuture<Reply>> queued = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            queued.add(c.submit(cmd("q" + i)));
        }
        CompletableFuture<Reply> refused = c.submit(cmd("one-too-many"));
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> refused.get(1, TimeUnit.SECONDS));
        assertInstanceOf(RejectedExecutionException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains(RaftConfig.BATCH_MAX_PENDING));
        c.close();
        for (CompletableFuture<Reply> f : queued) {
            org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> f.get(1, TimeUnit.SECONDS));
        }
    }

    @Test
    void senderFailureFailsTheWholeBatchAndLaterBatchesStillGo() throws Exception {
        AtomicLong calls = new AtomicLong();
        BytesSender flaky = encoded -> {
            List<Command> batch = CommandCodec.decode(encoded);
            if (calls.incrementAndGet() == 1) {
                return CompletableFuture.failedFuture(new java.io.IOException("no leader"));
            }
            return CompletableFuture.completedFuture(ReplyCodec.encode(batch.stream().map(x -> (Reply) Reply.OK).toList()));
        };
        GroupCommitter c = committer(flaky, 10, 1, 100, 0);
        CompletableFuture<Reply> first = c.submit(cmd("a"));
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> first.get(5, TimeUnit.SECONDS));
        assertInstanceOf(java.io.IOException.class, e.getCause());
        assertEquals(Reply.OK, c.submit(cmd("b")).get(5, TimeUnit.SECONDS));
    }

    @Test
    void lingerWaitsForCompanyButNotForever() throws Exception {
        ManualSender sender = new ManualSender();
        GroupCommitter c = committer(sender, 100, 4, 1000, 20_000);
        CompletableFuture<Reply> a = c.submit(cmd("a"));
        CompletableFuture<Reply> b = c.submit(cmd("b"));
        assertEquals(0, sender.sent.size(), "held back for up to 20 ms");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (sender.sent.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(List.of(2), sender.sent.stream().map(List::size).toList());
        sender.releaseAll();
        assertInstanceOf(Reply.Int.class, a.get(5, TimeUnit.SECONDS));
        assertInstanceOf(Reply.Int.class, b.get(5, TimeUnit.SECONDS));
    }

    /**
     * The Ratis client completes futures while holding its own lock and takes that lock in send;
     * a committer that sent under its own lock deadlocked against it. Model that lock here.
     */
    @Test
    void noDeadlockWithASenderThatCompletesUnderItsOwnLock() throws Exception {
        Object clientLock = new Object();
        java.util.concurrent.ExecutorService network = Executors.newFixedThreadPool(2);
        try {
            BytesSender sender = encoded -> {
                synchronized (clientLock) {
                    List<Command> batch = CommandCodec.decode(encoded);
                    CompletableFuture<byte[]> f = new CompletableFuture<>();
                    network.execute(() -> {
                        synchronized (clientLock) {
                            f.complete(ReplyCodec.encode(batch.stream().map(x -> (Reply) Reply.OK).toList()));
                        }
                    });
                    return f;
                }
            };
            GroupCommitter c = committer(sender, 8, 2, 100_000, 0);
            List<Thread> threads = new ArrayList<>();
            ConcurrentLinkedQueue<CompletableFuture<Reply>> futures = new ConcurrentLinkedQueue<>();
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    for (int i = 0; i < 2000; i++) {
                        futures.add(c.submit(cmd("k" + i)));
                    }
                });
                th.start();
                threads.add(th);
            }
            for (Thread th : threads) {
                th.join();
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            assertEquals(8000, futures.size());
            assertEquals(8000, c.stats()[1]);
            assertTrue(c.stats()[0] < 8000, "some coalescing expected");
        } finally {
            network.shutdownNow();
        }
    }
}
