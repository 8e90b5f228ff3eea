package io.cairn.verify.report;

import io.cairn.verify.history.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The ops actually drawn. Browsers struggle with SVGs of more than a few tens of thousands of
 * elements, so large histories are thinned: highlighted ops (the checker's evidence) are always
 * kept, and the rest is an evenly spaced sample in history order, which keeps the density of the
 * picture roughly faithful over time.
 *
 * @param drawn the ops to draw, in history order
 * @param total how many ops the history has
 * @param highlightedDrawn how many of the drawn ops are highlighted
 */
record OpSelection(List<Op> drawn, int total, int highlightedDrawn) {

    boolean sampled() {
        return drawn.size() < total;
    }

    static OpSelection of(List<Op> ops, Set<Long> highlighted, int maxOps) {
        int hl = (int) ops.stream().filter(op -> highlighted.contains(op.id())).count();
        if (ops.size() <= maxOps) {
            return new OpSelection(ops, ops.size(), hl);
        }
        List<Integer> hlIndexes = new ArrayList<>();
        List<Integer> restIndexes = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            (highlighted.contains(ops.get(i).id()) ? hlIndexes : restIndexes).add(i);
        }
        // Highlighted ops alone could exceed the cap (a checker blaming everything); sample those too.
        boolean[] keep = new boolean[ops.size()];
        int keptHl = markEvenly(hlIndexes, Math.min(hlIndexes.size(), maxOps), keep);
        markEvenly(restIndexes, maxOps - keptHl, keep);
        List<Op> drawn = new ArrayList<>(maxOps);
        for (int i = 0; i < ops.size(); i++) {
            if (keep[i]) {
                drawn.add(ops.get(i));
            }
        }
        return new OpSelection(List.copyOf(drawn), ops.size(), keptHl);
    }

    /** Marks {@code n} of {@code indexes}, evenly spaced; returns how many were marked. */
    private static int markEvenly(List<Integer> indexes, int n, boolean[] keep) {
        for (int i = 0; i < n; i++) {
            keep[indexes.get((int) ((long) i * indexes.size() / n))] = true;
        }
        return n;
    }
}
