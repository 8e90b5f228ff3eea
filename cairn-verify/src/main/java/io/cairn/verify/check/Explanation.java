package io.cairn.verify.check;

import io.cairn.verify.history.Op;
import java.util.List;

/**
 * Why a key is not linearizable, in terms an engineer can act on.
 *
 * <p>The search remembers the deepest partial linearization it ever reached. From there, some op
 * had to take effect before {@link #deadline} completed, and every candidate either was rejected
 * by the model outright ({@link #unplaceable}, usually the culprit: the stale or phantom read) or
 * was accepted but led only to dead ends ({@link #deadEnds}). This is the same "longest
 * linearizable prefix" view Porcupine and Knossos report.
 *
 * @param prefix longest linearizable prefix found, in linearization order
 * @param stateAfterPrefix model state after {@code prefix}
 * @param deadline the remaining completed op with the earliest completion: something had to be
 *                 linearized before it returned
 * @param unplaceable ops that could go next in real time but that the model rejects in that state
 * @param deadEnds ops the model accepts next but from which no complete linearization exists
 */
public record Explanation(List<Op> prefix, String stateAfterPrefix, Op deadline,
                          List<Op> unplaceable, List<Op> deadEnds) {

    public Explanation {
        prefix = List.copyOf(prefix);
        unplaceable = List.copyOf(unplaceable);
        deadEnds = List.copyOf(deadEnds);
    }

    /**
     * Multi-line report; only the last {@code maxPrefixOps} prefix ops are printed because the
     * violation is almost always at the end of the prefix.
     */
    public String describe(long originNanos, int maxPrefixOps) {
        StringBuilder sb = new StringBuilder();
        sb.append("  longest linearizable prefix: ").append(prefix.size()).append(" ops");
        int from = Math.max(0, prefix.size() - maxPrefixOps);
        if (from > 0) {
            sb.append(" (last ").append(prefix.size() - from).append(" shown)");
        }
        sb.append('\n');
        for (int i = from; i < prefix.size(); i++) {
            sb.append("    ").append(prefix.get(i).describe(originNanos)).append('\n');
        }
        sb.append("  state after prefix: ").append(stateAfterPrefix).append('\n');
        if (deadline != null) {
            sb.append("  some op had to take effect before ")
                    .append(Op.formatTime(deadline.completeNanos(), originNanos))
                    .append(", when this op completed:\n    ").append(deadline.describe(originNanos)).append('\n');
        }
        if (!unplaceable.isEmpty()) {
            sb.append("  could not be placed next (impossible in that state):\n");
            for (Op op : unplaceable) {
                sb.append("    ").append(op.describe(originNanos)).append('\n');
            }
        }
        if (!deadEnds.isEmpty()) {
            sb.append("  could be placed next, but every continuation fails:\n");
            for (Op op : deadEnds) {
                sb.append("    ").append(op.describe(originNanos)).append('\n');
            }
        }
        return sb.toString();
    }
}
