package io.cairn.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The per-client schedule: intended start times, what is due, and waiting for it. */
class FixedRateScheduleTest {
    @Test
    void intendedStartsAreEvenlySpaced() {
        FixedRateSchedule s = new FixedRateSchedule(1_000_000_000L, 1000); // 1 ms apart
        assertEquals(1_000_000_000L, s.intendedStart(0));
        assertEquals(1_001_000_000L, s.intendedStart(1));
        assertEquals(2_000_000_000L, s.intendedStart(1000));
    }

    @Test
    void overdueOperationsAreAllDue() {
        FixedRateSchedule s = new FixedRateSchedule(0, 1000);
        assertEquals(0, s.dueAt(5, 4_999_999)); // op 5 is due at 5 ms
        assertEquals(1, s.dueAt(5, 5_000_000));
        // A client stalled until 105 ms owes ops 5..105: all due at once (latency from their intended starts).
        assertEquals(101, s.dueAt(5, 105_000_000));
    }

    @Test
    void awaitDueWaitsForTheScheduleAndHonoursTheDeadline() {
        long start = System.nanoTime();
        FixedRateSchedule s = new FixedRateSchedule(start, 100); // 10 ms apart
        assertTrue(s.awaitDue(5, start + TimeUnit.SECONDS.toNanos(10)));
        assertTrue(System.nanoTime() - start >= 50_000_000L, "returned before op 5 was due");
        assertFalse(s.awaitDue(1_000_000, System.nanoTime() + 20_000_000L), "a deadline before the due time ends the wait");
        assertThrows(IllegalArgumentException.class, () -> new FixedRateSchedule(0, 0));
    }
}
