package io.cairn.verify.runner;

import java.nio.file.Path;
import java.util.List;

/**
 * What a run found.
 *
 * @param outcome   the verdict
 * @param reportDir where the history, verdict, timeline and node logs are
 * @param summary   the verdict's lines, as printed
 */
public record VerifyResult(Outcome outcome, Path reportDir, List<String> summary) {
    public enum Outcome {
        /** Every check passed. */
        VALID,
        /** A check found a violation: a real bug (or the weakened mode doing what it should). */
        INVALID,
        /** A check could not conclude (budget), or nothing was acknowledged to judge: never read as valid. */
        UNKNOWN,
        /** The cluster did not recover after the faults were healed, or the run itself broke. */
        UNAVAILABLE
    }

    public VerifyResult {
        summary = List.copyOf(summary);
    }

    /** Process exit code: 0 valid, 1 invalid, 2 unknown, 3 unavailable. */
    public int exitCode() {
        return outcome.ordinal();
    }
}
