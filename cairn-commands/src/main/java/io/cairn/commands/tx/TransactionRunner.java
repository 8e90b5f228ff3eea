package io.cairn.commands.tx;

import io.cairn.api.consistency.ReadConsistency;
import io.cairn.api.kv.KvCommands;
import io.cairn.api.reply.Errors;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.api.service.Session;
import io.cairn.commands.RedisNumbers;
import io.cairn.commands.tx.TxOutcome.Branch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Atomic multi-operation requests over {@link CommandService#exec}, for every front end (HTTP
 * {@code /v1/execute}, gRPC Batch and Execute): one MULTI/EXEC block is applied all together and
 * isolated from other commands (in a cluster its keys must share a partition, else the service
 * refuses it with CROSSSLOT and nothing is applied).
 *
 * <p><b>All or nothing.</b> Redis's EXEC keeps going after a command fails at run time, so a block
 * whose one command fails would still apply the others. Front ends rule out, before anything runs,
 * every failure that does not depend on data (syntax, sizes, TTL range). The one data-dependent
 * failure of these operations is an incr on a value that is not an integer or would overflow (and,
 * defensively, an incr or cas on a key of another type). A request that cannot suffer it, or where
 * it would be the only write, is one EXEC, one round trip: if its one write fails, nothing was
 * written ({@link TxOutcome.OperationFailed}).
 *
 * <p><b>Optimistic path.</b> A request with conditions ({@link TxCondition}), or with an incr and at
 * least two writes, observes keys: the condition keys and the incremented keys. It then runs:
 * <ol>
 *   <li>read each observed key's WATCH token (the version of its live record, not positive when absent);</li>
 *   <li>read their values in one EXEC watching those tokens, so values and versions are of one state
 *       (a key that changed in between aborts it, and the attempt starts over);</li>
 *   <li>choose the branch by the conditions, and replay its operations on those values here: if an
 *       incr would fail, stop with {@link TxOutcome.DataConflict} and run nothing;</li>
 *   <li>run the branch in one EXEC watching the same tokens.</li>
 * </ol>
 * If a watched key changed anywhere between (1) and (4), the EXEC does nothing and the request starts
 * over after a randomized pause that grows with the attempts (full jitter, at most
 * {@value #MAX_BACKOFF_MICROS} µs), at most {@code maxAttempts} times in all (each front end's own
 * setting, e.g. {@code http.execute-max-attempts}, {@code grpc.execute-max-attempts}), then
 * {@link TxOutcome.Conflict}: nothing applied, safe to retry. A chosen branch that is empty commits
 * nothing: its decision is linearized at step (2). No pause starts that would end past the
 * request's deadline ({@link TxContext}).
 *
 * <p>Outcomes are typed ({@link TxOutcome}); the returned futures never complete exceptionally. A
 * failing write next to applied writes (which the rules above make impossible) and a reply the runner
 * cannot read are logged here and reported as such, never passed off as success or as "nothing applied".
 */
public final class TransactionRunner {
    private static final System.Logger LOG = System.getLogger(TransactionRunner.class.getName());

    /** Longest randomized pause between two optimistic attempts (the caps grow from 0.5 ms). */
    public static final long MAX_BACKOFF_MICROS = 50_000;
    private static final long FIRST_BACKOFF_MICROS = 500;

    /** A live key whose GET answered WRONGTYPE: every incr or cas on it fails, no value equals it. Compared by identity. */
    private static final byte[] NOT_A_STRING = new byte[0];
    private static final byte[] GET = "GET".getBytes(StandardCharsets.US_ASCII);

    private final CommandService service;
    private final int maxAttempts;
    private final Runnable onRetry;

    /**
     * @param maxAttempts optimistic attempts per request, at least 1 (the front end's configured setting)
     * @param onRetry     called once per attempt that is started over (a metric)
     */
    public TransactionRunner(CommandService service, int maxAttempts, Runnable onRetry) {
        this.service = Objects.requireNonNull(service, "service");
        this.onRetry = Objects.requireNonNull(onRetry, "onRetry");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        this.maxAttempts = maxAttempts;
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    /** Runs {@code ops} as one atomic block, unconditionally. */
    public CompletableFuture<TxOutcome> run(List<TxOp> ops, TxContext context) {
        return run(List.of(), ops, List.of(), context);
    }

    /**
     * Runs {@code success} if every condition holds, else {@code failure}, atomically with the check;
     * see the class comment. Without conditions {@code failure} never runs.
     */
    public CompletableFuture<TxOutcome> run(List<TxCondition> conditions, List<TxOp> success, List<TxOp> failure,
                                            TxContext context) {
        Request request = new Request(List.copyOf(conditions), List.copyOf(success), List.copyOf(failure),
                Objects.requireNonNull(context, "context"));
        if (request.conditions.isEmpty() && request.success.isEmpty() && request.failure.isEmpty()) {
            throw new IllegalArgumentException("a transaction needs at least one condition or operation");
        }
        if (request.conditions.isEmpty() && !incrementNextToWrites(request.success)) {
            if (request.success.isEmpty()) {
                return CompletableFuture.completedFuture(new TxOutcome.Completed(true, List.of(), 1));
            }
            return settle(call(context, () -> exec(request.success, List.of(), context.session()))
                    .thenApply(reply -> answer(Branch.SUCCESS, request.success, reply, true, 1)));
        }
        return settle(attempt(request, 1));
    }

    /**
     * The values and versions of {@code keys}, of one state ({@link TxOutcome.Read}): tokens, then values
     * in an EXEC watching them, started over (bounded, as transactions) while a key changes in between.
     * Always linearizable, since EXEC checks the tokens on the leader.
     */
    public CompletableFuture<TxOutcome> read(List<byte[]> keys, TxContext context) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("a read needs at least one key");
        }
        return settle(read(List.copyOf(keys), Objects.requireNonNull(context, "context"), 1));
    }

    private CompletableFuture<TxOutcome> read(List<byte[]> keys, TxContext context, int attempt) {
        return probe(keys, context).thenCompose(probe -> switch (probe) {
            case Probe.Changed c -> retry(attempt, context, () -> read(keys, context, attempt + 1));
            case Probe.Stopped s -> CompletableFuture.completedFuture(s.outcome());
            case Probe.Seen seen -> {
                List<byte[]> values = new ArrayList<>(keys.size());
                for (byte[] v : seen.values()) {
                    if (v == NOT_A_STRING) {
                        yield CompletableFuture.completedFuture(new TxOutcome.Refused(Errors.WRONGTYPE, false));
                    }
                    values.add(v);
                }
                yield CompletableFuture.completedFuture(new TxOutcome.Read(
                        new TxOutcome.Snapshot(keys, seen.tokens(), values, attempt)));
            }
        });
    }

    // ------------------------------------------------------------------------------------------ optimistic path

    /** One request with its observed keys (condition keys, then incremented keys, in first-use order). */
    private record Request(List<TxCondition> conditions, List<TxOp> success, List<TxOp> failure, TxContext context,
                           List<byte[]> observed) {
        Request(List<TxCondition> conditions, List<TxOp> success, List<TxOp> failure, TxContext context) {
            // Without conditions the failure branch never runs: watching its keys would only add conflicts.
            this(conditions, success, failure, context,
                    observedKeys(conditions, conditions.isEmpty() ? List.of(success) : List.of(success, failure)));
        }
    }

    private CompletableFuture<TxOutcome> attempt(Request request, int attempt) {
        TxContext context = request.context;
        return probe(request.observed, context).thenCompose(probe -> switch (probe) {
            case Probe.Changed c -> retry(attempt, context, () -> attempt(request, attempt + 1));
            case Probe.Stopped s -> CompletableFuture.completedFuture(s.outcome());
            case Probe.Seen seen -> decideAndRun(request, seen, attempt);
        });
    }

    private CompletableFuture<TxOutcome> decideAndRun(Request request, Probe.Seen seen, int attempt) {
        List<byte[]> observed = request.observed;
        Map<ByteBuffer, Integer> index = new HashMap<>();
        for (int i = 0; i < observed.size(); i++) {
            index.put(ByteBuffer.wrap(observed.get(i)), i);
        }
        boolean holds = allHold(request.conditions, index, seen);
        Branch branch = holds ? Branch.SUCCESS : Branch.FAILURE;
        List<TxOp> ops = holds ? request.success : request.failure;
        TxOutcome refused = replay(branch, ops, observed, seen.values());
        if (refused != null) {
            return CompletableFuture.completedFuture(refused);
        }
        if (ops.isEmpty()) {
            return CompletableFuture.completedFuture(new TxOutcome.Completed(holds, List.of(), attempt));
        }
        List<CommandService.Watch> watches = new ArrayList<>(observed.size());
        for (int i = 0; i < observed.size(); i++) {
            watches.add(new CommandService.Watch(observed.get(i), seen.tokens()[i]));
        }
        TxContext context = request.context;
        return call(context, () -> exec(ops, watches, context.session())).thenCompose(reply -> {
            if (reply == Reply.Null.ARRAY) {
                return retry(attempt, context, () -> attempt(request, attempt + 1));
            }
            return CompletableFuture.completedFuture(answer(branch, ops, reply, holds, attempt));
        });
    }

    private static boolean allHold(List<TxCondition> conditions, Map<ByteBuffer, Integer> index, Probe.Seen seen) {
        for (TxCondition c : conditions) {
            int i = index.get(ByteBuffer.wrap(c.key()));
            byte[] current = seen.values()[i];
            if (!c.holds(seen.tokens()[i], current, current != NOT_A_STRING)) {
                return false;
            }
        }
        return true;
    }

    /** What one probe of the observed keys found. */
    private sealed interface Probe {
        /** Values (null: absent, {@link #NOT_A_STRING}) and WATCH tokens, of one state. */
        record Seen(long[] tokens, byte[][] values) implements Probe {}

        /** A key changed between its token and its value: start over. */
        record Changed() implements Probe {}

        /** The service refused the probe, or answered something unreadable: the request ends so. */
        record Stopped(TxOutcome outcome) implements Probe {}
    }

    private CompletableFuture<Probe> probe(List<byte[]> keys, TxContext context) {
        Session session = linearizable(context.session());
        List<CompletableFuture<Long>> tokens = new ArrayList<>(keys.size());
        for (byte[] k : keys) {
            tokens.add(call(context, () -> session == null ? service.watchToken(k) : service.watchToken(k, session)));
        }
        return CompletableFuture.allOf(tokens.toArray(CompletableFuture[]::new)).thenCompose(ignored -> {
            long[] t = new long[keys.size()];
            List<CommandService.Watch> watches = new ArrayList<>(keys.size());
            List<byte[][]> gets = new ArrayList<>(keys.size());
            for (int i = 0; i < keys.size(); i++) {
                t[i] = tokens.get(i).join();
                watches.add(new CommandService.Watch(keys.get(i), t[i]));
                gets.add(new byte[][] {GET, keys.get(i)});
            }
            return call(context, () -> session == null ? service.exec(gets, watches) : service.exec(gets, watches, session))
                    .thenApply(reply -> probed(keys, t, reply));
        });
    }

    private static Probe probed(List<byte[]> keys, long[] tokens, Reply reply) {
        if (reply == Reply.Null.ARRAY) {
            return new Probe.Changed();
        }
        if (reply instanceof Reply.Error e) {
            return new Probe.Stopped(new TxOutcome.Refused(e, false)); // e.g. CROSSSLOT, TIMEOUT
        }
        if (!(reply instanceof Reply.Array a) || a.items().size() != keys.size()) {
            return new Probe.Stopped(internal("a probe of " + keys.size() + " keys answered " + reply));
        }
        byte[][] values = new byte[keys.size()][];
        for (int i = 0; i < keys.size(); i++) {
            Reply r = a.items().get(i);
            byte[] v;
            switch (r) {
                case Reply.Bulk b -> v = b.value();
                case Reply.Null n -> v = null;
                case Reply.Error e when e.text().startsWith("WRONGTYPE") -> v = NOT_A_STRING;
                case Reply.Error e -> {
                    return new Probe.Stopped(new TxOutcome.Refused(e, false));
                }
                default -> {
                    return new Probe.Stopped(internal("a probe GET answered " + r));
                }
            }
            // WATCH tokens are positive exactly for live records: a mismatch is a bug below us.
            if ((v != null) != (tokens[i] > 0)) {
                return new Probe.Stopped(internal("key " + i + " of a probe: token " + tokens[i]
                        + " disagrees with its value (" + (v == null ? "absent" : "present") + ")"));
            }
            values[i] = v;
        }
        return new Probe.Seen(tokens, values);
    }

    /**
     * Replays {@code ops} on the observed values and returns the {@link TxOutcome.DataConflict} of the
     * first operation that would fail inside the block, else null. Operations on unobserved keys cannot
     * make an incr fail: only incremented keys matter. Mirrors the executor: INCRBY parses with Redis's
     * string2ll ({@link RedisNumbers#isLong}), treats an absent key as 0 and refuses overflow; SET ...
     * IFEQ/NX swaps on byte equality/absence.
     */
    private static TxOutcome replay(Branch branch, List<TxOp> ops, List<byte[]> observed, byte[][] values) {
        Map<ByteBuffer, byte[]> state = new HashMap<>();
        for (int i = 0; i < observed.size(); i++) {
            state.put(ByteBuffer.wrap(observed.get(i)), values[i]);
        }
        for (int i = 0; i < ops.size(); i++) {
            TxOp op = ops.get(i);
            ByteBuffer key = ByteBuffer.wrap(op.key());
            if (!state.containsKey(key)) {
                continue;
            }
            byte[] current = state.get(key);
            Reply.Error failure = null;
            switch (op) {
                case TxOp.Get g -> { }
                case TxOp.Set s -> state.put(key, s.value());
                case TxOp.Delete d -> state.put(key, null);
                case TxOp.Cas cas -> {
                    if (current == NOT_A_STRING) {
                        failure = Errors.WRONGTYPE;
                    } else if (cas.matches(current)) {
                        state.put(key, cas.value());
                    }
                }
                case TxOp.Incr incr -> {
                    if (current == NOT_A_STRING) {
                        failure = Errors.WRONGTYPE;
                    } else if (current != null && !RedisNumbers.isLong(current)) {
                        failure = Errors.NOT_INTEGER;
                    } else {
                        long value = current == null ? 0 : RedisNumbers.parseLongOr(current, 0);
                        try {
                            state.put(key, Long.toString(Math.addExact(value, incr.by()))
                                    .getBytes(StandardCharsets.US_ASCII));
                        } catch (ArithmeticException e) {
                            failure = Errors.OVERFLOW;
                        }
                    }
                }
            }
            if (failure != null) {
                return new TxOutcome.DataConflict(branch, i, failure);
            }
        }
        return null;
    }

    /** Starts attempt {@code attempt + 1} after a randomized pause, or ends with Conflict (or the deadline). */
    private CompletableFuture<TxOutcome> retry(int attempt, TxContext context, Supplier<CompletableFuture<TxOutcome>> next) {
        if (attempt >= maxAttempts) {
            return CompletableFuture.completedFuture(new TxOutcome.Conflict(maxAttempts));
        }
        onRetry.run();
        // Full-jitter exponential backoff: contending requests that all read, then all exec, would
        // otherwise keep invalidating one another in lockstep.
        long capMicros = Math.min(MAX_BACKOFF_MICROS, FIRST_BACKOFF_MICROS << Math.min(attempt - 1, 10));
        long pauseMicros = ThreadLocalRandom.current().nextLong(capMicros + 1);
        if (TimeUnit.MICROSECONDS.toNanos(pauseMicros) >= context.remainingNanos()) {
            return CompletableFuture.completedFuture(
                    new TxOutcome.Unavailable(new TimeoutException("deadline passed between attempts")));
        }
        Executor later = CompletableFuture.delayedExecutor(pauseMicros, TimeUnit.MICROSECONDS);
        return CompletableFuture.supplyAsync(() -> null, later).thenCompose(v -> next.get());
    }

    // ------------------------------------------------------------------------------------------ replies

    /** The outcome of an EXEC reply to {@code ops}. */
    private static TxOutcome answer(Branch branch, List<TxOp> ops, Reply reply, boolean holds, int attempts) {
        if (reply instanceof Reply.Error e) {
            return new TxOutcome.Refused(e, ops.stream().anyMatch(TxOp::isWrite)); // the whole block: nothing applied
        }
        if (!(reply instanceof Reply.Array array) || array.items().size() != ops.size()) {
            return internal("exec of " + ops.size() + " operations answered " + reply);
        }
        int firstError = -1;
        int appliedWrites = 0;
        for (int i = 0; i < ops.size(); i++) {
            boolean failed = array.items().get(i) instanceof Reply.Error;
            if (failed && firstError < 0) {
                firstError = i;
            }
            if (!failed && ops.get(i).isWrite()) {
                appliedWrites++;
            }
        }
        if (firstError >= 0) {
            Reply.Error e = (Reply.Error) array.items().get(firstError);
            if (appliedWrites > 0) {
                // Validation and the replay should make this impossible; say exactly what happened.
                LOG.log(System.Logger.Level.ERROR, "transaction: operation " + firstError + " failed after validation ("
                        + e.text() + ") while " + appliedWrites + " other write(s) of the same block were applied");
                return new TxOutcome.PartiallyApplied(branch, firstError, e, appliedWrites);
            }
            return new TxOutcome.OperationFailed(branch, firstError, e);
        }
        List<TxResult> results = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            try {
                results.add(ops.get(i).result(array.items().get(i)));
            } catch (IllegalStateException ex) {
                return internal(ex.getMessage());
            }
        }
        return new TxOutcome.Completed(holds, results, attempts);
    }

    private static TxOutcome.Internal internal(String message) {
        LOG.log(System.Logger.Level.ERROR, "transaction: " + message);
        return new TxOutcome.Internal(message);
    }

    // ------------------------------------------------------------------------------------------ plumbing

    /** Marks a failure of the service (or the deadline), as opposed to a bug of this class. */
    private static final class ServiceFailure extends RuntimeException {
        ServiceFailure(Throwable cause) {
            super(cause.toString(), cause, false, false);
        }
    }

    /** One service call, bounded by the context; its failure (thrown or completed) becomes a {@link ServiceFailure}. */
    private static <T> CompletableFuture<T> call(TxContext context, Supplier<CompletableFuture<T>> call) {
        CompletableFuture<T> future;
        try {
            future = context.bound(call.get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new ServiceFailure(e));
        }
        return future.handle((value, error) -> {
            if (error != null) {
                throw new ServiceFailure(unwrap(error));
            }
            return value;
        });
    }

    /** Every exceptional completion as an outcome: a service failure Unavailable, anything else a bug (Internal). */
    private static CompletableFuture<TxOutcome> settle(CompletableFuture<TxOutcome> work) {
        return work.handle((outcome, error) -> {
            if (error == null) {
                return outcome;
            }
            Throwable cause = unwrap(error);
            if (cause instanceof ServiceFailure failure) {
                return new TxOutcome.Unavailable(failure.getCause());
            }
            LOG.log(System.Logger.Level.ERROR, "transaction failed inside the runner", cause);
            return new TxOutcome.Internal(String.valueOf(cause.getMessage()));
        });
    }

    private CompletableFuture<Reply> exec(List<TxOp> ops, List<CommandService.Watch> watches, Session session) {
        List<byte[][]> argvs = ops.stream().map(TxOp::argv).toList();
        return session == null ? service.exec(argvs, watches) : service.exec(argvs, watches, session);
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** True if an incr sits next to at least one other write: only then could its failure leave writes applied. */
    static boolean incrementNextToWrites(List<TxOp> ops) {
        int writes = 0;
        boolean incr = false;
        for (TxOp op : ops) {
            writes += op.isWrite() ? 1 : 0;
            incr |= op instanceof TxOp.Incr;
        }
        return incr && writes >= 2;
    }

    /** Distinct condition keys, then incremented keys of {@code branches}, in first-use order. */
    static List<byte[]> observedKeys(List<TxCondition> conditions, List<List<TxOp>> branches) {
        Map<ByteBuffer, byte[]> keys = new LinkedHashMap<>();
        for (TxCondition c : conditions) {
            keys.putIfAbsent(ByteBuffer.wrap(c.key()), c.key());
        }
        for (List<TxOp> branch : branches) {
            for (TxOp op : branch) {
                if (op instanceof TxOp.Incr) {
                    keys.putIfAbsent(ByteBuffer.wrap(op.key()), op.key());
                }
            }
        }
        return new ArrayList<>(keys.values());
    }

    /** Probes read linearizably: EXEC checks WATCH tokens on the leader, and a stale replica would only abort it. */
    private static Session linearizable(Session session) {
        return session == null || session.read() == ReadConsistency.LINEARIZABLE ? session
                : session.withConsistency(ReadConsistency.LINEARIZABLE, session.write());
    }

    /**
     * True if every key is the same, or all share one non-empty hash tag: keys that always live in one
     * partition, whatever the partition count (the rule Redis Cluster applies to multi-key commands).
     * Front ends that refuse other key sets up front use it; the service refuses them with CROSSSLOT anyway.
     */
    public static boolean onePartition(List<byte[]> keys) {
        if (keys.size() <= 1) {
            return true;
        }
        byte[] first = keys.get(0);
        if (keys.stream().allMatch(k -> Arrays.equals(first, k))) {
            return true;
        }
        byte[] tag = KvCommands.hashTag(first);
        return tag != null && keys.stream().allMatch(k -> Arrays.equals(tag, KvCommands.hashTag(k)));
    }
}
