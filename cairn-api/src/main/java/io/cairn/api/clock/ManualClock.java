package io.cairn.api.clock;

import java.util.concurrent.atomic.AtomicLong;

/** A clock moved only by hand: for tests and simulations. It may be set backwards on purpose. */
public final class ManualClock implements Clock {
    private final AtomicLong millis;
    private final AtomicLong nanos = new AtomicLong();

    public ManualClock(long startMillis) {
        this.millis = new AtomicLong(startMillis);
    }

    @Override
    public long currentTimeMillis() {
        return millis.get();
    }

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    /** Moves wall time by {@code deltaMillis} (negative jumps backwards); monotonic time only moves forward. */
    public void advance(long deltaMillis) {
        millis.addAndGet(deltaMillis);
        if (deltaMillis > 0) {
            nanos.addAndGet(deltaMillis * 1_000_000L);
        }
    }

    /** Sets wall time, possibly backwards (a clock jump). Monotonic time is left alone. */
    public void set(long newMillis) {
        millis.set(newMillis);
    }

    @Override
    public String toString() {
        return "ManualClock(" + millis.get() + ")";
    }
}
