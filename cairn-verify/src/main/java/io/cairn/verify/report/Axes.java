package io.cairn.verify.report;

/** The time axis shared by both charts: ticks in seconds since the first invocation. */
final class Axes {
    private Axes() {
    }

    /** Axis line at {@code y} with tick labels below it and grid lines up to {@code gridTop}. */
    static void time(StringBuilder sb, TimeScale scale, double gridTop, double y) {
        for (double s : scale.tickSeconds()) {
            double x = scale.xOfSeconds(s);
            line(sb, "grid", x, gridTop, x, y);
            sb.append("<text class=\"tick\" text-anchor=\"middle\" x=\"");
            Html.num(sb, x).append("\" y=\"");
            Html.num(sb, y + 14).append("\">").append(scale.tickLabel(s)).append("</text>");
        }
        line(sb, "axis", scale.left(), y, scale.right(), y);
        sb.append("<text class=\"caption\" text-anchor=\"end\" x=\"");
        Html.num(sb, scale.right()).append("\" y=\"");
        Html.num(sb, y + 28).append("\">seconds since first invocation</text>\n");
    }

    static void line(StringBuilder sb, String cssClass, double x1, double y1, double x2, double y2) {
        sb.append("<line class=\"").append(cssClass).append("\" x1=\"");
        Html.num(sb, x1).append("\" y1=\"");
        Html.num(sb, y1).append("\" x2=\"");
        Html.num(sb, x2).append("\" y2=\"");
        Html.num(sb, y2).append("\"/>");
    }
}
