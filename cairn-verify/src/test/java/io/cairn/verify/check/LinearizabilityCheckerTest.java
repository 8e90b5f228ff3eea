package io.cairn.verify.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.verify.history.History;
import io.cairn.verify.history.Op;
import io.cairn.verify.history.OpKind;
import io.cairn.verify.history.Status;
import io.cairn.verify.model.AppendModel;
import io.cairn.verify.model.CounterModel;
import io.cairn.verify.model.Model;
import io.cairn.verify.model.RegisterModel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Hand-written histories with a known answer. Times are arbitrary nanosecond values. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LinearizabilityCheckerTest {

    private static <S> LinearizabilityResult check(Model<S> model, History h) {
        return new LinearizabilityChecker<>(model).withTimeBudgetPerKey(Duration.ofSeconds(10)).check(h);
    }

    private static void assertVerdict(Verdict expected, LinearizabilityResult r) {
        assertEquals(expected, r.verdict(), r::describe);
    }

    private static History.Builder h() {
        return History.builder();
    }

    // ---------------------------------------------------------------- known bad

    @Test
    void staleReadAfterCompletedWrite() {
        History hist = h().write(0, "x", "1", 0, 10).write(1, "x", "2", 20, 30).read(2, "x", "1", 40, 50).build();
        LinearizabilityResult r = check(new RegisterModel(), hist);
        assertVerdict(Verdict.NOT_LINEARIZABLE, r);
        Explanation ex = r.key("x").explanation();
        assertNotNull(ex);
        assertEquals(2, ex.prefix().size());
        assertEquals("\"2\"", ex.stateAfterPrefix());
        assertEquals(hist.ops().get(2), ex.deadline());
        assertEquals(List.of(hist.ops().get(2)), ex.unplaceable());
        String text = r.describe();
        assertTrue(text.contains("#2 p2 READ \"x\" => \"1\""), text);
        assertTrue(text.contains("could not be placed next"), text);
    }

    @Test
    void lostWriteNeverBecomesVisible() {
        History hist = h().write(0, "x", "1", 0, 10).write(1, "x", "2", 20, 30)
                .read(2, "x", "1", 40, 50).read(3, "x", "1", 60, 70).build();
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(new RegisterModel(), hist));
    }

    @Test
    void timeTravelReadSeesValueBeforeItsWriteWasInvoked() {
        History hist = h().read(0, "x", "1", 0, 10).write(1, "x", "1", 20, 30).build();
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(new RegisterModel(), hist));
    }

    @Test
    void nonAtomicCasBothSucceedWithTheSameExpectedValue() {
        History hist = h().write(0, "x", "0", 0, 5)
                .cas(1, "x", "0", "1", true, 10, 20)
                .cas(2, "x", "0", "2", true, 12, 22).build();
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(new RegisterModel(), hist));
    }

    @Test
    void counterDoubleIncrement() {
        History sameResult = h().incr(0, "c", 1, 1, 0, 10).incr(1, "c", 1, 1, 5, 15).build();
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(new CounterModel(), sameResult));
        History appliedTwice = h().incr(0, "c", 1, 1, 0, 10).read(1, "c", "2", 20, 30).build();
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(new CounterModel(), appliedTwice));
    }

    @Test
    void indeterminateWriteCannotBeUndone() {
        History hist = h().write(0, "x", "1", 0, 10).info(1, "x", OpKind.WRITE, 20, "2")
                .read(2, "x", "2", 30, 40).read(3, "x", "1", 50, 60).build();
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(new RegisterModel(), hist));
    }

    @Test
    void failedWriteMustNotBeVisible() {
        History hist = h().write(0, "x", "1", 0, 10).fail(1, "x", OpKind.WRITE, 20, 30, "2")
                .read(2, "x", "2", 40, 50).build();
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(new RegisterModel(), hist));
    }

    @Test
    void appendReadWithMissingEarlierToken() {
        History hist = h().append(0, "l", "a,", 0, 10).append(1, "l", "b,", 20, 30)
                .read(2, "l", "b,", 40, 50).build();
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(new AppendModel(), hist));
    }

    // ---------------------------------------------------------------- known good

    @Test
    void emptyAndSequentialHistories() {
        assertVerdict(Verdict.LINEARIZABLE, check(new RegisterModel(), History.of(List.of())));
        History hist = h().read(0, "x", null, 0, 1).write(0, "x", "1", 2, 3).read(0, "x", "1", 4, 5)
                .cas(0, "x", "1", "2", true, 6, 7).cas(0, "x", "1", "3", false, 8, 9)
                .delete(0, "x", 10, 11).cas(0, "x", null, "4", true, 12, 13).read(0, "x", "4", 14, 15).build();
        assertVerdict(Verdict.LINEARIZABLE, check(new RegisterModel(), hist));
    }

    @Test
    void overlappingOpsWhereOnlyOneOrderWorks() {
        // Both writes span both reads: the only linearization is w1 r1 w2 r2.
        History writes = h().write(0, "x", "1", 0, 100).write(1, "x", "2", 0, 100)
                .read(2, "x", "1", 10, 50).read(3, "x", "2", 60, 90).build();
        assertVerdict(Verdict.LINEARIZABLE, check(new RegisterModel(), writes));
        // Three fully concurrent CAS ops, listed in the wrong order; only a->b->c works.
        History chain = h().cas(0, "x", "b", "c", true, 0, 100).cas(1, "x", "a", "b", true, 0, 100)
                .cas(2, "x", null, "a", true, 0, 100).read(3, "x", "c", 110, 120).build();
        assertVerdict(Verdict.LINEARIZABLE, check(new RegisterModel(), chain));
        History counter = h().incr(0, "c", 5, 6, 0, 100).incr(1, "c", 1, 1, 0, 100)
                .read(2, "c", "1", 10, 20).build();
        assertVerdict(Verdict.LINEARIZABLE, check(new CounterModel(), counter));
    }

    @Test
    void indeterminateWriteThatTookEffect() {
        History hist = h().write(0, "x", "1", 0, 10).info(1, "x", OpKind.WRITE, 20, "2")
                .read(2, "x", "2", 30, 40).build();
        assertVerdict(Verdict.LINEARIZABLE, check(new RegisterModel(), hist));
    }

    @Test
    void indeterminateWriteThatNeverTookEffect() {
        History hist = h().write(0, "x", "1", 0, 10).info(1, "x", OpKind.WRITE, 20, "2")
                .read(2, "x", "1", 30, 40).read(3, "x", "1", 50, 60).build();
        assertVerdict(Verdict.LINEARIZABLE, check(new RegisterModel(), hist));
    }

    @Test
    void indeterminateWriteThatTookEffectLongAfterTheClientGaveUp() {
        History hist = h().write(0, "x", "1", 0, 10).info(1, "x", OpKind.WRITE, 20, "2")
                .read(2, "x", "1", 30, 40).read(3, "x", "2", 1_000, 1_010).build();
        assertVerdict(Verdict.LINEARIZABLE, check(new RegisterModel(), hist));
    }

    @Test
    void indeterminateCasAndIncrement() {
        History cas = h().write(0, "x", "a", 0, 10).info(1, "x", OpKind.CAS, 20, "a", "b")
                .read(2, "x", "b", 30, 40).build();
        assertVerdict(Verdict.LINEARIZABLE, check(new RegisterModel(), cas));
        History incrHappened = h().incr(0, "c", 1, 1, 0, 10).info(1, "c", OpKind.INCR, 20, "5")
                .read(2, "c", "6", 30, 40).build();
        assertVerdict(Verdict.LINEARIZABLE, check(new CounterModel(), incrHappened));
        History incrDidNot = h().incr(0, "c", 1, 1, 0, 10).info(1, "c", OpKind.INCR, 20, "5")
                .read(2, "c", "1", 30, 40).build();
        assertVerdict(Verdict.LINEARIZABLE, check(new CounterModel(), incrDidNot));
        History indeterminateRead = h().write(0, "x", "1", 0, 10).info(1, "x", OpKind.READ, 0).build();
        assertVerdict(Verdict.LINEARIZABLE, check(new RegisterModel(), indeterminateRead));
    }

    @Test
    void failedOpsAreIgnored() {
        History hist = h().write(0, "x", "1", 0, 10).fail(1, "x", OpKind.WRITE, 20, 30, "2")
                .read(2, "x", "1", 40, 50).build();
        assertVerdict(Verdict.LINEARIZABLE, check(new RegisterModel(), hist));
    }

    @Test
    void touchingIntervalsCountAsConcurrent() {
        // The read is invoked at the very instant the write completes: either order is allowed.
        History hist = h().write(0, "x", "1", 0, 10).read(1, "x", null, 10, 20).build();
        assertVerdict(Verdict.LINEARIZABLE, check(new RegisterModel(), hist));
    }

    @Test
    void concurrentAppends() {
        History hist = h().append(0, "l", "a,", 0, 100).append(1, "l", "b,", 0, 100)
                .read(2, "l", "b,", 10, 20).read(3, "l", "b,a,", 110, 120).build();
        assertVerdict(Verdict.LINEARIZABLE, check(new AppendModel(), hist));
    }

    // ---------------------------------------------------------------- composition & API

    @Test
    void keysAreCheckedIndependentlyAndVerdictsCombine() {
        History hist = h().write(0, "good", "1", 0, 10).read(1, "good", "1", 20, 30)
                .write(0, "bad", "1", 0, 10).read(1, "bad", "2", 20, 30).build();
        for (int threads : new int[] {1, 4}) {
            LinearizabilityResult r = new LinearizabilityChecker<>(new RegisterModel()).withParallelism(threads).check(hist);
            assertVerdict(Verdict.NOT_LINEARIZABLE, r);
            assertEquals(Verdict.LINEARIZABLE, r.key("good").verdict());
            assertEquals(Verdict.NOT_LINEARIZABLE, r.key("bad").verdict());
            assertEquals(1, r.violations().size());
            assertTrue(r.describe().contains("key \"bad\": NOT_LINEARIZABLE"), r.describe());
            assertTrue(!r.describe().contains("key \"good\""), r.describe());
        }
    }

    @Test
    void malformedOpsAreRejectedUpFront() {
        History cas = h().op(0, "x", OpKind.CAS, "true", 0, 1, Status.OK, "a").build();
        assertThrows(IllegalArgumentException.class, () -> check(new RegisterModel(), cas));
        History wrongModel = h().append(0, "x", "a", 0, 1).build();
        assertThrows(IllegalArgumentException.class, () -> check(new CounterModel(), wrongModel));
        assertThrows(IllegalArgumentException.class,
                () -> new LinearizabilityChecker<>(new RegisterModel()).withStepBudgetPerKey(0));
    }

    @Test
    void checkKeyWorksOnASingleKey() {
        History hist = h().write(0, "x", "1", 0, 10).read(1, "x", "1", 20, 30).build();
        KeyResult r = new LinearizabilityChecker<>(new RegisterModel()).checkKey("x", hist.ops());
        assertEquals(Verdict.LINEARIZABLE, r.verdict());
        assertEquals(2, r.ops());
        Op first = hist.ops().get(0);
        assertEquals("x", first.key());
    }
}
