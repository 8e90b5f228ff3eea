package io.cairn.commands.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.commands.GlobMatcher;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Glob semantics of Redis's stringmatchlen (util.c), including its handling of malformed patterns. */
class GlobMatcherTest {

    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "*|anything|true",
            "*|\"\"|false", // stringmatchlen never matches the empty string against '*' (KEYS * special-cases it)
            "\"\"|\"\"|true",
            "\"\"|a|false",
            "h?llo|hello|true",
            "h?llo|hllo|false",
            "h*llo|hllo|true",
            "h*llo|heeeello|true",
            "h[ae]llo|hallo|true",
            "h[ae]llo|hillo|false",
            "h[^e]llo|hallo|true",
            "h[^e]llo|hello|false",
            "h[a-b]llo|hbllo|true",
            "h[a-b]llo|hcllo|false",
            "h[b-a]llo|hallo|true",
            "h\\*llo|h*llo|true",
            "h\\*llo|hello|false",
            "[\\]]|]|true",
            "[a-]|-|false",
            "[a-]|a|true",
            "[abc|b|true",
            "[abc|d|false",
            "\\|\\|true",
            "ab\\|ab\\|true",
            "user:*:name|user:42:name|true",
            "user:*:name|user:42:mail|false",
            "**a|bba|true",
            "a*|a|true",
            "a**|a|true",
            "*a*b|xxaxxb|true",
            "*a*b|xxaxxc|false",
            "?|\"\"|false",
            "[^]|a|true", // unterminated negated empty class: matches any byte, as in Redis
            "a[|a[|false",
    })
    void matchesLikeRedis(String pattern, String string, boolean expected) {
        assertEquals(expected, GlobMatcher.matches(b(pattern), b(string)), pattern + " vs " + string);
    }

    @Test
    void nocaseFoldsAsciiLetters() {
        assertTrue(GlobMatcher.matches(b("H[A-C]LLO"), b("hbllo"), true));
        assertFalse(GlobMatcher.matches(b("H[A-C]LLO"), b("hbllo"), false));
    }

    @Test
    void bytesCompareAsSignedChars() {
        // In Redis (x86, signed char) 0x80..0xFF sort below '0'; a range from 0x80 up to 'z' spans them.
        byte[] pattern = {'[', (byte) 0x80, '-', 'z', ']'};
        assertTrue(GlobMatcher.matches(pattern, new byte[] {(byte) 0xC3}));
        assertTrue(GlobMatcher.matches(pattern, new byte[] {'a'}));
    }

    @Test
    void pathologicalPatternsAreBounded() {
        String s = "a".repeat(20_000);
        String pattern = "*a".repeat(500) + "b";
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertFalse(GlobMatcher.matches(b(pattern), b(s))));
        // Deeper than the nesting bound: refused rather than recursing without limit.
        String deep = "*a".repeat(GlobMatcher.MAX_NESTING + 10);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertFalse(GlobMatcher.matches(b(deep), b(s))));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
