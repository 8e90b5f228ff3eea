package io.cairn.commands.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.commands.RedisNumbers;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** string2ll's strictness decides which values INCR accepts. */
class RedisNumbersTest {

    @ParameterizedTest(name = "''{0}'' is a long: {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "0|true", "-0|false", "00|false", "01|false", "1|true", "-1|true", "+1|false", "\" 1\"|false", "\"1 \"|false",
            "9223372036854775807|true", "9223372036854775808|false", "-9223372036854775808|true",
            "-9223372036854775809|false", "1.0|false", "1e3|false", "\"\"|false", "-|false", "12a|false",
            "18446744073709551616|false", "123456789012345678901|false"})
    void string2llStrictness(String s, boolean expected) {
        assertEquals(expected, RedisNumbers.isLong(s.getBytes(StandardCharsets.US_ASCII)));
    }
}
