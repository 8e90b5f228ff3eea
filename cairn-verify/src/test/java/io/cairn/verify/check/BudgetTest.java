package io.cairn.verify.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.verify.history.History;
import io.cairn.verify.model.RegisterModel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The search is exponential in the number of concurrent ops. These histories have n fully
 * concurrent writes, each followed (concurrently) by a read of its value, and then a read of a
 * value nobody wrote: to prove the violation the checker must rule out every interleaving.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BudgetTest {

    private static History pathological(int n) {
        History.Builder b = History.builder();
        for (int i = 0; i < n; i++) {
            b.write(i, "x", Integer.toString(i), 0, 1_000);
            b.read(n + i, "x", Integer.toString(i), 0, 1_000);
        }
        return b.read(2 * n, "x", "never-written", 2_000, 2_100).build();
    }

    @Test
    void stepBudgetYieldsUnknownNotOk() {
        LinearizabilityResult r = new LinearizabilityChecker<>(new RegisterModel())
                .withStepBudgetPerKey(200_000).check(pathological(14));
        assertEquals(Verdict.UNKNOWN, r.verdict(), r::describe);
        assertEquals(Verdict.UNKNOWN, r.key("x").verdict());
        assertTrue(r.key("x").reason().contains("step budget"), r.key("x").reason());
        assertEquals(null, r.key("x").explanation());
        assertTrue(r.describe().contains("UNKNOWN"), r.describe());
    }

    @Test
    void timeBudgetYieldsUnknownNotOk() {
        long start = System.nanoTime();
        LinearizabilityResult r = new LinearizabilityChecker<>(new RegisterModel())
                .withTimeBudgetPerKey(Duration.ofMillis(300)).check(pathological(20));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(Verdict.UNKNOWN, r.verdict(), r::describe);
        assertTrue(r.key("x").reason().contains("time budget"), r.key("x").reason());
        assertTrue(tookMs < 10_000, "budget not honoured: " + tookMs + " ms");
    }

    @Test
    void tinyCacheStillGivesTheRightAnswer() {
        LinearizabilityResult r = new LinearizabilityChecker<>(new RegisterModel())
                .withCacheBytesPerKey(0).check(pathological(3));
        assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict(), r::describe);
    }

    @Test
    void smallInstanceIsDecided() {
        LinearizabilityResult r = new LinearizabilityChecker<>(new RegisterModel()).check(pathological(5));
        assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict(), r::describe);
    }
}
