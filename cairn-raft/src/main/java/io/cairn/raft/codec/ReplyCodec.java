package io.cairn.raft.codec;

import io.cairn.api.reply.Reply;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary format of the replies to one entry or query: one {@link Reply} per command, in order.
 *
 * <pre>
 * replies = magic:u8 (0xCB) format:u8 (1) count:varint reply{count}
 * reply   = tag:u8 body
 *   SIMPLE 1 utf8 | ERROR 2 utf8 | INT 3 i64 | BULK 4 bytes | NULL_BULK 5 | NULL_ARRAY 6
 *   ARRAY 7 n:varint reply{n} | MAP 8 n:varint reply{n} | SET 9 n:varint reply{n}
 *   DOUBLE 10 i64 (IEEE bits) | BOOL 11 u8 | VERBATIM 12 utf8 utf8
 * </pre>
 * Nesting is limited to {@link #MAX_DEPTH} so a corrupt or hostile buffer cannot overflow the stack.
 */
public final class ReplyCodec {
    public static final int MAGIC = 0xCB;
    public static final int FORMAT = 1;
    public static final int MAX_DEPTH = 32;

    private static final int SIMPLE = 1, ERROR = 2, INT = 3, BULK = 4, NULL_BULK = 5, NULL_ARRAY = 6,
            ARRAY = 7, MAP = 8, SET = 9, DOUBLE = 10, BOOL = 11, VERBATIM = 12;

    private ReplyCodec() {}

    public static byte[] encode(List<Reply> replies) {
        Writer w = new Writer(16 + replies.size() * 8);
        w.u8(MAGIC);
        w.u8(FORMAT);
        w.varint(replies.size());
        for (Reply r : replies) {
            write(w, r, 0);
        }
        return w.toByteArray();
    }

    public static List<Reply> decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }

    public static List<Reply> decode(byte[] bytes, int offset, int length) {
        Reader r = new Reader(bytes, offset, length, "reply batch");
        int magic = r.u8();
        if (magic != MAGIC) {
            throw r.corrupt("bad magic 0x" + Integer.toHexString(magic) + ", expected 0xcb");
        }
        int format = r.u8();
        if (format != FORMAT) {
            throw r.corrupt("unknown format " + format + " (this build reads format " + FORMAT + ")");
        }
        int count = r.varint(r.remaining(), "reply count");
        List<Reply> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(read(r, 0));
        }
        r.expectEnd();
        return out;
    }

    private static void write(Writer w, Reply reply, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("reply nested deeper than " + MAX_DEPTH);
        }
        switch (reply) {
            case Reply.Simple s -> {
                w.u8(SIMPLE);
                w.utf8(s.text());
            }
            case Reply.Error e -> {
                w.u8(ERROR);
                w.utf8(e.text());
            }
            case Reply.Int i -> {
                w.u8(INT);
                w.i64(i.value());
            }
            case Reply.Bulk b -> {
                w.u8(BULK);
                w.bytes(b.value());
            }
            case Reply.Null n -> w.u8(n == Reply.Null.BULK ? NULL_BULK : NULL_ARRAY);
            case Reply.Array a -> list(w, ARRAY, a.items(), depth);
            case Reply.MapReply m -> list(w, MAP, m.entries(), depth);
            case Reply.SetReply s -> list(w, SET, s.items(), depth);
            case Reply.DoubleReply d -> {
                w.u8(DOUBLE);
                w.i64(Double.doubleToRawLongBits(d.value()));
            }
            case Reply.BoolReply b -> {
                w.u8(BOOL);
                w.u8(b.value() ? 1 : 0);
            }
            case Reply.Verbatim v -> {
                w.u8(VERBATIM);
                w.utf8(v.format());
                w.utf8(v.text());
            }
        }
    }

    private static void list(Writer w, int tag, List<Reply> items, int depth) {
        w.u8(tag);
        w.varint(items.size());
        for (Reply item : items) {
            write(w, item, depth + 1);
        }
    }

    private static Reply read(Reader r, int depth) {
        if (depth > MAX_DEPTH) {
            throw r.corrupt("reply nested deeper than " + MAX_DEPTH);
        }
        int tag = r.u8();
        return switch (tag) {
            case SIMPLE -> new Reply.Simple(r.utf8(r.remaining(), "simple string"));
            case ERROR -> new Reply.Error(r.utf8(r.remaining(), "error"));
            case INT -> Reply.integer(r.i64());
            case BULK -> new Reply.Bulk(r.bytes(r.remaining(), "bulk"));
            case NULL_BULK -> Reply.Null.BULK;
            case NULL_ARRAY -> Reply.Null.ARRAY;
            case ARRAY -> new Reply.Array(readList(r, depth));
            case MAP -> {
                List<Reply> entries = readList(r, depth);
                if ((entries.size() & 1) != 0) {
                    throw r.corrupt("map with an odd number of entries");
                }
                yield new Reply.MapReply(entries);
            }
            case SET -> new Reply.SetReply(readList(r, depth));
            case DOUBLE -> new Reply.DoubleReply(Double.longBitsToDouble(r.i64()));
            case BOOL -> {
                int b = r.u8();
                if (b > 1) {
                    throw r.corrupt("boolean byte " + b);
                }
                yield new Reply.BoolReply(b == 1);
            }
            case VERBATIM -> new Reply.Verbatim(r.utf8(r.remaining(), "verbatim format"),
                    r.utf8(r.remaining(), "verbatim text"));
            default -> throw r.corrupt("unknown reply tag " + tag);
        };
    }

    private static List<Reply> readList(Reader r, int depth) {
        // Every reply takes at least one byte: bounds the allocation by the input size.
        int n = r.varint(r.remaining(), "item count");
        List<Reply> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            items.add(read(r, depth + 1));
        }
        return items;
    }
}
