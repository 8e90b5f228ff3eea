package io.cairn.verify.runner;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The faults the verifier injects. */
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
    TRANSFER;

    /** {@code all}, {@code none}, or a comma-separated list such as {@code kill,partition}. */
    public static Set<NemesisKind> parse(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("all")) {
            return EnumSet.allOf(NemesisKind.class);
        }
        if (s.equals("none") || s.isEmpty()) {
            return EnumSet.noneOf(NemesisKind.class);
        }
        Set<NemesisKind> kinds = EnumSet.noneOf(NemesisKind.class);
        for (String part : s.split(",")) {
            try {
                kinds.add(valueOf(part.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown nemesis '" + part.trim()
                        + "' (kill, pause, partition, clock, transfer, all, none)");
            }
        }
        return kinds;
    }
}
