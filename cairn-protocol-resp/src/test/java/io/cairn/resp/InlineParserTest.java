package io.cairn.resp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cases follow Redis's sdssplitargs (sds.c). */
class InlineParserTest {
    private static List<String> split(String line) {
        byte[][] args = InlineParser.split(line.getBytes(StandardCharsets.ISO_8859_1));
        return args == null ? null : Arrays.stream(args).map(a -> new String(a, StandardCharsets.ISO_8859_1)).toList();
    }

    @Test
    void blanksSeparateArguments() {
        assertEquals(List.of("SET", "a", "b"), split("SET a b"));
        assertEquals(List.of("SET", "a", "b"), split("  SET\t a \t b  "));
        assertEquals(List.of(), split(""));
        assertEquals(List.of(), split("   "));
    }

    @Test
    void doubleQuotesWithEscapes() {
        assertEquals(List.of("a b", "c"), split("\"a b\" c"));
        assertEquals(List.of("\n\r\t\b\u0007\\q"), split("\"\\n\\r\\t\\b\\a\\\\\\q\""));
        assertEquals(List.of("AB\u00ff"), split("\"\\x41\\x42\\xff\""));
        assertEquals(List.of("xZZ"), split("\"\\xZZ\""), "not hex: an escaped x");
        assertEquals(List.of(""), split("\"\""));
    }

    @Test
    void singleQuotes() {
        assertEquals(List.of("it's"), split("'it\\'s'"));
        assertEquals(List.of("a\\nb"), split("'a\\nb'"));
    }

    @Test
    void unbalancedOrGluedQuotesFail() {
        assertNull(split("\"abc"));
        assertNull(split("'abc"));
        assertNull(split("\"a\"b"));
        assertNull(split("'a'b"));
    }

    @Test
    void quotesInsideAWordAreLiteralUntilTheQuoteStartsOne() {
        // An unquoted token switches into quote mode at a quote: a"b c" is the single token 'ab c'.
        assertEquals(List.of("ab c"), split("a\"b c\""));
    }

    @Test
    void lineEndsAtNul() {
        assertEquals(List.of("PING"), split("PING\0 ignored"));
    }
}
