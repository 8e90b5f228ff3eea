package io.cairn.verify.check;

import io.cairn.verify.history.Op;
import io.cairn.verify.model.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Wing &amp; Gong's linearizability search with Lowe's memoization, for one key.
 *
 * <p>Every completed op contributes a call entry and a return entry to a doubly linked list
 * sorted by time. The search walks the list: at a call it tries to linearize that op now (model
 * step succeeds and the resulting configuration is new), then "lifts" the op's entries out of the
 * list and restarts from the head; reaching a return entry means the op it belongs to should
 * already have taken effect, so the last choice is undone ("unlift") and the walk resumes after
 * it. Lifting and unlifting are O(1) (dancing links) and the lists live in int arrays to keep the
 * hot loop allocation-light.
 *
 * <p>Lowe's cache of explored configurations (linearized set, state) makes the search usually
 * linear for correct histories: two interleavings that linearized the same ops and reached the
 * same state have the same future. Sets are {@code long[]} bitsets hashed with Zobrist keys (one
 * random word per op, XOR-ed in and out), so hashing costs O(1) per step.
 *
 * <p>Proving a violation is the expensive direction: every configuration reachable before the
 * bad op must be ruled out, and with 10 clients on one key plain Wing-Gong needs minutes on a
 * 1,000-op history. Four sound reductions keep this tractable:
 * <ul>
 *   <li><b>Observers first:</b> an OK op that can never change the state (a read, a failed CAS;
 *       {@link Model#isReadOnly}) and fits the current state is linearized immediately as the
 *       node's only child. Any successful continuation can be reordered to place it there — it
 *       changes nothing and everything that had to precede it is already placed — so if that
 *       child fails, the node fails. This removes the reads from the branching.</li>
 *   <li><b>Optional INFO ops:</b> indeterminate ops get no return entry (nothing forces them to
 *       take effect) and live in a separate list that is tried only after the OK candidates.
 *       The search succeeds as soon as every OK op is placed; leftover INFO ops never happened.</li>
 *   <li><b>Dominance:</b> since INFO ops never have to be placed, a configuration (R, O, s) — R the
 *       placed OK ops, O the placed INFO ops — can do nothing that (R, O', s) with O' &sube; O
 *       cannot. The cache maps (R, s) to the minimal O sets explored so far and prunes supersets.</li>
 *   <li><b>Symmetry:</b> INFO ops with equal kind and inputs are interchangeable, so O is cached in
 *       a canonical form (only the count per class matters) and only the earliest unplaced member
 *       of a class is tried at a node.</li>
 * </ul>
 * Many INFO ops on one key remain the hard case (each one may or may not have happened, at any
 * later time): a single key with 10 clients and ~3% INFO ops can exhaust the budget when proving
 * a violation. Spread load over keys; the search is per key.
 *
 * <p>Budgets make the worst case (exponential in concurrency) safe: running out yields UNKNOWN,
 * never a pass. The cache is capped too; past the cap the search merely revisits configurations,
 * which costs time (bounded by the budget) but not correctness.
 */
final class KeySearch<S> {
    private static final int NIL = -1;

    record Budget(long maxSteps, long timeNanos, long maxCacheEntries) {
    }

    private final Model<S> model;
    private final Op[] ops;
    private final boolean[] required;
    /** Bit index of each op within its own bitset (required ops and optional ops are numbered apart). */
    private final int[] slot;
    private final int requiredCount;
    private final int optionalCount;
    private final int mainHead;
    private final int optHead;
    private final int[] next;
    private final int[] prev;
    private final long[] zobrist;
    /** OK ops that can never change the state (see {@link Model#isReadOnly}). */
    private final boolean[] observer;
    /** Optional slots grouped into classes of interchangeable ops, each sorted by invocation; null if all distinct. */
    private final int[][] classes;
    /** For each optional slot: its class in {@link #classes} and its rank within that class. */
    private final int[] classOf;
    private final int[] rankOf;

    private Budget budget;
    private long deadline;
    private long steps;
    private long cacheEntries;
    private int[] best = new int[0];
    private int bestDepth = -1;
    private String unknownReason = "";

    private KeySearch(Model<S> model, List<Op> keyOps) {
        this.model = model;
        List<Op> used = new ArrayList<>(keyOps.size());
        for (Op op : keyOps) {
            if (op.isFail() || (op.isInfo() && model.isReadOnly(op))) {
                continue; // FAIL never happened; an indeterminate read constrains nothing
            }
            used.add(op);
        }
        int n = used.size();
        this.ops = used.toArray(new Op[0]);
        this.required = new boolean[n];
        this.slot = new int[n];
        this.zobrist = new long[n];
        this.observer = new boolean[n];
        SplittableRandom rnd = new SplittableRandom(0x5eed_cafeL ^ n);
        List<Integer> mainEntries = new ArrayList<>(2 * n);
        List<Integer> optEntries = new ArrayList<>();
        int req = 0;
        int opt = 0;
        for (int i = 0; i < n; i++) {
            required[i] = ops[i].isOk();
            observer[i] = required[i] && model.isReadOnly(ops[i]);
            slot[i] = required[i] ? req++ : opt++;
            zobrist[i] = rnd.nextLong();
            if (required[i]) {
                mainEntries.add(2 * i);
                mainEntries.add(2 * i + 1);
            } else {
                optEntries.add(2 * i);
            }
        }
        this.requiredCount = req;
        this.optionalCount = opt;
        // Calls before returns at equal times: touching intervals count as concurrent, so clock
        // granularity can only make the check more permissive, never report a false violation.
        Comparator<Integer> order = Comparator.<Integer>comparingLong(this::time)
                .thenComparingInt(e -> e & 1)
                .thenComparingInt(e -> e >>> 1);
        mainEntries.sort(order);
        optEntries.sort(order);
        this.mainHead = 2 * n;
        this.optHead = 2 * n + 1;
        this.next = new int[2 * n + 2];
        this.prev = new int[2 * n + 2];
        Arrays.fill(next, NIL);
        Arrays.fill(prev, NIL);
        link(mainHead, mainEntries);
        link(optHead, optEntries);
        this.classes = interchangeableClasses(optEntries);
        this.classOf = new int[opt];
        this.rankOf = new int[opt];
        if (classes != null) {
            for (int c = 0; c < classes.length; c++) {
                for (int r = 0; r < classes[c].length; r++) {
                    classOf[classes[c][r]] = c;
                    rankOf[classes[c][r]] = r;
                }
            }
        }
    }

    /**
     * Indeterminate ops with the same kind and inputs are interchangeable: which of them was
     * placed does not matter, only how many. Grouping them lets the cache canonicalize optional
     * sets (see {@link #canonical}), which collapses the otherwise combinatorial number of sets.
     */
    private int[][] interchangeableClasses(List<Integer> optEntries) {
        Map<List<Object>, List<Integer>> byEffect = new LinkedHashMap<>();
        for (int e : optEntries) { // already sorted by invocation
            Op op = ops[e >>> 1];
            byEffect.computeIfAbsent(List.of(op.kind(), op.input()), k -> new ArrayList<>()).add(slot[e >>> 1]);
        }
        if (byEffect.size() == optEntries.size()) {
            return null;
        }
        return byEffect.values().stream()
                .map(members -> members.stream().mapToInt(Integer::intValue).toArray())
                .toArray(int[][]::new);
    }

    /** True if an earlier-invoked interchangeable op is still unplaced: trying this one is redundant. */
    private boolean hasUnplacedTwin(int optSlot, long[] opt) {
        if (classes == null) {
            return false;
        }
        int[] members = classes[classOf[optSlot]];
        for (int r = rankOf[optSlot] - 1; r >= 0; r--) {
            int m = members[r];
            if ((opt[m >>> 6] & (1L << m)) == 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Canonical representative of an optional set: per class, the same number of members, taken
     * from the earliest-invoked ones. Those are always available too, since placed members were
     * available and members are ordered by invocation.
     */
    private long[] canonical(long[] opt) {
        if (classes == null) {
            return opt;
        }
        long[] out = new long[opt.length];
        for (int[] members : classes) {
            int count = 0;
            for (int m : members) {
                if ((opt[m >>> 6] & (1L << m)) != 0) {
                    count++;
                }
            }
            for (int k = 0; k < count; k++) {
                set(out, members[k]);
            }
        }
        return out;
    }

    private long time(int entry) {
        Op op = ops[entry >>> 1];
        return (entry & 1) == 0 ? op.invokeNanos() : op.completeNanos();
    }

    private void link(int head, List<Integer> entries) {
        int last = head;
        for (int e : entries) {
            next[last] = e;
            prev[e] = last;
            last = e;
        }
    }

    static <S> KeyResult check(Model<S> model, String key, List<Op> keyOps, Budget budget) {
        long start = System.nanoTime();
        KeySearch<S> search = new KeySearch<>(model, keyOps);
        Verdict verdict = search.search(budget, start);
        Explanation explanation = verdict == Verdict.NOT_LINEARIZABLE ? search.explain() : null;
        return new KeyResult(key, verdict, search.ops.length, search.steps, System.nanoTime() - start,
                verdict == Verdict.UNKNOWN ? search.unknownReason : "", explanation);
    }

    private Verdict search(Budget budget, long start) {
        int n = ops.length;
        int remaining = requiredCount;
        if (remaining == 0) {
            return Verdict.LINEARIZABLE;
        }
        deadline = budget.timeNanos() >= Long.MAX_VALUE - start ? Long.MAX_VALUE : start + budget.timeNanos();
        this.budget = budget;
        HashMap<CacheKey, Object> cache = new HashMap<>();
        long[] reqBits = new long[(requiredCount + 63) >>> 6];
        long[] optBits = new long[(optionalCount + 63) >>> 6];
        long reqHash = 0;
        int[] stackOp = new int[n];
        Object[] stackState = new Object[n];
        long[] stackLimit = new long[n];
        boolean[] stackForced = new boolean[n];
        int depth = 0;
        int lowWater = 0; // stack entries below this are unchanged since the last best snapshot
        best = new int[n];
        bestDepth = 0;
        S state = model.init();
        // Cursor: walks the OK list first; at its first return entry (or end) it switches to the
        // INFO list, whose candidates are the calls invoked no later than that return (limit).
        boolean optPhase = false;
        long limit = 0;
        int e = NIL;
        boolean entering = true;
        while (true) {
            boolean backtrack = false;
            int op = NIL;
            boolean forced = false;
            Optional<S> stepped = Optional.empty();
            if (entering) {
                // Partial-order reduction: an observer (an op that never changes the state) that
                // fits now can be linearized now without loss of generality, so it is the only
                // child of this node: if that child fails, so does the node.
                entering = false;
                optPhase = false;
                e = next[mainHead];
                for (int c = e; c != NIL && (c & 1) == 0; c = next[c]) {
                    if (observer[c >>> 1]) {
                        if (overBudget()) {
                            return Verdict.UNKNOWN;
                        }
                        stepped = model.step(state, ops[c >>> 1]);
                        if (stepped.isPresent()) {
                            op = c >>> 1;
                            forced = true;
                            break;
                        }
                    }
                }
            } else if (!optPhase && (e == NIL || (e & 1) == 1)) {
                optPhase = true;
                limit = e == NIL ? Long.MAX_VALUE : ops[e >>> 1].completeNanos();
                e = next[optHead];
                continue;
            } else if (optPhase && (e == NIL || ops[e >>> 1].invokeNanos() > limit)) {
                backtrack = true; // every candidate at this node failed
            } else {
                op = e >>> 1;
                e = next[e];
                if (observer[op] || (optPhase && hasUnplacedTwin(slot[op], optBits))) {
                    continue; // observers were tried on entry; twins are isomorphic to a tried op
                }
                if (overBudget()) {
                    return Verdict.UNKNOWN;
                }
            }
            if (op != NIL) {
                if (!forced) {
                    stepped = model.step(state, ops[op]);
                }
                if (stepped.isPresent()) {
                    S nextState = stepped.get();
                    boolean req = required[op];
                    long nextReqHash = req ? reqHash ^ zobrist[op] : reqHash;
                    set(req ? reqBits : optBits, slot[op]);
                    if (remember(cache, reqBits, nextReqHash, optBits, nextState, budget.maxCacheEntries())) {
                        stackOp[depth] = op;
                        stackState[depth] = state;
                        stackLimit[depth] = limit;
                        stackForced[depth] = forced;
                        depth++;
                        state = nextState;
                        reqHash = nextReqHash;
                        if (req && --remaining == 0) {
                            return Verdict.LINEARIZABLE;
                        }
                        lift(op);
                        if (depth > bestDepth) {
                            System.arraycopy(stackOp, lowWater, best, lowWater, depth - lowWater);
                            bestDepth = depth;
                            lowWater = depth;
                        }
                        entering = true;
                        continue;
                    }
                    clear(req ? reqBits : optBits, slot[op]);
                }
                backtrack = forced; // the only child was already explored: the node fails
                if (!forced) {
                    continue;
                }
            }
            if (backtrack) {
                // Undo the last choice; a forced choice was its node's only option, so keep going.
                boolean wasForced;
                do {
                    if (depth == 0) {
                        return Verdict.NOT_LINEARIZABLE;
                    }
                    depth--;
                    lowWater = Math.min(lowWater, depth);
                    op = stackOp[depth];
                    state = cast(stackState[depth]);
                    stackState[depth] = null;
                    wasForced = stackForced[depth];
                    if (required[op]) {
                        clear(reqBits, slot[op]);
                        reqHash ^= zobrist[op];
                        remaining++;
                        optPhase = false;
                    } else {
                        clear(optBits, slot[op]);
                        optPhase = true;
                        limit = stackLimit[depth];
                    }
                    unlift(op);
                } while (wasForced);
                e = next[2 * op];
            }
        }
    }

    /** Counts a step; true (with the reason recorded) once the budget is exhausted or the thread interrupted. */
    private boolean overBudget() {
        if (++steps > budget.maxSteps()) {
            unknownReason = "step budget of " + budget.maxSteps() + " steps exhausted";
            return true;
        }
        if ((steps & 1023) == 0) {
            if (System.nanoTime() - deadline > 0) {
                unknownReason = "time budget of " + budget.timeNanos() / 1_000_000 + " ms exhausted";
                return true;
            }
            if (Thread.currentThread().isInterrupted()) {
                unknownReason = "interrupted";
                return true;
            }
        }
        return false;
    }

    /**
     * Records configuration (req, opt, state) and returns true if it is worth exploring, i.e. no
     * explored configuration with the same req and state has an optional set contained in opt.
     */
    private boolean remember(HashMap<CacheKey, Object> cache, long[] req, long reqHash, long[] optBits, Object state,
                             long maxEntries) {
        long[] opt = canonical(optBits);
        CacheKey probe = new CacheKey(req, reqHash, state);
        Object known = cache.get(probe);
        if (known == null) {
            if (cacheEntries < maxEntries) {
                cache.put(new CacheKey(req.clone(), reqHash, state), opt.clone());
                cacheEntries++;
            }
            return true;
        }
        if (known instanceof long[] single) {
            if (subset(single, opt)) {
                return false;
            }
            if (cacheEntries < maxEntries) {
                List<long[]> sets = new ArrayList<>(2);
                sets.add(single);
                sets.add(opt.clone());
                cache.put(probe, sets); // HashMap keeps the stored (cloned) key; probe is not retained
                cacheEntries++;
            }
            return true;
        }
        @SuppressWarnings("unchecked")
        List<long[]> sets = (List<long[]>) known;
        for (long[] s : sets) {
            if (subset(s, opt)) {
                return false;
            }
        }
        if (cacheEntries < maxEntries) {
            int before = sets.size();
            sets.removeIf(s -> subset(opt, s)); // dominated by the new, smaller set
            cacheEntries -= before - sets.size();
            sets.add(opt.clone());
            cacheEntries++;
        }
        return true;
    }

    private static boolean subset(long[] a, long[] b) {
        for (int i = 0; i < a.length; i++) {
            if ((a[i] & ~b[i]) != 0) {
                return false;
            }
        }
        return true;
    }

    private static void set(long[] bits, int i) {
        bits[i >>> 6] |= 1L << i;
    }

    private static void clear(long[] bits, int i) {
        bits[i >>> 6] &= ~(1L << i);
    }

    @SuppressWarnings("unchecked")
    private S cast(Object o) {
        return (S) o;
    }

    private void lift(int op) {
        int c = 2 * op;
        unlink(c);
        if (required[op]) {
            unlink(c + 1);
        }
    }

    private void unlift(int op) {
        int c = 2 * op;
        if (required[op]) {
            relink(c + 1);
        }
        relink(c);
    }

    private void unlink(int e) {
        next[prev[e]] = next[e];
        if (next[e] != NIL) {
            prev[next[e]] = prev[e];
        }
    }

    private void relink(int e) {
        next[prev[e]] = e;
        if (next[e] != NIL) {
            prev[next[e]] = e;
        }
    }

    /** Rebuilds the frontier after the deepest prefix; see {@link Explanation}. */
    private Explanation explain() {
        S state = model.init();
        boolean[] placed = new boolean[ops.length];
        List<Op> prefix = new ArrayList<>(bestDepth);
        for (int i = 0; i < bestDepth; i++) {
            Op op = ops[best[i]];
            placed[best[i]] = true;
            prefix.add(op);
            state = model.step(state, op).orElseThrow(() -> new IllegalStateException(
                    "model is not deterministic: replay of the linearized prefix failed at " + op));
        }
        Op deadline = null;
        for (int i = 0; i < ops.length; i++) {
            if (!placed[i] && required[i] && (deadline == null || ops[i].completeNanos() < deadline.completeNanos())) {
                deadline = ops[i];
            }
        }
        List<Op> unplaceable = new ArrayList<>();
        List<Op> deadEnds = new ArrayList<>();
        for (int i = 0; i < ops.length; i++) {
            if (!placed[i] && deadline != null && ops[i].invokeNanos() <= deadline.completeNanos()) {
                (model.step(state, ops[i]).isPresent() ? deadEnds : unplaceable).add(ops[i]);
            }
        }
        Comparator<Op> byInvoke = Comparator.comparingLong(Op::invokeNanos).thenComparingLong(Op::id);
        unplaceable.sort(byInvoke);
        deadEnds.sort(byInvoke);
        return new Explanation(prefix, model.describe(state), deadline, unplaceable, deadEnds);
    }

    /** (linearized OK ops, state); the hash is precomputed from the Zobrist hash of the set. */
    private static final class CacheKey {
        final long[] bits;
        final Object state;
        final int hash;

        CacheKey(long[] bits, long setHash, Object state) {
            this.bits = bits;
            this.state = state;
            this.hash = Long.hashCode(setHash * 0x9E3779B97F4A7C15L) * 31 + state.hashCode();
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof CacheKey k && k.hash == hash && Arrays.equals(k.bits, bits) && k.state.equals(state);
        }
    }
}
