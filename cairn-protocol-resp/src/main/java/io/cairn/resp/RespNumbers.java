package io.cairn.resp;

import io.cairn.commands.RedisNumbers;
import io.netty.buffer.ByteBuf;

/** Redis's integer parsing ({@code string2ll} in util.c) and formatting, without allocation. */
final class RespNumbers {
    /** Redis's LONG_STR_SIZE: string2ll refuses inputs of this length or longer. */
    private static final int LONG_STR_SIZE = 21;
    /** Returned by the parsers for invalid input; never a valid result of the uses here. */
    static final long INVALID = Long.MIN_VALUE;

    private RespNumbers() {}

    /**
     * {@code string2ll} over {@code buf[from, to)}: optional '-', digits without leading zeros
     * (except "0"), nothing else. Returns {@link #INVALID} for anything else, and for
     * Long.MIN_VALUE itself, which no caller needs.
     */
    static long parseLong(ByteBuf buf, int from, int to) {
        int len = to - from;
        if (len <= 0 || len >= LONG_STR_SIZE) {
            return INVALID;
        }
        byte[] digits = new byte[len];
        buf.getBytes(from, digits);
        return parseLong(digits);
    }

    /** {@code string2ll} over a whole argument; {@link #INVALID} if it is not exactly a number. */
    static long parseLong(byte[] s) {
        return RedisNumbers.parseLongOr(s, INVALID);
    }

    /** Number of decimal characters of {@code v}, sign included. */
    static int decimalLength(long v) {
        if (v < 0) {
            return v == Long.MIN_VALUE ? 20 : 1 + decimalLength(-v);
        }
        int n = 1;
        long p = 10;
        while (n < 19 && v >= p) {
            n++;
            p *= 10;
        }
        return n;
    }

    /** Writes {@code v} as ASCII decimal. */
    static void writeLong(ByteBuf out, long v) {
        if (v >= 0 && v < 10) {
            out.writeByte('0' + (int) v);
            return;
        }
        if (v == Long.MIN_VALUE) {
            out.writeCharSequence("-9223372036854775808", java.nio.charset.StandardCharsets.US_ASCII);
            return;
        }
        int len = decimalLength(v);
        out.ensureWritable(len);
        int start = out.writerIndex();
        int pos = start + len - 1;
        long x = v;
        if (x < 0) {
            out.setByte(start, '-');
            x = -x;
        }
        do {
            out.setByte(pos--, (int) ('0' + x % 10));
            x /= 10;
        } while (x != 0);
        out.writerIndex(start + len);
    }
}
