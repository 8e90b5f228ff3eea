package io.cairn.verify.report;

import io.cairn.verify.history.Op;
import io.cairn.verify.history.OpKind;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Latency of OK ops over time, one dot per op on a log scale (latencies span microseconds to
 * election timeouts), with the fault bands, so the cost of each fault is visible at a glance.
 * It shares the timeline's x scale so the two charts line up vertically.
 */
final class LatencyChart {
    private static final int PLOT_HEIGHT = 300;
    /** Floor for the log scale; a 0 ns latency (coarse clocks) would otherwise be at -infinity. */
    private static final double MIN_MS = 1e-3;
    private static final int TOOLTIP_CHARS = 300;

    private final TimeScale scale;
    private final FaultBands bands;
    private final Set<Long> highlighted;
    private final long originNanos;

    LatencyChart(TimeScale scale, FaultBands bands, Set<Long> highlighted, long originNanos) {
        this.scale = scale;
        this.bands = bands;
        this.highlighted = highlighted;
        this.originNanos = originNanos;
    }

    static double latencyMs(Op op) {
        return Html.nanosBetween(op.invokeNanos(), op.completeNanos()) / 1e6;
    }

    /** Colour of an op kind, used for dots and the legend. */
    static String colour(OpKind kind) {
        return switch (kind) {
            case READ -> "#1f77b4";
            case WRITE -> "#2ca02c";
            case CAS -> "#9467bd";
            case DELETE -> "#8c564b";
            case INCR -> "#17becf";
            case APPEND -> "#d35fb7";
        };
    }

    static String kindClass(OpKind kind) {
        return "k-" + kind.name().toLowerCase(Locale.ROOT);
    }

    /** Renders the chart for the OK ops among {@code ops}, which must contain at least one. */
    void render(StringBuilder sb, List<Op> okOps) {
        double maxMs = okOps.stream().mapToDouble(LatencyChart::latencyMs).max().orElse(1);
        double minMs = okOps.stream().mapToDouble(LatencyChart::latencyMs).min().orElse(1);
        int lo = (int) Math.floor(Math.log10(Math.max(MIN_MS, minMs)));
        int hi = Math.max(lo + 1, (int) Math.ceil(Math.log10(Math.max(MIN_MS, maxMs))));
        double top = FaultBands.LABEL_AREA;
        double bottom = top + PLOT_HEIGHT;
        int height = (int) bottom + 36;
        sb.append("<svg class=\"latency\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(TimelineChart.WIDTH)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(TimelineChart.WIDTH)
                .append(' ').append(height).append("\" role=\"img\" aria-label=\"latency of OK operations\">\n");
        Axes.time(sb, scale, top, bottom);
        renderYAxis(sb, lo, hi, top, bottom);
        bands.render(sb, top, bottom);
        List<Op> ordered = okOps.stream()
                .sorted(Comparator.comparing((Op op) -> highlighted.contains(op.id()))).toList();
        for (Op op : ordered) {
            double f = (Math.log10(Math.max(MIN_MS, latencyMs(op))) - lo) / (hi - lo);
            renderDot(sb, op, scale.x(op.invokeNanos()), bottom - f * PLOT_HEIGHT);
        }
        sb.append("</svg>\n");
    }

    private void renderYAxis(StringBuilder sb, int lo, int hi, double top, double bottom) {
        for (int k = lo; k <= hi; k++) {
            double y = bottom - (double) (k - lo) / (hi - lo) * PLOT_HEIGHT;
            Axes.line(sb, "grid", scale.left(), y, scale.right(), y);
            sb.append("<text class=\"tick\" text-anchor=\"end\" x=\"");
            Html.num(sb, scale.left() - 4).append("\" y=\"");
            Html.num(sb, y + 3.5).append("\">").append(powerOfTenLabel(k)).append("</text>");
        }
        Axes.line(sb, "axis", scale.left(), top, scale.left(), bottom);
        sb.append('\n');
    }

    /** 10^k milliseconds as a short label: {@code 0.01ms}, {@code 100ms}, {@code 10s}. */
    static String powerOfTenLabel(int k) {
        if (k < 0) {
            return Html.fixed(Math.pow(10, k), -k) + "ms";
        }
        return k < 3 ? (long) Math.pow(10, k) + "ms" : (long) Math.pow(10, k - 3) + "s";
    }

    private void renderDot(StringBuilder sb, Op op, double x, double y) {
        boolean hl = highlighted.contains(op.id());
        sb.append("<circle class=\"lat ").append(hl ? "hl" : kindClass(op.kind())).append("\" cx=\"");
        Html.num(sb, x).append("\" cy=\"");
        Html.num(sb, y).append("\" r=\"").append(hl ? "3.5" : "2").append("\"><title>");
        Html.escape(sb, Html.fixed(latencyMs(op), 3) + " ms: "
                + Html.abbreviate(op.describe(originNanos), TOOLTIP_CHARS)).append("</title></circle>\n");
    }
}
