package io.cairn.verify.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.verify.history.History;
import io.cairn.verify.history.OpKind;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class AppendCheckerTest {
    private final AppendChecker checker = new AppendChecker(",");

    /** a [0,10], b [20,30], c concurrent with everything later. */
    private static History.Builder base() {
        return History.builder().append(0, "l", "a,", 0, 10).append(1, "l", "b,", 20, 30).append(2, "l", ",c", 35, 500);
    }

    private CheckResult check(History h) {
        return checker.check(h);
    }

    private void assertAnomaly(Anomaly.Type type, History h) {
        CheckResult r = check(h);
        assertEquals(CheckResult.Outcome.INVALID, r.outcome(), r::describe);
        assertTrue(!r.anomalies(type).isEmpty(), r::describe);
    }

    @Test
    void validHistory() {
        History h = base().read(3, "l", null, 0, 5).read(3, "l", "a,", 5, 15).read(4, "l", "a,b,", 40, 50)
                .read(5, "l", "a,b,c,", 60, 70).info(6, "l", OpKind.READ, 80).build();
        CheckResult r = check(h);
        assertTrue(r.isValid(), r::describe);
        assertTrue(new AppendChecker().check(History.builder().write(0, "x", "1", 0, 1).build()).isValid(),
                "register keys are ignored");
        assertTrue(check(History.builder().read(0, "r", null, 0, 1).build()).isValid());
        assertAnomaly(Anomaly.Type.PHANTOM_TOKEN, History.builder().read(0, "r", "x,", 0, 1).build());
    }

    @Test
    void staleReadMissesCompletedAppend() {
        History h = base().read(3, "l", "a,", 40, 50).build();
        CheckResult r = check(h);
        Anomaly a = r.anomalies(Anomaly.Type.STALE_READ).get(0);
        assertEquals(List.of(h.ops().get(3), h.ops().get(1)), a.ops(), r::describe);
    }

    @Test
    void divergentReads() {
        assertAnomaly(Anomaly.Type.DIVERGENT_READS, base().read(3, "l", "a,b,", 40, 50).read(4, "l", "a,c,b,", 40, 600).build());
    }

    @Test
    void nonMonotonicReads() {
        assertAnomaly(Anomaly.Type.NON_MONOTONIC_READ, base().read(3, "l", "a,b,c,", 40, 50).read(4, "l", "a,b,", 60, 70).build());
    }

    @Test
    void phantomFailedFutureAndDuplicateTokens() {
        assertAnomaly(Anomaly.Type.PHANTOM_TOKEN, base().read(3, "l", "a,b,zz,", 40, 50).build());
        assertAnomaly(Anomaly.Type.FAILED_WRITE_VISIBLE,
                base().fail(3, "l", OpKind.APPEND, 36, 37, "f,").read(4, "l", "a,b,f,", 40, 50).build());
        assertAnomaly(Anomaly.Type.FUTURE_READ,
                base().read(4, "l", "a,b,g,", 40, 50).append(5, "l", "g,", 60, 70).build());
        assertAnomaly(Anomaly.Type.DUPLICATE_TOKEN, base().read(3, "l", "a,b,a,", 40, 50).build());
    }

    @Test
    void appendsOrderedAgainstRealTime() {
        // b completed (30) before x was invoked (200), yet the read orders x first.
        History h = base().append(5, "l", "x,", 200, 210).read(3, "l", "a,x,b,", 300, 310).build();
        assertAnomaly(Anomaly.Type.REORDERED_APPENDS, h);
    }

    @Test
    void misuseIsRejectedAndUnreadKeysAreUnknown() {
        assertThrows(IllegalArgumentException.class,
                () -> check(History.builder().append(0, "l", "a,", 0, 1).append(1, "l", "a,", 2, 3).build()));
        assertThrows(IllegalArgumentException.class,
                () -> check(History.builder().append(0, "l", "a,b,", 0, 1).build()));
        assertThrows(IllegalArgumentException.class,
                () -> check(History.builder().append(0, "l", "a,", 0, 1).write(0, "l", "x", 2, 3).build()));
        assertThrows(IllegalArgumentException.class, () -> new AppendChecker(""));
        assertEquals(CheckResult.Outcome.UNKNOWN, check(base().build()).outcome());
    }

    @Test
    void oneLostAppendDoesNotFloodTheReport() {
        History.Builder b = base();
        for (int i = 0; i < 100; i++) {
            b.read(3, "l", "a,", 40 + i, 41 + i);
        }
        CheckResult r = check(b.build());
        assertEquals(10, r.anomalies(Anomaly.Type.STALE_READ).size());
        assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("90 more STALE_READ")), r::describe);
    }
}
