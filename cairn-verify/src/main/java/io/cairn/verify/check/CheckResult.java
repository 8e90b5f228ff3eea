package io.cairn.verify.check;

import io.cairn.verify.history.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Result of {@link AppendChecker} or {@link LostWriteChecker}.
 *
 * @param checker which checker produced it
 * @param outcome VALID, INVALID (see anomalies) or UNKNOWN (nothing to judge, see notes)
 * @param anomalies the problems found; empty unless INVALID
 * @param notes things that limited the check, e.g. keys without a final read
 * @param originNanos time zero used when printing op times
 */
public record CheckResult(String checker, Outcome outcome, List<Anomaly> anomalies, List<String> notes,
                          long originNanos) {

    public enum Outcome { VALID, INVALID, UNKNOWN }

    public CheckResult {
        anomalies = List.copyOf(anomalies);
        notes = List.copyOf(notes);
    }

    public boolean isValid() {
        return outcome == Outcome.VALID;
    }

    public List<Anomaly> anomalies(Anomaly.Type type) {
        return anomalies.stream().filter(a -> a.type() == type).toList();
    }

    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(checker).append(": ").append(outcome).append(" (").append(anomalies.size()).append(" anomalies)\n");
        for (Anomaly a : anomalies) {
            sb.append("  ").append(a.describe(originNanos));
        }
        for (String n : notes) {
            sb.append("  note: ").append(n).append('\n');
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return describe();
    }

    /** Collects anomalies, capping each (key, type) so one lost append does not yield 10,000 reports. */
    static final class Collector {
        private static final int MAX_PER_KEY_AND_TYPE = 10;
        private final List<Anomaly> anomalies = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();
        private final Map<String, Integer> suppressed = new TreeMap<>();
        private final Map<String, Integer> counts = new HashMap<>();

        void add(Anomaly a) {
            String k = a.type() + " on key " + Op.quote(a.key());
            if (counts.merge(k, 1, Integer::sum) > MAX_PER_KEY_AND_TYPE) {
                suppressed.merge(k, 1, Integer::sum);
            } else {
                anomalies.add(a);
            }
        }

        void note(String n) {
            notes.add(n);
        }

        CheckResult result(String checker, boolean incomplete, long originNanos) {
            List<String> allNotes = new ArrayList<>(notes);
            suppressed.forEach((k, n) -> allNotes.add(n + " more " + k + " not listed"));
            Outcome outcome = !anomalies.isEmpty() ? Outcome.INVALID : incomplete ? Outcome.UNKNOWN : Outcome.VALID;
            return new CheckResult(checker, outcome, anomalies, allNotes, originNanos);
        }
    }
}
