package io.cairn.verify.runner;

import java.time.Duration;

/**
 * An elastic cluster for a verification run: the first node bootstraps, the other initial nodes
 * {@code --join}, and {@code spares} more nodes are ready (ports, data directories, links in the
 * fault network) for the {@link NemesisKind#JOIN} nemesis to start later. Every wait of the
 * membership nemesis is bounded by one of these.
 *
 * @param spares         nodes beyond the initial ones that may join during the run (1..8)
 * @param minGapMs       the membership nemesis waits {@code minGapMs..maxGapMs} before each change
 * @param maxGapMs       see {@code minGapMs}
 * @param joinTimeout    a joining node must be UP in the map within this (JVM start and join included)
 * @param leaveTimeout   a leaving node must be LEFT within this of its {@code CLUSTER LEAVE} (its replicas
 *                       drained); otherwise its process keeps running and the run reports the leave as
 *                       unfinished (the final settle still waits for it)
 * @param settleTimeout  after the faults are healed (and at start-up), how long the map may take to show
 *                       every member UP and every partition on RF UP members with no move in progress
 */
public record ElasticOptions(int spares, int minGapMs, int maxGapMs, Duration joinTimeout, Duration leaveTimeout,
                             Duration settleTimeout) {
    /**
     * One spare; a membership change every 2-4 s once the previous one finished (a join ends when the
     * node is UP, a leave when it is LEFT and stopped), so changes overlap each other's rebalances and
     * the other faults.
     */
    public static final ElasticOptions DEFAULT = new ElasticOptions(1, 2_000, 4_000, Duration.ofSeconds(60),
            Duration.ofSeconds(90), Duration.ofSeconds(90));

    public ElasticOptions {
        if (spares < 1 || spares > 8) {
            throw new IllegalArgumentException("spares must be in 1..8, got " + spares);
        }
        if (minGapMs < 0 || maxGapMs < minGapMs || maxGapMs > 600_000) {
            throw new IllegalArgumentException("membership gap must satisfy 0 <= min <= max <= 600000 ms");
        }
        for (Duration d : new Duration[] {joinTimeout, leaveTimeout, settleTimeout}) {
            if (d.isNegative() || d.isZero() || d.compareTo(Duration.ofMinutes(30)) > 0) {
                throw new IllegalArgumentException("membership timeouts must be in (0, 30 min], got " + d);
            }
        }
    }

    public ElasticOptions withSpares(int n) {
        return new ElasticOptions(n, minGapMs, maxGapMs, joinTimeout, leaveTimeout, settleTimeout);
    }
}
