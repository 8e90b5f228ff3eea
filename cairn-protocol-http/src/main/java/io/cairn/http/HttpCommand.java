package io.cairn.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.api.reply.Reply;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One validated command of {@code POST /v1/execute}, its Redis translation, and the JSON shape of
 * its result. Every command here names exactly one key.
 *
 * <table>
 *   <caption>Commands and results</caption>
 *   <tr><th>cmd_type</th><th>Redis</th><th>result</th></tr>
 *   <tr><td>get</td><td>GET key</td><td>{@code {"value":"v"}}, {@code {"value":null}} if absent</td></tr>
 *   <tr><td>set</td><td>SET key value [PX ms]</td><td>{@code {"ok":true}}</td></tr>
 *   <tr><td>delete</td><td>DEL key</td><td>{@code {"deleted":true}} or {@code false} if it was absent</td></tr>
 *   <tr><td>incr</td><td>INCRBY key by</td><td>{@code {"value":42}} (a JSON number, the new value)</td></tr>
 *   <tr><td>cas</td><td>SET key value IFEQ expected GET [PX ms]; with {@code "expected":null}: SET key value NX GET [PX ms]</td>
 *       <td>{@code {"swapped":true}}, or {@code {"swapped":false,"value":current}} (current value, null if absent)</td></tr>
 * </table>
 * Values in results follow {@link Json}'s bytes rule ({@code value} or {@code value_base64}).
 */
sealed interface HttpCommand {
    byte[] key();

    /** True if the command may change the keyspace. */
    boolean isWrite();

    /** The Redis argument vector the command service runs. */
    byte[][] argv();

    /** The JSON result of a non-error reply; an unexpected reply shape is a bug (IllegalStateException). */
    ObjectNode result(Reply reply, boolean base64);

    record Get(byte[] key) implements HttpCommand {
        @Override
        public boolean isWrite() {
            return false;
        }

        @Override
        public byte[][] argv() {
            return new byte[][] {ascii("GET"), key};
        }

        @Override
        public ObjectNode result(Reply reply, boolean base64) {
            ObjectNode o = Json.object();
            Json.putBytes(o, "value", valueOrNull(reply, this), base64);
            return o;
        }
    }

    /** @param ttlMillis relative expiry, 0 for none */
    record Set(byte[] key, byte[] value, long ttlMillis) implements HttpCommand {
        @Override
        public boolean isWrite() {
            return true;
        }

        @Override
        public byte[][] argv() {
            return ttlMillis > 0
                    ? new byte[][] {ascii("SET"), key, value, ascii("PX"), ascii(Long.toString(ttlMillis))}
                    : new byte[][] {ascii("SET"), key, value};
        }

        @Override
        public ObjectNode result(Reply reply, boolean base64) {
            if (!(reply instanceof Reply.Simple s) || !s.text().equals("OK")) {
                throw unexpected(reply, this);
            }
            return Json.object().put("ok", true);
        }
    }

    record Delete(byte[] key) implements HttpCommand {
        @Override
        public boolean isWrite() {
            return true;
        }

        @Override
        public byte[][] argv() {
            return new byte[][] {ascii("DEL"), key};
        }

        @Override
        public ObjectNode result(Reply reply, boolean base64) {
            if (!(reply instanceof Reply.Int n) || n.value() < 0 || n.value() > 1) {
                throw unexpected(reply, this);
            }
            return Json.object().put("deleted", n.value() == 1);
        }
    }

    record Incr(byte[] key, long by) implements HttpCommand {
        @Override
        public boolean isWrite() {
            return true;
        }

        @Override
        public byte[][] argv() {
            return new byte[][] {ascii("INCRBY"), key, ascii(Long.toString(by))};
        }

        @Override
        public ObjectNode result(Reply reply, boolean base64) {
            if (!(reply instanceof Reply.Int n)) {
                throw unexpected(reply, this);
            }
            return Json.object().put("value", n.value());
        }
    }

    /**
     * Compare-and-set. GET makes the reply the value before the command, whether or not it swapped,
     * so one round trip tells both the outcome and, on a mismatch, what is there instead.
     *
     * @param expected  the value the key must hold; null: the key must be absent
     * @param ttlMillis relative expiry of the new value, 0 for none
     */
    record Cas(byte[] key, byte[] expected, byte[] value, long ttlMillis) implements HttpCommand {
        @Override
        public boolean isWrite() {
            return true;
        }

        @Override
        public byte[][] argv() {
            java.util.List<byte[]> a = new java.util.ArrayList<>(8);
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

        /** Whether SET ... GET swapped, judged from the old value it returned (the server's own comparison). */
        boolean swapped(Reply reply) {
            byte[] old = valueOrNull(reply, this);
            return expected == null ? old == null : old != null && Arrays.equals(old, expected);
        }

        @Override
        public ObjectNode result(Reply reply, boolean base64) {
            ObjectNode o = Json.object();
            if (swapped(reply)) {
                o.put("swapped", true);
            } else {
                o.put("swapped", false);
                Json.putBytes(o, "value", valueOrNull(reply, this), base64);
            }
            return o;
        }
    }

    private static byte[] valueOrNull(Reply reply, HttpCommand command) {
        if (reply instanceof Reply.Bulk b) {
            return b.value();
        }
        if (reply == Reply.Null.BULK) {
            return null;
        }
        throw unexpected(reply, command);
    }

    private static IllegalStateException unexpected(Reply reply, HttpCommand command) {
        return new IllegalStateException("unexpected reply " + reply + " to " + command.getClass().getSimpleName());
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
