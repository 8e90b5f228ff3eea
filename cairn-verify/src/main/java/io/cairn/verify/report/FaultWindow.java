package io.cairn.verify.report;

import java.util.Objects;

/**
 * A fault that was active during part of a run, e.g. nemesis {@code "partition"} with description
 * {@code "n1 | n2 n3"}.
 *
 * <p>Times are {@link System#nanoTime()} readings, the same clock as {@link io.cairn.verify.history.Op}
 * times, so faults and ops can be drawn on one axis.
 *
 * @param nemesis which fault injector, e.g. {@code "partition"}, {@code "kill"}, {@code "clock-skew"}
 * @param description what exactly it did, e.g. which nodes were cut off
 * @param startNanos when the fault was put in place
 * @param endNanos when it was healed, or {@link Long#MAX_VALUE} if it never was
 */
public record FaultWindow(String nemesis, String description, long startNanos, long endNanos) {

    public FaultWindow {
        Objects.requireNonNull(nemesis, "nemesis");
        Objects.requireNonNull(description, "description");
        if (startNanos > endNanos) {
            throw new IllegalArgumentException("fault " + nemesis + " ends (" + endNanos
                    + ") before it starts (" + startNanos + ")");
        }
    }

    /** A fault that was never healed before the run ended. */
    public static FaultWindow open(String nemesis, String description, long startNanos) {
        return new FaultWindow(nemesis, description, startNanos, Long.MAX_VALUE);
    }

    /** Whether the fault was healed, i.e. {@link #endNanos} is a real time. */
    public boolean ended() {
        return endNanos != Long.MAX_VALUE;
    }
}
