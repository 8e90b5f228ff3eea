package io.cairn.verify.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.verify.check.Verdict;
import io.cairn.verify.history.History;
import io.cairn.verify.history.Op;
import io.cairn.verify.history.OpKind;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The verifier's two-pass register check: unobserved indeterminate writes first left out, never hiding a violation. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegisterCheckTest {

    @Test
    void onlyUnobservedIndeterminateWritesAreLeftOut() {
        History h = History.builder()
                .write(0, "r:0:0", "a", 0, 10)
                .info(1, "r:0:0", OpKind.WRITE, 5, "lost")          // never read: left out
                .info(2, "r:0:0", OpKind.WRITE, 5, "seen")          // read later: kept
                .info(3, "r:0:0", OpKind.CAS, 5, "a", "cas-lost")    // its new value never read: left out
                .info(4, "r:0:0", OpKind.CAS, 5, "seen", "x")        // x never read: left out (what it expects does not matter)
                .read(5, "r:0:0", "seen", 20, 30)
                .build();
        List<Op> kept = VerifyRun.withoutUnobservedIndeterminateWrites(h.ops());
        assertEquals(List.of("a", "seen", "seen"), kept.stream()
                .map(op -> op.kind() == OpKind.READ ? op.output() : op.kind() == OpKind.CAS ? op.input(1) : op.input(0))
                .toList());
    }

    @Test
    void manyIndeterminateWritesOnOneKeyAreCheckedQuickly() {
        // 60 overlapping indeterminate writes on one key: the full search would have to consider
        // every subset and order of them; none is observed, so the first pass settles the key.
        History.Builder b = History.builder().write(0, "r:0:0", "start", 0, 10);
        for (int i = 0; i < 60; i++) {
            b.info(100 + i, "r:0:0", OpKind.WRITE, 20 + i, "w" + i);
        }
        for (int i = 0; i < 60; i++) {
            b.write(1, "r:0:0", "v" + i, 1000 + 20L * i, 1010 + 20L * i).read(2, "r:0:0", "v" + i, 1011 + 20L * i, 1015 + 20L * i);
        }
        assertEquals(Verdict.LINEARIZABLE, VerifyRun.registers(b.build()).verdict());
    }

    @Test
    void aStaleReadIsStillReportedWhenIndeterminateWritesAreAround() {
        History h = History.builder()
                .write(0, "r:0:0", "a", 0, 10)
                .info(1, "r:0:0", OpKind.WRITE, 5, "never-seen")
                .write(0, "r:0:0", "b", 20, 30)
                .read(2, "r:0:0", "a", 40, 50)                      // stale: b was acknowledged before
                .build();
        assertEquals(Verdict.NOT_LINEARIZABLE, VerifyRun.registers(h).verdict());
    }
}
