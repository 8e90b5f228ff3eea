package io.cairn.bench.load;

import java.util.concurrent.locks.LockSupport;

/**
 * One client's share of a fixed request rate: operation {@code i} is due at {@code start + i /
 * rate}. Latency is measured from that intended time, not from when the operation was sent, so a
 * stall (server pause, failover) is charged to every operation that should have been sent during
 * it: the coordinated-omission correction of wrk2 / HdrHistogram. A client behind schedule sends
 * its overdue operations at once (up to its pipeline depth per batch) until it catches up.
 */
public final class FixedRateSchedule {
    private final long startNanos;
    private final double nanosPerOperation;

    public FixedRateSchedule(long startNanos, double operationsPerSecond) {
        if (!(operationsPerSecond > 0) || Double.isInfinite(operationsPerSecond)) {
            throw new IllegalArgumentException("rate must be a positive number, got " + operationsPerSecond);
        }
        this.startNanos = startNanos;
        this.nanosPerOperation = 1e9 / operationsPerSecond;
    }

    /** When operation {@code index} (0-based) is due. */
    public long intendedStart(long index) {
        return startNanos + (long) (index * nanosPerOperation);
    }

    /** How many operations from {@code index} on are due at {@code now} (0 if the next one is not due yet). */
    public long dueAt(long index, long now) {
        if (now < intendedStart(index)) {
            return 0;
        }
        long lastDue = (long) ((now - startNanos) / nanosPerOperation);
        return Math.max(1, lastDue - index + 1);
    }

    /** Parks until operation {@code index} is due or {@code deadline} passes; false on the deadline or interrupt. */
    public boolean awaitDue(long index, long deadlineNanos) {
        long due = intendedStart(index);
        while (true) {
            long now = System.nanoTime();
            if (now - due >= 0) {
                return true;
            }
            if (now - deadlineNanos >= 0 || Thread.currentThread().isInterrupted()) {
                return false;
            }
            LockSupport.parkNanos(Math.min(due - now, deadlineNanos - now));
        }
    }
}
