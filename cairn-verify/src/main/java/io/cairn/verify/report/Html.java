package io.cairn.verify.report;

import java.util.Locale;

/**
 * Escaping and number formatting for the report. Every piece of text that came from a history
 * (keys, values) or a caller (titles, fault descriptions) goes through {@link #escape}, because
 * keys and values are arbitrary bytes from a fuzzing workload and must never become markup.
 */
final class Html {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Html() {
    }

    /** {@code s} escaped for use in element content and in double- or single-quoted attributes. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s == null ? 4 : s.length() + 16);
        escape(sb, s);
        return sb.toString();
    }

    static StringBuilder escape(StringBuilder sb, String s) {
        if (s == null) {
            return sb.append("null");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                case '\t', '\n' -> sb.append(c);
                default -> i = appendOther(sb, s, i);
            }
        }
        return sb;
    }

    /**
     * Appends the character at {@code i} (and its low surrogate), returning the last index used.
     * Control characters and broken surrogates are not valid HTML text, and would silently make
     * two different keys look identical, so they are shown as visible {@code \\uXXXX} escapes.
     */
    private static int appendOther(StringBuilder sb, String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
            sb.append(c).append(s.charAt(i + 1));
            return i + 1;
        }
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || Character.isSurrogate(c) || c == 0xfffe || c == 0xffff) {
            sb.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf])
                    .append(HEX[c >> 4 & 0xf]).append(HEX[c & 0xf]);
        } else {
            sb.append(c);
        }
        return i;
    }

    /**
     * {@code s} cut to at most {@code max} chars plus a marker. Values in append workloads can be
     * megabytes; without a cap 20,000 tooltips would make the page unusably large.
     */
    static String abbreviate(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int cut = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, cut) + "\u2026 (" + (s.length() - cut) + " more chars)";
    }

    /**
     * Appends a coordinate with one decimal. Hand-rolled because {@link String#format} for
     * ~100,000 coordinates dominates the report's run time.
     */
    static StringBuilder num(StringBuilder sb, double v) {
        long tenths = Math.round(v * 10);
        if (tenths < 0) {
            sb.append('-');
            tenths = -tenths;
        }
        sb.append(tenths / 10);
        long frac = tenths % 10;
        return frac == 0 ? sb : sb.append('.').append(frac);
    }

    static String fixed(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** Thousands-separated count, e.g. {@code 20,000}. */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /**
     * {@code to - from} as a double without overflow: nanoTime readings may be any long, and
     * synthetic histories use extremes such as {@link Long#MIN_VALUE}.
     */
    static double nanosBetween(long from, long to) {
        long d = to - from;
        boolean overflow = ((to ^ from) & (to ^ d)) < 0;
        return overflow ? (double) to - (double) from : d;
    }
}
