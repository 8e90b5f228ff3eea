package io.cairn.verify.check;

import io.cairn.verify.history.History;
import io.cairn.verify.history.Op;
import io.cairn.verify.history.OpKind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks that acknowledged writes survive: the cheapest and most important durability property
 * of a replicated store (losing an acknowledged write on failover is the classic Raft bug).
 *
 * <p>For every key, the <em>final read</em> is the successful READ invoked last; workloads should
 * issue one per key after healing the cluster. Only writes that completed before the final read
 * began are required to be visible; writes concurrent with it and indeterminate writes may or may
 * not be. The mode is chosen per key from the ops present:
 * <ul>
 *   <li><b>append</b> (APPEND ops): every OK-appended token must be in the final read.</li>
 *   <li><b>counter</b> (INCR ops): the final value must lie between the sum of acknowledged
 *       increments and that sum plus all increments that may have happened; below means lost
 *       increments, above means phantom/duplicated ones.</li>
 *   <li><b>register</b> (WRITE/CAS/DELETE): the final value must come from a write not definitely
 *       superseded by a later acknowledged write (or be absent if no acknowledged write precedes
 *       the read). Covers "unique keys written once": each must read back its value. When the
 *       acknowledged writes it ignored are all deletes, the anomaly is a RESURRECTED_DELETE.</li>
 * </ul>
 * Every rule is a necessary condition of linearizability, so a reported anomaly is always real.
 * Keys with acknowledged writes but no final read make the outcome UNKNOWN.
 */
public final class LostWriteChecker {
    private static final int MAX_EVIDENCE = 20;
    private final String separator;

    /** Append tokens separated by {@code ","}. */
    public LostWriteChecker() {
        this(",");
    }

    public LostWriteChecker(String appendSeparator) {
        Tokens.requireSeparator(appendSeparator);
        this.separator = appendSeparator;
    }

    /** @throws IllegalArgumentException if a key mixes workloads (e.g. APPEND and INCR) */
    public CheckResult check(History history) {
        CheckResult.Collector out = new CheckResult.Collector();
        boolean incomplete = false;
        for (Map.Entry<String, List<Op>> e : history.byKey().entrySet()) {
            String key = e.getKey();
            List<Op> ops = e.getValue();
            Op last = ops.stream().filter(op -> op.kind() == OpKind.READ && op.isOk())
                    .max(Comparator.comparingLong(Op::invokeNanos).thenComparingLong(Op::completeNanos))
                    .orElse(null);
            boolean appends = ops.stream().anyMatch(op -> op.kind() == OpKind.APPEND);
            boolean incrs = ops.stream().anyMatch(op -> op.kind() == OpKind.INCR);
            for (Op op : ops) {
                boolean fits = op.kind() == OpKind.READ
                        || (appends ? op.kind() == OpKind.APPEND
                        : incrs ? op.kind() == OpKind.INCR
                        : op.kind() != OpKind.APPEND && op.kind() != OpKind.INCR);
                if (!fits) {
                    throw new IllegalArgumentException("key " + Op.quote(key) + " mixes workloads: " + op);
                }
            }
            if (last == null) {
                if (ops.stream().anyMatch(op -> op.isOk() && op.kind() != OpKind.READ)) {
                    out.note("key " + Op.quote(key) + " has acknowledged writes but no successful read");
                    incomplete = true;
                }
                continue;
            }
            if (appends) {
                checkAppends(key, ops, last, out);
            } else if (incrs) {
                checkCounter(key, ops, last, out);
            } else {
                checkRegister(key, ops, last, out);
            }
        }
        return out.result("LostWriteChecker", incomplete, history.originNanos());
    }

    private void checkAppends(String key, List<Op> ops, Op read, CheckResult.Collector out) {
        Set<String> seen = new HashSet<>(Tokens.split(read.output(), separator));
        List<Op> lost = new ArrayList<>();
        for (Op op : ops) {
            if (op.kind() == OpKind.APPEND && op.isOk() && op.completeNanos() < read.invokeNanos()
                    && !seen.contains(Tokens.tokenOf(op, separator))) {
                lost.add(op);
            }
        }
        if (!lost.isEmpty()) {
            out.add(new Anomaly(key, Anomaly.Type.LOST_WRITE, lost.size()
                    + " acknowledged append(s) missing from the final read", evidence(read, lost)));
        }
    }

    private void checkCounter(String key, List<Op> ops, Op read, CheckResult.Collector out) {
        long base = 0;
        long lo = 0;
        long hi = 0;
        for (Op op : ops) {
            if (op.kind() != OpKind.INCR || op.isFail() || op.invokeNanos() > read.completeNanos()) {
                continue;
            }
            long delta = parseLong(op.input(0), 1, op);
            if (op.isOk() && op.completeNanos() < read.invokeNanos()) {
                base += delta;
            } else if (delta < 0) {
                lo += delta; // might or might not have been applied
            } else {
                hi += delta;
            }
        }
        long value = parseLong(read.output(), 0, read);
        if (value < base + lo) {
            out.add(new Anomaly(key, Anomaly.Type.LOST_WRITE, "final value " + value + " but acknowledged "
                    + "increments imply at least " + (base + lo), List.of(read)));
        } else if (value > base + hi) {
            out.add(new Anomaly(key, Anomaly.Type.PHANTOM_INCREMENT, "final value " + value + " but all "
                    + "possible increments add up to at most " + (base + hi), List.of(read)));
        }
    }

    private void checkRegister(String key, List<Op> ops, Op read, CheckResult.Collector out) {
        List<Op> writes = new ArrayList<>();
        long lastDefiniteInvoke = Long.MIN_VALUE;
        boolean anyDefinite = false;
        for (Op op : ops) {
            boolean effective = switch (op.kind()) {
                case WRITE, DELETE -> !op.isFail();
                case CAS -> op.isInfo() || (op.isOk() && ("true".equals(op.output()) || "1".equals(op.output())));
                default -> false;
            };
            if (!effective) {
                continue;
            }
            writes.add(op);
            if (op.isOk() && op.completeNanos() < read.invokeNanos()) {
                anyDefinite = true;
                lastDefiniteInvoke = Math.max(lastDefiniteInvoke, op.invokeNanos());
            }
        }
        // A write is superseded if an acknowledged write began after it completed and itself
        // completed before the read began: then it cannot be the last write before the read.
        boolean possible = !anyDefinite && read.output() == null; // the initial "absent" state
        for (Op w : writes) {
            if (w.invokeNanos() <= read.completeNanos() && w.effectiveCompleteNanos() >= lastDefiniteInvoke
                    && Objects.equals(valueOf(w), read.output())) {
                possible = true;
                break;
            }
        }
        if (possible) {
            return;
        }
        List<Op> latest = new ArrayList<>();
        for (Op w : writes) {
            if (w.isOk() && w.completeNanos() < read.invokeNanos() && w.completeNanos() >= lastDefiniteInvoke) {
                latest.add(w);
            }
        }
        if (anyDefinite && read.output() != null && !latest.isEmpty()
                && latest.stream().allMatch(w -> w.kind() == OpKind.DELETE)) {
            out.add(new Anomaly(key, Anomaly.Type.RESURRECTED_DELETE, "final read returned " + Op.quote(read.output())
                    + " but the key's last acknowledged write before it was a delete: a deleted key came back",
                    evidence(read, latest)));
        } else if (anyDefinite) {
            out.add(new Anomaly(key, Anomaly.Type.LOST_WRITE, "final read returned " + Op.quote(read.output())
                    + " but one of these acknowledged writes (or a later one) must be visible", evidence(read, latest)));
        } else {
            out.add(new Anomaly(key, Anomaly.Type.UNEXPECTED_VALUE, "final read returned "
                    + Op.quote(read.output()) + ", which no write could have produced", List.of(read)));
        }
    }

    private static String valueOf(Op write) {
        return switch (write.kind()) {
            case WRITE -> write.input(0);
            case CAS -> write.input(1);
            default -> null;
        };
    }

    private static List<Op> evidence(Op read, List<Op> ops) {
        List<Op> ev = new ArrayList<>();
        ev.add(read);
        ev.addAll(ops.subList(0, Math.min(ops.size(), MAX_EVIDENCE)));
        return ev;
    }

    private static long parseLong(String s, long dflt, Op op) {
        if (s == null) {
            return dflt;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an integer in " + op, e);
        }
    }
}
