package io.cairn.grpc;

import io.cairn.api.consistency.ReadConsistency;
import io.cairn.api.grpc.OperationResult;
import io.cairn.api.reply.Errors;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.api.service.Session;
import io.cairn.commands.RedisNumbers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Atomic multi-operation requests (Batch, Execute, and Get with its version) over
 * {@link CommandService#exec}: one MULTI/EXEC block in one partition is one Raft log entry, applied
 * all together and isolated from other commands.
 *
 * <p><b>Without observed keys</b> (no conditions, no increments) the operations are one EXEC,
 * one round trip: nothing in them can fail on the stored data (only strings exist, and keys and
 * values were validated against the engine's limits), so the block is all or nothing.
 *
 * <p><b>With observed keys</b> (condition keys and incremented keys) the request is an optimistic
 * transaction, the same scheme as the HTTP API's execute: (1) read each observed key's WATCH token
 * (the version of its live record, a negative number when absent); (2) read their values in one
 * EXEC that watches those tokens, so values and versions are of one state; (3) decide the branch
 * from the conditions and replay the branch's increments on the values, refusing with
 * FAILED_PRECONDITION (nothing applied) if one would fail inside the block, where Redis would
 * report it inline and apply the rest; (4) run the branch in one EXEC watching the same tokens.
 * If a watched key changed anywhere between (1) and (4), the EXEC does nothing and the request
 * starts over after a randomized exponential pause, at most {@value GrpcSettings#EXECUTE_MAX_ATTEMPTS}
 * attempts, then ABORTED. A request whose chosen branch is empty commits nothing: its decision is
 * linearized at step (2).
 */
final class Transactions {
    private static final Logger log = LoggerFactory.getLogger(Transactions.class);
    /** Longest randomized pause between optimistic attempts. */
    static final long MAX_BACKOFF_MICROS = 50_000;

    /** A condition of Execute. Exactly one of the tests applies, by {@code kind}. */
    record Condition(byte[] key, Kind kind, long version, byte[] value) {
        enum Kind { VERSION_EQUALS, VALUE_EQUALS, ABSENT, PRESENT }

        boolean holds(long token, byte[] current) {
            return switch (kind) {
                case VERSION_EQUALS -> current != null && token == version;
                case VALUE_EQUALS -> current != null && Arrays.equals(current, value);
                case ABSENT -> current == null;
                case PRESENT -> current != null;
            };
        }
    }

    /** What a transaction did. */
    record Outcome(boolean succeeded, List<OperationResult> results, int attempts) {}

    /** Values of some keys with their WATCH tokens, all of one state. */
    record Snapshot(List<byte[]> keys, long[] tokens, List<byte[]> values, int attempts) {
        /** The record version of key {@code i}: its token when live, 0 when absent. */
        long version(int i) {
            return values.get(i) == null ? 0 : tokens[i];
        }
    }

    private final CommandService service;
    private final GrpcErrors errors;
    private final int maxAttempts;
    private final LongAdder retries;

    Transactions(CommandService service, GrpcErrors errors, int maxAttempts, LongAdder retries) {
        this.service = service;
        this.errors = errors;
        this.maxAttempts = maxAttempts;
        this.retries = retries;
    }

    /** Runs {@code ops} as one block (Batch), going through the optimistic path only if they increment. */
    CompletableFuture<List<OperationResult>> batch(List<TxOp> ops, CallScope scope) {
        return execute(List.of(), ops, List.of(), scope).thenApply(Outcome::results);
    }

    /** Execute: the branch chosen by {@code conditions}, atomically; see the class comment. */
    CompletableFuture<Outcome> execute(List<Condition> conditions, List<TxOp> success, List<TxOp> failure,
                                       CallScope scope) {
        List<byte[]> observed = observedKeys(conditions, success, failure);
        if (observed.isEmpty()) {
            // No conditions: the success branch always runs.
            if (success.isEmpty()) {
                return CompletableFuture.completedFuture(new Outcome(true, List.of(), 1));
            }
            return scope.bound(service.exec(argvs(success), List.of(), scope.session()))
                    .thenApply(reply -> new Outcome(true, answer(success, reply), 1));
        }
        return attempt(conditions, success, failure, observed, scope, 1);
    }

    /**
     * The values and versions of {@code keys}, read consistently: tokens, then values in an EXEC
     * watching them; retried (bounded) while a key changes in between. Always linearizable, since
     * EXEC checks the tokens on the leader.
     */
    CompletableFuture<Snapshot> snapshot(List<byte[]> keys, CallScope scope) {
        return snapshot(keys, scope, 1);
    }

    private CompletableFuture<Snapshot> snapshot(List<byte[]> keys, CallScope scope, int attempt) {
        return probe(keys, scope, attempt).thenCompose(s -> {
            if (s != null) {
                return CompletableFuture.completedFuture(s);
            }
            return retry(attempt, scope, () -> snapshot(keys, scope, attempt + 1));
        });
    }

    /** One try at a snapshot; completes with null if a key changed between its token and its value. */
    private CompletableFuture<Snapshot> probe(List<byte[]> keys, CallScope scope, int attempt) {
        Session session = linearizable(scope.session());
        List<CompletableFuture<Long>> tokens = new ArrayList<>(keys.size());
        for (byte[] k : keys) {
            tokens.add(scope.bound(service.watchToken(k, session)));
        }
        return CompletableFuture.allOf(tokens.toArray(CompletableFuture[]::new)).thenCompose(ignored -> {
            long[] t = new long[keys.size()];
            List<CommandService.Watch> watches = new ArrayList<>(keys.size());
            List<byte[][]> gets = new ArrayList<>(keys.size());
            for (int i = 0; i < keys.size(); i++) {
                t[i] = tokens.get(i).join();
                watches.add(new CommandService.Watch(keys.get(i), t[i]));
                gets.add(new byte[][] {TxOp.ascii("GET"), keys.get(i)});
            }
            return scope.bound(service.exec(gets, watches, session)).thenApply(reply -> {
                if (reply == Reply.Null.ARRAY) {
                    return null;
                }
                if (reply instanceof Reply.Error e) {
                    throw errors.fromReply(e.text(), false);
                }
                if (!(reply instanceof Reply.Array a) || a.items().size() != keys.size()) {
                    throw errors.internal("a probe of " + keys.size() + " keys answered " + reply);
                }
                List<byte[]> values = new ArrayList<>(keys.size());
                for (int i = 0; i < keys.size(); i++) {
                    Reply r = a.items().get(i);
                    byte[] v = switch (r) {
                        case Reply.Bulk b -> b.value();
                        case Reply.Null n -> null;
                        case Reply.Error e -> throw errors.fromReply(e.text(), false);
                        default -> throw errors.internal("a probe GET answered " + r);
                    };
                    // WATCH tokens are positive exactly for live records: a mismatch is a bug below us.
                    if ((v != null) != (t[i] > 0)) {
                        throw errors.internal("key " + i + " of a probe: token " + t[i] + " disagrees with its value ("
                                + (v == null ? "absent" : "present") + ")");
                    }
                    values.add(v);
                }
                return new Snapshot(keys, t, values, attempt);
            });
        });
    }

    private CompletableFuture<Outcome> attempt(List<Condition> conditions, List<TxOp> success, List<TxOp> failure,
                                               List<byte[]> observed, CallScope scope, int attempt) {
        return probe(observed, scope, attempt).thenCompose(snapshot -> {
            if (snapshot == null) {
                return retry(attempt, scope, () -> attempt(conditions, success, failure, observed, scope, attempt + 1));
            }
            Map<ByteBuffer, Integer> index = new HashMap<>();
            for (int i = 0; i < observed.size(); i++) {
                index.put(ByteBuffer.wrap(observed.get(i)), i);
            }
            boolean holds = true;
            for (Condition c : conditions) {
                int i = index.get(ByteBuffer.wrap(c.key()));
                holds &= c.holds(snapshot.tokens()[i], snapshot.values().get(i));
            }
            List<TxOp> branch = holds ? success : failure;
            replayIncrements(branch, observed, snapshot.values(), holds ? "success" : "failure");
            if (branch.isEmpty()) {
                return CompletableFuture.completedFuture(new Outcome(holds, List.of(), attempt));
            }
            List<CommandService.Watch> watches = new ArrayList<>(observed.size());
            for (int i = 0; i < observed.size(); i++) {
                watches.add(new CommandService.Watch(observed.get(i), snapshot.tokens()[i]));
            }
            boolean finalHolds = holds;
            return scope.bound(service.exec(argvs(branch), watches, scope.session())).thenCompose(reply -> {
                if (reply == Reply.Null.ARRAY) {
                    return retry(attempt, scope, () -> attempt(conditions, success, failure, observed, scope, attempt + 1));
                }
                return CompletableFuture.completedFuture(new Outcome(finalHolds, answer(branch, reply), attempt));
            });
        });
    }

    /** Starts attempt {@code attempt + 1} after a randomized pause, or gives up with ABORTED. */
    private <T> CompletableFuture<T> retry(int attempt, CallScope scope,
                                           java.util.function.Supplier<CompletableFuture<T>> next) {
        if (attempt >= maxAttempts) {
            return CompletableFuture.failedFuture(errors.conflict("the watched keys kept changing under concurrent "
                    + "writes (" + maxAttempts + " attempts, " + GrpcSettings.EXECUTE_MAX_ATTEMPTS
                    + "); nothing was applied, retry the request"));
        }
        retries.increment();
        // Full-jitter exponential backoff: contending requests that all read, then all exec, would
        // otherwise keep invalidating one another in lockstep.
        long capMicros = Math.min(MAX_BACKOFF_MICROS, 500L << Math.min(attempt - 1, 10));
        long pauseMicros = ThreadLocalRandom.current().nextLong(capMicros + 1);
        if (TimeUnit.MICROSECONDS.toNanos(pauseMicros) >= scope.remainingNanos()) {
            return CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("deadline passed between attempts"));
        }
        Executor later = CompletableFuture.delayedExecutor(pauseMicros, TimeUnit.MICROSECONDS);
        return CompletableFuture.supplyAsync(() -> null, later).thenCompose(v -> next.get());
    }

    /**
     * Replays {@code branch} on the observed values and refuses (FAILED_PRECONDITION, nothing applied)
     * if an increment would fail inside the block. Mirrors the executor: INCRBY parses with Redis's
     * string2ll ({@link RedisNumbers#isLong}), treats an absent key as 0, and refuses overflow.
     * Operations on unobserved keys cannot make an increment fail: only increments' keys matter.
     */
    private void replayIncrements(List<TxOp> branch, List<byte[]> observed, List<byte[]> values, String name) {
        Map<ByteBuffer, byte[]> state = new HashMap<>();
        for (int i = 0; i < observed.size(); i++) {
            state.put(ByteBuffer.wrap(observed.get(i)), values.get(i));
        }
        for (int i = 0; i < branch.size(); i++) {
            TxOp op = branch.get(i);
            ByteBuffer key = ByteBuffer.wrap(op.key());
            if (!state.containsKey(key)) {
                continue;
            }
            byte[] current = state.get(key);
            switch (op) {
                case TxOp.Get g -> { }
                case TxOp.Put p -> state.put(key, p.value());
                case TxOp.Delete d -> state.put(key, null);
                case TxOp.Increment inc -> {
                    if (current != null && !RedisNumbers.isLong(current)) {
                        throw errors.dataConflict(name + "[" + i + "]: the value is not an integer or out of range "
                                + "(nothing was applied)", Errors.NOT_INTEGER.text());
                    }
                    long value = current == null ? 0 : RedisNumbers.parseLongOr(current, 0);
                    try {
                        long next = Math.addExact(value, inc.delta());
                        state.put(key, Long.toString(next).getBytes(StandardCharsets.US_ASCII));
                    } catch (ArithmeticException e) {
                        throw errors.dataConflict(name + "[" + i + "]: increment or decrement would overflow "
                                + "(nothing was applied)", Errors.OVERFLOW.text());
                    }
                }
            }
        }
    }

    /** The results of an EXEC reply, or the status of a refused block. */
    private List<OperationResult> answer(List<TxOp> ops, Reply reply) {
        boolean writes = ops.stream().anyMatch(TxOp::isWrite);
        if (reply instanceof Reply.Error e) {
            throw errors.fromReply(e.text(), writes); // the whole block refused: nothing applied
        }
        if (!(reply instanceof Reply.Array array) || array.items().size() != ops.size()) {
            throw errors.internal("exec of " + ops.size() + " operations answered " + reply);
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
                // Validation and the increment replay should make this impossible; say exactly what happened.
                log.error("gRPC request: operation {} failed after validation ({}) while {} other write(s) of the "
                        + "same request were applied", firstError, e.text(), appliedWrites);
                throw errors.internal("operation " + firstError + ": " + e.text() + " after validation; "
                        + appliedWrites + " other write(s) of this request were applied");
            }
            throw errors.fromReply(e.text(), writes);
        }
        List<OperationResult> results = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            try {
                results.add(ops.get(i).result(array.items().get(i)));
            } catch (IllegalStateException ex) {
                throw errors.internal(ex.getMessage());
            }
        }
        return results;
    }

    /** Distinct keys whose state decides the request: condition keys, then incremented keys, in first-use order. */
    static List<byte[]> observedKeys(List<Condition> conditions, List<TxOp> success, List<TxOp> failure) {
        Map<ByteBuffer, byte[]> keys = new LinkedHashMap<>();
        for (Condition c : conditions) {
            keys.putIfAbsent(ByteBuffer.wrap(c.key()), c.key());
        }
        for (List<TxOp> branch : List.of(success, failure)) {
            for (TxOp op : branch) {
                if (op instanceof TxOp.Increment) {
                    keys.putIfAbsent(ByteBuffer.wrap(op.key()), op.key());
                }
            }
        }
        return new ArrayList<>(keys.values());
    }

    private static List<byte[][]> argvs(List<TxOp> ops) {
        return ops.stream().map(TxOp::argv).toList();
    }

    /** Probes read linearizably: EXEC checks WATCH tokens on the leader, and a stale replica would only abort it. */
    private static Session linearizable(Session session) {
        return session.read() == ReadConsistency.LINEARIZABLE ? session
                : session.withConsistency(ReadConsistency.LINEARIZABLE, session.write());
    }

    /**
     * True if every key is the same, or all share one non-empty hash tag: keys that always live in one
     * partition, whatever the partition count (the rule Redis Cluster applies to multi-key commands).
     */
    static boolean onePartition(List<byte[]> keys) {
        if (keys.size() <= 1) {
            return true;
        }
        byte[] first = keys.get(0);
        boolean sameKey = keys.stream().allMatch(k -> Arrays.equals(first, k));
        if (sameKey) {
            return true;
        }
        byte[] tag = io.cairn.api.kv.KvCommands.hashTag(first);
        return tag != null && keys.stream().allMatch(k -> Arrays.equals(tag, io.cairn.api.kv.KvCommands.hashTag(k)));
    }
}
