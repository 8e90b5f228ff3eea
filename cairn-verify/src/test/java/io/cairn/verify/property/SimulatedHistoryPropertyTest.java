package io.cairn.verify.property;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.verify.check.AppendChecker;
import io.cairn.verify.check.CheckResult;
import io.cairn.verify.check.LinearizabilityChecker;
import io.cairn.verify.check.LinearizabilityResult;
import io.cairn.verify.check.LostWriteChecker;
import io.cairn.verify.check.Verdict;
import io.cairn.verify.history.History;
import io.cairn.verify.model.AppendModel;
import io.cairn.verify.model.CounterModel;
import io.cairn.verify.model.Model;
import io.cairn.verify.model.RegisterModel;
import io.cairn.verify.support.Simulator;
import io.cairn.verify.support.Simulator.Workload;
import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/**
 * Histories of a store that is linearizable by construction (see {@link Simulator}) must always
 * pass; corrupting one read to return a value nobody wrote must always be caught.
 *
 * <p>Ranges stay in the regime the checker is meant for (up to 300 ops per key, up to 5% of ops
 * indeterminate). Far more INFO ops on a single key can legitimately exhaust the budget (UNKNOWN),
 * which this property would report as a failure.
 *
 * <p>jqwik ignores Jupiter's {@code @Timeout}, so each try is bounded twice: by the checker's own
 * time budget (running out yields UNKNOWN, which fails the property) and by
 * {@code assertTimeoutPreemptively}; {@code tries} bounds the number of tries.
 */
class SimulatedHistoryPropertyTest {
    private static final Duration PER_TRY = Duration.ofSeconds(60);

    private static <S> LinearizabilityResult check(Model<S> model, History h) {
        return assertTimeoutPreemptively(PER_TRY, () -> new LinearizabilityChecker<>(model)
                .withTimeBudgetPerKey(Duration.ofSeconds(20)).withParallelism(2).check(h));
    }

    private static Simulator.Config config(Workload w, int clients, int keys, int ops, double info, int values) {
        return new Simulator.Config(w, clients, keys, ops, info, 0.05, values);
    }

    @Property(tries = 300)
    void simulatedRegisterIsLinearizableAndCorruptionIsCaught(
            @ForAll @IntRange(min = 1, max = 8) int clients, @ForAll @IntRange(min = 1, max = 3) int keys,
            @ForAll @IntRange(min = 1, max = 300) int ops, @ForAll @DoubleRange(min = 0, max = 0.05) double info,
            @ForAll @IntRange(min = 1, max = 6) int values, @ForAll long seed, @ForAll int victim) {
        History h = Simulator.simulate(config(Workload.REGISTER, clients, keys, ops, info, values), seed);
        LinearizabilityResult ok = check(new RegisterModel(), h);
        assertEquals(Verdict.LINEARIZABLE, ok.verdict(), ok::describe);

        History bad = Simulator.corruptRead(h, victim, "never-written");
        if (bad != null) {
            LinearizabilityResult r = check(new RegisterModel(), bad);
            assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict(), r::describe);
            assertEquals(1, r.violations().size());
            assertTrue(r.violations().get(0).explanation().unplaceable().stream()
                    .anyMatch(op -> "never-written".equals(op.output())), r::describe);
        }
    }

    @Property(tries = 150)
    void simulatedCounterIsLinearizableAndCorruptionIsCaught(
            @ForAll @IntRange(min = 1, max = 8) int clients, @ForAll @IntRange(min = 1, max = 200) int ops,
            @ForAll @DoubleRange(min = 0, max = 0.05) double info, @ForAll long seed, @ForAll int victim) {
        History h = Simulator.simulate(config(Workload.COUNTER, clients, 2, ops, info, 1), seed);
        LinearizabilityResult ok = check(new CounterModel(), h);
        assertEquals(Verdict.LINEARIZABLE, ok.verdict(), ok::describe);
        History bad = Simulator.corruptRead(h, victim, "-1"); // increments are positive
        if (bad != null) {
            assertEquals(Verdict.NOT_LINEARIZABLE, check(new CounterModel(), bad).verdict());
        }
    }

    @Property(tries = 150)
    void simulatedAppendLogPassesEveryCheckerAndCorruptionIsCaught(
            @ForAll @IntRange(min = 1, max = 6) int clients, @ForAll @IntRange(min = 1, max = 150) int ops,
            @ForAll @DoubleRange(min = 0, max = 0.05) double info, @ForAll long seed, @ForAll int victim) {
        History h = Simulator.simulate(config(Workload.APPEND, clients, 2, ops, info, 1), seed);
        LinearizabilityResult ok = check(new AppendModel(), h);
        assertEquals(Verdict.LINEARIZABLE, ok.verdict(), ok::describe);
        CheckResult append = new AppendChecker(",").check(h);
        assertTrue(append.outcome() != CheckResult.Outcome.INVALID, append::describe);
        CheckResult lost = new LostWriteChecker(",").check(h);
        assertTrue(lost.outcome() != CheckResult.Outcome.INVALID, lost::describe);

        History bad = Simulator.corruptRead(h, victim, "phantom,");
        if (bad != null) {
            assertEquals(Verdict.NOT_LINEARIZABLE, check(new AppendModel(), bad).verdict());
            assertEquals(CheckResult.Outcome.INVALID, new AppendChecker(",").check(bad).outcome());
        }
    }
}
