package io.cairn.verify.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.verify.history.History;
import io.cairn.verify.history.OpKind;
import io.cairn.verify.model.CounterModel;
import io.cairn.verify.model.Model;
import io.cairn.verify.model.RegisterModel;
import io.cairn.verify.support.Simulator;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The search prunes with observer-first placement, dominance and symmetry among indeterminate ops
 * (see KeySearch). Each case here is one an over-eager reduction would get wrong.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SearchReductionTest {

    private static <S> Verdict check(Model<S> model, History h) {
        LinearizabilityResult r = new LinearizabilityChecker<>(model).withTimeBudgetPerKey(Duration.ofSeconds(20)).check(h);
        return r.verdict();
    }

    private static History.Builder h() {
        return History.builder();
    }

    @Test
    void failedCasIsAnObserverButStillChecked() {
        // The failed CAS fits only once b is written; placing it early must not be forced.
        History ok = h().write(0, "x", "a", 0, 100).cas(1, "x", "a", "c", false, 0, 100)
                .write(2, "x", "b", 0, 100).read(3, "x", "b", 110, 120).build();
        assertEquals(Verdict.LINEARIZABLE, check(new RegisterModel(), ok));
        History bad = h().write(0, "x", "a", 0, 10).cas(1, "x", "a", "b", false, 20, 30).build();
        assertEquals(Verdict.NOT_LINEARIZABLE, check(new RegisterModel(), bad));
    }

    @Test
    void readThatFitsNowMayAlsoFitLater() {
        // The nil read fits the initial state and is forced first; w1, its read and the delete
        // must still be found in the one order that works (w1, read 1, delete).
        History ok = h().write(0, "x", "1", 0, 100).read(1, "x", "1", 0, 100).delete(2, "x", 0, 100)
                .read(3, "x", null, 0, 100).read(4, "x", null, 110, 120).build();
        assertEquals(Verdict.LINEARIZABLE, check(new RegisterModel(), ok));
    }

    @Test
    void identicalIndeterminateWritesAreCountedNotMerged() {
        // "x" becomes visible twice, separated by "b": both indeterminate writes must have happened.
        History.Builder b = h().write(0, "k", "a", 0, 10)
                .info(1, "k", OpKind.WRITE, 20, "x").info(2, "k", OpKind.WRITE, 20, "x")
                .read(3, "k", "x", 50, 60).write(3, "k", "b", 70, 80).read(3, "k", "b", 90, 95)
                .read(3, "k", "x", 100, 110);
        assertEquals(Verdict.LINEARIZABLE, check(new RegisterModel(), b.build()));
        History onlyOne = h().write(0, "k", "a", 0, 10).info(1, "k", OpKind.WRITE, 20, "x")
                .read(3, "k", "x", 50, 60).write(3, "k", "b", 70, 80).read(3, "k", "b", 90, 95)
                .read(3, "k", "x", 100, 110).build();
        assertEquals(Verdict.NOT_LINEARIZABLE, check(new RegisterModel(), onlyOne));
    }

    @Test
    void severalIndeterminateIncrementsCanBeNeededTogether() {
        History ok = h().info(0, "c", OpKind.INCR, 0, "1").info(1, "c", OpKind.INCR, 0, "2")
                .info(2, "c", OpKind.INCR, 0, "1").read(3, "c", "4", 10, 20).read(3, "c", "4", 30, 40).build();
        assertEquals(Verdict.LINEARIZABLE, check(new CounterModel(), ok));
        History bad = h().info(0, "c", OpKind.INCR, 0, "1").info(1, "c", OpKind.INCR, 0, "2")
                .read(3, "c", "4", 10, 20).build();
        assertEquals(Verdict.NOT_LINEARIZABLE, check(new CounterModel(), bad));
    }

    @Test
    void indeterminateHeavySingleKeyHistoryIsDecided() {
        // Found by the property test: 6 clients on one key, 300 ops, 32 INFO ops, 4 values. Plain
        // Wing-Gong with Lowe's cache did not decide the corrupted version within minutes.
        History h = Simulator.simulate(new Simulator.Config(Simulator.Workload.REGISTER, 6, 1, 300, 0.08, 0.05, 4),
                -1659034L);
        assertEquals(Verdict.LINEARIZABLE, check(new RegisterModel(), h));
        assertEquals(Verdict.NOT_LINEARIZABLE, check(new RegisterModel(), Simulator.corruptRead(h, 5585, "never-written")));
    }

    @Test
    void tenClientsOnOneKeyAreDecided() {
        for (long seed = 0; seed < 3; seed++) {
            History h = Simulator.simulate(new Simulator.Config(Simulator.Workload.REGISTER, 10, 1, 1000, 0.01, 0.02, 5), seed);
            assertEquals(Verdict.LINEARIZABLE, check(new RegisterModel(), h));
            assertEquals(Verdict.NOT_LINEARIZABLE,
                    check(new RegisterModel(), Simulator.corruptRead(h, (int) seed * 7919, "never-written")));
        }
    }
}
