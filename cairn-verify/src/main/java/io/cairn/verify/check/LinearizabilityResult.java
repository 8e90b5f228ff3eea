package io.cairn.verify.check;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Outcome for a whole history: the combined verdict plus one {@link KeyResult} per key.
 *
 * @param verdict NOT_LINEARIZABLE if any key is, else UNKNOWN if any key is, else LINEARIZABLE
 * @param keys per-key results, sorted by key
 * @param originNanos time zero used when printing op times
 * @param elapsedNanos wall time of the whole check
 */
public record LinearizabilityResult(Verdict verdict, Map<String, KeyResult> keys, long originNanos,
                                    long elapsedNanos) {

    public boolean isLinearizable() {
        return verdict == Verdict.LINEARIZABLE;
    }

    public KeyResult key(String key) {
        return keys.get(key);
    }

    public List<KeyResult> violations() {
        return keys.values().stream().filter(k -> k.verdict() == Verdict.NOT_LINEARIZABLE).toList();
    }

    public List<KeyResult> unknown() {
        return keys.values().stream().filter(k -> k.verdict() == Verdict.UNKNOWN).toList();
    }

    /** Summary line plus details for every key that is not linearizable or unknown. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s: %d keys checked in %.1f ms, %d not linearizable, %d unknown%n",
                verdict, keys.size(), elapsedNanos / 1e6, violations().size(), unknown().size()));
        for (KeyResult k : keys.values()) {
            if (k.verdict() != Verdict.LINEARIZABLE) {
                sb.append(k.describe(originNanos, 20));
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
