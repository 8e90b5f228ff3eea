package io.cairn.commands.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.commands.LongDouble;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * INCRBYFLOAT arithmetic against vectors recorded from redis-server 7.0.15 (x86-64, 80-bit long
 * double): {@code SET fk <initial>; INCRBYFLOAT fk <increment>} and the exact reply.
 */
class LongDoubleTest {

    static Stream<Arguments> redisVectors() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (InputStream in = LongDoubleTest.class.getResourceAsStream("/io/cairn/commands/incrbyfloat-redis-7.0.tsv");
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                String[] f = line.split("\t", -1);
                out.add(Arguments.of(f[0], f[1], f[2]));
            }
        }
        assertTrue(out.size() > 100, "vector file loaded");
        return out.stream();
    }

    @ParameterizedTest(name = "{0} + {1} = {2}")
    @MethodSource("redisVectors")
    void matchesRedis(String initial, String increment, String expected) {
        LongDouble a = LongDouble.parse(bytes(initial));
        LongDouble b = LongDouble.parse(bytes(increment));
        String actual;
        if (a == null || b == null) {
            actual = "ERR value is not a valid float";
        } else {
            LongDouble sum = a.add(b);
            actual = sum.isInfinite() ? "ERR increment would produce NaN or Infinity" : sum.toHumanString();
        }
        assertEquals(expected, actual);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " 1", "1 ", "\t1", "abc", "1e", "1e+", ".", "-", "+", "0x", "0x.p1", "0xp1", "nan",
            "-nan", "NaN(123)", "infinit", "1.2.3", "1e5000", "-1e5000", "1e-5000", "0x1p16384", "1_000", "1\u00000"})
    void rejectsWhatString2ldRejects(String s) {
        assertNull(LongDouble.parse(bytes(s)), s);
    }

    @ParameterizedTest
    @ValueSource(strings = {"inf", "-inf", "+INF", "Infinity", "-infinity"})
    void acceptsInfinityAsInput(String s) {
        LongDouble v = LongDouble.parse(bytes(s));
        assertNotNull(v);
        assertTrue(v.isInfinite());
        assertTrue(v.add(LongDouble.ZERO).isInfinite(), "any sum with infinity is refused by the caller");
    }

    @Test
    void acceptsOverlongInputOnlyBelowRedisLimit() {
        String longButValid = "1." + "0".repeat(5117);
        assertEquals("1", LongDouble.parse(bytes(longButValid)).toHumanString());
        assertNull(LongDouble.parse(bytes(longButValid + "0")), "5120 chars is MAX_LONG_DOUBLE_CHARS");
    }

    @Test
    void hugeExponentTextDoesNotBlowUp() {
        assertNull(LongDouble.parse(bytes("1e99999999999999999999999")));
        assertEquals("0", LongDouble.parse(bytes("0e99999999999999999999999")).toHumanString());
        assertNull(LongDouble.parse(bytes("1e-99999999999999999999999")));
    }

    @Test
    void negativeZeroPrintsAsZero() {
        LongDouble negZero = LongDouble.parse(bytes("-0.0"));
        assertEquals("0", negZero.add(negZero).toHumanString());
        assertEquals("0", LongDouble.parse(bytes("-1e-30")).toHumanString());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
