package io.cairn.api.clock;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Hybrid logical clock (Kulkarni, Demirbas et al., "Logical Physical Clocks", 2014).
 *
 * <p>A timestamp is one {@code long}: the upper 48 bits are a physical time in milliseconds
 * ({@code l}), the lower 16 bits a logical counter ({@code c}). Timestamps are strictly
 * increasing across {@link #now()} and {@link #update(long)} calls on one instance, even when
 * the physical clock goes backwards, and {@code l} never runs ahead of the largest physical time
 * seen (locally or in a received timestamp) except by counter overflow, which is bounded.
 *
 * <p>Received timestamps that are further ahead of local physical time than {@code maxOffsetMillis}
 * are refused with {@link ClockOffsetException}: accepting them would drag every version in the
 * cluster into the future (the bound CockroachDB calls max-offset).
 */
public final class HybridLogicalClock {
    public static final int LOGICAL_BITS = 16;
    public static final long LOGICAL_MASK = (1L << LOGICAL_BITS) - 1;
    /** Largest physical millisecond representable in 48 bits (the year 10889). */
    public static final long MAX_PHYSICAL = (1L << (64 - LOGICAL_BITS)) - 1;

    private final Clock physical;
    private final long maxOffsetMillis;
    private final AtomicLong last = new AtomicLong();

    public HybridLogicalClock(Clock physical, long maxOffsetMillis) {
        if (maxOffsetMillis <= 0) {
            throw new IllegalArgumentException("maxOffsetMillis must be positive, got " + maxOffsetMillis);
        }
        this.physical = physical;
        this.maxOffsetMillis = maxOffsetMillis;
    }

    public static long physicalOf(long timestamp) {
        return timestamp >>> LOGICAL_BITS;
    }

    public static int logicalOf(long timestamp) {
        return (int) (timestamp & LOGICAL_MASK);
    }

    public static long pack(long physicalMillis, long logical) {
        if (physicalMillis < 0 || physicalMillis > MAX_PHYSICAL) {
            throw new IllegalArgumentException("physical time out of range: " + physicalMillis);
        }
        if (logical < 0 || logical > LOGICAL_MASK) {
            throw new IllegalArgumentException("logical counter out of range: " + logical);
        }
        return (physicalMillis << LOGICAL_BITS) | logical;
    }

    /** A timestamp for a local or send event. */
    public long now() {
        long pt = physicalNow();
        while (true) {
            long prev = last.get();
            long next = successor(prev, pack(pt, 0));
            if (last.compareAndSet(prev, next)) {
                return next;
            }
        }
    }

    /**
     * Merges a timestamp received from another node (receive event) and returns the new local
     * timestamp, which is greater than both the previous local one and {@code received}.
     */
    public long update(long received) {
        long pt = physicalNow();
        long receivedPhysical = physicalOf(received);
        if (receivedPhysical - pt > maxOffsetMillis) {
            throw new ClockOffsetException(receivedPhysical, pt, maxOffsetMillis);
        }
        while (true) {
            long prev = last.get();
            long floor = Math.max(prev, received);
            long next = successor(floor, pack(pt, 0));
            if (last.compareAndSet(prev, next)) {
                return next;
            }
        }
    }

    /** The last timestamp handed out (0 before the first). */
    public long peek() {
        return last.get();
    }

    /**
     * The smallest timestamp greater than {@code floor} and not less than {@code physicalFloor}.
     * This is Kulkarni's rule in packed form: if physical time moved past {@code l}, take it with
     * c = 0; otherwise keep {@code l} and bump {@code c}. On counter overflow {@code l} advances by
     * one millisecond, which keeps strict monotonicity at the cost of running 1 ms ahead.
     */
    private static long successor(long floor, long physicalFloor) {
        long next = physicalFloor > floor ? physicalFloor : floor + 1;
        assert next > floor : "HLC must be strictly increasing";
        return next;
    }

    private long physicalNow() {
        long pt = physical.currentTimeMillis();
        if (pt < 0 || pt > MAX_PHYSICAL) {
            throw new IllegalStateException("physical clock out of HLC range: " + pt);
        }
        return pt;
    }

    /** Raised when a received timestamp is too far ahead of the local physical clock. */
    public static final class ClockOffsetException extends RuntimeException {
        public ClockOffsetException(long receivedPhysical, long localPhysical, long maxOffsetMillis) {
            super("received HLC physical time " + receivedPhysical + " is "
                    + (receivedPhysical - localPhysical) + " ms ahead of local clock " + localPhysical
                    + " (max offset " + maxOffsetMillis + " ms)");
        }
    }
}
