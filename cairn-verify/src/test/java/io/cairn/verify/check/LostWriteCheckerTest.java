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
class LostWriteCheckerTest {
    private final LostWriteChecker checker = new LostWriteChecker();

    private static History.Builder h() {
        return History.builder();
    }

    private CheckResult check(History h) {
        return checker.check(h);
    }

    @Test
    void appendLostFromFinalRead() {
        History hist = h().append(0, "l", "a,", 0, 10).append(1, "l", "b,", 5, 15).append(2, "l", "c,", 100, 300)
                .read(3, "l", "a,", 200, 210).build();
        CheckResult r = check(hist);
        assertEquals(CheckResult.Outcome.INVALID, r.outcome(), r::describe);
        Anomaly a = r.anomalies().get(0);
        assertEquals(Anomaly.Type.LOST_WRITE, a.type());
        // Evidence: the final read and the acknowledged "b," — not "c,", which was concurrent.
        assertEquals(List.of(hist.ops().get(3), hist.ops().get(1)), a.ops());
        assertTrue(r.describe().contains("LOST_WRITE on key \"l\""), r.describe());
    }

    @Test
    void appendsConcurrentWithOrIndeterminateBeforeTheFinalReadMayBeMissing() {
        History hist = h().append(0, "l", "a,", 0, 10).append(1, "l", "b,", 100, 300)
                .info(2, "l", OpKind.APPEND, 20, "c,").fail(3, "l", OpKind.APPEND, 20, 30, "d,")
                .read(4, "l", "a,", 200, 210).build();
        assertEquals(CheckResult.Outcome.VALID, check(hist).outcome(), () -> check(hist).describe());
    }

    @Test
    void counterLostAndPhantomIncrements() {
        History.Builder b = h().incr(0, "c", 1, 1, 0, 10).incr(1, "c", 2, 3, 20, 30).info(2, "c", OpKind.INCR, 40, "10");
        History lost = b.read(3, "c", "1", 100, 110).build();
        assertEquals(Anomaly.Type.LOST_WRITE, check(lost).anomalies().get(0).type());

        History phantom = h().incr(0, "c", 1, 1, 0, 10).incr(1, "c", 2, 3, 20, 30).info(2, "c", OpKind.INCR, 40, "10")
                .read(3, "c", "14", 100, 110).build();
        assertEquals(Anomaly.Type.PHANTOM_INCREMENT, check(phantom).anomalies().get(0).type());

        for (String ok : new String[] {"3", "13"}) {
            History valid = h().incr(0, "c", 1, 1, 0, 10).incr(1, "c", 2, 3, 20, 30).info(2, "c", OpKind.INCR, 40, "10")
                    .read(3, "c", ok, 100, 110).build();
            assertTrue(check(valid).isValid(), () -> check(valid).describe());
        }
    }

    @Test
    void uniqueKeysWrittenOnceMustAllBeReadable() {
        History hist = h().write(0, "u1", "a", 0, 10).write(0, "u2", "b", 20, 30).write(0, "u3", "c", 40, 50)
                .read(1, "u1", "a", 100, 110).read(1, "u2", null, 100, 110).read(1, "u3", "c", 100, 110).build();
        CheckResult r = check(hist);
        assertEquals(1, r.anomalies().size(), r::describe);
        Anomaly a = r.anomalies().get(0);
        assertEquals("u2", a.key());
        assertEquals(Anomaly.Type.LOST_WRITE, a.type());
        assertEquals(hist.ops().get(1), a.ops().get(1));
    }

    @Test
    void registerOverwritesAndIndeterminateWrites() {
        History superseded = h().write(0, "x", "1", 0, 10).write(0, "x", "2", 20, 30).read(1, "x", "1", 100, 110).build();
        CheckResult r = check(superseded);
        assertEquals(Anomaly.Type.LOST_WRITE, r.anomalies().get(0).type(), r::describe);
        assertEquals(superseded.ops().get(1), r.anomalies().get(0).ops().get(1));

        History concurrentWrites = h().write(0, "x", "1", 0, 50).write(1, "x", "2", 10, 40).read(2, "x", "1", 100, 110).build();
        assertTrue(check(concurrentWrites).isValid());
        History infoVisible = h().write(0, "x", "1", 0, 10).info(1, "x", OpKind.WRITE, 5, "9").read(2, "x", "9", 100, 110).build();
        assertTrue(check(infoVisible).isValid());
        History casWon = h().write(0, "x", "1", 0, 10).cas(1, "x", "1", "2", true, 20, 30)
                .cas(1, "x", "1", "3", false, 40, 50).read(2, "x", "2", 100, 110).build();
        assertTrue(check(casWon).isValid());
        History deleted = h().write(0, "x", "1", 0, 10).delete(1, "x", 20, 30).read(2, "x", null, 100, 110).build();
        assertTrue(check(deleted).isValid());
        // The delete was acknowledged before the final read began: the old value coming back is a resurrection.
        History resurrected = h().write(0, "x", "1", 0, 10).delete(1, "x", 20, 30).read(2, "x", "1", 100, 110).build();
        CheckResult back = check(resurrected);
        assertEquals(CheckResult.Outcome.INVALID, back.outcome(), back::describe);
        assertEquals(Anomaly.Type.RESURRECTED_DELETE, back.anomalies().get(0).type());
        assertEquals(List.of(resurrected.ops().get(2), resurrected.ops().get(1)), back.anomalies().get(0).ops());
        // A delete concurrent with the final read may or may not be seen.
        History racing = h().write(0, "x", "1", 0, 10).delete(1, "x", 90, 120).read(2, "x", "1", 100, 110).build();
        assertTrue(check(racing).isValid(), () -> check(racing).describe());
        // A write after the delete is the latest: a stale value is a lost write, not a resurrection.
        History overwritten = h().write(0, "x", "1", 0, 10).delete(1, "x", 20, 30).write(3, "x", "2", 40, 50)
                .read(2, "x", "1", 100, 110).build();
        assertEquals(Anomaly.Type.LOST_WRITE, check(overwritten).anomalies().get(0).type());
        History garbage = h().read(2, "x", "zzz", 100, 110).build();
        assertEquals(Anomaly.Type.UNEXPECTED_VALUE, check(garbage).anomalies().get(0).type());
    }

    @Test
    void missingFinalReadIsUnknownAndMixedWorkloadsAreRejected() {
        History noRead = h().write(0, "x", "1", 0, 10).build();
        CheckResult r = check(noRead);
        assertEquals(CheckResult.Outcome.UNKNOWN, r.outcome());
        assertTrue(r.notes().get(0).contains("no successful read"), r.describe());
        History mixed = h().append(0, "x", "a", 0, 10).incr(0, "x", 1, 1, 20, 30).build();
        assertThrows(IllegalArgumentException.class, () -> check(mixed));
    }
}
