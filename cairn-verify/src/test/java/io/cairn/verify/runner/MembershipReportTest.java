package io.cairn.verify.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.verify.report.FaultWindow;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The membership lines of the verdict: which changes ran under other faults, and how much rebalancing did. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class MembershipReportTest {
    private static final long S = 1_000_000_000L;

    @Test
    void countsChangesUnderOtherFaultsAndRebalanceTimeUnderThem() {
        List<FaultWindow> w = List.of(
                new FaultWindow("join", "n4 via n1", 0, 10 * S),           // overlaps the kill
                new FaultWindow("kill", "n2", 5 * S, 12 * S),
                new FaultWindow("rebalance", "epoch 3->9", 8 * S, 20 * S), // 8..12 under kill, 14..16 under pause
                new FaultWindow("pause", "n1", 14 * S, 16 * S),
                new FaultWindow("leave", "n3", 30 * S, 40 * S));           // alone: no other fault then
        MembershipReport r = new MembershipReport(1, 1, 0, List.of(), null, List.of("n1", "n2", "n4"), List.of("n3"));
        List<String> lines = r.summary(w);
        assertTrue(lines.get(0).contains("1 join, 1 leave (0 refused); 1 of 2 changes overlapped other faults; "
                + "1 rebalance, 12.0 s, 6.0 s of it under other faults"), lines.get(0));
        assertTrue(lines.get(1).contains("did not settle"), lines.get(1));
        assertEquals(VerifyResult.Outcome.VALID, r.outcome());

        MembershipReport broken = new MembershipReport(0, 0, 0, List.of("epoch 40: partition 2 listed on [n1, n2], not 3"),
                null, List.of(), List.of());
        assertEquals(VerifyResult.Outcome.INVALID, broken.outcome());
        assertTrue(broken.summary(List.of()).get(2).contains("partition 2 listed on [n1, n2]"));
    }
}
