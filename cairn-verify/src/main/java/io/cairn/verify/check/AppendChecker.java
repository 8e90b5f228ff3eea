package io.cairn.verify.check;

import io.cairn.verify.history.History;
import io.cairn.verify.history.Op;
import io.cairn.verify.history.OpKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Linear-time consistency check for append workloads (each client APPENDs unique tokens to a few
 * keys and READs them back), in the spirit of Jepsen's list-append checks.
 *
 * <p>Because tokens are unique, each read reveals the entire order of effects up to that point,
 * so anomalies can be found directly instead of by searching for a linearization. That scales to
 * histories far larger than {@link LinearizabilityChecker} can handle and names the exact ops at
 * fault. The properties checked are necessary conditions of linearizability:
 * <ul>
 *   <li>every read's tokens form a prefix of one common total order (no divergence);</li>
 *   <li>every OK append that completed before a read began is in that read (no stale reads), and
 *       a read never sees less than a read that completed before it began (monotonic);</li>
 *   <li>no token appears that was never appended, was appended by a definitely failed op, was
 *       appended only after the read completed, or appears twice;</li>
 *   <li>the common order never puts an append before one that completed before it was invoked.</li>
 * </ul>
 * It is not sufficient on its own (e.g. it does not examine where indeterminate appends could
 * fall relative to each other beyond that), so pair it with the linearizability checker on
 * small runs. Keys with APPEND ops are checked, and so are keys that were only ever read (any
 * token there is a phantom under every workload); other keys (registers, counters) are ignored.
 */
public final class AppendChecker {
    private final String separator;

    /** Tokens separated by {@code ","}. */
    public AppendChecker() {
        this(",");
    }

    public AppendChecker(String separator) {
        Tokens.requireSeparator(separator);
        this.separator = separator;
    }

    /**
     * @throws IllegalArgumentException if two appends use the same token, an append carries other
     *         than one token, or an append key also sees WRITE/CAS/DELETE/INCR ops
     */
    public CheckResult check(History history) {
        CheckResult.Collector out = new CheckResult.Collector();
        boolean incomplete = false;
        for (Map.Entry<String, List<Op>> e : history.byKey().entrySet()) {
            List<Op> ops = e.getValue();
            boolean appended = ops.stream().anyMatch(op -> op.kind() == OpKind.APPEND);
            boolean onlyRead = ops.stream().allMatch(op -> op.kind() == OpKind.READ);
            if (!appended && !onlyRead) {
                continue;
            }
            incomplete |= !checkKey(e.getKey(), ops, out);
        }
        return out.result("AppendChecker", incomplete, history.originNanos());
    }

    private record Read(Op op, List<String> tokens, Set<String> set) {
    }

    /** Returns false if the key could not be judged (acknowledged appends but no read). */
    private boolean checkKey(String key, List<Op> ops, CheckResult.Collector out) {
        Map<String, Op> byToken = new HashMap<>();
        List<Op> okAppends = new ArrayList<>();
        List<Read> reads = new ArrayList<>();
        for (Op op : ops) {
            switch (op.kind()) {
                case APPEND -> {
                    Op prev = byToken.put(Tokens.tokenOf(op, separator), op);
                    if (prev != null) {
                        throw new IllegalArgumentException("append tokens must be unique; "
                                + prev + " and " + op + " share one");
                    }
                    if (op.isOk()) {
                        okAppends.add(op);
                    }
                }
                case READ -> {
                    if (op.isOk()) {
                        List<String> t = Tokens.split(op.output(), separator);
                        reads.add(new Read(op, t, new HashSet<>(t)));
                    }
                }
                default -> throw new IllegalArgumentException("append key " + Op.quote(key)
                        + " has an op the append checker cannot interpret: " + op);
            }
        }
        if (reads.isEmpty()) {
            if (!okAppends.isEmpty()) {
                out.note("key " + Op.quote(key) + " has acknowledged appends but no successful read");
                return false;
            }
            return true;
        }
        okAppends.sort(Comparator.comparingLong(Op::completeNanos));
        long[] okCompletes = okAppends.stream().mapToLong(Op::completeNanos).toArray();
        for (Read r : reads) {
            checkTokens(key, r, byToken, out);
            checkComplete(key, r, byToken, okAppends, okCompletes, out);
        }
        checkPrefixes(key, reads, out);
        checkMonotonic(key, reads, out);
        checkOrder(key, reads, byToken, out);
        return true;
    }

    private void checkTokens(String key, Read r, Map<String, Op> byToken, CheckResult.Collector out) {
        Set<String> seen = new HashSet<>();
        for (String t : r.tokens()) {
            Op a = byToken.get(t);
            if (!seen.add(t)) {
                out.add(new Anomaly(key, Anomaly.Type.DUPLICATE_TOKEN, "token " + Op.quote(t)
                        + " appears more than once (an append took effect twice)", a == null ? List.of(r.op()) : List.of(r.op(), a)));
            } else if (a == null) {
                out.add(new Anomaly(key, Anomaly.Type.PHANTOM_TOKEN, "token " + Op.quote(t)
                        + " was never appended", List.of(r.op())));
            } else if (a.isFail()) {
                out.add(new Anomaly(key, Anomaly.Type.FAILED_WRITE_VISIBLE, "token " + Op.quote(t)
                        + " comes from an append that definitely failed", List.of(r.op(), a)));
            } else if (a.invokeNanos() > r.op().completeNanos()) {
                out.add(new Anomaly(key, Anomaly.Type.FUTURE_READ, "token " + Op.quote(t)
                        + " was appended only after the read completed", List.of(r.op(), a)));
            }
        }
    }

    /** Counting first keeps the common (valid) case at O(|read|) instead of O(#appends). */
    private void checkComplete(String key, Read r, Map<String, Op> byToken, List<Op> okAppends, long[] okCompletes,
                               CheckResult.Collector out) {
        long begin = r.op().invokeNanos();
        int mustSee = lowerBound(okCompletes, begin);
        int sees = 0;
        for (String t : r.set()) {
            Op a = byToken.get(t);
            if (a != null && a.isOk() && a.completeNanos() < begin) {
                sees++;
            }
        }
        if (sees == mustSee) {
            return;
        }
        List<Op> evidence = new ArrayList<>();
        evidence.add(r.op());
        int missing = 0;
        for (int i = 0; i < mustSee; i++) {
            Op a = okAppends.get(i);
            if (!r.set().contains(Tokens.tokenOf(a, separator))) {
                if (++missing <= 10) {
                    evidence.add(a);
                }
            }
        }
        out.add(new Anomaly(key, Anomaly.Type.STALE_READ, missing
                + " acknowledged append(s) completed before the read began but are missing from it", evidence));
    }

    /** Sorted by length, each read must be a prefix of the next; prefix-of is transitive. */
    private void checkPrefixes(String key, List<Read> reads, CheckResult.Collector out) {
        List<Read> byLength = new ArrayList<>(reads);
        byLength.sort(Comparator.comparingInt((Read r) -> r.tokens().size()).thenComparingLong(r -> r.op().invokeNanos()));
        for (int i = 1; i < byLength.size(); i++) {
            List<String> a = byLength.get(i - 1).tokens();
            List<String> b = byLength.get(i).tokens();
            for (int j = 0; j < a.size(); j++) {
                if (!a.get(j).equals(b.get(j))) {
                    out.add(new Anomaly(key, Anomaly.Type.DIVERGENT_READS, "reads disagree at position " + j + ": "
                            + Op.quote(a.get(j)) + " vs " + Op.quote(b.get(j)),
                            List.of(byLength.get(i - 1).op(), byLength.get(i).op())));
                    break;
                }
            }
        }
    }

    private void checkMonotonic(String key, List<Read> reads, CheckResult.Collector out) {
        List<Read> byInvoke = new ArrayList<>(reads);
        byInvoke.sort(Comparator.comparingLong(r -> r.op().invokeNanos()));
        List<Read> byComplete = new ArrayList<>(reads);
        byComplete.sort(Comparator.comparingLong(r -> r.op().completeNanos()));
        Read longestDone = null;
        int k = 0;
        for (Read r : byInvoke) {
            while (k < byComplete.size() && byComplete.get(k).op().completeNanos() < r.op().invokeNanos()) {
                Read d = byComplete.get(k++);
                if (longestDone == null || d.tokens().size() > longestDone.tokens().size()) {
                    longestDone = d;
                }
            }
            if (longestDone != null && longestDone.tokens().size() > r.tokens().size()) {
                out.add(new Anomaly(key, Anomaly.Type.NON_MONOTONIC_READ, "read saw " + r.tokens().size()
                        + " tokens after an earlier read had already seen " + longestDone.tokens().size(),
                        List.of(r.op(), longestDone.op())));
            }
        }
    }

    private void checkOrder(String key, List<Read> reads, Map<String, Op> byToken, CheckResult.Collector out) {
        Read longest = reads.stream().max(Comparator.comparingInt(r -> r.tokens().size())).orElseThrow();
        long maxInvoke = Long.MIN_VALUE;
        Op witness = null;
        for (String t : longest.tokens()) {
            Op a = byToken.get(t);
            if (a == null || a.isFail()) {
                continue;
            }
            if (witness != null && a.effectiveCompleteNanos() < maxInvoke) {
                out.add(new Anomaly(key, Anomaly.Type.REORDERED_APPENDS, "token " + Op.quote(t)
                        + " is ordered after a token whose append began only after this one completed",
                        List.of(longest.op(), a, witness)));
            }
            if (witness == null || a.invokeNanos() > maxInvoke) {
                maxInvoke = a.invokeNanos();
                witness = a;
            }
        }
    }

    /** Number of elements strictly less than {@code v} in sorted {@code a}. */
    static int lowerBound(long[] a, long v) {
        int i = Arrays.binarySearch(a, v);
        if (i < 0) {
            return -i - 1;
        }
        while (i > 0 && a[i - 1] == v) {
            i--;
        }
        return i;
    }
}
