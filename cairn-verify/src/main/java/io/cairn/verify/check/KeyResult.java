package io.cairn.verify.check;

import io.cairn.verify.history.Op;
import java.util.Locale;

/**
 * Result of checking one key.
 *
 * @param key the key
 * @param verdict the outcome
 * @param ops ops that took part in the search (FAIL ops and indeterminate reads excluded)
 * @param steps model steps the search spent
 * @param elapsedNanos wall time spent on this key
 * @param reason why the result is UNKNOWN (budget, interruption); empty otherwise
 * @param explanation the violation report for NOT_LINEARIZABLE keys, else {@code null}
 */
public record KeyResult(String key, Verdict verdict, int ops, long steps, long elapsedNanos,
                        String reason, Explanation explanation) {

    public String describe(long originNanos, int maxPrefixOps) {
        StringBuilder sb = new StringBuilder();
        sb.append("key ").append(Op.quote(key)).append(": ").append(verdict)
                .append(String.format(Locale.ROOT, " (%d ops, %d steps, %.1f ms)", ops, steps, elapsedNanos / 1e6));
        if (!reason.isEmpty()) {
            sb.append(" - ").append(reason);
        }
        sb.append('\n');
        if (explanation != null) {
            sb.append(explanation.describe(originNanos, maxPrefixOps));
        }
        return sb.toString();
    }
}
