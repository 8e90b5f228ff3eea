package io.cairn.commands;

import io.cairn.api.clock.Clock;
import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.storage.StorageEngine;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;

/**
 * The single-node {@link CommandService}: a {@link CommandExecutor} over a local engine, with
 * writes serialized by one lock and time taken from a {@link Clock} and a {@link HybridLogicalClock}.
 *
 * <p>Isolation: writes (single commands, EXEC blocks, expiry purges) hold the write lock of one
 * {@link StampedLock}; reads, WATCH tokens and read-only EXEC blocks hold its read lock. Every
 * command and EXEC therefore runs as if alone, and a reader never sees half of an MSET or an EXEC.
 * Reads could skip the lock only if every multi-key write were one atomic engine batch visible at
 * once; the executor does batch them, but keeping the read lock makes the argument trivial and
 * costs one uncontended CAS. Linearizability: a write is applied before its future completes, and
 * a read that starts later takes the lock after that write released it.
 *
 * <p>Time: a write's {@code version} is {@code hlc.now()}, and its {@code nowMillis} is that
 * version's physical part; reads use the clock. Both are raised to the latest time any earlier
 * command used, so expiry never goes backwards even if the wall clock does.
 *
 * <p>Futures complete on the caller's thread before the method returns (no thread hop). They
 * complete exceptionally only for infrastructure failures: the service or engine closed, a
 * clock outside the HLC range.
 *
 * <p>Active expiry: a daemon thread purges expired records every {@code expiry.active.interval-ms},
 * at most {@code expiry.active.batch} per partition per lock hold (so writers wait at most one
 * batch), repeating a partition while it yields full batches, up to {@link #MAX_BATCHES_PER_PARTITION}
 * times per cycle. An interval of 0 disables the thread ({@link #runActiveExpiryCycle()} still works).
 *
 * <p>The engine belongs to the caller: {@link #close()} stops the expiry thread and refuses
 * further calls but does not close the engine.
 */
public final class LocalCommandService implements CommandService {
    public static final String ACTIVE_EXPIRY_INTERVAL_MS = "expiry.active.interval-ms";
    public static final String ACTIVE_EXPIRY_BATCH = "expiry.active.batch";
    /** Upper bound on purge batches per partition in one cycle: bounds one cycle's work. */
    public static final int MAX_BATCHES_PER_PARTITION = 16;
    private static final int MAX_BATCH = 100_000;

    /**
     * @param activeExpiryIntervalMillis pause between active-expiry cycles; 0 disables the thread
     * @param activeExpiryBatch          most records purged per partition per lock hold (1..100000)
     */
    public record Options(long activeExpiryIntervalMillis, int activeExpiryBatch) {
        public static final Options DEFAULTS = new Options(100, 200);

        public Options {
            if (activeExpiryIntervalMillis < 0) {
                throw new IllegalArgumentException(ACTIVE_EXPIRY_INTERVAL_MS + " must be >= 0, got "
                        + activeExpiryIntervalMillis);
            }
            if (activeExpiryBatch < 1 || activeExpiryBatch > MAX_BATCH) {
                throw new IllegalArgumentException(ACTIVE_EXPIRY_BATCH + " must be in 1.." + MAX_BATCH + ", got "
                        + activeExpiryBatch);
            }
        }

        /** Reads the two keys from string settings; missing keys keep their defaults. */
        public static Options from(Map<String, String> settings) {
            String interval = settings.get(ACTIVE_EXPIRY_INTERVAL_MS);
            String batch = settings.get(ACTIVE_EXPIRY_BATCH);
            try {
                return new Options(
                        interval == null ? DEFAULTS.activeExpiryIntervalMillis : Long.parseLong(interval.trim()),
                        batch == null ? DEFAULTS.activeExpiryBatch : Integer.parseInt(batch.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(ACTIVE_EXPIRY_INTERVAL_MS + " and " + ACTIVE_EXPIRY_BATCH
                        + " must be integers: " + e.getMessage());
            }
        }
    }

    private static final System.Logger LOG = System.getLogger(LocalCommandService.class.getName());

    private final CommandExecutor executor;
    private final Clock clock;
    private final HybridLogicalClock hlc;
    private final Options options;
    private final StampedLock lock = new StampedLock();
    /** The latest time any command ran at: expiry decisions never go back to an earlier time. */
    private final AtomicLong lastNow = new AtomicLong();
    private final ScheduledExecutorService expiryThread;
    private volatile boolean closed;

    public LocalCommandService(StorageEngine engine, int partitions, Clock clock, HybridLogicalClock hlc) {
        this(engine, partitions, clock, hlc, Options.DEFAULTS);
    }

    public LocalCommandService(StorageEngine engine, int partitions, Clock clock, HybridLogicalClock hlc,
                               Options options) {
        this(new CommandExecutor(engine, partitions), clock, hlc, options);
    }

    public LocalCommandService(CommandExecutor executor, Clock clock, HybridLogicalClock hlc, Options options) {
        this.executor = executor;
        this.clock = clock;
        this.hlc = hlc;
        this.options = options;
        if (options.activeExpiryIntervalMillis() > 0) {
            expiryThread = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "cairn-active-expiry");
                t.setDaemon(true);
                return t;
            });
            expiryThread.scheduleWithFixedDelay(this::activeExpiryTick, options.activeExpiryIntervalMillis(),
                    options.activeExpiryIntervalMillis(), TimeUnit.MILLISECONDS);
        } else {
            expiryThread = null;
        }
    }

    @Override
    public CompletableFuture<Reply> execute(byte[][] argv) {
        if (closed) {
            return closedFuture();
        }
        try {
            return CompletableFuture.completedFuture(switch (executor.classify(argv)) {
                case WRITE -> executeWrite(argv);
                case READ -> executeRead(argv);
                // Unknown or malformed: the executor answers with an error and touches nothing.
                case UNKNOWN -> executor.execute(argv, readNow(), 0);
            });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private Reply executeWrite(byte[][] argv) {
        long stamp = lock.writeLock();
        try {
            long version = hlc.now();
            return executor.execute(argv, monotonic(HybridLogicalClock.physicalOf(version)), version);
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    private Reply executeRead(byte[][] argv) {
        long stamp = lock.readLock();
        try {
            return executor.execute(argv, readNow(), readSeed());
        } finally {
            lock.unlockRead(stamp);
        }
    }

    @Override
    public CompletableFuture<Long> watchToken(byte[] key) {
        if (closed) {
            return closedFuture();
        }
        long stamp = lock.readLock();
        try {
            return CompletableFuture.completedFuture(executor.watchToken(key, readNow()));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    @Override
    public CompletableFuture<Reply> exec(List<byte[][]> commands, List<Watch> watches) {
        if (closed) {
            return closedFuture();
        }
        boolean writes = false;
        for (byte[][] argv : commands) {
            if (executor.classify(argv) == CommandExecutor.Kind.WRITE) {
                writes = true;
                break;
            }
        }
        long stamp = writes ? lock.writeLock() : lock.readLock();
        try {
            Reply reply;
            if (writes) {
                long version = hlc.now();
                reply = executor.exec(commands, watches, monotonic(HybridLogicalClock.physicalOf(version)), version);
            } else {
                reply = executor.exec(commands, watches, readNow(), readSeed());
            }
            return CompletableFuture.completedFuture(reply);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            lock.unlock(stamp);
        }
    }

    @Override
    public long approximateKeyCount() {
        return executor.dbSize();
    }

    /** The executor this service drives (for wiring and tests; its writes must go through this service). */
    public CommandExecutor executor() {
        return executor;
    }

    public Options options() {
        return options;
    }

    /**
     * One active-expiry pass over every partition. Returns how many records it purged. Runs on the
     * expiry thread; callable directly (tests, or with the thread disabled).
     */
    public int runActiveExpiryCycle() {
        int purged = 0;
        int batch = options.activeExpiryBatch();
        for (int p = 0; p < executor.partitions() && !closed; p++) {
            for (int round = 0; round < MAX_BATCHES_PER_PARTITION; round++) {
                // Cheap check without the write lock: most partitions have nothing expired most of the time.
                if (!executor.hasExpired(p, readNow())) {
                    break;
                }
                int n;
                long stamp = lock.writeLock();
                try {
                    long version = hlc.now();
                    n = executor.purgeExpired(p, monotonic(HybridLogicalClock.physicalOf(version)), batch, version);
                } finally {
                    lock.unlockWrite(stamp);
                }
                purged += n;
                if (n < batch) {
                    break;
                }
            }
        }
        return purged;
    }

    private void activeExpiryTick() {
        try {
            runActiveExpiryCycle();
        } catch (IllegalStateException e) {
            // The engine was closed under us (shutdown order); nothing left to expire.
            if (!closed) {
                LOG.log(System.Logger.Level.WARNING, "active expiry stopped: " + e.getMessage());
            }
        } catch (RuntimeException e) {
            // Keep the schedule alive: a failed cycle is retried on the next tick.
            LOG.log(System.Logger.Level.WARNING, "active expiry cycle failed", e);
        }
    }

    private long readNow() {
        return monotonic(clock.currentTimeMillis());
    }

    /**
     * {@code max(candidate, every time used before)}: once any command saw a key expired, no later
     * command sees it alive, even if the wall clock steps back. Writes only when time moves forward
     * (about once per millisecond), so concurrent readers rarely contend on it.
     */
    private long monotonic(long candidate) {
        long last = lastNow.get();
        while (candidate > last) {
            if (lastNow.compareAndSet(last, candidate)) {
                return candidate;
            }
            last = lastNow.get();
        }
        return last;
    }

    /** Reads carry no version; RANDOMKEY still needs a fresh seed per call. */
    private static long readSeed() {
        return ThreadLocalRandom.current().nextLong();
    }

    private static <T> CompletableFuture<T> closedFuture() {
        return CompletableFuture.failedFuture(new IllegalStateException("command service is closed"));
    }

    /** Stops active expiry and refuses further calls. Does not close the engine, which its owner closes. */
    @Override
    public void close() {
        closed = true;
        if (expiryThread != null) {
            expiryThread.shutdownNow();
            try {
                if (!expiryThread.awaitTermination(5, TimeUnit.SECONDS)) {
                    LOG.log(System.Logger.Level.WARNING, "active expiry thread did not stop within 5 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
