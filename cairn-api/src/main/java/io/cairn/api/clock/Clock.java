package io.cairn.api.clock;

/**
 * Physical time source. Everything in Cairn that needs wall-clock time asks a {@code Clock},
 * never {@link System#currentTimeMillis()} directly, so tests and the deterministic simulation
 * can move time by hand (including backwards).
 */
public interface Clock {
    /** Milliseconds since the Unix epoch, as this clock sees them. May go backwards. */
    long currentTimeMillis();

    /**
     * Microseconds since the Unix epoch, for replies that carry them (Redis's {@code TIME}); the
     * same time as {@link #currentTimeMillis()}, with finer resolution where the clock has it.
     */
    default long currentTimeMicros() {
        return currentTimeMillis() * 1000;
    }

    /** Monotonic nanoseconds for measuring elapsed time (never for timestamps that are stored). */
    long nanoTime();

    Clock SYSTEM = new SystemClock();
}
