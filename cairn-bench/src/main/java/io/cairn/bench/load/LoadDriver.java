package io.cairn.bench.load;

import io.cairn.storage.SlotHash;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a {@link BenchConfig} against a {@link Target}: {@code clients} threads, each with one
 * connection and up to {@code pipeline} operations in flight, and one reporter (the calling
 * thread) that samples the statistics every report interval for the timeline and the progress
 * listener.
 *
 * <p>Without {@code rate} a client sends its next batch as soon as the previous one completed and
 * latency runs from the send. With {@code rate} each client owns {@code rate / clients} of it on a
 * {@link FixedRateSchedule} and latency runs from each operation's intended start.
 *
 * <p>A lost connection fails the batch's unfinished operations (counted, with the reason) and the
 * client reconnects to its next server, backing off {@value #MIN_BACKOFF_MS}..{@value
 * #MAX_BACKOFF_MS} ms while none answers. The run ends when the operation budget is used, the
 * duration is over, the stop file appears, or the key format has no room for more inserts.
 */
public final class LoadDriver {
    static final long MIN_BACKOFF_MS = 20;
    static final long MAX_BACKOFF_MS = 1000;
    /** Bytes of random text each client cuts its values from. */
    private static final int VALUE_POOL_EXTRA = 4096;
    private static final long NO_DEADLINE_NANOS = TimeUnit.DAYS.toNanos(36_500);

    /** Called by the reporter after each interval. */
    @FunctionalInterface
    public interface ProgressListener {
        /** @param fractionDone 0..1 of the operation budget or duration, whichever is nearer its end */
        void interval(BenchStats.TimelinePoint point, double fractionDone, long totalSucceeded, long totalFailed);
    }

    /** A finished run. */
    public record Result(BenchConfig config, String target, long startedAtEpochMillis, long elapsedNanos,
                         BenchStats stats, String stopReason, long startNanos) {
        public double elapsedSeconds() {
            return elapsedNanos / 1e9;
        }
    }

    private final BenchConfig config;
    private final Target target;
    private final KeyFormat keys;
    private final InsertSequence inserts;
    private final AtomicLong budgetLeft;
    private final AtomicReference<String> stopReason = new AtomicReference<>();
    private volatile boolean stop;

    public LoadDriver(BenchConfig config, Target target) {
        this.config = config;
        this.target = target;
        this.keys = new KeyFormat(config.keySize());
        long start = config.workload().isLoad() ? 0 : config.records();
        long limit = config.workload().isLoad() ? config.operationBudget() : keys.capacity();
        this.inserts = new InsertSequence(start, limit, config.clients());
        long budget = config.operationBudget();
        this.budgetLeft = new AtomicLong(budget == 0 ? Long.MAX_VALUE : budget);
    }

    /**
     * Runs to the end. Probes every server first: a {@link Target.TargetException} means none of
     * the run happened.
     */
    public Result run(ProgressListener progress) throws Target.TargetException, InterruptedException {
        target.probe();
        long startEpochMillis = System.currentTimeMillis();
        long start = System.nanoTime();
        // No duration: a deadline a century away keeps `now - deadline < 0` overflow-free.
        long deadline = start + (config.durationMillis() > 0 ? TimeUnit.MILLISECONDS.toNanos(config.durationMillis()) : NO_DEADLINE_NANOS);
        int groups = config.partitions() > 0 ? config.partitions() : 1;
        BenchStats stats = new BenchStats(start, groups, config.maxTimelinePoints());
        CountDownLatch finished = new CountDownLatch(config.clients());
        AtomicLong lastClientEnd = new AtomicLong(start);
        List<Thread> threads = new ArrayList<>();
        double perClientRate = config.rate() / config.clients();
        for (int i = 0; i < config.clients(); i++) {
            Client client = new Client(i, stats, perClientRate > 0 ? new FixedRateSchedule(start, perClientRate) : null, deadline);
            Thread t = new Thread(() -> {
                try {
                    client.run();
                } finally {
                    lastClientEnd.accumulateAndGet(System.nanoTime(), Math::max);
                    finished.countDown();
                }
            }, "bench-client-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        long interval = TimeUnit.MILLISECONDS.toNanos(config.reportIntervalMillis());
        long nextTick = start + interval;
        try {
            while (!finished.await(Math.max(0, nextTick - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                long now = System.nanoTime();
                BenchStats.TimelinePoint p = stats.sample(now, true);
                // A reporter woken late (a starved machine) skips the ticks it missed rather than
                // sampling slivers of an interval back to back.
                nextTick = Math.max(nextTick + interval, now + interval / 2);
                if (config.stopFile() != null && Files.exists(config.stopFile())) {
                    requestStop("stop file " + config.stopFile() + " appeared");
                }
                if (progress != null) {
                    progress.interval(p, fractionDone(start, deadline, stats), stats.totalSucceeded(), stats.totalFailed());
                }
            }
        } catch (InterruptedException e) {
            requestStop("interrupted");
            threads.forEach(Thread::interrupt);
            throw e;
        }
        long end = lastClientEnd.get();
        // The last partial interval counts in the totals; it is a timeline point only if it is not a sliver.
        boolean sliver = end - stats.lastSampleNanos() < interval / 10;
        BenchStats.TimelinePoint last = stats.sample(end, !sliver);
        if (progress != null) {
            progress.interval(last, 1.0, stats.totalSucceeded(), stats.totalFailed());
        }
        stats.writeGaps().finish(end);
        String reason = stopReason.get();
        if (reason == null) {
            reason = budgetLeft.get() == 0 ? "operations done" : "duration reached";
        }
        return new Result(config, target.describe(), startEpochMillis, end - start, stats, reason, start);
    }

    private double fractionDone(long start, long deadline, BenchStats stats) {
        double f = 0;
        long budget = config.operationBudget();
        if (budget > 0) {
            f = (double) (stats.totalSucceeded() + stats.totalFailed()) / budget;
        }
        if (config.durationMillis() > 0) {
            f = Math.max(f, (double) (System.nanoTime() - start) / (deadline - start));
        }
        return Math.min(1.0, f);
    }

    private void requestStop(String reason) {
        stopReason.compareAndSet(null, reason);
        stop = true;
    }

    /** Takes up to {@code want} operations from the budget; 0 when it is used up. */
    private int claim(int want) {
        while (true) {
            long left = budgetLeft.get();
            if (left == 0) {
                return 0;
            }
            long n = Math.min(left, want);
            if (left == Long.MAX_VALUE || budgetLeft.compareAndSet(left, left - n)) {
                return (int) n;
            }
        }
    }

    private final class Client {
        private final int id;
        private final BenchStats stats;
        private final FixedRateSchedule schedule;
        private final long deadline;
        private final SplittableRandom random;
        private final KeyChooser chooser;
        private final byte[] valuePool;
        private final List<Operation> batch = new ArrayList<>();
        private final long[] intended;
        private final boolean[] completed;
        private long scheduleIndex;
        private Target.Connection connection;
        private int attempt;
        private long backoffMs = MIN_BACKOFF_MS;

        Client(int id, BenchStats stats, FixedRateSchedule schedule, long deadline) {
            this.id = id;
            this.stats = stats;
            this.schedule = schedule;
            this.deadline = deadline;
            this.random = new SplittableRandom(config.seed() ^ (0x9E3779B97F4A7C15L * (id + 1)));
            this.chooser = KeyChooser.of(config.effectiveDistribution(), Math.max(1, config.records()));
            this.valuePool = new byte[config.valueSize() + VALUE_POOL_EXTRA];
            for (int i = 0; i < valuePool.length; i++) {
                valuePool[i] = (byte) ('a' + random.nextInt(26));
            }
            this.intended = new long[config.pipeline()];
            this.completed = new boolean[config.pipeline()];
        }

        void run() {
            try {
                while (!stop && System.nanoTime() - deadline < 0) {
                    int want = config.pipeline();
                    if (schedule != null) {
                        if (!schedule.awaitDue(scheduleIndex, deadline) || stop) {
                            return;
                        }
                        want = (int) Math.min(want, schedule.dueAt(scheduleIndex, System.nanoTime()));
                    }
                    int n = claim(want);
                    if (n == 0) {
                        return;
                    }
                    if (!fillBatch(n)) {
                        return;
                    }
                    runBatch();
                }
            } finally {
                inserts.finished(id); // a claim that found no room left published a bound too
                if (connection != null) {
                    connection.close();
                }
            }
        }

        /** Builds {@code n} operations; false when the key space ran out of room for inserts. */
        private boolean fillBatch(int n) {
            batch.clear();
            long now = System.nanoTime();
            for (int j = 0; j < n; j++) {
                OperationType type = config.workload().isLoad() ? OperationType.INSERT : config.workload().next(random);
                Operation op = switch (type) {
                    case INSERT -> {
                        long record = inserts.claim(id);
                        if (record < 0) {
                            requestStop(config.workload().isLoad() ? "operations done" : "key space full: raise --key-size");
                            yield null;
                        }
                        yield op(type, record, new byte[][] {keys.key(record)});
                    }
                    case SCAN -> {
                        long existing = inserts.acknowledged();
                        long first = chooser.next(random, existing);
                        int length = (int) Math.min(1 + random.nextInt(config.workload().maxScanLength()), existing - first);
                        byte[][] run = new byte[length][];
                        for (int k = 0; k < length; k++) {
                            run[k] = keys.key(first + k);
                        }
                        yield op(type, first, run);
                    }
                    default -> {
                        long record = chooser.next(random, inserts.acknowledged());
                        yield op(type, record, new byte[][] {keys.key(record)});
                    }
                };
                if (op == null) {
                    break;
                }
                batch.add(op);
                intended[j] = schedule != null ? schedule.intendedStart(scheduleIndex + j) : now;
            }
            scheduleIndex += n;
            return !batch.isEmpty();
        }

        private Operation op(OperationType type, long record, byte[][] opKeys) {
            byte[] value = null;
            if (type.isWrite()) {
                int offset = random.nextInt(VALUE_POOL_EXTRA);
                value = java.util.Arrays.copyOfRange(valuePool, offset, offset + config.valueSize());
            }
            int group = config.partitions() > 0 ? SlotHash.partitionOf(opKeys[0], config.partitions()) : 0;
            return new Operation(type, record, opKeys, value, group);
        }

        private void runBatch() {
            java.util.Arrays.fill(completed, 0, batch.size(), false);
            try {
                if (connection == null) {
                    connection = target.connect(id, attempt);
                }
                if (schedule == null) {
                    long sent = System.nanoTime(); // unthrottled: latency from the send, not from when the batch was built
                    java.util.Arrays.fill(intended, 0, batch.size(), sent);
                }
                connection.execute(batch, (index, error, found, doneNanos) -> {
                    completed[index] = true;
                    Operation op = batch.get(index);
                    if (error == null) {
                        stats.success(op, doneNanos - intended[index], found, doneNanos);
                    } else {
                        stats.failure(op, error);
                    }
                });
                backoffMs = MIN_BACKOFF_MS;
            } catch (Target.TargetException e) {
                for (int j = 0; j < batch.size(); j++) {
                    if (!completed[j]) {
                        stats.failure(batch.get(j), "CONNECTION " + e.getMessage());
                    }
                }
                if (connection != null) {
                    connection.close();
                    connection = null;
                }
                attempt++; // the next server in this client's rotation
                sleepBackoff();
            } finally {
                inserts.finished(id);
            }
        }

        private void sleepBackoff() {
            long ms = Math.min(backoffMs, Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                requestStop("interrupted");
            }
        }
    }
}
