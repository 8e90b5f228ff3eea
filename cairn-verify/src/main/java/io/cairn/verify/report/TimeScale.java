package io.cairn.verify.report;

import java.util.ArrayList;
import java.util.List;

/**
 * Maps clock readings to x pixels: {@code originNanos} (the first invocation) at {@code left},
 * {@code endNanos} at {@code left + width}. Readings outside the range are clamped to the edges,
 * which is what draws INFO ops and unhealed faults "to the end of the chart".
 *
 * @param originNanos the reading shown as 0 s
 * @param endNanos the reading at the right edge
 * @param left x pixel of the origin
 * @param width pixels from origin to end
 */
record TimeScale(long originNanos, long endNanos, double left, double width) {
    private static final int TARGET_TICKS = 10;

    double x(long nanos) {
        double f = Html.nanosBetween(originNanos, nanos) / spanNanos();
        return left + width * Math.max(0, Math.min(1, f));
    }

    double right() {
        return left + width;
    }

    /** Seconds since the origin, e.g. for tables; infinite for {@link Long#MAX_VALUE}. */
    double seconds(long nanos) {
        return nanos == Long.MAX_VALUE ? Double.POSITIVE_INFINITY : Html.nanosBetween(originNanos, nanos) / 1e9;
    }

    double spanSeconds() {
        return spanNanos() / 1e9;
    }

    /** At least 1 ns, so a history whose ops all happen at one instant still has an axis. */
    private double spanNanos() {
        return Math.max(1, Html.nanosBetween(originNanos, endNanos));
    }

    /** Tick positions in seconds: multiples of a 1/2/5 x 10^k step, about ten of them. */
    List<Double> tickSeconds() {
        double step = tickStep();
        List<Double> ticks = new ArrayList<>();
        for (long k = 0; k * step <= spanSeconds() * (1 + 1e-9); k++) {
            ticks.add(k * step);
        }
        return ticks;
    }

    /** Tick label with just enough decimals to tell neighbouring ticks apart. */
    String tickLabel(double seconds) {
        int decimals = (int) Math.max(0, -Math.floor(Math.log10(tickStep()) + 1e-9));
        return Html.fixed(seconds, decimals) + "s";
    }

    double xOfSeconds(double seconds) {
        return left + width * Math.max(0, Math.min(1, seconds / spanSeconds()));
    }

    private double tickStep() {
        double raw = spanSeconds() / TARGET_TICKS;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double norm = raw / magnitude;
        double nice = norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10;
        return nice * magnitude;
    }
}
