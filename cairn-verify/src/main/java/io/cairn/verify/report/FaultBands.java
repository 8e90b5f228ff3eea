package io.cairn.verify.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Draws fault windows as translucent vertical bands, so an anomaly can be matched against the
 * partition or crash it happened under. Both charts draw the same bands in the same colours (one
 * colour per nemesis); labels sit above the plot in three staggered rows so that back-to-back
 * faults do not print over each other.
 */
final class FaultBands {
    /** Height reserved above a chart's plot area for the label rows. */
    static final int LABEL_AREA = 44;
    private static final int LABEL_ROWS = 3;
    private static final int LABEL_CHARS = 60;
    /** One colour per nemesis: the five faults, then join, leave and rebalance of elastic runs. */
    private static final String[] PALETTE = {"#8e44ad", "#2471a3", "#b9770e", "#117a65", "#6c3483", "#5d6d7e",
        "#1e8449", "#a04000", "#2e4053"};

    private final List<FaultWindow> faults;
    private final TimeScale scale;
    private final Map<String, String> colourOfNemesis = new LinkedHashMap<>();

    FaultBands(List<FaultWindow> faults, TimeScale scale) {
        this.faults = new ArrayList<>(faults);
        this.scale = scale;
        for (FaultWindow f : faults) {
            colourOfNemesis.computeIfAbsent(f.nemesis(), n -> PALETTE[colourOfNemesis.size() % PALETTE.length]);
        }
    }

    /** Nemeses in order of first appearance. */
    Iterable<String> nemeses() {
        return colourOfNemesis.keySet();
    }

    String colour(String nemesis) {
        return colourOfNemesis.get(nemesis);
    }

    /** Bands spanning {@code top..bottom}, labels in the {@link #LABEL_AREA} above {@code top}. */
    void render(StringBuilder sb, double top, double bottom) {
        for (int i = 0; i < faults.size(); i++) {
            FaultWindow f = faults.get(i);
            double x0 = scale.x(f.startNanos());
            double w = Math.max(1, scale.x(f.endNanos()) - x0);
            String colour = colour(f.nemesis());
            String text = f.nemesis() + " " + f.description();
            sb.append("<g class=\"fault-band\"><title>").append(Html.escape(Html.abbreviate(text, 500)))
                    .append("</title><rect class=\"fault\" fill=\"").append(colour).append("\" x=\"");
            Html.num(sb, x0).append("\" y=\"");
            Html.num(sb, top).append("\" width=\"");
            Html.num(sb, w).append("\" height=\"");
            Html.num(sb, bottom - top).append("\"/>");
            renderLabel(sb, Html.abbreviate(text, LABEL_CHARS), colour, x0, x0 + w,
                    top - LABEL_AREA + 12 + 12 * (i % LABEL_ROWS));
            sb.append("</g>\n");
        }
    }

    private void renderLabel(StringBuilder sb, String text, String colour, double x0, double x1, double y) {
        // Near the right edge a label would run off the chart, so there it ends where the band ends.
        boolean flip = x0 > scale.right() - 250;
        sb.append("<text class=\"fault-label\" fill=\"").append(colour).append("\" x=\"");
        Html.num(sb, flip ? x1 - 2 : x0 + 2).append("\" y=\"");
        Html.num(sb, y).append('"').append(flip ? " text-anchor=\"end\"" : "").append('>');
        Html.escape(sb, text).append("</text>");
    }
}
