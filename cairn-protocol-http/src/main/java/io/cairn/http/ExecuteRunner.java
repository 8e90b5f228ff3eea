package io.cairn.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.api.reply.Errors;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.commands.RedisNumbers;
import io.micrometer.core.instrument.Counter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a validated {@link ExecuteRequest} through {@link CommandService#exec}: one MULTI/EXEC
 * block, so the commands apply atomically and in isolation (no other client sees a partial state;
 * in a cluster the keys must share a partition, else {@code CROSSSLOT} → 409 and nothing applied).
 *
 * <p>All or nothing. Redis's EXEC keeps going after a command fails at run time, so a block whose
 * one command fails would still apply the others. Validation rules out every failure that does not
 * depend on data (syntax, sizes, TTL range). The one data-dependent failure of these commands is
 * incr on a value that is not an integer or would overflow. When that could leave other writes
 * applied — the request has an incr and at least two writes — the request runs optimistically:
 * <ol>
 *   <li>take the WATCH tokens of the incremented keys, then read their values in one read-only exec;</li>
 *   <li>replay the request's commands on those values here; if an incr would fail, answer 409 and
 *       run nothing;</li>
 *   <li>else exec the request with those WATCH tokens: if a key changed since step 1 the exec runs
 *       nothing and the request starts over after a randomized, growing pause (at most
 *       {@link #MAX_BACKOFF_MICROS} µs), at most {@value HttpSettings#EXECUTE_MAX_ATTEMPTS} times in all, then 409 ({@code CONFLICT}, nothing applied, safe to retry).</li>
 * </ol>
 * A request with a single write needs none of this: if that write fails, nothing was written.
 *
 * <p>Any command's run-time error is answered with its Redis text, prefixed by its index, and the
 * status of {@link ReplyErrors}; the 200 answer carries one result per command (see {@link HttpCommand}).
 * An error that should have been impossible (a write failing next to applied writes) is logged and
 * answered 500 saying so, never passed off as success or as "nothing applied".
 */
final class ExecuteRunner {
    private static final Logger log = LoggerFactory.getLogger(ExecuteRunner.class);
    /** A key whose stored value is not a string (GET answered WRONGTYPE): every incr or cas on it fails. */
    private static final byte[] NOT_A_STRING = new byte[0];

    /** Longest pause between two optimistic attempts (the pauses grow from 0.5 ms, randomized). */
    static final long MAX_BACKOFF_MICROS = 50_000;

    private final CommandService service;
    private final int maxAttempts;
    private final Counter retries;

    ExecuteRunner(CommandService service, HttpSettings settings, Counter retries) {
        this.service = service;
        this.maxAttempts = settings.executeMaxAttempts();
        this.retries = retries;
    }

    CompletableFuture<HttpResult> run(ExecuteRequest request) {
        List<byte[][]> argvs = request.commands().stream().map(HttpCommand::argv).toList();
        if (needsPrecheck(request)) {
            return attempt(request, argvs, 1);
        }
        return service.exec(argvs, List.of()).handle((reply, error) ->
                error != null ? ReplyErrors.failure(error) : internal(() -> answer(request, reply)));
    }

    static boolean needsPrecheck(ExecuteRequest request) {
        int writes = 0;
        boolean incr = false;
        for (HttpCommand c : request.commands()) {
            writes += c.isWrite() ? 1 : 0;
            incr |= c instanceof HttpCommand.Incr;
        }
        return incr && writes >= 2;
    }

    private CompletableFuture<HttpResult> attempt(ExecuteRequest request, List<byte[][]> argvs, int attempt) {
        List<byte[]> keys = incrementedKeys(request);
        List<CompletableFuture<Long>> tokens = new ArrayList<>(keys.size());
        for (byte[] k : keys) {
            tokens.add(service.watchToken(k));
        }
        // Tokens first, values second: a write between the two changes a token, and step 3's exec then aborts.
        return CompletableFuture.allOf(tokens.toArray(CompletableFuture[]::new))
                .thenCompose(ignored -> service.exec(keys.stream().map(ExecuteRunner::getArgv).toList(), List.of()))
                .thenCompose(probe -> {
                    if (probe instanceof Reply.Error e) {
                        return CompletableFuture.completedFuture(ReplyErrors.toResult(e)); // e.g. CROSSSLOT
                    }
                    HttpResult refused = internal(() -> replay(request, keys, probe));
                    if (refused != null) {
                        return CompletableFuture.completedFuture(refused);
                    }
                    List<CommandService.Watch> watches = new ArrayList<>(keys.size());
                    for (int i = 0; i < keys.size(); i++) {
                        watches.add(new CommandService.Watch(keys.get(i), tokens.get(i).join()));
                    }
                    return service.exec(argvs, watches).thenCompose(reply -> {
                        if (reply == Reply.Null.ARRAY) {
                            if (attempt < maxAttempts) {
                                retries.increment();
                                // Full-jitter exponential backoff: contending requests that all read,
                                // then all exec, would otherwise keep invalidating one another in lockstep.
                                long capMicros = Math.min(MAX_BACKOFF_MICROS, 500L << Math.min(attempt - 1, 10));
                                long pause = java.util.concurrent.ThreadLocalRandom.current().nextLong(capMicros + 1);
                                java.util.concurrent.Executor later = CompletableFuture.delayedExecutor(pause,
                                        java.util.concurrent.TimeUnit.MICROSECONDS);
                                return CompletableFuture.supplyAsync(() -> null, later)
                                        .thenCompose(v -> attempt(request, argvs, attempt + 1));
                            }
                            return CompletableFuture.completedFuture(HttpResult.error(409, "CONFLICT the incremented "
                                    + "keys kept changing under concurrent writes (" + maxAttempts + " attempts, "
                                    + HttpSettings.EXECUTE_MAX_ATTEMPTS + "); nothing was applied, retry the request"));
                        }
                        return CompletableFuture.completedFuture(internal(() -> answer(request, reply)));
                    });
                })
                .exceptionally(ReplyErrors::failure);
    }

    /**
     * Runs this layer's own logic on a service reply: an exception there is a bug of this layer (an
     * unexpected reply shape), answered 500 and logged, not mistaken for the service being unavailable.
     */
    static HttpResult internal(java.util.function.Supplier<HttpResult> logic) {
        try {
            return logic.get();
        } catch (RuntimeException e) {
            log.error("request failed inside the HTTP layer", e);
            return HttpResult.error(500, "internal error: " + e.getMessage());
        }
    }

    /** Distinct keys of the request's incr commands, in first-use order. */
    private static List<byte[]> incrementedKeys(ExecuteRequest request) {
        Map<ByteBuffer, byte[]> keys = new LinkedHashMap<>();
        for (HttpCommand c : request.commands()) {
            if (c instanceof HttpCommand.Incr incr) {
                keys.putIfAbsent(ByteBuffer.wrap(incr.key()), incr.key());
            }
        }
        return new ArrayList<>(keys.values());
    }

    private static byte[][] getArgv(byte[] key) {
        return new byte[][] {"GET".getBytes(StandardCharsets.US_ASCII), key};
    }

    /**
     * Replays the request on the probed values of the incremented keys (commands on other keys
     * cannot make an incr fail) and returns the 409 answer if some incr would fail, else null.
     * Mirrors the executor: INCRBY parses with Redis's string2ll ({@link RedisNumbers#isLong}),
     * treats an absent key as 0, and refuses overflow; SET ... IFEQ/NX swaps on byte equality/absence.
     */
    static HttpResult replay(ExecuteRequest request, List<byte[]> keys, Reply probe) {
        if (!(probe instanceof Reply.Array values) || values.items().size() != keys.size()) {
            throw new IllegalStateException("probe of " + keys.size() + " keys answered " + probe);
        }
        Map<ByteBuffer, byte[]> state = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            Reply r = values.items().get(i);
            byte[] v = switch (r) {
                case Reply.Bulk b -> b.value();
                case Reply.Null n -> null;
                case Reply.Error e when e.text().startsWith("WRONGTYPE") -> NOT_A_STRING;
                case Reply.Error e -> {
                    throw new IllegalStateException("probe GET failed: " + e.text());
                }
                default -> throw new IllegalStateException("probe GET answered " + r);
            };
            state.put(ByteBuffer.wrap(keys.get(i)), v);
        }
        List<HttpCommand> commands = request.commands();
        for (int i = 0; i < commands.size(); i++) {
            HttpCommand c = commands.get(i);
            ByteBuffer key = ByteBuffer.wrap(c.key());
            if (!state.containsKey(key)) {
                continue;
            }
            byte[] current = state.get(key);
            Reply.Error failure = null;
            switch (c) {
                case HttpCommand.Get g -> { }
                case HttpCommand.Set s -> state.put(key, s.value());
                case HttpCommand.Delete d -> state.put(key, null);
                case HttpCommand.Cas cas -> {
                    if (current == NOT_A_STRING) {
                        failure = Errors.WRONGTYPE;
                    } else if (cas.expected() == null ? current == null
                            : current != null && Arrays.equals(current, cas.expected())) {
                        state.put(key, cas.value());
                    }
                }
                case HttpCommand.Incr incr -> {
                    if (current == NOT_A_STRING) {
                        failure = Errors.WRONGTYPE;
                    } else if (current != null && !RedisNumbers.isLong(current)) {
                        failure = Errors.NOT_INTEGER;
                    } else {
                        long value = current == null ? 0 : RedisNumbers.parseLongOr(current, 0);
                        try {
                            long next = Math.addExact(value, incr.by());
                            state.put(key, Long.toString(next).getBytes(StandardCharsets.US_ASCII));
                        } catch (ArithmeticException e) {
                            failure = Errors.OVERFLOW;
                        }
                    }
                }
            }
            if (failure != null) {
                return HttpResult.error(ReplyErrors.status(failure),
                        "commands[" + i + "]: " + failure.text() + " (nothing was applied)");
            }
        }
        return null;
    }

    /** The HTTP answer to the exec's reply. */
    private HttpResult answer(ExecuteRequest request, Reply reply) {
        if (reply instanceof Reply.Error e) {
            return ReplyErrors.toResult(e); // the whole block refused (CROSSSLOT, TIMEOUT, ...): nothing applied
        }
        List<HttpCommand> commands = request.commands();
        if (!(reply instanceof Reply.Array array) || array.items().size() != commands.size()) {
            throw new IllegalStateException("exec of " + commands.size() + " commands answered " + reply);
        }
        int firstError = -1;
        int appliedWrites = 0;
        for (int i = 0; i < commands.size(); i++) {
            boolean failed = array.items().get(i) instanceof Reply.Error;
            if (failed && firstError < 0) {
                firstError = i;
            }
            if (!failed && commands.get(i).isWrite()) {
                appliedWrites++;
            }
        }
        if (firstError >= 0) {
            Reply.Error e = (Reply.Error) array.items().get(firstError);
            if (appliedWrites > 0) {
                // Validation and the incr pre-check should make this impossible; say exactly what happened.
                log.error("execute request: commands[{}] failed after validation ({}) while {} other write(s) of "
                        + "the same request were applied", firstError, e.text(), appliedWrites);
                return HttpResult.error(500, "commands[" + firstError + "]: " + e.text() + " after validation; "
                        + appliedWrites + " other write(s) of this request were applied");
            }
            return HttpResult.error(ReplyErrors.status(e),
                    "commands[" + firstError + "]: " + e.text() + " (nothing was applied)");
        }
        ArrayNode results = Json.NODES.arrayNode(commands.size());
        for (int i = 0; i < commands.size(); i++) {
            results.add(commands.get(i).result(array.items().get(i), request.base64()));
        }
        ObjectNode body = Json.object();
        body.set("results", results);
        return HttpResult.json(200, body);
    }
}
