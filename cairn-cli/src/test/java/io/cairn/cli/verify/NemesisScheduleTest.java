package io.cairn.cli.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.cli.CairnCli;
import io.cairn.verify.runner.NemesisKind;
import io.cairn.verify.runner.NodeLauncher;
import io.cairn.verify.runner.VerifyOptions;
import io.cairn.verify.runner.VerifyResult;
import io.cairn.verify.runner.VerifyRun;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The CI subset of the verification suite: three 60-second schedules of real {@code cairn server}
 * processes under faults (kill -9 with leader transfers; SIGSTOP with clock jumps; network
 * partitions), each checked for linearizability, lost writes and append order. Any violation
 * fails the build; the report directory (history, verdict, timeline) is under
 * {@code target/verify}. Seeds are fixed so CI is repeatable; {@code -Dcairn.verify.seed=N}
 * replays another schedule, and {@code ./cairn verify} runs random ones.
 */
@Tag("verify")
class NemesisScheduleTest {
    private static final Duration SCHEDULE = Duration.ofSeconds(Long.getLong("cairn.verify.seconds", 60));
    private static final Path REPORTS = Path.of("target", "verify");

    private static VerifyOptions options(String nemeses, long defaultSeed) {
        return VerifyOptions.defaults(NodeLauncher.sameJvm(CairnCli.class.getName()), REPORTS, SCHEDULE,
                NemesisKind.parse(nemeses), Long.getLong("cairn.verify.seed", defaultSeed));
    }

    private static void assertOutcome(VerifyResult.Outcome expected, VerifyOptions options) throws Exception {
        VerifyResult result = new VerifyRun(options, System.out).run();
        result.summary().forEach(System.out::println);
        assertEquals(expected, result.outcome(), () -> String.join("\n", result.summary())
                + "\nreport: " + result.reportDir().toAbsolutePath());
    }

    @Test
    @Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
    void killAndLeaderTransfersKeepHistoriesLinearizable() throws Exception {
        assertOutcome(VerifyResult.Outcome.VALID, options("kill,transfer", 101));
    }

    @Test
    @Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
    void pausesAndClockJumpsKeepHistoriesLinearizable() throws Exception {
        assertOutcome(VerifyResult.Outcome.VALID, options("pause,clock", 202));
    }

    @Test
    @Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
    void partitionsKeepHistoriesLinearizable() throws Exception {
        assertOutcome(VerifyResult.Outcome.VALID, options("partition", 303));
    }

    /**
     * The checker can fail: STALE reads served by a node cut off from the majority are stale, and
     * the run must say so. Partitions only, so every fault window produces stale replicas.
     */
    @Test
    @Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
    void staleReadsUnderPartitionAreCaught() throws Exception {
        VerifyOptions weakened = VerifyOptions.defaults(NodeLauncher.sameJvm(CairnCli.class.getName()), REPORTS,
                Duration.ofSeconds(30), NemesisKind.parse("partition"), 404).withReadConsistency("STALE");
        assertOutcome(VerifyResult.Outcome.INVALID, weakened);
    }
}
