package io.cairn.verify.check;

import io.cairn.verify.history.History;
import io.cairn.verify.history.Op;
import io.cairn.verify.model.Model;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checks that a history is linearizable with respect to a {@link Model}.
 *
 * <p>The history is split by key and each key is checked on its own. This is sound because
 * linearizability is compositional (Herlihy &amp; Wing's locality; Horn &amp; Kroening's
 * P-compositionality): a history is linearizable iff every per-object sub-history is. It also
 * turns one exponential search over N ops into several much smaller ones that can run in
 * parallel. The model therefore describes a single key.
 *
 * <p>Per-key search: see {@link KeySearch} (Wing &amp; Gong + Lowe's memoization, as in Porcupine).
 * FAIL ops are dropped; INFO ops may take effect at any point after their invocation, or never.
 *
 * <p>Cost: correct histories are typically checked in near-linear time. Proving a violation means
 * ruling out every configuration before it, which grows with per-key concurrency and with the
 * number of indeterminate ops per key. Workloads therefore spread clients over several keys
 * (5,000 ops over 5 keys with 10 clients: milliseconds) and keep INFO ops per key to a few
 * percent; beyond that the per-key budget turns the answer into UNKNOWN rather than a guess.
 *
 * <p>Instances are immutable and thread-safe; the {@code with...} methods return copies.
 * <pre>
 * LinearizabilityResult r = new LinearizabilityChecker&lt;&gt;(new RegisterModel())
 *         .withTimeBudgetPerKey(Duration.ofSeconds(10))
 *         .check(history);
 * assertEquals(Verdict.LINEARIZABLE, r.verdict(), r::describe);
 * </pre>
 *
 * @param <S> model state type
 */
public final class LinearizabilityChecker<S> {
    /** Bytes per cached (set, state) pair beyond the bitset itself: key object, hash node, table. */
    private static final long CACHE_ENTRY_OVERHEAD = 96;

    private final Model<S> model;
    private final Duration timeBudget;
    private final long stepBudget;
    private final long cacheBytes;
    private final int parallelism;

    /**
     * Defaults: 30 s and unlimited steps per key, a 128 MiB cache per key, and up to 4 keys
     * checked in parallel (capped at the number of processors).
     */
    public LinearizabilityChecker(Model<S> model) {
        this(model, Duration.ofSeconds(30), Long.MAX_VALUE, 128L << 20,
                Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    private LinearizabilityChecker(Model<S> model, Duration timeBudget, long stepBudget, long cacheBytes,
                                   int parallelism) {
        this.model = Objects.requireNonNull(model, "model");
        this.timeBudget = timeBudget;
        this.stepBudget = stepBudget;
        this.cacheBytes = cacheBytes;
        this.parallelism = parallelism;
    }

    /** Wall-clock budget per key; when exceeded that key's verdict is UNKNOWN. */
    public LinearizabilityChecker<S> withTimeBudgetPerKey(Duration budget) {
        if (budget.isNegative() || budget.isZero()) {
            throw new IllegalArgumentException("time budget must be positive: " + budget);
        }
        return new LinearizabilityChecker<>(model, budget, stepBudget, cacheBytes, parallelism);
    }

    /** Maximum model steps per key; when exceeded that key's verdict is UNKNOWN. Deterministic, unlike time. */
    public LinearizabilityChecker<S> withStepBudgetPerKey(long steps) {
        if (steps <= 0) {
            throw new IllegalArgumentException("step budget must be positive: " + steps);
        }
        return new LinearizabilityChecker<>(model, timeBudget, steps, cacheBytes, parallelism);
    }

    /** Approximate memory for the memoization cache of one key; past it the search runs uncached. */
    public LinearizabilityChecker<S> withCacheBytesPerKey(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cache size must be >= 0: " + bytes);
        }
        return new LinearizabilityChecker<>(model, timeBudget, stepBudget, bytes, parallelism);
    }

    /** Number of keys checked concurrently (1 = on the calling thread). */
    public LinearizabilityChecker<S> withParallelism(int threads) {
        if (threads <= 0) {
            throw new IllegalArgumentException("parallelism must be positive: " + threads);
        }
        return new LinearizabilityChecker<>(model, timeBudget, stepBudget, cacheBytes, threads);
    }

    /**
     * Checks every key of {@code history}.
     *
     * @throws IllegalArgumentException if an op is malformed for the model (checked before searching)
     */
    public LinearizabilityResult check(History history) {
        long start = System.nanoTime();
        SortedMap<String, List<Op>> byKey = history.byKey();
        byKey.values().forEach(this::validate);
        Map<String, KeyResult> results = new TreeMap<>();
        int threads = Math.min(parallelism, byKey.size());
        if (threads <= 1) {
            byKey.forEach((key, ops) -> results.put(key, search(key, ops)));
        } else {
            runParallel(byKey, threads, results);
        }
        return new LinearizabilityResult(Verdict.combine(results.values().stream().map(KeyResult::verdict).toList()),
                Collections.unmodifiableMap(results), history.originNanos(), System.nanoTime() - start);
    }

    /** Checks the ops of a single key on the calling thread. */
    public KeyResult checkKey(String key, List<Op> ops) {
        validate(ops);
        return search(key, ops);
    }

    private void validate(List<Op> ops) {
        for (Op op : ops) {
            if (!op.isFail()) {
                model.validate(op);
            }
        }
    }

    private KeyResult search(String key, List<Op> ops) {
        long words = (ops.size() + 63L) / 64;
        long maxEntries = cacheBytes / (CACHE_ENTRY_OVERHEAD + 16 + 8 * words);
        return KeySearch.check(model, key, ops,
                new KeySearch.Budget(stepBudget, timeBudget.toNanos(), maxEntries));
    }

    private void runParallel(SortedMap<String, List<Op>> byKey, int threads, Map<String, KeyResult> results) {
        List<Map.Entry<String, List<Op>>> work = new ArrayList<>(byKey.entrySet());
        work.sort(Comparator.comparingInt((Map.Entry<String, List<Op>> e) -> e.getValue().size()).reversed());
        AtomicInteger counter = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, "cairn-linearizability-" + counter.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        ExecutorService pool = Executors.newFixedThreadPool(threads, factory);
        Map<String, Future<KeyResult>> futures = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, List<Op>> e : work) {
                futures.put(e.getKey(), pool.submit(() -> search(e.getKey(), e.getValue())));
            }
            for (Map.Entry<String, Future<KeyResult>> f : futures.entrySet()) {
                try {
                    results.put(f.getKey(), f.getValue().get());
                } catch (ExecutionException ex) {
                    Throwable cause = ex.getCause();
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(cause);
                }
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            for (Map.Entry<String, List<Op>> e : work) {
                results.putIfAbsent(e.getKey(),
                        new KeyResult(e.getKey(), Verdict.UNKNOWN, e.getValue().size(), 0, 0, "interrupted", null));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
