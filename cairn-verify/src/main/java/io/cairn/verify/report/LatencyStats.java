package io.cairn.verify.report;

import io.cairn.verify.history.Op;
import io.cairn.verify.history.OpKind;
import io.cairn.verify.history.Status;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Per-kind counts by status and latency percentiles of OK ops, over the whole history (not the
 * drawn sample), so the numbers stay exact when the charts are thinned. Only OK ops have a
 * meaningful latency: FAIL ops often fail fast and INFO ops end at an arbitrary timeout.
 */
final class LatencyStats {
    private final Map<OpKind, Row> rows = new EnumMap<>(OpKind.class);
    private final Row all = new Row();

    private static final class Row {
        final int[] byStatus = new int[Status.values().length];
        final List<Double> okLatenciesMs = new ArrayList<>();

        void add(Op op) {
            byStatus[op.status().ordinal()]++;
            if (op.isOk()) {
                okLatenciesMs.add(LatencyChart.latencyMs(op));
            }
        }
    }

    LatencyStats(List<Op> ops) {
        for (Op op : ops) {
            rows.computeIfAbsent(op.kind(), k -> new Row()).add(op);
            all.add(op);
        }
    }

    void render(StringBuilder sb) {
        sb.append("<table class=\"stats\"><thead><tr><th class=\"l\">kind</th><th>total</th><th>OK</th>"
                + "<th>FAIL</th><th>INFO</th><th>p50 ms</th><th>p99 ms</th><th>max ms</th></tr></thead><tbody>\n");
        rows.forEach((kind, row) -> renderRow(sb, "<span class=\"sw " + LatencyChart.kindClass(kind) + "\"></span>"
                + kind, row));
        renderRow(sb, "<b>all</b>", all);
        sb.append("</tbody></table>\n");
    }

    private static void renderRow(StringBuilder sb, String labelHtml, Row row) {
        sb.append("<tr><td class=\"l\">").append(labelHtml).append("</td><td>")
                .append(Html.count(Arrays.stream(row.byStatus).sum())).append("</td>");
        for (int n : row.byStatus) {
            sb.append("<td>").append(Html.count(n)).append("</td>");
        }
        double[] sorted = row.okLatenciesMs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        for (double p : new double[] {0.50, 0.99, 1.0}) {
            sb.append("<td>").append(sorted.length == 0 ? "&ndash;" : Html.fixed(percentile(sorted, p), 3))
                    .append("</td>");
        }
        sb.append("</tr>\n");
    }

    /** Nearest-rank percentile: an actually observed latency, never an interpolated one. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
