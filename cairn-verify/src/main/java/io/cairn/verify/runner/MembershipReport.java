package io.cairn.verify.runner;

import io.cairn.verify.report.FaultWindow;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the membership nemesis did and what the final map looks like, for the verdict.
 *
 * @param joins          joins that ended with the node UP
 * @param leaves         leaves that ended with the node LEFT and stopped
 * @param leavesRefused  leaves the controller refused (it protects the replication factor)
 * @param violations     maps that listed a partition on other than RF distinct nodes after the settle
 * @param finalMap       the map the cluster settled at after the heal; null if it did not settle
 * @param members        the members at the end
 * @param notMembers     spares never joined, and nodes that left
 */
record MembershipReport(int joins, int leaves, int leavesRefused, List<String> violations, ClusterMapView finalMap,
                        List<String> members, List<String> notMembers) {
    /** The other faults: a membership change "under faults" overlaps one of these. */
    private static final Set<String> OTHER_FAULTS = Set.of("kill", "pause", "partition", "clock", "transfer");

    MembershipReport {
        violations = List.copyOf(violations);
        members = List.copyOf(members);
        notMembers = List.copyOf(notMembers);
    }

    /** INVALID if a map broke the replica-list invariant; otherwise VALID (a map that did not settle is a recovery problem). */
    VerifyResult.Outcome outcome() {
        return violations.isEmpty() ? VerifyResult.Outcome.VALID : VerifyResult.Outcome.INVALID;
    }

    List<String> summary(List<FaultWindow> windows) {
        List<String> out = new ArrayList<>();
        int changes = 0;
        int overlapped = 0;
        long rebalanceNanos = 0;
        long rebalanceUnderFaults = 0;
        int rebalances = 0;
        for (FaultWindow w : windows) {
            if (w.nemesis().equals("join") || w.nemesis().equals("leave")) {
                changes++;
                if (overlapsOtherFault(w, windows)) {
                    overlapped++;
                }
            } else if (w.nemesis().equals("rebalance") && w.ended()) {
                rebalances++;
                rebalanceNanos += w.endNanos() - w.startNanos();
                rebalanceUnderFaults += overlapNanos(w, windows);
            }
        }
        out.add(String.format(Locale.ROOT, "membership: %d join%s, %d leave%s (%d refused); %d of %d changes overlapped "
                        + "other faults; %d rebalance%s, %.1f s, %.1f s of it under other faults",
                joins, joins == 1 ? "" : "s", leaves, leaves == 1 ? "" : "s", leavesRefused, overlapped, changes,
                rebalances, rebalances == 1 ? "" : "s", rebalanceNanos / 1e9, rebalanceUnderFaults / 1e9));
        if (finalMap != null) {
            out.add("final map: epoch " + finalMap.epoch() + ", members " + members + " UP, every partition on "
                    + finalMap.replicationFactor() + " distinct members, no move in progress; not members: " + notMembers);
        } else {
            out.add("final map: did not settle (see problems)");
        }
        out.add("replica lists: " + outcome() + (violations.isEmpty()
                ? " (every map after the settle listed RF replicas per partition)"
                : " (" + violations.size() + " maps broke it, first: " + violations.get(0) + ")"));
        return out;
    }

    private static boolean overlapsOtherFault(FaultWindow w, List<FaultWindow> all) {
        for (FaultWindow f : all) {
            if (OTHER_FAULTS.contains(f.nemesis()) && f.startNanos() < w.endNanos() && w.startNanos() < f.endNanos()) {
                return true;
            }
        }
        return false;
    }

    /** Nanoseconds of {@code w} during which at least one other fault was active. */
    private static long overlapNanos(FaultWindow w, List<FaultWindow> all) {
        List<long[]> parts = new ArrayList<>();
        for (FaultWindow f : all) {
            if (OTHER_FAULTS.contains(f.nemesis())) {
                long s = Math.max(w.startNanos(), f.startNanos());
                long e = Math.min(w.endNanos(), f.endNanos());
                if (s < e) {
                    parts.add(new long[] {s, e});
                }
            }
        }
        parts.sort((a, b) -> Long.compare(a[0], b[0]));
        long total = 0;
        long curStart = -1;
        long curEnd = -1;
        for (long[] p : parts) {
            if (curStart < 0 || p[0] > curEnd) {
                total += curEnd - curStart;
                curStart = p[0];
                curEnd = p[1];
            } else {
                curEnd = Math.max(curEnd, p[1]);
            }
        }
        total += curEnd - curStart;
        return total;
    }
}
