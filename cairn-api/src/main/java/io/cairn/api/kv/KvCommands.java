package io.cairn.api.kv;

import io.cairn.api.consistency.ReadConsistency;
import io.cairn.api.consistency.WriteConsistency;
import io.cairn.api.reply.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The one translation between {@link KeyValue} calls and Redis commands, shared by every
 * implementation so they cannot drift apart: the embedded node runs these argument vectors through
 * {@link io.cairn.api.service.CommandService}, the remote client sends them over RESP, and both
 * decode the {@link Reply} with the same methods and map errors to the same exceptions.
 *
 * <p>The argv builders validate first (null or empty key, key or value over {@link KvLimits}) and
 * throw the {@link CairnException} a server would have caused, so a bad call never leaves the
 * caller. The mapping of operations to commands:
 * <ul>
 *   <li>get → {@code GET key}</li>
 *   <li>put → {@code SET key value [PX ms]}</li>
 *   <li>delete → {@code DEL key} (reply 1 or 0)</li>
 *   <li>compare-and-set → {@code SET key new IFEQ expected [PX ms]}, or with no expected value
 *       {@code SET key new NX [PX ms]} (reply OK or nil)</li>
 *   <li>scan → {@code SCAN cursor [MATCH pattern] COUNT n}</li>
 * </ul>
 *
 * <p>Decoders accept a bulk "OK" as well as a status "OK", since RESP clients do not always keep
 * the two apart. Error replies become exceptions through {@link #errorFor(String, boolean)}.
 */
public final class KvCommands {
    /** Validation against the storage engine's default limits. */
    public static final KvCommands DEFAULT = new KvCommands(KvLimits.DEFAULT);

    private static final byte[] GET = ascii("GET");
    private static final byte[] SET = ascii("SET");
    private static final byte[] DEL = ascii("DEL");
    private static final byte[] SCAN = ascii("SCAN");
    private static final byte[] PX = ascii("PX");
    private static final byte[] NX = ascii("NX");
    private static final byte[] IFEQ = ascii("IFEQ");
    private static final byte[] MATCH = ascii("MATCH");
    private static final byte[] COUNT = ascii("COUNT");
    private static final byte[] CLIENT = ascii("CLIENT");
    private static final byte[] CONSISTENCY = ascii("CONSISTENCY");

    private final KvLimits limits;

    public KvCommands(KvLimits limits) {
        if (limits == null) {
            throw new IllegalArgumentException("limits are required");
        }
        this.limits = limits;
    }

    public KvLimits limits() {
        return limits;
    }

    // ---------------------------------------------------------------------------------- validation

    /** Throws {@link InvalidKeyException} unless {@code key} is non-null, non-empty and within the limit. */
    public void checkKey(byte[] key) {
        if (key == null) {
            throw new InvalidKeyException("key must not be null");
        }
        if (key.length == 0) {
            throw new InvalidKeyException("key must not be empty");
        }
        if (key.length > limits.maxKeyBytes()) {
            throw new InvalidKeyException("key of " + key.length + " bytes exceeds the limit of "
                    + limits.maxKeyBytes() + " bytes");
        }
    }

    /**
     * Throws {@link ValueTooLargeException} if {@code value} is over the limit. A null value is a
     * programming error ({@link IllegalArgumentException}): "no value" is spelled delete.
     */
    public void checkValue(byte[] value) {
        if (value == null) {
            throw new IllegalArgumentException("value must not be null (use delete to remove a key)");
        }
        if (value.length > limits.maxValueBytes()) {
            throw new ValueTooLargeException("value of " + value.length + " bytes exceeds the limit of "
                    + limits.maxValueBytes() + " bytes", value.length, limits.maxValueBytes());
        }
    }

    /** Validates every key and value of a batch; nothing of a batch is sent unless all of it is valid. */
    public void check(BatchOp op) {
        if (op == null) {
            throw new IllegalArgumentException("batch operations must not be null");
        }
        checkKey(op.key());
        switch (op) {
            case BatchOp.Get g -> { }
            case BatchOp.Delete d -> { }
            case BatchOp.Put p -> {
                checkValue(p.value());
                ttlMillis(p.ttl());
            }
            case BatchOp.CompareAndSet c -> {
                checkValue(c.newValue());
                if (c.expected() != null && c.expected().length > limits.maxValueBytes()) {
                    // No stored value can be that long, but say so rather than send it.
                    throw new ValueTooLargeException("expected value of " + c.expected().length
                            + " bytes exceeds the limit of " + limits.maxValueBytes() + " bytes",
                            c.expected().length, limits.maxValueBytes());
                }
                ttlMillis(c.ttl());
            }
        }
    }

    /**
     * A TTL in whole milliseconds, rounded up (a key must not expire earlier than asked); -1 for
     * null (no expiry). Non-positive TTLs are refused: Redis would reject them too, and "expire
     * immediately" is better written as delete.
     */
    public static long ttlMillis(Duration ttl) {
        if (ttl == null) {
            return -1;
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
        try {
            long ms = ttl.toMillis();
            return ttl.minusMillis(ms).isZero() ? ms : Math.addExact(ms, 1);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("ttl is too large: " + ttl);
        }
    }

    // ---------------------------------------------------------------------------------- commands

    public byte[][] get(byte[] key) {
        checkKey(key);
        return new byte[][] {GET, key};
    }

    public byte[][] put(byte[] key, byte[] value, Duration ttl) {
        checkKey(key);
        checkValue(value);
        long ms = ttlMillis(ttl);
        return ms < 0 ? new byte[][] {SET, key, value} : new byte[][] {SET, key, value, PX, ascii(Long.toString(ms))};
    }

    public byte[][] delete(byte[] key) {
        checkKey(key);
        return new byte[][] {DEL, key};
    }

    /** {@code SET key new IFEQ expected [PX ms]}, or {@code SET key new NX [PX ms]} when {@code expected} is null. */
    public byte[][] compareAndSet(byte[] key, byte[] expected, byte[] newValue, Duration ttl) {
        check(new BatchOp.CompareAndSet(key, expected, newValue, ttl));
        long ms = ttlMillis(ttl);
        List<byte[]> argv = new ArrayList<>(7);
        argv.add(SET);
        argv.add(key);
        argv.add(newValue);
        if (expected == null) {
            argv.add(NX);
        } else {
            argv.add(IFEQ);
            argv.add(expected);
        }
        if (ms >= 0) {
            argv.add(PX);
            argv.add(ascii(Long.toString(ms)));
        }
        return argv.toArray(new byte[0][]);
    }

    public byte[][] scan(ScanRequest request) {
        if (request == null) {
            throw new IllegalArgumentException("scan request must not be null");
        }
        List<byte[]> argv = new ArrayList<>(6);
        argv.add(SCAN);
        argv.add(ascii(request.cursor()));
        if (request.pattern() != null) {
            argv.add(MATCH);
            argv.add(request.pattern());
        }
        argv.add(COUNT);
        argv.add(ascii(Integer.toString(request.count())));
        return argv.toArray(new byte[0][]);
    }

    /** The command of one batch operation (validated). */
    public byte[][] command(BatchOp op) {
        check(op);
        return switch (op) {
            case BatchOp.Get g -> get(g.key());
            case BatchOp.Put p -> put(p.key(), p.value(), p.ttl());
            case BatchOp.Delete d -> delete(d.key());
            case BatchOp.CompareAndSet c -> compareAndSet(c.key(), c.expected(), c.newValue(), c.ttl());
        };
    }

    /** The commands of a batch, in order; validates all of them before returning any. */
    public List<byte[][]> batch(List<BatchOp> ops) {
        if (ops == null) {
            throw new IllegalArgumentException("batch must not be null");
        }
        for (BatchOp op : ops) {
            check(op);
        }
        List<byte[][]> out = new ArrayList<>(ops.size());
        for (BatchOp op : ops) {
            out.add(command(op));
        }
        return out;
    }

    /**
     * True if the batch can run atomically as one MULTI/EXEC: it has at most one distinct key, or
     * every key has the same non-empty hash tag. Those keys hash to one slot, hence one partition
     * (one Raft group) in a cluster, where a transaction is one log entry. Keys that merely happen
     * to hash to the same slot do not count: that would make atomicity depend on the partition
     * count, which a caller cannot see.
     */
    public static boolean atomic(List<BatchOp> ops) {
        if (ops.size() <= 1) {
            return true;
        }
        byte[] first = ops.get(0).key();
        boolean sameKey = true;
        for (BatchOp op : ops) {
            sameKey &= Arrays.equals(first, op.key());
        }
        if (sameKey) {
            return true;
        }
        byte[] tag = hashTag(first);
        if (tag == null) {
            return false;
        }
        for (BatchOp op : ops) {
            if (!Arrays.equals(tag, hashTag(op.key()))) {
                return false;
            }
        }
        return true;
    }

    /** Redis Cluster's hash tag: the non-empty bytes between the first '{' and the next '}', or null. */
    public static byte[] hashTag(byte[] key) {
        if (key == null) {
            return null;
        }
        for (int open = 0; open < key.length; open++) {
            if (key[open] == '{') {
                for (int close = open + 1; close < key.length; close++) {
                    if (key[close] == '}') {
                        return close > open + 1 ? Arrays.copyOfRange(key, open + 1, close) : null;
                    }
                }
                return null;
            }
        }
        return null;
    }

    /** {@code CLIENT CONSISTENCY READ r WRITE w}: switches a RESP connection's consistency (reply OK). */
    public static byte[][] clientConsistency(ReadConsistency read, WriteConsistency write) {
        return new byte[][] {CLIENT, CONSISTENCY, ascii("READ"), ascii(read.name()), ascii("WRITE"), ascii(write.name())};
    }

    /** {@code CLIENT CONSISTENCY}: asks a connection's current settings (decode with {@link #decodeConsistency}). */
    public static byte[][] clientConsistencyQuery() {
        return new byte[][] {CLIENT, CONSISTENCY};
    }

    /** A connection's consistency settings. */
    public record Consistency(ReadConsistency read, WriteConsistency write) {}

    // ---------------------------------------------------------------------------------- decoding

    public static byte[] decodeGet(Reply reply) {
        return switch (reply) {
            case Reply.Bulk b -> b.value();
            case Reply.Null n -> null;
            case Reply.Simple s -> s.text().getBytes(StandardCharsets.UTF_8);
            case Reply.Verbatim v -> v.text().getBytes(StandardCharsets.UTF_8);
            case Reply.Error e -> throw errorFor(e.text(), false);
            default -> throw unexpected("GET", reply);
        };
    }

    public static Void decodePut(Reply reply) {
        if (reply instanceof Reply.Error e) {
            throw errorFor(e.text(), true);
        }
        if (!isOk(reply)) {
            throw unexpected("SET", reply);
        }
        return null;
    }

    public static boolean decodeDelete(Reply reply) {
        return switch (reply) {
            case Reply.Int i -> i.value() > 0;
            case Reply.Error e -> throw errorFor(e.text(), true);
            default -> throw unexpected("DEL", reply);
        };
    }

    /** OK: stored; nil: the key did not hold the expected value (or, for NX, existed). */
    public static boolean decodeCompareAndSet(Reply reply) {
        if (reply instanceof Reply.Error e) {
            throw errorFor(e.text(), true);
        }
        if (reply instanceof Reply.Null) {
            return false;
        }
        if (isOk(reply)) {
            return true;
        }
        throw unexpected("SET IFEQ/NX", reply);
    }

    /** SCAN's {@code [cursor, [key, ...]]} as a page of keys (values null). */
    public static ScanPage decodeScan(Reply reply) {
        if (reply instanceof Reply.Error e) {
            throw errorFor(e.text(), false);
        }
        if (!(reply instanceof Reply.Array a) || a.items().size() != 2
                || !(a.items().get(1) instanceof Reply.Array keys)) {
            throw unexpected("SCAN", reply);
        }
        String cursor = text(a.items().get(0));
        List<ScanPage.Entry> entries = new ArrayList<>(keys.items().size());
        for (Reply k : keys.items()) {
            byte[] key = decodeGet(k);
            if (key == null) {
                throw unexpected("SCAN", reply);
            }
            entries.add(new ScanPage.Entry(key, null));
        }
        return new ScanPage(entries, cursor.isEmpty() ? "0" : cursor);
    }

    /**
     * Joins a page of keys with values read afterwards (one per key, null = gone by then): keys
     * whose value vanished are dropped, because a scan with values promises entries that existed.
     */
    public static ScanPage withValues(ScanPage keys, List<byte[]> values) {
        if (values.size() != keys.entries().size()) {
            throw new IllegalArgumentException(values.size() + " values for " + keys.entries().size() + " keys");
        }
        List<ScanPage.Entry> entries = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) != null) {
                entries.add(new ScanPage.Entry(keys.entries().get(i).key(), values.get(i)));
            }
        }
        return new ScanPage(entries, keys.nextCursor());
    }

    /** The result of one batch operation from its reply; an error reply becomes {@link BatchResult.Failed}. */
    public static BatchResult decodeBatchItem(BatchOp op, Reply reply) {
        try {
            return switch (op) {
                case BatchOp.Get g -> new BatchResult.Value(decodeGet(reply));
                case BatchOp.Put p -> {
                    decodePut(reply);
                    yield new BatchResult.Written();
                }
                case BatchOp.Delete d -> new BatchResult.Deleted(decodeDelete(reply));
                case BatchOp.CompareAndSet c -> new BatchResult.Swapped(decodeCompareAndSet(reply));
            };
        } catch (CairnException e) {
            return new BatchResult.Failed(e);
        }
    }

    /** Results of a pipelined (non-atomic) batch: one reply per operation. */
    public static List<BatchResult> decodeBatch(List<BatchOp> ops, List<Reply> replies) {
        if (ops.size() != replies.size()) {
            throw new CairnServerException("internal error: " + replies.size() + " replies for " + ops.size()
                    + " batch operations");
        }
        List<BatchResult> out = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            out.add(decodeBatchItem(ops.get(i), replies.get(i)));
        }
        return out;
    }

    /**
     * Results of an atomic batch from the EXEC reply. An error reply (EXECABORT: a command was
     * refused while queuing, so nothing ran) fails the whole batch.
     */
    public static List<BatchResult> decodeExec(List<BatchOp> ops, Reply execReply) {
        boolean write = ops.stream().anyMatch(op -> !(op instanceof BatchOp.Get));
        return switch (execReply) {
            case Reply.Error e -> throw errorFor(e.text(), write);
            case Reply.Array a -> decodeBatch(ops, a.items());
            default -> throw unexpected("EXEC", execReply);
        };
    }

    /** The reply of {@link #clientConsistencyQuery()}: {@code [read, <r>, write, <w>]} as an array or map. */
    public static Consistency decodeConsistency(Reply reply) {
        List<Reply> items = switch (reply) {
            case Reply.Array a -> a.items();
            case Reply.MapReply m -> m.entries();
            case Reply.Error e -> throw errorFor(e.text(), false);
            default -> throw unexpected("CLIENT CONSISTENCY", reply);
        };
        ReadConsistency read = null;
        WriteConsistency write = null;
        try {
            for (int i = 0; i + 1 < items.size(); i += 2) {
                String name = text(items.get(i));
                String value = text(items.get(i + 1));
                if (name.equalsIgnoreCase("read")) {
                    read = ReadConsistency.parse(value);
                } else if (name.equalsIgnoreCase("write")) {
                    write = WriteConsistency.parse(value);
                }
            }
        } catch (IllegalArgumentException e) {
            throw new CairnServerException("unexpected reply to CLIENT CONSISTENCY: " + e.getMessage());
        }
        if (read == null || write == null) {
            throw unexpected("CLIENT CONSISTENCY", reply);
        }
        return new Consistency(read, write);
    }

    /** A status or bulk "OK". */
    public static boolean isOk(Reply reply) {
        return switch (reply) {
            case Reply.Simple s -> s.text().equals("OK");
            case Reply.Bulk b -> b.value().length == 2 && b.value()[0] == 'O' && b.value()[1] == 'K';
            default -> false;
        };
    }

    // ---------------------------------------------------------------------------------- errors

    /**
     * The exception for a Redis error line (without the leading {@code -}). The text is matched
     * loosely (code or phrase) because the same condition is phrased by different layers: the
     * Raft layer's {@code NOQUORUM}, a wrapped {@code ERR ... no quorum}, a closed service's
     * {@code ERR command service is closed}.
     *
     * @param write whether the failed command was a write: decides {@link CairnException#outcomeUnknown()}
     *              for conditions where a write may have been applied (timeouts, lost quorum)
     */
    public static CairnException errorFor(String errorText, boolean write) {
        String text = errorText == null ? "" : errorText.strip();
        int space = text.indexOf(' ');
        String code = (space < 0 ? text : text.substring(0, space)).toUpperCase(Locale.ROOT);
        String lower = text.toLowerCase(Locale.ROOT);
        if (code.equals("NOQUORUM") || lower.contains("no quorum") || code.equals("CLUSTERDOWN")) {
            return new NoQuorumException(text, write);
        }
        if (code.equals("TIMEOUT")) {
            return new CairnTimeoutException(text, write);
        }
        if (code.equals("TRYAGAIN")) {
            // The node refused to run it now (e.g. a partition in transition): certainly not applied.
            return new CairnTimeoutException(text, false);
        }
        if (code.equals("SHUTDOWN") || lower.contains("shutting down") || lower.contains("service is closed")) {
            return new ShuttingDownException(text);
        }
        if (lower.contains("string exceeds maximum allowed size")) {
            return new ValueTooLargeException(text, -1, -1);
        }
        if (lower.contains("key exceeds maximum allowed size") || lower.contains("empty keys are not supported")) {
            return new InvalidKeyException(text);
        }
        return new CairnServerException(text);
    }

    /**
     * The exception for a failed future of a {@link io.cairn.api.service.CommandService} (which
     * completes exceptionally only for infrastructure failures) or of anything else below a
     * KeyValue: unwraps {@link CompletionException}/{@link ExecutionException}, keeps a
     * {@link CairnException} as it is, and maps the rest by kind.
     */
    public static CairnException failureFor(Throwable t, boolean write) {
        Throwable cause = unwrap(t);
        if (cause instanceof CairnException c) {
            return c;
        }
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        if (cause instanceof TimeoutException || cause.getClass().getSimpleName().contains("Timeout")) {
            return new CairnTimeoutException("timed out: " + message, write, cause);
        }
        if (cause instanceof CancellationException) {
            return new CairnTimeoutException("cancelled: " + message, write, cause);
        }
        if (cause instanceof IllegalStateException && message.toLowerCase(Locale.ROOT).contains("closed")) {
            return new ShuttingDownException(message);
        }
        if (cause instanceof RejectedExecutionException) {
            // Refused before running (a full queue): not applied, and worth retrying later.
            return new CairnServerException("overloaded: " + message, cause);
        }
        return new CairnServerException(message, cause);
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static CairnServerException unexpected(String command, Reply reply) {
        return new CairnServerException("unexpected reply to " + command + ": " + reply);
    }

    private static String text(Reply r) {
        byte[] b = decodeGet(r);
        return b == null ? "" : new String(b, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------------------------- futures

    /**
     * Decodes a reply future: completes with {@code decoder(reply)}, or exceptionally with the
     * {@link CairnException} the decoder threw or {@link #failureFor} made of the future's failure,
     * never wrapped. This is the whole async path of an embedded node:
     * {@code KvCommands.decode(service.execute(cmds.get(key), session), KvCommands::decodeGet, false)}.
     */
    public static <T> CompletableFuture<T> decode(CompletableFuture<Reply> reply, Function<Reply, T> decoder,
                                                  boolean write) {
        CompletableFuture<T> out = new CompletableFuture<>();
        reply.whenComplete((r, t) -> {
            if (t != null) {
                out.completeExceptionally(failureFor(t, write));
                return;
            }
            try {
                out.complete(decoder.apply(r));
            } catch (RuntimeException e) {
                out.completeExceptionally(e instanceof CairnException ? e : failureFor(e, write));
            }
        });
        return out;
    }

    /** {@code future.thenApply(fn)} that keeps a failure's exception as it is instead of wrapping it. */
    public static <T, R> CompletableFuture<R> map(CompletableFuture<T> future, Function<T, R> fn) {
        CompletableFuture<R> out = new CompletableFuture<>();
        future.whenComplete((v, t) -> {
            if (t != null) {
                out.completeExceptionally(unwrap(t));
                return;
            }
            try {
                out.complete(fn.apply(v));
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
            }
        });
        return out;
    }

    /** A future failed with {@code t} as it is: async methods report validation errors this way. */
    public static <T> CompletableFuture<T> failed(Throwable t) {
        return CompletableFuture.failedFuture(t);
    }

    /**
     * Waits for an async result and rethrows its failure unwrapped, so sync and async callers see
     * the same exception. Waiting is bounded by the implementation's per-call timeout, not here.
     * If the waiting thread is interrupted, the interrupt flag is restored and the call reports
     * {@link CairnTimeoutException} with an unknown outcome: the caller stopped waiting, and the
     * operation may still complete.
     */
    public static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CairnTimeoutException("interrupted while waiting for the reply; the outcome is unknown", true, e);
        } catch (CancellationException e) {
            throw new CairnTimeoutException("the call was cancelled; the outcome is unknown", true, e);
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw failureFor(cause, true);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
