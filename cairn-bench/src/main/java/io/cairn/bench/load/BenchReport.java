package io.cairn.bench.load;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Renders a {@link LoadDriver.Result}: a text table, JSON (the same figures plus the timeline) and
 * a self-contained HTML page with SVG plots of throughput and latency over time (no script, no
 * external resources). Latencies are of successful operations, in milliseconds.
 */
public final class BenchReport {
    private BenchReport() { }

    /** Percentiles every report gives, as (label, percentile). */
    private static final String[] LABELS = {"p50", "p95", "p99", "p99.9", "max"};
    private static final double[] PERCENTILES = {50, 95, 99, 99.9, 100};

    public static void table(LoadDriver.Result r, PrintWriter out) {
        BenchConfig c = r.config();
        BenchStats s = r.stats();
        out.printf(Locale.ROOT, "target %s  workload %s  distribution %s  records %d  clients %d  pipeline %d  value %d B  key %d B%s%n",
                r.target(), c.workload().name(), c.effectiveDistribution().name().toLowerCase(Locale.ROOT), c.records(),
                c.clients(), c.pipeline(), c.valueSize(), c.keySize(),
                c.rate() > 0 ? String.format(Locale.ROOT, "  rate %.0f/s (latency from intended start)", c.rate()) : "");
        long ok = s.totalSucceeded();
        long failed = s.totalFailed();
        out.printf(Locale.ROOT, "%d ops in %.2f s (%s): %.0f ops/s, %d failed%n", ok + failed, r.elapsedSeconds(), r.stopReason(),
                ok / Math.max(1e-9, r.elapsedSeconds()), failed);
        out.printf(Locale.ROOT, "%-18s %10s %8s %10s %9s %9s %9s %9s %9s%n", "operation", "ok", "failed", "ops/s",
                "p50 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms");
        for (OperationType t : OperationType.values()) {
            if (s.succeeded(t) + s.failed(t) > 0) {
                row(out, t.label(), s.succeeded(t), s.failed(t), r.elapsedSeconds(), s.total(t));
            }
        }
        row(out, "all", ok, failed, r.elapsedSeconds(), s.total());
        if (s.hits() + s.misses() > 0) {
            out.printf(Locale.ROOT, "reads: %d hit, %d missed (%.2f%% hit)%n", s.hits(), s.misses(),
                    100.0 * s.hits() / (s.hits() + s.misses()));
        }
        BenchStats.WriteGaps gaps = s.writeGaps();
        if (gaps.maxGapGroup() >= 0) {
            out.printf(Locale.ROOT, "longest gap between successful writes: %.1f ms%s, from t=%.2f s%n", gaps.maxGapNanos() / 1e6,
                    gaps.groups() > 1 ? " (partition " + gaps.maxGapGroup() + " of " + gaps.groups() + ")" : "",
                    (gaps.maxGapStartNanos() - r.startNanos()) / 1e9);
        }
        for (Map.Entry<String, BenchStats.ErrorKind> e : s.errors().entrySet()) {
            out.printf(Locale.ROOT, "error %s x%d, e.g. %s%n", e.getKey(), e.getValue().count.get(), e.getValue().sample);
        }
        out.flush();
    }

    private static void row(PrintWriter out, String label, long ok, long failed, double seconds, Histogram h) {
        out.printf(Locale.ROOT, "%-18s %10d %8d %10.0f", label, ok, failed, ok / Math.max(1e-9, seconds));
        for (double p : PERCENTILES) {
            out.printf(Locale.ROOT, " %9.3f", h.getTotalCount() == 0 ? 0.0 : BenchStats.ms(value(h, p)));
        }
        out.println();
    }

    private static long value(Histogram h, double percentile) {
        return percentile >= 100 ? h.getMaxValue() : h.getValueAtPercentile(percentile);
    }

    public static ObjectNode json(LoadDriver.Result r) {
        BenchConfig c = r.config();
        BenchStats s = r.stats();
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("target", r.target()).put("workload", c.workload().name())
                .put("distribution", c.effectiveDistribution().name().toLowerCase(Locale.ROOT)).put("records", c.records())
                .put("clients", c.clients()).put("pipeline", c.pipeline()).put("valueSize", c.valueSize())
                .put("keySize", c.keySize()).put("rate", c.rate()).put("seed", c.seed())
                .put("startedAtEpochMs", r.startedAtEpochMillis()).put("elapsedSeconds", round(r.elapsedSeconds()))
                .put("stopReason", r.stopReason());
        long ok = s.totalSucceeded();
        o.put("operations", ok + s.totalFailed()).put("succeeded", ok).put("failed", s.totalFailed())
                .put("opsPerSecond", round(ok / Math.max(1e-9, r.elapsedSeconds())))
                .put("readHits", s.hits()).put("readMisses", s.misses());
        o.set("latencyMs", latency(s.total()));
        ObjectNode byType = o.putObject("byOperation");
        for (OperationType t : OperationType.values()) {
            if (s.succeeded(t) + s.failed(t) > 0) {
                ObjectNode n = byType.putObject(t.label());
                n.put("succeeded", s.succeeded(t)).put("failed", s.failed(t))
                        .put("opsPerSecond", round(s.succeeded(t) / Math.max(1e-9, r.elapsedSeconds())));
                n.set("latencyMs", latency(s.total(t)));
            }
        }
        BenchStats.WriteGaps gaps = s.writeGaps();
        ObjectNode gap = o.putObject("maxWriteGap");
        gap.put("ms", round(gaps.maxGapNanos() / 1e6)).put("partitionGroups", gaps.groups());
        if (gaps.maxGapGroup() >= 0) {
            gap.put("group", gaps.maxGapGroup()).put("fromSeconds", round((gaps.maxGapStartNanos() - r.startNanos()) / 1e9))
                    .put("fromEpochMs", r.startedAtEpochMillis() + (gaps.maxGapStartNanos() - r.startNanos()) / 1_000_000);
        }
        ArrayNode byGroup = gap.putArray("byGroupMs"); // e.g. the killed leader's partitions vs the others
        for (long g : gaps.groupMaxGapNanos()) {
            byGroup.add(round(g / 1e6));
        }
        ArrayNode errors = o.putArray("errors");
        s.errors().forEach((code, kind) -> errors.addObject().put("code", code).put("count", kind.count.get()).put("sample", kind.sample));
        o.put("timelineTruncated", s.timelineTruncated());
        ArrayNode timeline = o.putArray("timeline");
        for (BenchStats.TimelinePoint p : s.timeline()) {
            timeline.addObject().put("t", round(p.t())).put("succeeded", p.succeeded()).put("failed", p.failed())
                    .put("opsPerSecond", round(p.opsPerSecond())).put("writesPerSecond", round(p.writesPerSecond()))
                    .put("p50Ms", round(p.p50Ms())).put("p99Ms", round(p.p99Ms())).put("maxMs", round(p.maxMs()));
        }
        return o;
    }

    private static ObjectNode latency(Histogram h) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < LABELS.length; i++) {
            n.put(LABELS[i], h.getTotalCount() == 0 ? 0.0 : round(BenchStats.ms(value(h, PERCENTILES[i]))));
        }
        n.put("mean", h.getTotalCount() == 0 ? 0.0 : round(h.getMean() / 1e6));
        return n;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** A standalone HTML page: the summary table and two SVG line charts over the timeline. */
    public static String html(LoadDriver.Result r) {
        java.io.StringWriter table = new java.io.StringWriter();
        table(r, new PrintWriter(table));
        List<BenchStats.TimelinePoint> points = r.stats().timeline();
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>cairn bench</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:1em}"
                        + "svg{background:#fff;border:1px solid #ccc;margin:1em 0}</style></head><body>\n")
                .append("<h1>cairn bench: workload ").append(escape(r.config().workload().name())).append("</h1>\n<pre>")
                .append(escape(table.toString())).append("</pre>\n");
        b.append("<h2>Throughput (successful ops/s)</h2>\n")
                .append(chart(points, List.of(new Series("ops/s", "#1f77b4", BenchStats.TimelinePoint::opsPerSecond),
                        new Series("writes/s", "#2ca02c", BenchStats.TimelinePoint::writesPerSecond))));
        b.append("<h2>Latency per interval (ms)</h2>\n")
                .append(chart(points, List.of(new Series("p50", "#1f77b4", BenchStats.TimelinePoint::p50Ms),
                        new Series("p99", "#ff7f0e", BenchStats.TimelinePoint::p99Ms),
                        new Series("max", "#d62728", BenchStats.TimelinePoint::maxMs))));
        b.append("</body></html>\n");
        return b.toString();
    }

    private record Series(String name, String color, java.util.function.ToDoubleFunction<BenchStats.TimelinePoint> value) { }

    private static String chart(List<BenchStats.TimelinePoint> points, List<Series> series) {
        int w = 900;
        int h = 300;
        int left = 70;
        int bottom = 40;
        int top = 30;
        double maxT = points.isEmpty() ? 1 : Math.max(1e-9, points.get(points.size() - 1).t());
        double maxY = 0;
        for (BenchStats.TimelinePoint p : points) {
            for (Series s : series) {
                maxY = Math.max(maxY, s.value().applyAsDouble(p));
            }
        }
        maxY = maxY <= 0 ? 1 : maxY * 1.05;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\">%n", w, h));
        int plotW = w - left - 20;
        int plotH = h - top - bottom;
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>%n", left, top + plotH, left + plotW, top + plotH));
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>%n", left, top, left, top + plotH));
        for (int i = 0; i <= 4; i++) {
            double yv = maxY * i / 4;
            int y = top + plotH - plotH * i / 4;
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>%n", left - 5, y + 4, fmt(yv)));
            double xv = maxT * i / 4;
            int x = left + plotW * i / 4;
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.0f s</text>%n", x, top + plotH + 16, xv));
        }
        int legendX = left + 10;
        for (Series s : series) {
            StringBuilder path = new StringBuilder();
            for (BenchStats.TimelinePoint p : points) {
                double x = left + plotW * p.t() / maxT;
                double y = top + plotH - plotH * s.value().applyAsDouble(p) / maxY;
                path.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            b.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(s.color()).append("\" points=\"")
                    .append(path.toString().trim()).append("\"/>\n");
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"%s\">%s</text>%n", legendX, top - 10,
                    s.color(), escape(s.name())));
            legendX += 80;
        }
        return b.append("</svg>\n").toString();
    }

    private static String fmt(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
