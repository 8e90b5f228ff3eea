package io.cairn.api.clock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OffsetClockTest {
    private static final long T0 = 1_700_000_000_000L;

    @Test
    void addsTheOffsetToWallTimeOnly() {
        ManualClock base = new ManualClock(T0);
        base.advance(7); // monotonic time is now 7 ms
        OffsetClock clock = new OffsetClock(base);
        assertEquals(T0 + 7, clock.currentTimeMillis());
        assertEquals((T0 + 7) * 1000, clock.currentTimeMicros());
        clock.offsetMillis(5_000);
        assertEquals(5_000, clock.offsetMillis());
        assertEquals(T0 + 7 + 5_000, clock.currentTimeMillis());
        assertEquals((T0 + 7 + 5_000) * 1000, clock.currentTimeMicros());
        assertEquals(base.nanoTime(), clock.nanoTime(), "a wall-clock jump must not move monotonic time");
        clock.offsetMillis(-5_000); // replaces, does not add
        assertEquals(T0 + 7 - 5_000, clock.currentTimeMillis());
        assertEquals(7_000_000L, clock.nanoTime());
        base.advance(3);
        assertEquals(T0 + 10 - 5_000, clock.currentTimeMillis(), "the offset clock runs with its base");
    }

    @Test
    void boundsTheOffsetToOneDayEitherWay() {
        OffsetClock clock = new OffsetClock(Clock.SYSTEM);
        clock.offsetMillis(OffsetClock.MAX_OFFSET_MILLIS);
        clock.offsetMillis(-OffsetClock.MAX_OFFSET_MILLIS);
        assertThrows(IllegalArgumentException.class, () -> clock.offsetMillis(OffsetClock.MAX_OFFSET_MILLIS + 1));
        assertThrows(IllegalArgumentException.class, () -> clock.offsetMillis(-OffsetClock.MAX_OFFSET_MILLIS - 1));
        assertThrows(IllegalArgumentException.class, () -> clock.offsetMillis(Long.MIN_VALUE));
        assertEquals(-OffsetClock.MAX_OFFSET_MILLIS, clock.offsetMillis(), "a refused offset leaves the old one");
    }

    @Test
    void systemTimeWithOffsetZeroIsSystemTime() {
        OffsetClock clock = new OffsetClock(Clock.SYSTEM);
        long before = System.currentTimeMillis();
        long micros = clock.currentTimeMicros();
        long millis = clock.currentTimeMillis();
        long after = System.currentTimeMillis();
        assertTrue(before <= millis && millis <= after);
        assertTrue(before * 1000 <= micros && micros <= (after + 1) * 1000, "micros " + micros);
        long n0 = System.nanoTime();
        long n = clock.nanoTime();
        assertTrue(n >= n0 && n <= System.nanoTime(), "nanoTime is the system monotonic clock");
    }

    @Test
    void theHlcNeverGoesBackwardsWhenTheOffsetTurnsNegative() {
        ManualClock base = new ManualClock(T0);
        OffsetClock clock = new OffsetClock(base);
        HybridLogicalClock hlc = new HybridLogicalClock(clock, 500);
        clock.offsetMillis(5_000);
        long ahead = hlc.now();
        assertEquals(T0 + 5_000, HybridLogicalClock.physicalOf(ahead));
        clock.offsetMillis(-5_000); // a 10 s jump back
        long prev = ahead;
        for (int i = 0; i < 1_000; i++) {
            long next = hlc.now();
            assertTrue(next > prev, "HLC went backwards after the clock jumped back");
            assertEquals(T0 + 5_000, HybridLogicalClock.physicalOf(next), "l holds at the largest time seen");
            prev = next;
        }
        // Received timestamps and later local ones stay above everything handed out before the jump.
        assertTrue(hlc.update(HybridLogicalClock.pack(T0 - 5_000, 0)) > prev);
        base.advance(10_001); // the wall clock catches up with what the HLC has already handed out
        long caughtUp = hlc.now();
        assertEquals(T0 + 5_001, HybridLogicalClock.physicalOf(caughtUp));
        assertEquals(0, HybridLogicalClock.logicalOf(caughtUp));
    }
}
