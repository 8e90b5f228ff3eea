package io.cairn.commands;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * The x87 80-bit extended-precision {@code long double} that Redis uses for INCRBYFLOAT, emulated
 * exactly: a 64-bit significand, binary exponents down to 2^-16445 (subnormals) and overflow at
 * 2^16384, round-half-even on every operation. Java's {@code double} would give different digits
 * (Redis: {@code 0.1 + 0.2 = "0.3"}, a double sum prints {@code 0.30000000000000004}), and replies
 * must match Redis byte for byte.
 *
 * <p>A finite value is {@code (negative ? -1 : 1) * significand * 2^exponent}, exact.
 */
public final class LongDouble {
    /** Significand bits of the x87 extended format (explicit integer bit). */
    static final int PRECISION = 64;
    /** Exponent of the smallest subnormal: 2^-16445. */
    static final int MIN_EXPONENT = -16382 - (PRECISION - 1);
    /** Values at or above 2^16384 overflow to infinity. */
    static final int OVERFLOW_BIT_LENGTH = 16384;
    /** Redis's MAX_LONG_DOUBLE_CHARS: string2ld refuses inputs this long or longer. */
    static final int MAX_CHARS = 5 * 1024;
    /** Redis prints INCRBYFLOAT results with {@code %.17Lf}. */
    private static final int FRACTION_DIGITS = 17;
    private static final BigInteger TEN_POW_FRACTION = BigInteger.TEN.pow(FRACTION_DIGITS);

    public static final LongDouble ZERO = new LongDouble(false, BigInteger.ZERO, 0, false);
    public static final LongDouble POSITIVE_INFINITY = new LongDouble(false, BigInteger.ZERO, 0, true);
    public static final LongDouble NEGATIVE_INFINITY = new LongDouble(true, BigInteger.ZERO, 0, true);

    private final boolean negative;
    private final BigInteger significand;
    private final int exponent;
    private final boolean infinite;

    private LongDouble(boolean negative, BigInteger significand, int exponent, boolean infinite) {
        assert significand.signum() >= 0 && significand.bitLength() <= PRECISION : "significand out of range";
        this.negative = negative;
        this.significand = significand;
        this.exponent = exponent;
        this.infinite = infinite;
    }

    public boolean isInfinite() {
        return infinite;
    }

    public boolean isZero() {
        return !infinite && significand.signum() == 0;
    }

    /**
     * Parses like Redis's {@code string2ld}: the whole input must be one {@code strtold} number
     * (decimal, hexadecimal {@code 0x1.8p3}, or {@code inf}/{@code infinity}); no leading
     * whitespace, no trailing bytes; NaN, overflow to infinity and underflow to zero are refused.
     *
     * @return the value (possibly infinite, when the input spells infinity), or null if invalid
     */
    public static LongDouble parse(byte[] s) {
        if (s.length == 0 || s.length >= MAX_CHARS) {
            return null;
        }
        int i = 0;
        boolean negative = false;
        if (s[0] == '+' || s[0] == '-') {
            negative = s[0] == '-';
            i = 1;
        }
        if (i == s.length) {
            return null;
        }
        int c = s[i] | 0x20;
        if (c == 'i') {
            return parseInfinity(s, i, negative);
        }
        if (c == 'n') {
            return null; // nan, nan(...): string2ld refuses NaN
        }
        if (s[i] == '0' && i + 1 < s.length && (s[i + 1] | 0x20) == 'x') {
            return parseHex(s, i + 2, negative);
        }
        return parseDecimal(s, i, negative);
    }

    private static LongDouble parseInfinity(byte[] s, int i, boolean negative) {
        String rest = new String(s, i, s.length - i, StandardCharsets.ISO_8859_1);
        if (rest.equalsIgnoreCase("inf") || rest.equalsIgnoreCase("infinity")) {
            return negative ? NEGATIVE_INFINITY : POSITIVE_INFINITY;
        }
        return null;
    }

    private static LongDouble parseDecimal(byte[] s, int i, boolean negative) {
        StringBuilder digits = new StringBuilder();
        int intDigits = 0;
        int fracDigits = 0;
        while (i < s.length && isDigit(s[i])) {
            digits.append((char) s[i++]);
            intDigits++;
        }
        if (i < s.length && s[i] == '.') {
            i++;
            while (i < s.length && isDigit(s[i])) {
                digits.append((char) s[i++]);
                fracDigits++;
            }
        }
        if (intDigits + fracDigits == 0) {
            return null;
        }
        long exp10 = 0;
        if (i < s.length && (s[i] | 0x20) == 'e') {
            long[] parsed = parseExponent(s, i + 1);
            if (parsed == null) {
                return null; // strtold would stop before the 'e': trailing bytes
            }
            exp10 = parsed[0];
            i = (int) parsed[1];
        }
        if (i != s.length) {
            return null;
        }
        BigInteger mantissa = new BigInteger(digits.toString());
        if (mantissa.signum() == 0) {
            return negative ? new LongDouble(true, BigInteger.ZERO, 0, false) : ZERO;
        }
        // value = mantissa * 10^(exp10 - fracDigits); decide overflow/underflow before building huge powers.
        long scale = exp10 - fracDigits;
        int significantDigits = mantissa.toString().length();
        long magnitude = significantDigits + scale; // value < 10^magnitude, >= 10^(magnitude-1)
        if (magnitude > 4940) {
            return null; // overflow: strtold returns HUGE_VAL with ERANGE
        }
        if (magnitude < -4960) {
            return null; // underflow to zero with ERANGE
        }
        BigInteger num;
        BigInteger den;
        if (scale >= 0) {
            num = mantissa.multiply(BigInteger.TEN.pow((int) scale));
            den = BigInteger.ONE;
        } else {
            num = mantissa;
            den = BigInteger.TEN.pow((int) -scale);
        }
        return roundStrict(negative, num, den);
    }

    private static LongDouble parseHex(byte[] s, int i, boolean negative) {
        StringBuilder digits = new StringBuilder();
        int intDigits = 0;
        int fracDigits = 0;
        while (i < s.length && Character.digit(s[i], 16) >= 0) {
            digits.append((char) s[i++]);
            intDigits++;
        }
        if (i < s.length && s[i] == '.') {
            i++;
            while (i < s.length && Character.digit(s[i], 16) >= 0) {
                digits.append((char) s[i++]);
                fracDigits++;
            }
        }
        if (intDigits + fracDigits == 0) {
            return null; // "0x": strtold parses "0" and leaves "x..." behind
        }
        long exp2 = 0;
        if (i < s.length && (s[i] | 0x20) == 'p') {
            long[] parsed = parseExponent(s, i + 1);
            if (parsed == null) {
                return null;
            }
            exp2 = parsed[0];
            i = (int) parsed[1];
        }
        if (i != s.length) {
            return null;
        }
        BigInteger mantissa = new BigInteger(digits.toString(), 16);
        if (mantissa.signum() == 0) {
            return negative ? new LongDouble(true, BigInteger.ZERO, 0, false) : ZERO;
        }
        long binaryExponent = exp2 - 4L * fracDigits;
        long magnitude = mantissa.bitLength() + binaryExponent;
        if (magnitude > OVERFLOW_BIT_LENGTH + 1) {
            return null;
        }
        if (magnitude < MIN_EXPONENT - 2) {
            return null;
        }
        if (binaryExponent >= 0) {
            return roundStrict(negative, mantissa.shiftLeft((int) binaryExponent), BigInteger.ONE);
        }
        return roundStrict(negative, mantissa, BigInteger.ONE.shiftLeft((int) -binaryExponent));
    }

    /** Parses {@code [+-]digits} at {@code i}; returns {value (saturated), end index} or null if no digits. */
    private static long[] parseExponent(byte[] s, int i) {
        boolean negative = false;
        if (i < s.length && (s[i] == '+' || s[i] == '-')) {
            negative = s[i] == '-';
            i++;
        }
        int start = i;
        long value = 0;
        while (i < s.length && isDigit(s[i])) {
            // Saturate: anything beyond a billion is far outside the representable range anyway.
            value = Math.min(1_000_000_000L, value * 10 + (s[i] - '0'));
            i++;
        }
        if (i == start) {
            return null;
        }
        return new long[] {negative ? -value : value, i};
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** Parsing flavour of {@link #round}: overflow and underflow-to-zero are invalid input (ERANGE). */
    private static LongDouble roundStrict(boolean negative, BigInteger num, BigInteger den) {
        LongDouble r = round(negative, num, den);
        if (r.infinite || r.isZero()) {
            return null;
        }
        return r;
    }

    /**
     * The extended-precision value nearest to {@code num/den} (both non-negative, den positive),
     * ties to even; infinite if it overflows.
     */
    static LongDouble round(boolean negative, BigInteger num, BigInteger den) {
        if (num.signum() == 0) {
            return new LongDouble(negative, BigInteger.ZERO, 0, false);
        }
        // k = floor(log2(num/den))
        int k = num.bitLength() - den.bitLength();
        if (compareScaled(num, den, k) < 0) {
            k--;
        }
        if (k >= OVERFLOW_BIT_LENGTH) {
            return negative ? NEGATIVE_INFINITY : POSITIVE_INFINITY;
        }
        int e = Math.max(k - (PRECISION - 1), MIN_EXPONENT);
        BigInteger n = e <= 0 ? num.shiftLeft(-e) : num;
        BigInteger d = e <= 0 ? den : den.shiftLeft(e);
        BigInteger[] qr = n.divideAndRemainder(d);
        BigInteger q = qr[0];
        int half = qr[1].shiftLeft(1).compareTo(d);
        if (half > 0 || (half == 0 && q.testBit(0))) {
            q = q.add(BigInteger.ONE);
        }
        if (q.bitLength() > PRECISION) {
            // Rounding carried into a new bit: q == 2^64 exactly, renormalize.
            q = q.shiftRight(1);
            e++;
        }
        if (q.signum() != 0 && q.bitLength() + (long) e > OVERFLOW_BIT_LENGTH) {
            return negative ? NEGATIVE_INFINITY : POSITIVE_INFINITY;
        }
        return new LongDouble(negative, q, q.signum() == 0 ? 0 : e, false);
    }

    /** Compares num with den * 2^k. */
    private static int compareScaled(BigInteger num, BigInteger den, int k) {
        return k >= 0 ? num.compareTo(den.shiftLeft(k)) : num.shiftLeft(-k).compareTo(den);
    }

    /**
     * The rounded sum. Infinity plus anything is infinite (or NaN for inf + -inf); the caller
     * refuses both, as Redis does, so this returns {@link #POSITIVE_INFINITY} for either case.
     */
    public LongDouble add(LongDouble other) {
        if (infinite || other.infinite) {
            return POSITIVE_INFINITY;
        }
        if (isZero() && other.isZero()) {
            // IEEE round-to-nearest: -0 + -0 = -0, otherwise +0.
            return negative && other.negative ? this : ZERO;
        }
        if (isZero()) {
            return other;
        }
        if (other.isZero()) {
            return this;
        }
        int e = Math.min(exponent, other.exponent);
        BigInteger a = significand.shiftLeft(exponent - e);
        BigInteger b = other.significand.shiftLeft(other.exponent - e);
        BigInteger sum = (negative ? a.negate() : a).add(other.negative ? b.negate() : b);
        if (sum.signum() == 0) {
            return ZERO;
        }
        boolean neg = sum.signum() < 0;
        BigInteger mag = sum.abs();
        if (e >= 0) {
            return round(neg, mag.shiftLeft(e), BigInteger.ONE);
        }
        return round(neg, mag, BigInteger.ONE.shiftLeft(-e));
    }

    /**
     * Redis's human-friendly rendering ({@code ld2string(..., LD_STR_HUMAN)}): {@code %.17Lf},
     * then trailing zeros and a trailing dot removed, and {@code -0} shown as {@code 0}.
     */
    public String toHumanString() {
        if (infinite) {
            return negative ? "-inf" : "inf";
        }
        BigInteger scaled;
        if (exponent >= 0) {
            scaled = significand.shiftLeft(exponent).multiply(TEN_POW_FRACTION);
        } else {
            BigInteger num = significand.multiply(TEN_POW_FRACTION);
            BigInteger den = BigInteger.ONE.shiftLeft(-exponent);
            BigInteger[] qr = num.divideAndRemainder(den);
            scaled = qr[0];
            int half = qr[1].shiftLeft(1).compareTo(den);
            if (half > 0 || (half == 0 && scaled.testBit(0))) {
                scaled = scaled.add(BigInteger.ONE);
            }
        }
        BigInteger[] parts = scaled.divideAndRemainder(TEN_POW_FRACTION);
        StringBuilder out = new StringBuilder();
        if (negative) {
            out.append('-');
        }
        out.append(parts[0]);
        String frac = parts[1].toString();
        int trimmedEnd = frac.length();
        while (trimmedEnd > 0 && frac.charAt(trimmedEnd - 1) == '0') {
            trimmedEnd--;
        }
        if (trimmedEnd > 0) {
            out.append('.');
            out.append("0".repeat(FRACTION_DIGITS - frac.length()));
            out.append(frac, 0, trimmedEnd);
        }
        String s = out.toString();
        return s.equals("-0") ? "0" : s;
    }

    @Override
    public String toString() {
        return toHumanString();
    }
}
