package io.cairn.commands;

import java.nio.charset.StandardCharsets;

/** Redis's number parsing rules (util.c), which decide which inputs are errors and which are not. */
public final class RedisNumbers {
    /** Redis's LONG_STR_SIZE: string2ll refuses inputs of this length or longer. */
    private static final int LONG_STR_SIZE = 21;

    private RedisNumbers() {}

    /**
     * Thrown for an invalid number. Preallocated and stackless: parse failures are ordinary
     * user errors on the hot path, not exceptional conditions worth a stack trace.
     */
    static final class NotANumber extends RuntimeException {
        static final NotANumber INSTANCE = new NotANumber();

        private NotANumber() {
            super("not a number", null, false, false);
        }
    }

    /** {@code string2ll} for callers that prefer a sentinel to an exception: {@code fallback} if invalid. */
    public static long parseLongOr(byte[] s, long fallback) {
        try {
            return parseLong(s);
        } catch (NotANumber e) {
            return fallback;
        }
    }

    /**
     * Redis's {@code string2ll}: optional '-', then digits without leading zeros (except "0"
     * itself), no spaces, no '+', in the long range, shorter than 21 bytes.
     *
     * @throws NotANumber if the bytes are not exactly such a number
     */
    static long parseLong(byte[] s) {
        int len = s.length;
        if (len == 0 || len >= LONG_STR_SIZE) {
            throw NotANumber.INSTANCE;
        }
        if (len == 1 && s[0] == '0') {
            return 0;
        }
        int i = 0;
        boolean negative = false;
        if (s[0] == '-') {
            negative = true;
            i = 1;
            if (len == 1) {
                throw NotANumber.INSTANCE;
            }
        }
        if (s[i] < '1' || s[i] > '9') {
            throw NotANumber.INSTANCE;
        }
        // Accumulate negatively: the negative range is one larger, so Long.MIN_VALUE parses.
        long v = -(s[i++] - '0');
        final long multMin = Long.MIN_VALUE / 10;
        for (; i < len; i++) {
            int d = s[i] - '0';
            if (d < 0 || d > 9 || v < multMin) {
                throw NotANumber.INSTANCE;
            }
            v *= 10;
            if (v < Long.MIN_VALUE + d) {
                throw NotANumber.INSTANCE;
            }
            v -= d;
        }
        if (negative) {
            return v;
        }
        if (v == Long.MIN_VALUE) {
            throw NotANumber.INSTANCE;
        }
        return -v;
    }

    /** True if {@link #parseLong} accepts the bytes. */
    public static boolean isLong(byte[] s) {
        try {
            parseLong(s);
            return true;
        } catch (NotANumber e) {
            return false;
        }
    }

    /**
     * A SCAN cursor as Redis parses it ({@code strtoul(s, &end, 10)} with no leading whitespace and
     * nothing after the digits): an optional sign, decimal digits, the unsigned 64-bit range; "-n"
     * wraps around as in C; the empty string is cursor 0.
     *
     * @throws NotANumber if Redis would answer "invalid cursor"
     */
    static long parseCursor(byte[] s) {
        if (s.length == 0) {
            return 0; // strtoul("") converts nothing and stops at the terminator: Redis accepts it as 0
        }
        int i = 0;
        boolean negative = false;
        if (s[0] == '+' || s[0] == '-') {
            negative = s[0] == '-';
            i = 1;
        }
        if (i == s.length) {
            throw NotANumber.INSTANCE;
        }
        long v = 0;
        for (; i < s.length; i++) {
            int d = s[i] - '0';
            if (d < 0 || d > 9) {
                throw NotANumber.INSTANCE;
            }
            // Unsigned overflow check: v * 10 + d must stay below 2^64.
            if (Long.compareUnsigned(v, Long.divideUnsigned(-1L, 10)) > 0) {
                throw NotANumber.INSTANCE;
            }
            long next = v * 10 + d;
            if (Long.compareUnsigned(next, v * 10) < 0) {
                throw NotANumber.INSTANCE;
            }
            v = next;
        }
        return negative ? -v : v;
    }

    static byte[] toBytes(long v) {
        return Long.toString(v).getBytes(StandardCharsets.US_ASCII);
    }
}
