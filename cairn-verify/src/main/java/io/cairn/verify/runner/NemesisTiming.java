package io.cairn.verify.runner;

/**
 * Timing of the nemesis schedule: a gap of {@code minGapMs..maxGapMs} before each fault, which is
 * then held for {@code minFaultMs..maxFaultMs}.
 */
public record NemesisTiming(int minGapMs, int maxGapMs, int minFaultMs, int maxFaultMs) {
    /** Faults of 3-10 s (longer than an election timeout, so leaders change) every 2-5 s. */
    public static final NemesisTiming DEFAULT = new NemesisTiming(2_000, 5_000, 3_000, 10_000);

    public NemesisTiming {
        if (minGapMs < 0 || maxGapMs < minGapMs || minFaultMs < 0 || maxFaultMs < minFaultMs || maxFaultMs > 600_000) {
            throw new IllegalArgumentException("invalid nemesis timing " + this);
        }
    }
}
