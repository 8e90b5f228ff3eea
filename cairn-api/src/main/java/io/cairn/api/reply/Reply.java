package io.cairn.api.reply;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A protocol-neutral command reply. The RESP layer encodes it as RESP2 or RESP3; other front
 * ends (HTTP, gRPC, the embedded API) translate it to their own shapes. RESP3-only types
 * ({@link MapReply}, {@link DoubleReply}, {@link BoolReply}, {@link SetReply}) have a defined
 * RESP2 downgrade (flattened array, bulk string, integer, array) applied by the encoder.
 */
public sealed interface Reply {

    /** {@code +OK}-style status line. Must not contain CR or LF. */
    record Simple(String text) implements Reply {}

    /**
     * An error line, with its code as the first word: {@code "ERR syntax error"},
     * {@code "WRONGTYPE Operation against a key holding the wrong kind of value"}.
     */
    record Error(String text) implements Reply {}

    record Int(long value) implements Reply {}

    record Bulk(byte[] value) implements Reply {
        public String utf8() {
            return new String(value, StandardCharsets.UTF_8);
        }
    }

    /** RESP2 distinguishes a nil bulk ({@code $-1}) from a nil array ({@code *-1}); RESP3 has one null. */
    enum Null implements Reply { BULK, ARRAY }

    record Array(List<Reply> items) implements Reply {}

    /** Key/value pairs in order: {@code entries} alternates key, value. */
    record MapReply(List<Reply> entries) implements Reply {
        public MapReply {
            if ((entries.size() & 1) != 0) {
                throw new IllegalArgumentException("map reply needs an even number of entries");
            }
        }
    }

    record SetReply(List<Reply> items) implements Reply {}

    record DoubleReply(double value) implements Reply {}

    record BoolReply(boolean value) implements Reply {}

    /** RESP3 verbatim string (e.g. INFO, CLIENT INFO); RESP2 sends it as a bulk string. */
    record Verbatim(String format, String text) implements Reply {}

    Simple OK = new Simple("OK");
    Simple QUEUED = new Simple("QUEUED");
    Simple PONG = new Simple("PONG");
    Int ZERO = new Int(0);
    Int ONE = new Int(1);

    static Error error(String text) {
        return new Error(text);
    }

    static Error err(String message) {
        return new Error("ERR " + message);
    }

    static Bulk bulk(String s) {
        return new Bulk(s.getBytes(StandardCharsets.UTF_8));
    }

    static Bulk bulk(byte[] b) {
        return new Bulk(b);
    }

    static Int integer(long v) {
        return v == 0 ? ZERO : v == 1 ? ONE : new Int(v);
    }

    static Array array(List<Reply> items) {
        return new Array(items);
    }
}
