package io.cairn.verify.check;

import io.cairn.verify.history.Op;
import java.util.List;

/**
 * One specific problem found by {@link AppendChecker} or {@link LostWriteChecker}, with the ops
 * that prove it, so a report points at evidence instead of just saying "invalid".
 *
 * @param key the key
 * @param type what kind of anomaly
 * @param message human-readable explanation
 * @param ops the offending ops (first the op that observed the anomaly, then the witnesses)
 */
public record Anomaly(String key, Type type, String message, List<Op> ops) {

    public enum Type {
        /** An acknowledged write/append/increment is missing from the final state. */
        LOST_WRITE,
        /** The final read returned a value although the key's last acknowledged write before it was a delete. */
        RESURRECTED_DELETE,
        /** The final read returned a value no write could have produced. */
        UNEXPECTED_VALUE,
        /** The final counter value exceeds what acknowledged and indeterminate increments allow. */
        PHANTOM_INCREMENT,
        /** A read lacks an append that completed before the read began. */
        STALE_READ,
        /** A read observed less than an earlier (completed-before) read. */
        NON_MONOTONIC_READ,
        /** A read contains a token no append ever wrote. */
        PHANTOM_TOKEN,
        /** A read contains a token of an append that definitely failed. */
        FAILED_WRITE_VISIBLE,
        /** A read contains a token whose append was invoked only after the read completed. */
        FUTURE_READ,
        /** A token appears more than once: an append took effect twice. */
        DUPLICATE_TOKEN,
        /** Two reads are not prefixes of one common order. */
        DIVERGENT_READS,
        /** The common order places an append before one that completed before it was invoked. */
        REORDERED_APPENDS
    }

    public Anomaly {
        ops = List.copyOf(ops);
    }

    public String describe(long originNanos) {
        StringBuilder sb = new StringBuilder();
        sb.append(type).append(" on key ").append(Op.quote(key)).append(": ").append(message).append('\n');
        for (Op op : ops) {
            sb.append("    ").append(op.describe(originNanos)).append('\n');
        }
        return sb.toString();
    }
}
