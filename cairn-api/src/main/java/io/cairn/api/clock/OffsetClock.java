package io.cairn.api.clock;

import java.util.Objects;

/**
 * Another clock's wall time plus an offset that may be changed while the node runs: fault
 * injection ({@code DEBUG CLOCK-OFFSET}) that makes one node's wall clock jump ahead or back as
 * a misbehaving NTP daemon would. Only wall time jumps: {@link #nanoTime()} is the underlying
 * clock's, so timeouts, leases and elapsed-time measurements keep running at their own pace, as
 * they do on a real machine whose wall clock is stepped. With offset 0 it reads exactly like the
 * underlying clock.
 */
public final class OffsetClock implements Clock {
    /** The largest offset allowed either way: one day. */
    public static final long MAX_OFFSET_MILLIS = 86_400_000L;

    private final Clock base;
    private volatile long offsetMillis;

    public OffsetClock(Clock base) {
        this.base = Objects.requireNonNull(base, "base");
    }

    @Override
    public long currentTimeMillis() {
        return base.currentTimeMillis() + offsetMillis;
    }

    @Override
    public long currentTimeMicros() {
        return base.currentTimeMicros() + offsetMillis * 1000;
    }

    /** The underlying monotonic clock: the offset models a wall-clock jump, which monotonic time never takes. */
    @Override
    public long nanoTime() {
        return base.nanoTime();
    }

    /** The current offset in milliseconds (negative = behind the underlying clock). */
    public long offsetMillis() {
        return offsetMillis;
    }

    /**
     * Sets the offset, replacing the previous one (not adding to it).
     *
     * @throws IllegalArgumentException if {@code |millis| > MAX_OFFSET_MILLIS}
     */
    public void offsetMillis(long millis) {
        if (millis < -MAX_OFFSET_MILLIS || millis > MAX_OFFSET_MILLIS) {
            throw new IllegalArgumentException("clock offset must be between " + -MAX_OFFSET_MILLIS + " and "
                    + MAX_OFFSET_MILLIS + " ms, got " + millis);
        }
        this.offsetMillis = millis;
    }

    @Override
    public String toString() {
        return "OffsetClock(" + base + (offsetMillis >= 0 ? " + " : " - ") + Math.abs(offsetMillis) + " ms)";
    }
}
