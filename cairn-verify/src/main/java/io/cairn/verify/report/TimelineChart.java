package io.cairn.verify.report;

import io.cairn.verify.history.Op;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The main picture: one lane per process, each op a bar from invocation to completion. INFO ops
 * have no known end, so their bars run to the right edge, hatched; they are drawn first so that
 * later ops of the same process stay visible on top, and highlighted ops are drawn last so that
 * nothing hides the evidence.
 */
final class TimelineChart {
    static final int WIDTH = 1240;
    static final int LEFT = 64;
    private static final int RIGHT_MARGIN = 16;
    private static final int TOOLTIP_CHARS = 300;

    private final TimeScale scale;
    private final FaultBands bands;
    private final Set<Long> highlighted;
    private final long originNanos;

    TimelineChart(TimeScale scale, FaultBands bands, Set<Long> highlighted, long originNanos) {
        this.scale = scale;
        this.bands = bands;
        this.highlighted = highlighted;
        this.originNanos = originNanos;
    }

    static TimeScale scale(long originNanos, long endNanos) {
        return new TimeScale(originNanos, endNanos, LEFT, WIDTH - LEFT - RIGHT_MARGIN);
    }

    void render(StringBuilder sb, List<Op> ops, Lanes lanes) {
        // Few lanes get comfortable bars; hundreds get thin ones so the chart stays one screen tall-ish.
        int laneHeight = Math.max(4, Math.min(18, 720 / lanes.count()));
        double top = FaultBands.LABEL_AREA;
        double bottom = top + (double) lanes.count() * laneHeight;
        int height = (int) bottom + 36;
        sb.append("<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ')
                .append(height).append("\" role=\"img\" aria-label=\"operation timeline\">\n");
        sb.append("<defs><pattern id=\"hatch-info\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\""
                + " patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f5b041\" fill-opacity=\"0.35\"/>"
                + "<rect width=\"2\" height=\"6\" fill=\"#e67e22\"/></pattern></defs>\n");
        renderLanes(sb, lanes, top, laneHeight);
        Axes.time(sb, scale, top, bottom);
        bands.render(sb, top, bottom);
        List<Op> ordered = ops.stream().sorted(Comparator.comparingInt(this::drawingRank)).toList();
        for (Op op : ordered) {
            renderOp(sb, op, top + (double) lanes.lane(op.process()) * laneHeight, laneHeight);
        }
        sb.append("</svg>\n");
    }

    private int drawingRank(Op op) {
        return highlighted.contains(op.id()) ? 2 : op.isInfo() ? 0 : 1;
    }

    private void renderLanes(StringBuilder sb, Lanes lanes, double top, int laneHeight) {
        // Thin lanes cannot all carry a readable label; label every n-th one (and always "other").
        int labelEvery = (int) Math.ceil(10.0 / laneHeight);
        for (int lane = 0; lane < lanes.count(); lane++) {
            double y = top + (double) lane * laneHeight;
            if (lane % 2 == 1) {
                sb.append("<rect class=\"lane-bg\" x=\"").append(LEFT).append("\" y=\"");
                Html.num(sb, y).append("\" width=\"");
                Html.num(sb, scale.width()).append("\" height=\"").append(laneHeight).append("\"/>");
            }
            boolean last = lane == lanes.count() - 1;
            if (lane % labelEvery == 0 || (last && lanes.mergedProcesses() > 0)) {
                sb.append("<text class=\"lane-label\" text-anchor=\"end\" x=\"").append(LEFT - 4).append("\" y=\"");
                Html.num(sb, y + laneHeight / 2.0 + 3.5).append("\">");
                Html.escape(sb, lanes.label(lane)).append("</text>");
            }
            sb.append('\n');
        }
    }

    private void renderOp(StringBuilder sb, Op op, double laneTop, int laneHeight) {
        double gap = laneHeight >= 10 ? 3 : 1;
        double x0 = scale.x(op.invokeNanos());
        double x1 = op.isInfo() ? scale.right() : scale.x(op.completeNanos());
        sb.append("<rect class=\"op ").append(statusClass(op))
                .append(highlighted.contains(op.id()) ? " hl" : "").append("\" x=\"");
        Html.num(sb, x0).append("\" y=\"");
        Html.num(sb, laneTop + gap / 2).append("\" width=\"");
        // Sub-pixel ops would vanish; a 1px minimum keeps every drawn op visible.
        Html.num(sb, Math.max(1, x1 - x0)).append("\" height=\"");
        Html.num(sb, laneHeight - gap).append("\"><title>");
        Html.escape(sb, Html.abbreviate(op.describe(originNanos), TOOLTIP_CHARS)).append("</title></rect>\n");
    }

    static String statusClass(Op op) {
        return switch (op.status()) {
            case OK -> "ok";
            case FAIL -> "fail";
            case INFO -> "info";
        };
    }
}
