package io.cairn.storage.support;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A shared/exclusive gate tuned for a hot shared side. Writers {@link #enter()} and
 * {@link #exit(int)} on a per-thread stripe of padded counters, so two writer threads never
 * contend on one cache line; the exclusive side ({@link #closeExclusive()}, used by snapshot,
 * restore and drop) sets a flag and waits for the counters to drain.
 *
 * <p>Correctness is the Dekker pattern on volatiles: a writer increments its stripe and then
 * reads {@code closed}; the exclusive side writes {@code closed} and then reads every stripe.
 * Sequential consistency of volatile accesses means at least one of them sees the other, so no
 * writer is inside while the gate is closed.
 *
 * <p>Not reentrant across sides: a thread holding the gate exclusively must not call
 * {@link #enter()} (it would wait for itself).
 */
public final class WriteGate {
    /** 16 longs = 128 bytes between stripes: one cache line plus the adjacent-line prefetch. */
    private static final int PAD = 16;
    private static final int SPINS_BEFORE_YIELD = 1_000;
    private static final int YIELDS_BEFORE_PARK = 100;
    private static final long PARK_NANOS = 50_000;

    private final AtomicLongArray counts;
    private final int mask;
    private final ReentrantLock exclusive = new ReentrantLock();
    private final Object reopened = new Object();
    private volatile boolean closed;

    public WriteGate() {
        this(defaultStripes());
    }

    public WriteGate(int stripes) {
        if (stripes < 1 || Integer.bitCount(stripes) != 1 || stripes > 1024) {
            throw new IllegalArgumentException("stripes must be a power of two in 1..1024, got " + stripes);
        }
        this.counts = new AtomicLongArray(stripes * PAD);
        this.mask = stripes - 1;
    }

    private static int defaultStripes() {
        int want = Math.max(4, Runtime.getRuntime().availableProcessors() * 4);
        return Math.min(64, Integer.highestOneBit(want - 1) << 1);
    }

    private int stripe() {
        long id = Thread.currentThread().threadId();
        int h = (int) (id * 0x9E3779B97F4A7C15L >>> 32);
        return (h & mask) * PAD;
    }

    /** Enters on the caller's stripe, waiting while the gate is closed. Returns the token for {@link #exit}. */
    public int enter() {
        int idx = stripe();
        for (;;) {
            counts.getAndIncrement(idx);
            if (!closed) {
                return idx;
            }
            counts.getAndDecrement(idx);
            awaitOpen();
        }
    }

    public void exit(int token) {
        long left = counts.decrementAndGet(token);
        assert left >= 0 : "gate stripe went negative: unbalanced exit";
    }

    private void awaitOpen() {
        synchronized (reopened) {
            while (closed) {
                try {
                    reopened.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for a snapshot/restore of the partition", e);
                }
            }
        }
    }

    /**
     * Blocks new writers and waits until the ones inside have left. Exclusive holders are
     * serialized among themselves. Must be paired with {@link #open()} in the same thread.
     */
    public void closeExclusive() {
        exclusive.lock();
        assert !closed : "gate closed twice";
        closed = true;
        for (int i = 0; i < counts.length(); i += PAD) {
            // In-flight writers only do bounded in-memory work, so this wait is short.
            int spins = 0;
            while (counts.get(i) != 0) {
                // Spin briefly (in-memory writers leave within microseconds), then back off so a
                // writer blocked on I/O (a synced RocksDB write) does not cost a whole core.
                spins++;
                if (spins < SPINS_BEFORE_YIELD) {
                    Thread.onSpinWait();
                } else if (spins < SPINS_BEFORE_YIELD + YIELDS_BEFORE_PARK) {
                    Thread.yield();
                } else {
                    LockSupport.parkNanos(PARK_NANOS);
                }
            }
        }
    }

    public void open() {
        if (!exclusive.isHeldByCurrentThread()) {
            throw new IllegalStateException("open() without closeExclusive() in this thread");
        }
        synchronized (reopened) {
            closed = false;
            reopened.notifyAll();
        }
        exclusive.unlock();
    }
}
