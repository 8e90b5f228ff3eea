package io.cairn.raft.codec;

import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked cursor over encoded bytes. Every length read is checked against the bytes that
 * remain before anything is allocated, so corrupt input fails with {@link CorruptEntryException}
 * instead of an OutOfMemoryError or an index exception.
 */
final class Reader {
    private final byte[] buf;
    private int pos;
    private final int end;
    private final String what;

    Reader(byte[] buf, int offset, int length, String what) {
        this.buf = buf;
        this.pos = offset;
        this.end = offset + length;
        this.what = what;
    }

    int position() {
        return pos;
    }

    int remaining() {
        return end - pos;
    }

    CorruptEntryException corrupt(String message) {
        return new CorruptEntryException("corrupt " + what + " at byte " + pos + ": " + message);
    }

    private void need(int n) {
        if (n < 0 || n > end - pos) {
            throw corrupt("needs " + n + " more bytes, only " + (end - pos) + " left");
        }
    }

    int u8() {
        need(1);
        return buf[pos++] & 0xFF;
    }

    long i64() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (buf[pos++] & 0xFF);
        }
        return v;
    }

    /** Unsigned LEB128 varint that must fit in a non-negative int and not exceed {@code max}. */
    int varint(int max, String field) {
        long v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = u8();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (v > max) {
                    throw corrupt(field + " " + v + " exceeds limit " + max);
                }
                return (int) v;
            }
        }
        throw corrupt("varint for " + field + " longer than 5 bytes");
    }

    byte[] bytes(int maxLength, String field) {
        int n = varint(maxLength, field + " length");
        need(n);
        byte[] out = new byte[n];
        System.arraycopy(buf, pos, out, 0, n);
        pos += n;
        return out;
    }

    String utf8(int maxLength, String field) {
        return new String(bytes(maxLength, field), StandardCharsets.UTF_8);
    }

    void expectEnd() {
        if (pos != end) {
            throw corrupt((end - pos) + " trailing bytes");
        }
    }
}
