package io.cairn.commands.tx;

import static io.cairn.commands.support.Replies.argv;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.clock.Clock;
import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.api.reply.Errors;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.api.service.Session;
import io.cairn.commands.LocalCommandService;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link TransactionRunner} against a real single-node service ({@link LocalCommandService} over the
 * in-memory engine): typed results, all-or-nothing when an incr fails among writes, cas mismatches,
 * conditions and branches, consistent reads, bounded optimistic attempts under writes that land
 * between the probe and the commit, service failures and deadlines, and concurrent transfers that
 * never tear.
 */
@Timeout(60)
class TransactionRunnerTest {
    static final int MAX_ATTEMPTS = 4;

    private final StorageEngine engine = StorageEngines.open("memory", null, Map.of());
    private final LocalCommandService service = new LocalCommandService(engine, 4, Clock.SYSTEM,
            new HybridLogicalClock(Clock.SYSTEM, 1000), new LocalCommandService.Options(0, 10));
    private final LongAdder retries = new LongAdder();
    private final TransactionRunner runner = new TransactionRunner(service, MAX_ATTEMPTS, retries::increment);

    @AfterEach
    void tearDown() {
        service.close();
        engine.close();
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Reply direct(String... args) {
        return service.execute(argv(args)).join();
    }

    private String value(String key) {
        Reply r = direct("GET", key);
        return r instanceof Reply.Bulk bulk ? bulk.utf8() : null;
    }

    static TxOutcome await(CompletableFuture<TxOutcome> outcome) {
        try {
            return outcome.get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("the runner's future failed or hung; it must always complete with an outcome", e);
        }
    }

    private TxOutcome run(TxOp... ops) {
        return await(runner.run(List.of(ops), TxContext.unbounded()));
    }

    static TxOutcome.Completed completed(TxOutcome outcome) {
        return assertInstanceOf(TxOutcome.Completed.class, outcome, () -> "outcome " + outcome);
    }

    static TxOp.Set set(String key, String value) {
        return new TxOp.Set(b(key), b(value), 0);
    }

    static TxOp.Incr incr(String key, long by) {
        return new TxOp.Incr(b(key), by);
    }

    static TxOp.Cas cas(String key, String expected, String value) {
        return new TxOp.Cas(b(key), expected == null ? null : b(expected), b(value), 0);
    }

    static TxOp.Get get(String key) {
        return new TxOp.Get(b(key));
    }

    // ------------------------------------------------------------------------------------------ results

    @Test
    void operationsRunAsOneBlockWithTypedResults() {
        direct("SET", "{t}c", "old");
        TxOutcome.Completed done = completed(run(set("{t}a", "1"), get("{t}a"), incr("{t}n", 5),
                new TxOp.Delete(b("{t}missing")), cas("{t}c", "old", "new"), cas("{t}c", "zzz", "other"),
                cas("{t}fresh", null, "created"), get("{t}nothing"), new TxOp.Set(b("{t}ttl"), b("v"), 60_000)));
        List<TxResult> r = done.results();
        assertEquals(9, r.size());
        assertEquals(TxResult.Written.INSTANCE, r.get(0));
        assertArrayEquals(b("1"), ((TxResult.Value) r.get(1)).value());
        assertEquals(new TxResult.Incremented(5), r.get(2));
        assertEquals(new TxResult.Deleted(false), r.get(3));
        TxResult.Compared swapped = (TxResult.Compared) r.get(4);
        assertTrue(swapped.swapped());
        assertArrayEquals(b("old"), swapped.previous());
        TxResult.Compared mismatch = (TxResult.Compared) r.get(5);
        assertFalse(mismatch.swapped());
        assertArrayEquals(b("new"), mismatch.previous(), "a mismatch reports what is there instead");
        assertTrue(((TxResult.Compared) r.get(6)).swapped());
        assertNull(((TxResult.Value) r.get(7)).value());
        assertTrue(done.conditionsHeld());
        assertEquals(1, done.attempts());
        assertEquals("new", value("{t}c"));
        assertEquals("created", value("{t}fresh"));
        long pttl = ((Reply.Int) direct("PTTL", "{t}ttl")).value();
        assertTrue(pttl > 50_000 && pttl <= 60_000, "ttl in ms: " + pttl);
        assertEquals(0, retries.sum());
    }

    // ------------------------------------------------------------------------------------------ all or nothing

    @Test
    void anIncrOfANonIntegerAmongWritesAppliesNothing() {
        direct("SET", "bad:n", "abc");
        TxOutcome o = run(set("bad:other", "written?"), incr("bad:ok", 1), incr("bad:n", 1));
        assertEquals(new TxOutcome.DataConflict(TxOutcome.Branch.SUCCESS, 2, Errors.NOT_INTEGER), o);
        assertNull(value("bad:other"));
        assertNull(value("bad:ok"));
        assertEquals("abc", value("bad:n"));

        // A value the request itself makes non-numeric counts too.
        o = run(set("bad:m", "1"), set("bad:m", "x1"), incr("bad:m", 1));
        assertEquals(new TxOutcome.DataConflict(TxOutcome.Branch.SUCCESS, 2, Errors.NOT_INTEGER), o);
        assertNull(value("bad:m"));

        // Overflow, made by an earlier incr of the same request.
        direct("SET", "bad:big", Long.toString(Long.MAX_VALUE - 5));
        o = run(incr("bad:big", 5), incr("bad:big", 1));
        assertEquals(new TxOutcome.DataConflict(TxOutcome.Branch.SUCCESS, 1, Errors.OVERFLOW), o);
        assertEquals(Long.toString(Long.MAX_VALUE - 5), value("bad:big"));
    }

    @Test
    void aLoneIncrRunsInOneExecAndFailsAlone() {
        direct("SET", "lone", "abc");
        // One write: no probe is needed, the block itself reports the failure and nothing else was written.
        TxOutcome o = run(get("lone"), incr("lone", 1));
        assertEquals(new TxOutcome.OperationFailed(TxOutcome.Branch.SUCCESS, 1, Errors.NOT_INTEGER), o);
        assertEquals("abc", value("lone"));
        assertEquals(new TxResult.Incremented(8), completed(run(incr("lone:ok", 8))).results().get(0));
    }

    @Test
    void aCasMismatchIsNoFailureAndTheReplayFollowsWhatCasDoes() {
        direct("SET", "{c}k", "old");
        TxOutcome.Completed done = completed(run(cas("{c}k", "other", "new"), set("{c}x", "1"), incr("{c}n", 1)));
        assertFalse(((TxResult.Compared) done.results().get(0)).swapped());
        assertArrayEquals(b("old"), ((TxResult.Compared) done.results().get(0)).previous());
        assertEquals("old", value("{c}k"));
        assertEquals("1", value("{c}x"), "the other writes of the request applied");
        assertEquals("1", value("{c}n"));

        // A cas that swaps in a number lets a later incr of the same key run ...
        direct("SET", "{c}m", "abc");
        done = completed(run(cas("{c}m", "abc", "41"), incr("{c}m", 1), set("{c}y", "1")));
        assertTrue(((TxResult.Compared) done.results().get(0)).swapped());
        assertEquals(new TxResult.Incremented(42), done.results().get(1));
        // ... and one that does not swap leaves the non-number there: refused, nothing applied.
        direct("SET", "{c}m", "abc");
        TxOutcome o = run(cas("{c}m", "zzz", "41"), incr("{c}m", 1), set("{c}z", "1"));
        assertEquals(new TxOutcome.DataConflict(TxOutcome.Branch.SUCCESS, 1, Errors.NOT_INTEGER), o);
        assertNull(value("{c}z"));
        assertEquals("abc", value("{c}m"));
    }

    // ------------------------------------------------------------------------------------------ conditions, reads

    @Test
    void conditionsChooseTheBranchOnOneConsistentState() {
        direct("SET", "{e}a", "10");
        TxOutcome.Snapshot snapshot = ((TxOutcome.Read) await(runner.read(List.of(b("{e}a"), b("{e}none")),
                TxContext.unbounded()))).snapshot();
        assertArrayEquals(b("10"), snapshot.values().get(0));
        assertNull(snapshot.values().get(1));
        long version = snapshot.version(0);
        assertTrue(version > 0, "a live record's version is positive: " + version);
        assertEquals(0, snapshot.version(1), "an absent key is at version 0");

        TxOutcome.Completed ok = completed(await(runner.run(
                List.of(TxCondition.versionEquals(b("{e}a"), version), TxCondition.valueEquals(b("{e}a"), b("10")),
                        TxCondition.absent(b("{e}b"))),
                List.of(set("{e}b", "created"), incr("{e}a", -3)), List.of(set("{e}failed", "yes")),
                TxContext.unbounded())));
        assertTrue(ok.conditionsHeld());
        assertEquals(new TxResult.Incremented(7), ok.results().get(1));
        assertEquals("created", value("{e}b"));

        // {e}b exists now: the failure branch runs and reports its own results.
        TxOutcome.Completed no = completed(await(runner.run(List.of(TxCondition.absent(b("{e}b"))),
                List.of(set("{e}a", "0")), List.of(get("{e}a"), set("{e}failed", "yes")), TxContext.unbounded())));
        assertFalse(no.conditionsHeld());
        assertEquals(2, no.results().size());
        assertArrayEquals(b("7"), ((TxResult.Value) no.results().get(0)).value());
        assertEquals("yes", value("{e}failed"));
        assertEquals("7", value("{e}a"));

        // Conditions alone: a consistent check that writes nothing. The increment moved the version on.
        TxOutcome.Completed check = completed(await(runner.run(List.of(TxCondition.present(b("{e}a")),
                TxCondition.versionEquals(b("{e}a"), version)), List.of(), List.of(), TxContext.unbounded())));
        assertFalse(check.conditionsHeld());
        assertEquals(List.of(), check.results());

        // The failure branch's increment is replayed too: refused, nothing applied.
        direct("SET", "{e}text", "abc");
        TxOutcome refused = await(runner.run(List.of(TxCondition.absent(b("{e}a"))), List.of(),
                List.of(set("{e}c", "1"), incr("{e}text", 1)), TxContext.unbounded()));
        assertEquals(new TxOutcome.DataConflict(TxOutcome.Branch.FAILURE, 1, Errors.NOT_INTEGER), refused);
        assertNull(value("{e}c"));
    }

    @Test
    void onePartitionMeansOneKeyOrOneHashTag() {
        assertTrue(TransactionRunner.onePartition(List.of(b("a"))));
        assertTrue(TransactionRunner.onePartition(List.of(b("a"), b("a"))));
        assertTrue(TransactionRunner.onePartition(List.of(b("{u1}a"), b("x{u1}b"), b("{u1}"))));
        assertFalse(TransactionRunner.onePartition(List.of(b("a1"), b("a2"))));
        assertFalse(TransactionRunner.onePartition(List.of(b("{u1}a"), b("{u2}a"))));
        assertFalse(TransactionRunner.onePartition(List.of(b("{}a"), b("{}b"))), "an empty tag is no tag");
    }

    @Test
    void invalidInputIsRefusedBeforeAnythingRuns() {
        assertThrows(IllegalArgumentException.class, () -> new TxOp.Get(new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new TxOp.Set(b("k"), b("v"), -1));
        assertThrows(IllegalArgumentException.class, () -> new TxOp.Set(b("k"), b("v"), TxOp.MAX_TTL_MILLIS + 1));
        assertThrows(IllegalArgumentException.class, () -> TxCondition.versionEquals(b("k"), 0));
        assertThrows(IllegalArgumentException.class, () -> new TransactionRunner(service, 0, () -> { }));
        assertThrows(IllegalArgumentException.class, () -> runner.run(List.of(), TxContext.unbounded()));
        assertThrows(IllegalArgumentException.class, () -> runner.read(List.of(), TxContext.unbounded()));
    }

    // ------------------------------------------------------------------------------------------ failures

    @Test
    void aClosedServiceIsUnavailableOnEveryPath() {
        service.close();
        List<List<TxOp>> requests = List.of(List.of(set("a", "1")), List.of(set("{x}a", "1"), incr("{x}n", 1)));
        for (List<TxOp> ops : requests) {
            TxOutcome.Unavailable u = assertInstanceOf(TxOutcome.Unavailable.class,
                    await(runner.run(ops, TxContext.unbounded())));
            assertInstanceOf(IllegalStateException.class, u.cause());
            assertTrue(u.cause().getMessage().contains("closed"), u.cause().getMessage());
        }
        assertInstanceOf(TxOutcome.Unavailable.class, await(runner.read(List.of(b("a")), TxContext.unbounded())));
    }

    /** A context whose deadline is {@code nanos} from now, bounding futures like the gRPC call scope does. */
    record Deadline(long deadlineNanos) implements TxContext {
        static Deadline in(long nanos) {
            return new Deadline(System.nanoTime() + nanos);
        }

        @Override
        public Session session() {
            return Session.defaults();
        }

        @Override
        public <T> CompletableFuture<T> bound(CompletableFuture<T> future) {
            long remaining = remainingNanos();
            return remaining <= 0 ? CompletableFuture.failedFuture(new TimeoutException("deadline passed"))
                    : future.copy().orTimeout(remaining, TimeUnit.NANOSECONDS);
        }

        @Override
        public long remainingNanos() {
            return deadlineNanos - System.nanoTime();
        }
    }

    @Test
    void aPassedDeadlineEndsTheRequestWithATimeoutAndAppliesNothing() {
        TxOutcome o = await(runner.run(List.of(set("{d}a", "1"), incr("{d}n", 1)), Deadline.in(-1)));
        assertInstanceOf(TimeoutException.class, assertInstanceOf(TxOutcome.Unavailable.class, o).cause());
        assertNull(value("{d}a"));
        // With time left, the same request commits (with the session's consistency).
        completed(await(runner.run(List.of(set("{d}a", "1"), incr("{d}n", 1)), Deadline.in(TimeUnit.SECONDS.toNanos(10)))));
        assertEquals("1", value("{d}n"));
    }

    // ------------------------------------------------------------------------------------------ contention

    /**
     * The real service, with a concurrent writer that increments the first watched key right before
     * chosen EXECs that watch keys: a write landing between the probe and the commit.
     */
    static final class Intruder implements CommandService {
        final CommandService real;
        /** How many more EXECs with writes to intrude on; probes (read-only EXECs) are intruded on only if {@link #probes}. */
        final AtomicInteger commitsLeft;
        final boolean probes;
        final AtomicInteger intrusions = new AtomicInteger();

        Intruder(CommandService real, int commits, boolean probes) {
            this.real = real;
            this.commitsLeft = new AtomicInteger(commits);
            this.probes = probes;
        }

        @Override
        public CompletableFuture<Reply> exec(List<byte[][]> commands, List<Watch> watches) {
            boolean probe = commands.stream().allMatch(c -> new String(c[0], StandardCharsets.US_ASCII).equals("GET"));
            if (!watches.isEmpty() && (probe ? probes : commitsLeft.getAndDecrement() > 0)) {
                real.execute(new byte[][] {b("INCR"), watches.get(0).key()}).join();
                intrusions.incrementAndGet();
            }
            return real.exec(commands, watches);
        }

        @Override
        public CompletableFuture<Reply> execute(byte[][] argv) {
            return real.execute(argv);
        }

        @Override
        public CompletableFuture<Long> watchToken(byte[] key) {
            return real.watchToken(key);
        }

        @Override
        public long approximateKeyCount() {
            return real.approximateKeyCount();
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aWriteBetweenProbeAndCommitStartsTheRequestOver() {
        Intruder intruder = new Intruder(service, 1, false);
        TransactionRunner contended = new TransactionRunner(intruder, MAX_ATTEMPTS, retries::increment);
        TxOutcome.Completed done = completed(await(contended.run(List.of(incr("{w}a", -1), incr("{w}b", 1)),
                TxContext.unbounded())));
        assertEquals(2, done.attempts(), "the first commit was aborted by the intruding write");
        assertEquals(1, retries.sum());
        assertEquals(1, intruder.intrusions.get());
        // The intruder's +1 and the transfer's -1: the commit ran on the state the second probe saw.
        assertEquals(List.of(new TxResult.Incremented(0), new TxResult.Incremented(1)), done.results());
    }

    @Test
    void keysThatKeepChangingEndInConflictAfterExactlyMaxAttemptsWithNothingApplied() {
        for (boolean probes : new boolean[] {false, true}) {
            retries.reset();
            String a = "{k" + probes + "}a";
            String other = "{k" + probes + "}other";
            Intruder intruder = new Intruder(service, Integer.MAX_VALUE, probes);
            TransactionRunner contended = new TransactionRunner(intruder, MAX_ATTEMPTS, retries::increment);
            TxOutcome o = await(contended.run(List.of(incr(a, 10), set(other, "x")), TxContext.unbounded()));
            assertEquals(new TxOutcome.Conflict(MAX_ATTEMPTS), o);
            assertEquals(MAX_ATTEMPTS - 1, retries.sum(), "one retry per attempt started over");
            assertEquals(MAX_ATTEMPTS, intruder.intrusions.get(), "every attempt ran into a write, and no more ran");
            assertEquals(Integer.toString(MAX_ATTEMPTS), value(a), "only the intruder's increments applied");
            assertNull(value(other));
        }
        // A read whose key keeps changing gives up alike.
        Intruder intruder = new Intruder(service, 0, true);
        TxOutcome read = await(new TransactionRunner(intruder, 2, () -> { }).read(List.of(b("{r}a")), TxContext.unbounded()));
        assertEquals(new TxOutcome.Conflict(2), read);
    }

    @Test
    void concurrentTransfersNeverTearAndEveryCommitCounts() throws Exception {
        final int writers = 4;
        final int transfersPerWriter = 60;
        final int readerRounds = 300;
        final long total = 1_000;
        direct("SET", "{acct}a", Long.toString(total));
        direct("SET", "{acct}b", "0");
        AtomicInteger committed = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                work.add(pool.submit(() -> {
                    for (int i = 0; i < transfersPerWriter; i++) {
                        TxOutcome o = await(runner.run(List.of(incr("{acct}a", -1), incr("{acct}b", 1),
                                set("{acct}last", "t")), TxContext.unbounded()));
                        switch (o) {
                            case TxOutcome.Completed done -> {
                                assertTrue(done.attempts() >= 1 && done.attempts() <= MAX_ATTEMPTS, "attempts " + done);
                                committed.incrementAndGet();
                            }
                            case TxOutcome.Conflict c -> {
                                assertEquals(MAX_ATTEMPTS, c.attempts());
                                conflicts.incrementAndGet();
                            }
                            default -> throw new AssertionError("unexpected outcome " + o);
                        }
                    }
                    return null;
                }));
            }
            work.add(pool.submit(() -> {
                for (int i = 0; i < readerRounds; i++) {
                    Reply r = service.exec(List.of(argv("GET", "{acct}a"), argv("GET", "{acct}b")), List.of()).join();
                    List<Reply> both = ((Reply.Array) r).items();
                    long sum = Long.parseLong(((Reply.Bulk) both.get(0)).utf8())
                            + Long.parseLong(((Reply.Bulk) both.get(1)).utf8());
                    assertEquals(total, sum, "a reader saw half a transfer");
                }
                return null;
            }));
            for (Future<?> f : work) {
                f.get(50, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(writers * transfersPerWriter, committed.get() + conflicts.get());
        assertEquals(Long.toString(total - committed.get()), value("{acct}a"));
        assertEquals(Long.toString(committed.get()), value("{acct}b"));
        assertTrue(retries.sum() <= (long) writers * transfersPerWriter * (MAX_ATTEMPTS - 1),
                "retries are bounded by the attempts: " + retries.sum());
        System.out.printf("transfers committed %d, conflicts %d, retries %d%n", committed.get(), conflicts.get(),
                retries.sum());
    }
}
