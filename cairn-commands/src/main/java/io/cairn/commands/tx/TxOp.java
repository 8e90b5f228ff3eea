package io.cairn.commands.tx;

import io.cairn.api.reply.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One operation of an atomic request ({@link TransactionRunner}), protocol-neutral: its Redis
 * command and its typed result. Every operation names exactly one key. Front ends validate their
 * wire input against their own limits (key and value sizes, TTL ranges, with their own error texts)
 * and then build these; the constructors only assert what every front end must already have checked.
 *
 * <table>
 *   <caption>Operations</caption>
 *   <tr><th>operation</th><th>Redis</th><th>result</th></tr>
 *   <tr><td>{@link Get}</td><td>GET key</td><td>{@link TxResult.Value}</td></tr>
 *   <tr><td>{@link Set}</td><td>SET key value [PX ms]</td><td>{@link TxResult.Written}</td></tr>
 *   <tr><td>{@link Delete}</td><td>DEL key</td><td>{@link TxResult.Deleted}</td></tr>
 *   <tr><td>{@link Incr}</td><td>INCRBY key by</td><td>{@link TxResult.Incremented}</td></tr>
 *   <tr><td>{@link Cas}</td><td>SET key value IFEQ expected GET [PX ms]; expected null: SET key value NX GET [PX ms]</td>
 *       <td>{@link TxResult.Compared}</td></tr>
 * </table>
 */
public sealed interface TxOp {
    /** 2^53 - 1 ms: the largest integer every JSON implementation represents exactly; now + ttl cannot overflow. */
    long MAX_TTL_MILLIS = 9_007_199_254_740_991L;

    byte[] key();

    /** True if the operation may change the keyspace: every one but {@link Get}. */
    default boolean isWrite() {
        return !(this instanceof Get);
    }

    /** The Redis argument vector the command service runs. */
    byte[][] argv();

    /** The typed result of a non-error reply; any other reply shape is a bug below (IllegalStateException). */
    TxResult result(Reply reply);

    record Get(byte[] key) implements TxOp {
        public Get {
            checkKey(key);
        }

        @Override
        public byte[][] argv() {
            return new byte[][] {ascii("GET"), key};
        }

        @Override
        public TxResult result(Reply reply) {
            return new TxResult.Value(valueOrNull(reply, this));
        }
    }

    /** @param ttlMillis relative expiry, 0 for none (as with Redis SET, the key then keeps no expiry) */
    record Set(byte[] key, byte[] value, long ttlMillis) implements TxOp {
        public Set {
            checkKey(key);
            Objects.requireNonNull(value, "value");
            checkTtl(ttlMillis);
        }

        @Override
        public byte[][] argv() {
            return ttlMillis > 0
                    ? new byte[][] {ascii("SET"), key, value, ascii("PX"), ascii(Long.toString(ttlMillis))}
                    : new byte[][] {ascii("SET"), key, value};
        }

        @Override
        public TxResult result(Reply reply) {
            if (!(reply instanceof Reply.Simple s) || !s.text().equals("OK")) {
                throw unexpected(reply, this);
            }
            return TxResult.Written.INSTANCE;
        }
    }

    record Delete(byte[] key) implements TxOp {
        public Delete {
            checkKey(key);
        }

        @Override
        public byte[][] argv() {
            return new byte[][] {ascii("DEL"), key};
        }

        @Override
        public TxResult result(Reply reply) {
            if (!(reply instanceof Reply.Int n) || n.value() < 0 || n.value() > 1) {
                throw unexpected(reply, this);
            }
            return new TxResult.Deleted(n.value() == 1);
        }
    }

    /** INCRBY: an absent key counts as 0; a non-integer value or an overflow fails (the data-dependent failure). */
    record Incr(byte[] key, long by) implements TxOp {
        public Incr {
            checkKey(key);
        }

        @Override
        public byte[][] argv() {
            return new byte[][] {ascii("INCRBY"), key, ascii(Long.toString(by))};
        }

        @Override
        public TxResult result(Reply reply) {
            if (!(reply instanceof Reply.Int n)) {
                throw unexpected(reply, this);
            }
            return new TxResult.Incremented(n.value());
        }
    }

    /**
     * Compare-and-set. A mismatch is not a failure: the operation just does not swap, and the other
     * operations of the request still apply. GET makes the reply the value before the command, whether
     * or not it swapped, so one round trip tells both the outcome and, on a mismatch, what is there.
     *
     * @param expected  the value the key must hold; null: the key must be absent
     * @param ttlMillis relative expiry of the new value, 0 for none
     */
    record Cas(byte[] key, byte[] expected, byte[] value, long ttlMillis) implements TxOp {
        public Cas {
            checkKey(key);
            Objects.requireNonNull(value, "value");
            checkTtl(ttlMillis);
        }

        @Override
        public byte[][] argv() {
            List<byte[]> a = new ArrayList<>(8);
            a.add(ascii("SET"));
            a.add(key);
            a.add(value);
            if (expected == null) {
                a.add(ascii("NX"));
            } else {
                a.add(ascii("IFEQ"));
                a.add(expected);
            }
            a.add(ascii("GET"));
            if (ttlMillis > 0) {
                a.add(ascii("PX"));
                a.add(ascii(Long.toString(ttlMillis)));
            }
            return a.toArray(byte[][]::new);
        }

        /** True if a key holding {@code current} (null: absent) matches: the server's own comparison. */
        public boolean matches(byte[] current) {
            return expected == null ? current == null : current != null && Arrays.equals(current, expected);
        }

        @Override
        public TxResult result(Reply reply) {
            byte[] previous = valueOrNull(reply, this);
            return new TxResult.Compared(matches(previous), previous);
        }
    }

    private static void checkKey(byte[] key) {
        Objects.requireNonNull(key, "key");
        if (key.length == 0) {
            // Front ends refuse empty keys with their own error text; reaching here is a bug of theirs.
            throw new IllegalArgumentException("an operation's key must not be empty");
        }
    }

    private static void checkTtl(long ttlMillis) {
        if (ttlMillis < 0 || ttlMillis > MAX_TTL_MILLIS) {
            throw new IllegalArgumentException("ttl must be in 0.." + MAX_TTL_MILLIS + " ms, got " + ttlMillis);
        }
    }

    private static byte[] valueOrNull(Reply reply, TxOp op) {
        if (reply instanceof Reply.Bulk b) {
            return b.value();
        }
        if (reply == Reply.Null.BULK) {
            return null;
        }
        throw unexpected(reply, op);
    }

    private static IllegalStateException unexpected(Reply reply, TxOp op) {
        return new IllegalStateException("unexpected reply " + reply + " to " + op.getClass().getSimpleName());
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
