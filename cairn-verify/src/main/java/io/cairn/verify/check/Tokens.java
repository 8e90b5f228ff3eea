package io.cairn.verify.check;

import io.cairn.verify.history.Op;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits append-workload values into tokens. Clients append {@code token + separator} (or
 * {@code separator + token}); a read returns the concatenation. Empty pieces are ignored so either
 * convention works.
 */
final class Tokens {
    private Tokens() {
    }

    static List<String> split(String s, String separator) {
        List<String> out = new ArrayList<>();
        if (s == null || s.isEmpty()) {
            return out;
        }
        int from = 0;
        while (true) {
            int at = s.indexOf(separator, from);
            String piece = at < 0 ? s.substring(from) : s.substring(from, at);
            if (!piece.isEmpty()) {
                out.add(piece);
            }
            if (at < 0) {
                return out;
            }
            from = at + separator.length();
        }
    }

    /** The single token an APPEND op appends. */
    static String tokenOf(Op append, String separator) {
        List<String> t = split(append.input(0), separator);
        if (t.size() != 1) {
            throw new IllegalArgumentException("an APPEND must append exactly one token (separator "
                    + Op.quote(separator) + "): " + append);
        }
        return t.get(0);
    }

    static void requireSeparator(String separator) {
        if (separator == null || separator.isEmpty()) {
            throw new IllegalArgumentException("separator must be non-empty");
        }
    }
}
