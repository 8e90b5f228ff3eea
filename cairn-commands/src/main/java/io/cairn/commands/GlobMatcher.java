package io.cairn.commands;

/**
 * Redis's glob matcher ({@code stringmatchlen} in util.c), byte for byte: {@code *}, {@code ?},
 * {@code [abc]}, {@code [^a]}, {@code [a-z]} (reversed ranges allowed), backslash escapes, and
 * Redis's handling of malformed patterns (an unterminated {@code [} matches like a class that
 * runs to the end of the pattern). Bytes compare as C {@code char}s, i.e. signed, so ranges over
 * bytes >= 0x80 behave as in Redis on x86.
 *
 * <p>Work is bounded the way newer Redis bounds it: recursion deeper than {@link #MAX_NESTING}
 * {@code *}s fails the match, and after one full failed sweep of a {@code *} the matcher gives up
 * on longer matches, which keeps the cost polynomial for patterns like {@code *a*a*a*a*b}.
 */
public final class GlobMatcher {
    /** Redis's "protection against abusive patterns". */
    public static final int MAX_NESTING = 1000;

    private GlobMatcher() {}

    public static boolean matches(byte[] pattern, byte[] string) {
        return matches(pattern, string, false);
    }

    public static boolean matches(byte[] pattern, byte[] string, boolean nocase) {
        return match(pattern, 0, pattern.length, string, 0, string.length, nocase, new boolean[1], 0);
    }

    private static boolean match(byte[] pat, int p, int plen, byte[] str, int s, int slen, boolean nocase,
                                 boolean[] skipLongerMatches, int nesting) {
        if (nesting > MAX_NESTING) {
            return false;
        }
        while (plen > 0 && slen > 0) {
            switch (pat[p]) {
                case '*' -> {
                    while (plen > 1 && pat[p + 1] == '*') {
                        p++;
                        plen--;
                    }
                    if (plen == 1) {
                        return true;
                    }
                    while (slen > 0) {
                        if (match(pat, p + 1, plen - 1, str, s, slen, nocase, skipLongerMatches, nesting + 1)) {
                            return true;
                        }
                        if (skipLongerMatches[0]) {
                            return false;
                        }
                        s++;
                        slen--;
                    }
                    // No match for the rest of the pattern anywhere in the rest of the string: a
                    // longer match for an earlier '*' cannot help either.
                    skipLongerMatches[0] = true;
                    return false;
                }
                case '?' -> {
                    s++;
                    slen--;
                }
                case '[' -> {
                    p++;
                    plen--;
                    boolean not = plen > 0 && pat[p] == '^';
                    if (not) {
                        p++;
                        plen--;
                    }
                    boolean matched = false;
                    while (true) {
                        if (plen == 0) {
                            // Unterminated class: step back so the common "advance" below lands on the end.
                            p--;
                            plen++;
                            break;
                        } else if (pat[p] == '\\' && plen >= 2) {
                            p++;
                            plen--;
                            if (pat[p] == str[s]) {
                                matched = true;
                            }
                        } else if (pat[p] == ']') {
                            break;
                        } else if (plen >= 3 && pat[p + 1] == '-') {
                            int start = pat[p];
                            int end = pat[p + 2];
                            int c = str[s];
                            if (start > end) {
                                int t = start;
                                start = end;
                                end = t;
                            }
                            if (nocase) {
                                start = lower(start);
                                end = lower(end);
                                c = lower(c);
                            }
                            p += 2;
                            plen -= 2;
                            if (c >= start && c <= end) {
                                matched = true;
                            }
                        } else if (nocase ? lower(pat[p]) == lower(str[s]) : pat[p] == str[s]) {
                            matched = true;
                        }
                        p++;
                        plen--;
                    }
                    if (not) {
                        matched = !matched;
                    }
                    if (!matched) {
                        return false;
                    }
                    s++;
                    slen--;
                }
                default -> {
                    if (pat[p] == '\\' && plen >= 2) {
                        p++;
                        plen--;
                    }
                    if (nocase ? lower(pat[p]) != lower(str[s]) : pat[p] != str[s]) {
                        return false;
                    }
                    s++;
                    slen--;
                }
            }
            p++;
            plen--;
            if (slen == 0) {
                while (plen > 0 && pat[p] == '*') {
                    p++;
                    plen--;
                }
                break;
            }
        }
        return plen == 0 && slen == 0;
    }

    private static int lower(int c) {
        return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }
}
