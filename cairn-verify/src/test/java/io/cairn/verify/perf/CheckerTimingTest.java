package io.cairn.verify.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.verify.check.AppendChecker;
import io.cairn.verify.check.LinearizabilityChecker;
import io.cairn.verify.check.LinearizabilityResult;
import io.cairn.verify.check.Verdict;
import io.cairn.verify.history.History;
import io.cairn.verify.history.Op;
import io.cairn.verify.model.AppendModel;
import io.cairn.verify.model.CounterModel;
import io.cairn.verify.model.Model;
import io.cairn.verify.model.RegisterModel;
import io.cairn.verify.support.Simulator;
import io.cairn.verify.support.Simulator.Workload;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Prints how long checking realistic 5,000-op histories takes (5 keys, 10 clients, a few
 * indeterminate ops). Times are reported, never asserted: CI machines vary too much.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CheckerTimingTest {

    private static <S> void time(String label, Model<S> model, History h, Verdict expected, int parallelism) {
        LinearizabilityChecker<S> checker = new LinearizabilityChecker<>(model).withParallelism(parallelism);
        checker.check(h); // warm-up
        long best = Long.MAX_VALUE;
        LinearizabilityResult r = null;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            r = checker.check(h);
            best = Math.min(best, System.nanoTime() - t0);
        }
        assertEquals(expected, r.verdict(), r::describe);
        long info = h.ops().stream().filter(Op::isInfo).count();
        long steps = r.keys().values().stream().mapToLong(k -> k.steps()).sum();
        System.out.printf(Locale.ROOT, "[timing] %-34s %5d ops (%d INFO), %d keys, parallelism %d: %8.1f ms, %,d steps%n",
                label, h.size(), info, r.keys().size(), parallelism, best / 1e6, steps);
    }

    @Test
    void register5000Ops() {
        History h = Simulator.simulate(new Simulator.Config(Workload.REGISTER, 10, 5, 5_000, 0.003, 0.01, 5), 42);
        time("register, linearizable", new RegisterModel(), h, Verdict.LINEARIZABLE, 1);
        time("register, linearizable", new RegisterModel(), h, Verdict.LINEARIZABLE, 4);
        History bad = Simulator.corruptRead(h, 2_000, "never-written");
        time("register, one corrupted read", new RegisterModel(), bad, Verdict.NOT_LINEARIZABLE, 1);
    }

    @Test
    void tenClientsOnOneKey() {
        History h = Simulator.simulate(new Simulator.Config(Workload.REGISTER, 10, 1, 1_000, 0.01, 0.01, 5), 45);
        time("register, 1 key, linearizable", new RegisterModel(), h, Verdict.LINEARIZABLE, 1);
        History bad = Simulator.corruptRead(h, 300, "never-written");
        time("register, 1 key, corrupted read", new RegisterModel(), bad, Verdict.NOT_LINEARIZABLE, 1);
    }

    @Test
    void counterAndAppend5000Ops() {
        History counter = Simulator.simulate(new Simulator.Config(Workload.COUNTER, 10, 5, 5_000, 0.003, 0.01, 1), 43);
        time("counter, linearizable", new CounterModel(), counter, Verdict.LINEARIZABLE, 1);
        History append = Simulator.simulate(new Simulator.Config(Workload.APPEND, 10, 5, 5_000, 0.003, 0.01, 1), 44);
        time("append (AppendModel), linearizable", new AppendModel(), append, Verdict.LINEARIZABLE, 1);
        long t0 = System.nanoTime();
        new AppendChecker(",").check(append);
        System.out.printf(Locale.ROOT, "[timing] %-34s %5d ops: %8.1f ms (cold)%n", "AppendChecker", append.size(),
                (System.nanoTime() - t0) / 1e6);
    }
}
