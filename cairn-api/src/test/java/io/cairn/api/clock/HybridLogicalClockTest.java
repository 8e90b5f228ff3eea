package io.cairn.api.clock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HybridLogicalClockTest {
    private static final long T0 = 1_700_000_000_000L;

    @Test
    void followsPhysicalTimeWhenItAdvances() {
        ManualClock clock = new ManualClock(T0);
        HybridLogicalClock hlc = new HybridLogicalClock(clock, 500);
        long a = hlc.now();
        assertEquals(T0, HybridLogicalClock.physicalOf(a));
        assertEquals(0, HybridLogicalClock.logicalOf(a));
        clock.advance(5);
        long b = hlc.now();
        assertEquals(T0 + 5, HybridLogicalClock.physicalOf(b));
        assertEquals(0, HybridLogicalClock.logicalOf(b));
    }

    @Test
    void countsLogicallyWhilePhysicalTimeStandsStill() {
        ManualClock clock = new ManualClock(T0);
        HybridLogicalClock hlc = new HybridLogicalClock(clock, 500);
        long prev = hlc.now();
        for (int i = 1; i <= 100; i++) {
            long next = hlc.now();
            assertEquals(T0, HybridLogicalClock.physicalOf(next));
            assertEquals(i, HybridLogicalClock.logicalOf(next));
            assertTrue(next > prev);
            prev = next;
        }
    }

    @Test
    void staysMonotonicWhenTheClockJumpsBackwards() {
        ManualClock clock = new ManualClock(T0);
        HybridLogicalClock hlc = new HybridLogicalClock(clock, 500);
        long before = hlc.now();
        clock.set(T0 - 60_000);
        long after = hlc.now();
        assertTrue(after > before, "HLC went backwards with the wall clock");
        assertEquals(T0, HybridLogicalClock.physicalOf(after), "l must hold at the max physical time seen");
        clock.set(T0 + 1);
        long caughtUp = hlc.now();
        assertEquals(T0 + 1, HybridLogicalClock.physicalOf(caughtUp));
        assertEquals(0, HybridLogicalClock.logicalOf(caughtUp));
    }

    @Test
    void receiveTakesTheMaximumOfLocalAndRemote() {
        ManualClock clock = new ManualClock(T0);
        HybridLogicalClock hlc = new HybridLogicalClock(clock, 500);
        hlc.now();
        long remote = HybridLogicalClock.pack(T0 + 100, 7);
        long merged = hlc.update(remote);
        assertEquals(T0 + 100, HybridLogicalClock.physicalOf(merged));
        assertEquals(8, HybridLogicalClock.logicalOf(merged));
        // A remote timestamp from the past does not pull the clock back.
        long old = HybridLogicalClock.pack(T0 - 10_000, 3);
        long merged2 = hlc.update(old);
        assertTrue(merged2 > merged);
        // Later local events stay above every received timestamp.
        assertTrue(hlc.now() > remote);
    }

    @Test
    void refusesRemoteTimestampsBeyondTheMaximumOffset() {
        ManualClock clock = new ManualClock(T0);
        HybridLogicalClock hlc = new HybridLogicalClock(clock, 500);
        long before = hlc.now();
        long farFuture = HybridLogicalClock.pack(T0 + 501, 0);
        assertThrows(HybridLogicalClock.ClockOffsetException.class, () -> hlc.update(farFuture));
        assertEquals(before, hlc.peek(), "a refused timestamp must not move the clock");
        hlc.update(HybridLogicalClock.pack(T0 + 500, 0)); // exactly at the bound is accepted
    }

    @Test
    void logicalOverflowAdvancesPhysicalByOneMillisecond() {
        ManualClock clock = new ManualClock(T0);
        HybridLogicalClock hlc = new HybridLogicalClock(clock, 500);
        long merged = hlc.update(HybridLogicalClock.pack(T0, HybridLogicalClock.LOGICAL_MASK - 2));
        assertEquals(HybridLogicalClock.LOGICAL_MASK - 1, HybridLogicalClock.logicalOf(merged));
        long atMax = hlc.now();
        assertEquals(HybridLogicalClock.LOGICAL_MASK, HybridLogicalClock.logicalOf(atMax));
        long overflow = hlc.now();
        assertEquals(T0 + 1, HybridLogicalClock.physicalOf(overflow));
        assertEquals(0, HybridLogicalClock.logicalOf(overflow));
    }

    @Test
    void concurrentCallersNeverSeeTheSameTimestamp() throws Exception {
        HybridLogicalClock hlc = new HybridLogicalClock(Clock.SYSTEM, 500);
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        int threads = 4;
        int perThread = 20_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int t = 0; t < threads; t++) {
                pool.submit(() -> {
                    Set<Long> local = new HashSet<>();
                    long prev = 0;
                    for (int i = 0; i < perThread; i++) {
                        long ts = hlc.now();
                        if (ts <= prev) {
                            throw new AssertionError("not monotonic within a thread");
                        }
                        prev = ts;
                        local.add(ts);
                    }
                    seen.addAll(local);
                    return null;
                }).get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(threads * perThread, seen.size());
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new HybridLogicalClock(Clock.SYSTEM, 0));
        assertThrows(IllegalArgumentException.class, () -> HybridLogicalClock.pack(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> HybridLogicalClock.pack(1, 1 << 16));
    }
}
