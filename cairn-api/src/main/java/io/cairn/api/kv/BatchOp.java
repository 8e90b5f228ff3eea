package io.cairn.api.kv;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One operation of {@link KeyValue#batch}. A batch is sent as one pipelined group, so it costs one
 * round trip instead of one per operation.
 *
 * <p>It is <b>not</b> atomic in general: operations on keys of different partitions run
 * independently, others may observe some applied and not others, and after a failure some may
 * have been applied. It is atomic (run as one MULTI/EXEC block, all or nothing, isolated) only if
 * every key carries the same Redis Cluster hash tag (the non-empty part between the first
 * '{' and the next '}') or all operations touch the same key: such keys always share a
 * partition, exactly the rule Redis Cluster applies to multi-key commands. See
 * {@link KvCommands#atomic}.
 */
public sealed interface BatchOp {
    byte[] key();

    /** True if applying it twice leaves the same state as once (every op but compare-and-set). */
    default boolean idempotent() {
        return !(this instanceof CompareAndSet);
    }

    /** Read the key; result {@link BatchResult.Value}. */
    record Get(byte[] key) implements BatchOp {}

    /** Store a value ({@code ttl} null = no expiry); result {@link BatchResult.Written}. */
    record Put(byte[] key, byte[] value, Duration ttl) implements BatchOp {}

    /** Remove the key; result {@link BatchResult.Deleted}. */
    record Delete(byte[] key) implements BatchOp {}

    /** {@link KeyValue#compareAndSet}; result {@link BatchResult.Swapped}. */
    record CompareAndSet(byte[] key, byte[] expected, byte[] newValue, Duration ttl) implements BatchOp {}

    static Get get(byte[] key) {
        return new Get(key);
    }

    static Get get(String key) {
        return new Get(utf8(key));
    }

    static Put put(byte[] key, byte[] value) {
        return new Put(key, value, null);
    }

    static Put put(String key, String value) {
        return new Put(utf8(key), utf8(value), null);
    }

    static Put put(byte[] key, byte[] value, Duration ttl) {
        return new Put(key, value, ttl);
    }

    static Delete delete(byte[] key) {
        return new Delete(key);
    }

    static Delete delete(String key) {
        return new Delete(utf8(key));
    }

    static CompareAndSet compareAndSet(byte[] key, byte[] expected, byte[] newValue) {
        return new CompareAndSet(key, expected, newValue, null);
    }

    static CompareAndSet compareAndSet(String key, String expected, String newValue) {
        return new CompareAndSet(utf8(key), utf8(expected), utf8(newValue), null);
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
