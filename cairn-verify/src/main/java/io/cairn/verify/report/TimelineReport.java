package io.cairn.verify.report;

import io.cairn.verify.history.History;
import io.cairn.verify.history.Op;
import io.cairn.verify.history.OpKind;
import io.cairn.verify.history.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Writes a verification run as one self-contained HTML page: summary, a per-process timeline of
 * every op with the fault windows and the checker's evidence highlighted, a latency chart, and
 * count/latency tables.
 *
 * <p>The page uses inline CSS and SVG only (no scripts, fonts or external resources), so a CI
 * artifact can be opened offline years later; tooltips are native SVG {@code <title>}s. Output
 * size is bounded: at most {@value #MAX_DRAWN_OPS} ops are drawn and at most {@value #MAX_LANES}
 * processes get a lane of their own, and the page says when it had to thin the picture.
 *
 * <p>Times are shown in seconds (axes, fault table) or milliseconds (tooltips) since the first
 * invocation of the history; for an empty history, since the earliest fault.
 */
public final class TimelineReport {
    /** Ops drawn at most; larger histories are sampled (highlighted ops are always kept). */
    public static final int MAX_DRAWN_OPS = 20_000;
    /** Processes with their own lane at most; the others share an "other" lane. */
    public static final int MAX_LANES = 200;
    private static final int LISTED_HIGHLIGHTS = 200;
    private static final int LISTED_CHARS = 2_000;
    /** Axis length for a history whose ops all happen at one instant. */
    private static final long MIN_SPAN_NANOS = 1_000_000;
    /** Fraction of the span added after the last reading. */
    private static final double RIGHT_PADDING = 0.03;

    private TimelineReport() {
    }

    /**
     * Writes the report to {@code file} (UTF-8, replacing it), creating parent directories.
     *
     * @param title page title, e.g. the test name
     * @param history the recorded ops
     * @param faults faults injected during the run, in any order
     * @param summaryLines shown verbatim (escaped) at the top: verdict, seed, counts, ...
     * @param highlightedOpIds ops to draw in red, e.g. the ops of a linearizability violation;
     *     ids not in the history are ignored (and counted in the page)
     */
    public static void writeHtml(Path file, String title, History history, List<FaultWindow> faults,
                                 List<String> summaryLines, Set<Long> highlightedOpIds) throws IOException {
        Objects.requireNonNull(file, "file");
        String html = render(Objects.requireNonNull(title, "title"), Objects.requireNonNull(history, "history"),
                List.copyOf(faults), List.copyOf(summaryLines), Set.copyOf(highlightedOpIds));
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, html, StandardCharsets.UTF_8);
    }

    static String render(String title, History history, List<FaultWindow> faults, List<String> summaryLines,
                         Set<Long> highlighted) {
        long origin = origin(history, faults);
        long last = lastReading(history, faults, origin);
        TimeScale scale = TimelineChart.scale(origin, chartEnd(origin, last));
        FaultBands bands = new FaultBands(faults, scale);
        StringBuilder sb = new StringBuilder(1 << 16);
        head(sb, title);
        header(sb, title, summaryLines, history, faults, scale.seconds(last));
        if (history.isEmpty()) {
            sb.append("<p class=\"empty\">No operations: the history is empty.</p>\n");
        } else {
            charts(sb, history, bands, scale, highlighted, origin);
        }
        faultTable(sb, faults, bands, scale);
        if (!history.isEmpty()) {
            highlightedList(sb, history, highlighted, origin);
        }
        return sb.append("</body>\n</html>\n").toString();
    }

    /** Time zero: the first invocation, or for an empty history the earliest fault (if any). */
    private static long origin(History history, List<FaultWindow> faults) {
        if (!history.isEmpty()) {
            return history.originNanos();
        }
        return faults.stream().mapToLong(FaultWindow::startNanos).min().orElse(0);
    }

    /**
     * The last finite reading of any op or fault. INFO ops' give-up times count (they are real
     * readings); never-ending ops and faults do not, they are clamped to the chart's edge instead.
     */
    private static long lastReading(History history, List<FaultWindow> faults, long origin) {
        long end = origin;
        for (Op op : history.ops()) {
            end = Math.max(end, op.invokeNanos());
            if (op.completeNanos() != Long.MAX_VALUE) {
                end = Math.max(end, op.completeNanos());
            }
        }
        for (FaultWindow f : faults) {
            end = Math.max(end, f.ended() ? f.endNanos() : f.startNanos());
        }
        return end;
    }

    /** The chart's right edge. */
    private static long chartEnd(long origin, long end) {
        // Some room past the last reading, so that open-ended INFO bars and faults started at the
        // very end still show as bars rather than as a line on the edge.
        double span = Math.max(MIN_SPAN_NANOS, Html.nanosBetween(origin, end));
        return saturatedAdd(end, (long) (span * RIGHT_PADDING));
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private static void head(StringBuilder sb, String title) {
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
        Html.escape(sb, title).append("</title>\n<style>\n").append(Style.CSS);
        for (OpKind kind : OpKind.values()) {
            String colour = LatencyChart.colour(kind);
            sb.append('.').append(LatencyChart.kindClass(kind)).append("{fill:").append(colour)
                    .append(";background:").append(colour).append("}\n");
        }
        sb.append("</style>\n</head>\n<body>\n");
    }

    private static void header(StringBuilder sb, String title, List<String> summaryLines, History history,
                               List<FaultWindow> faults, double durationSeconds) {
        sb.append("<h1>");
        Html.escape(sb, title).append("</h1>\n<ul class=\"summary\">\n");
        for (String line : summaryLines) {
            sb.append("<li>");
            Html.escape(sb, line).append("</li>\n");
        }
        int[] byStatus = new int[Status.values().length];
        Set<Integer> processes = new HashSet<>();
        Set<String> keys = new HashSet<>();
        for (Op op : history.ops()) {
            byStatus[op.status().ordinal()]++;
            processes.add(op.process());
            keys.add(op.key());
        }
        sb.append("</ul>\n<p class=\"meta\">").append(Html.count(history.size())).append(" operations (")
                .append(Html.count(byStatus[Status.OK.ordinal()])).append(" OK, ")
                .append(Html.count(byStatus[Status.FAIL.ordinal()])).append(" FAIL, ")
                .append(Html.count(byStatus[Status.INFO.ordinal()])).append(" INFO) by ")
                .append(Html.count(processes.size())).append(" processes on ").append(Html.count(keys.size()))
                .append(" keys over ").append(Html.fixed(durationSeconds, 3))
                .append(" s; ").append(faults.size()).append(" fault windows.</p>\n");
    }

    private static void charts(StringBuilder sb, History history, FaultBands bands, TimeScale scale,
                               Set<Long> highlighted, long origin) {
        OpSelection selection = OpSelection.of(history.ops(), highlighted, MAX_DRAWN_OPS);
        Lanes lanes = Lanes.assign(selection.drawn(), highlighted, MAX_LANES);
        sb.append("<h2>Timeline</h2>\n");
        samplingNote(sb, selection, highlighted);
        if (lanes.mergedProcesses() > 0) {
            sb.append("<p class=\"note\">Only ").append(MAX_LANES).append(" processes have a lane of their own; ")
                    .append(Html.count(lanes.mergedProcesses()))
                    .append(" more share the &ldquo;other&rdquo; lane at the bottom.</p>\n");
        }
        timelineLegend(sb, bands, highlighted);
        new TimelineChart(scale, bands, highlighted, origin).render(sb, selection.drawn(), lanes);

        sb.append("<h2>Latency of OK operations</h2>\n");
        List<Op> okOps = selection.drawn().stream().filter(Op::isOk).toList();
        if (okOps.isEmpty()) {
            sb.append("<p class=\"empty\">No OK operations to plot.</p>\n");
        } else {
            latencyLegend(sb, okOps);
            new LatencyChart(scale, bands, highlighted, origin).render(sb, okOps);
        }
        sb.append("<h2>Operations by kind</h2>\n");
        new LatencyStats(history.ops()).render(sb);
    }

    private static void samplingNote(StringBuilder sb, OpSelection selection, Set<Long> highlighted) {
        if (!selection.sampled()) {
            return;
        }
        sb.append("<p class=\"note sampled\">Sampled: the history has ").append(Html.count(selection.total()))
                .append(" operations, too many to draw; the charts show ").append(Html.count(selection.drawn().size()))
                .append(" of them: ").append(Html.count(selection.highlightedDrawn()))
                .append(" highlighted operations plus an evenly spaced sample of the rest. "
                        + "Counts and latency percentiles below cover all operations.</p>\n");
    }

    private static void timelineLegend(StringBuilder sb, FaultBands bands, Set<Long> highlighted) {
        sb.append("<p class=\"legend\"><span class=\"sw s-ok\"></span>OK <span class=\"sw s-fail\"></span>FAIL "
                + "<span class=\"sw s-info\"></span>INFO (outcome unknown: drawn to the end) ");
        if (!highlighted.isEmpty()) {
            sb.append("<span class=\"sw s-hl\"></span>highlighted ");
        }
        for (String nemesis : bands.nemeses()) {
            sb.append("<span class=\"sw\" style=\"background:").append(bands.colour(nemesis))
                    .append(";opacity:.4\"></span>");
            Html.escape(sb, nemesis).append(' ');
        }
        sb.append("&mdash; hover a bar for details.</p>\n");
    }

    private static void latencyLegend(StringBuilder sb, List<Op> okOps) {
        Set<OpKind> kinds = EnumSet.noneOf(OpKind.class);
        okOps.forEach(op -> kinds.add(op.kind()));
        sb.append("<p class=\"legend\">");
        for (OpKind kind : kinds) {
            sb.append("<span class=\"sw ").append(LatencyChart.kindClass(kind)).append("\"></span>").append(kind).append(' ');
        }
        sb.append("&mdash; log scale.</p>\n");
    }

    private static void faultTable(StringBuilder sb, List<FaultWindow> faults, FaultBands bands, TimeScale scale) {
        sb.append("<h2>Faults</h2>\n");
        if (faults.isEmpty()) {
            sb.append("<p class=\"empty\">No faults were injected.</p>\n");
            return;
        }
        sb.append("<table class=\"faults\"><thead><tr><th class=\"l\">nemesis</th><th class=\"l\">description</th>"
                + "<th>start s</th><th>end s</th><th>duration s</th></tr></thead><tbody>\n");
        for (FaultWindow f : faults) {
            sb.append("<tr><td class=\"l\"><span class=\"sw\" style=\"background:").append(bands.colour(f.nemesis()))
                    .append(";opacity:.4\"></span>");
            Html.escape(sb, f.nemesis()).append("</td><td class=\"l\">");
            Html.escape(sb, Html.abbreviate(f.description(), LISTED_CHARS)).append("</td><td>")
                    .append(Html.fixed(scale.seconds(f.startNanos()), 3)).append("</td><td>")
                    .append(f.ended() ? Html.fixed(scale.seconds(f.endNanos()), 3) : "never healed").append("</td><td>")
                    .append(f.ended() ? Html.fixed(Html.nanosBetween(f.startNanos(), f.endNanos()) / 1e9, 3) : "&ndash;")
                    .append("</td></tr>\n");
        }
        sb.append("</tbody></table>\n");
    }

    /** The evidence as text, since tooltips cannot be searched or copied. */
    private static void highlightedList(StringBuilder sb, History history, Set<Long> highlighted, long origin) {
        if (highlighted.isEmpty()) {
            return;
        }
        List<Op> ops = history.ops().stream().filter(op -> highlighted.contains(op.id())).toList();
        sb.append("<h2>Highlighted operations</h2>\n<ol class=\"hl-list\">\n");
        for (Op op : ops.subList(0, Math.min(ops.size(), LISTED_HIGHLIGHTS))) {
            sb.append("<li><code>");
            Html.escape(sb, Html.abbreviate(op.describe(origin), LISTED_CHARS)).append("</code></li>\n");
        }
        sb.append("</ol>\n");
        if (ops.size() > LISTED_HIGHLIGHTS) {
            sb.append("<p class=\"note\">").append(Html.count(ops.size() - LISTED_HIGHLIGHTS))
                    .append(" more highlighted operations not listed.</p>\n");
        }
        if (ops.size() < highlighted.size()) {
            sb.append("<p class=\"note\">").append(Html.count(highlighted.size() - ops.size()))
                    .append(" highlighted op ids are not in this history.</p>\n");
        }
    }
}
