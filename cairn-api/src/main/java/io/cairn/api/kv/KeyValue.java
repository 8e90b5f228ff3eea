package io.cairn.api.kv;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A Cairn store as a Java key-value map, the same interface whether the store runs in this JVM
 * (an embedded node) or elsewhere (the remote {@code CairnClient}), so applications can move
 * between the two without code changes. Keys and values are byte arrays; the {@code String}
 * overloads encode and decode UTF-8.
 *
 * <p><b>Implementations</b> provide the {@code ...Async} methods taking options, plus the
 * lifecycle methods; every other method has a default that delegates to them. Synchronous
 * methods block for at most the call's {@link CallOptions#timeout()} (plus scheduling slack).
 *
 * <p><b>Failures</b> are {@link CairnException} subtypes, identical across implementations.
 * Synchronous methods throw them directly; async methods return futures that complete
 * exceptionally with the very same exception objects (unwrapped). Argument errors (null key,
 * oversize value) are detected before anything is sent and are reported the same way.
 * Programming errors in options (a negative TTL) are {@link IllegalArgumentException}s thrown
 * when the options object is built.
 *
 * <p><b>Consistency</b>: each call runs with its {@link CallOptions}; {@code null} options mean
 * {@link #defaultCallOptions()}. Single-key operations are atomic and, at the default
 * consistency, linearizable.
 *
 * <p>Implementations are thread-safe. {@link #close()} is idempotent and graceful: calls in flight
 * finish (or time out), later calls fail with {@link CairnClosedException}.
 */
public interface KeyValue extends AutoCloseable {

    // ---------------------------------------------------------------- implemented by each implementation

    /** The value of {@code key}, or null if it is absent (or expired). */
    CompletableFuture<byte[]> getAsync(byte[] key, CallOptions options);

    /** Stores {@code value} under {@code key}, replacing any previous value (and its TTL). */
    CompletableFuture<Void> putAsync(byte[] key, byte[] value, PutOptions options);

    /** Removes {@code key}; true if it existed. */
    CompletableFuture<Boolean> deleteAsync(byte[] key, CallOptions options);

    /**
     * Stores {@code newValue} only if the key currently holds exactly {@code expected} (byte for
     * byte), or, with {@code expected == null}, only if the key is absent. True if it was stored.
     * Atomic: no other write can slip between the comparison and the store. A false result leaves
     * the key (and its TTL) untouched.
     */
    CompletableFuture<Boolean> compareAndSetAsync(byte[] key, byte[] expected, byte[] newValue, PutOptions options);

    /** One page of a scan; see {@link ScanRequest} for the guarantees. */
    CompletableFuture<ScanPage> scanAsync(ScanRequest request);

    /**
     * Runs the operations as one pipelined group and returns one result per operation, in order.
     * Not atomic unless all keys share a hash tag (see {@link BatchOp}). Per-operation refusals are
     * {@link BatchResult.Failed} entries; a failure that leaves the outcome of the group unknown
     * fails the whole call.
     */
    CompletableFuture<List<BatchResult>> batchAsync(List<BatchOp> ops, CallOptions options);

    /**
     * Blocks until the store can serve calls (a node answers, the local service is open), or throws
     * {@link CairnTimeoutException} after {@code timeout} with the last failure as its cause.
     * Useful at application start, before sending traffic.
     */
    void awaitReady(Duration timeout);

    /** Whether the store can serve calls right now; never throws. */
    Health health();

    /** Counters since creation; never throws. */
    Stats stats();

    /** The options used when a call passes none (or null). */
    CallOptions defaultCallOptions();

    /** Idempotent and graceful; see the class comment. Never throws. */
    @Override
    void close();

    // ---------------------------------------------------------------- async conveniences

    default CompletableFuture<byte[]> getAsync(byte[] key) {
        return getAsync(key, null);
    }

    default CompletableFuture<Void> putAsync(byte[] key, byte[] value) {
        return putAsync(key, value, null);
    }

    default CompletableFuture<Boolean> deleteAsync(byte[] key) {
        return deleteAsync(key, null);
    }

    default CompletableFuture<Boolean> compareAndSetAsync(byte[] key, byte[] expected, byte[] newValue) {
        return compareAndSetAsync(key, expected, newValue, null);
    }

    default CompletableFuture<List<BatchResult>> batchAsync(List<BatchOp> ops) {
        return batchAsync(ops, null);
    }

    /** {@link #getAsync(byte[], CallOptions)} with UTF-8 key and value. */
    default CompletableFuture<String> getAsync(String key) {
        return KvCommands.map(getAsync(utf8Key(key), null), KeyValue::string);
    }

    default CompletableFuture<Void> putAsync(String key, String value) {
        return putAsync(utf8Key(key), utf8(value), null);
    }

    default CompletableFuture<Boolean> deleteAsync(String key) {
        return deleteAsync(utf8Key(key), null);
    }

    default CompletableFuture<Boolean> compareAndSetAsync(String key, String expected, String newValue) {
        return compareAndSetAsync(utf8Key(key), utf8(expected), utf8(newValue), null);
    }

    // ---------------------------------------------------------------- synchronous

    default byte[] get(byte[] key) {
        return KvCommands.await(getAsync(key, null));
    }

    default byte[] get(byte[] key, CallOptions options) {
        return KvCommands.await(getAsync(key, options));
    }

    default void put(byte[] key, byte[] value) {
        KvCommands.await(putAsync(key, value, null));
    }

    default void put(byte[] key, byte[] value, PutOptions options) {
        KvCommands.await(putAsync(key, value, options));
    }

    default boolean delete(byte[] key) {
        return KvCommands.await(deleteAsync(key, null));
    }

    default boolean delete(byte[] key, CallOptions options) {
        return KvCommands.await(deleteAsync(key, options));
    }

    default boolean compareAndSet(byte[] key, byte[] expected, byte[] newValue) {
        return KvCommands.await(compareAndSetAsync(key, expected, newValue, null));
    }

    default boolean compareAndSet(byte[] key, byte[] expected, byte[] newValue, PutOptions options) {
        return KvCommands.await(compareAndSetAsync(key, expected, newValue, options));
    }

    default ScanPage scan(ScanRequest request) {
        return KvCommands.await(scanAsync(request));
    }

    default List<BatchResult> batch(List<BatchOp> ops) {
        return KvCommands.await(batchAsync(ops, null));
    }

    default List<BatchResult> batch(List<BatchOp> ops, CallOptions options) {
        return KvCommands.await(batchAsync(ops, options));
    }

    /** The value of {@code key} decoded as UTF-8, or null if absent. */
    default String get(String key) {
        return string(get(utf8Key(key)));
    }

    default String get(String key, CallOptions options) {
        return string(get(utf8Key(key), options));
    }

    default void put(String key, String value) {
        put(utf8Key(key), utf8(value));
    }

    default void put(String key, String value, PutOptions options) {
        put(utf8Key(key), utf8(value), options);
    }

    default boolean delete(String key) {
        return delete(utf8Key(key));
    }

    default boolean compareAndSet(String key, String expected, String newValue) {
        return compareAndSet(utf8Key(key), utf8(expected), utf8(newValue));
    }

    default boolean compareAndSet(String key, String expected, String newValue, PutOptions options) {
        return compareAndSet(utf8Key(key), utf8(expected), utf8(newValue), options);
    }

    // A null String key is an InvalidKeyException like a null byte[] key, so it must survive encoding.
    private static byte[] utf8Key(String key) {
        return key == null ? null : key.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
