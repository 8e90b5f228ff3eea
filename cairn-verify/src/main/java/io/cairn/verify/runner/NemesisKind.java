package io.cairn.verify.runner;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The faults the verifier injects. {@link #JOIN} and {@link #LEAVE} change the cluster's
 * membership and need an elastic cluster ({@link VerifyOptions#elastic()}); they run on their own
 * schedule, overlapping the other faults (see {@link MembershipNemesis}).
 */
public enum NemesisKind {
    /** kill -9 a node, restart it on its data directory when the fault ends. */
    KILL,
    /** SIGSTOP a node, SIGCONT when the fault ends. */
    PAUSE,
    /** Cut Raft links: isolate a node (or the busiest leader), split majority/minority, or a bridge. */
    PARTITION,
    /** Jump a node's wall clock by up to a minute either way ({@code DEBUG CLOCK-OFFSET}). */
    CLOCK,
    /** Make a node hand its partitions' leadership to other replicas ({@code DEBUG LEADER-STEPDOWN}). */
    TRANSFER,
    /** Start a spare node with {@code --join} through a live member; the controller moves replicas onto it. */
    JOIN,
    /** Decommission a member ({@code CLUSTER LEAVE}): its replicas drain to the others, it becomes LEFT, then it stops. */
    LEAVE;

    /** The membership changes: only in an elastic cluster. */
    public static final Set<NemesisKind> MEMBERSHIP = EnumSet.of(JOIN, LEAVE);

    public boolean isMembership() {
        return MEMBERSHIP.contains(this);
    }

    /** As {@link #parse(String, boolean)} for a static cluster: {@code all} means every non-membership fault. */
    public static Set<NemesisKind> parse(String spec) {
        return parse(spec, false);
    }

    /**
     * {@code all}, {@code none}, or a comma-separated list such as {@code kill,partition}. {@code all}
     * is every fault the membership mode supports: with {@code elastic} it includes join and leave.
     *
     * @throws IllegalArgumentException for an unknown name, or join/leave without {@code elastic}
     */
    public static Set<NemesisKind> parse(String spec, boolean elastic) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("all")) {
            Set<NemesisKind> all = EnumSet.allOf(NemesisKind.class);
            if (!elastic) {
                all.removeAll(MEMBERSHIP);
            }
            return all;
        }
        if (s.equals("none") || s.isEmpty()) {
            return EnumSet.noneOf(NemesisKind.class);
        }
        Set<NemesisKind> kinds = EnumSet.noneOf(NemesisKind.class);
        for (String part : s.split(",")) {
            NemesisKind k;
            try {
                k = valueOf(part.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown nemesis '" + part.trim()
                        + "' (kill, pause, partition, clock, transfer, join, leave, all, none)");
            }
            if (k.isMembership() && !elastic) {
                throw new IllegalArgumentException("nemesis '" + part.trim() + "' changes membership and needs an "
                        + "elastic cluster (--membership elastic)");
            }
            kinds.add(k);
        }
        return kinds;
    }
}
