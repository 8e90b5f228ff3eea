package io.cairn.commands.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.commands.support.ExecutorHarness;
import io.cairn.commands.support.Replies;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** String commands; every expected reply was checked against redis-server 7.0. */
class StringCommandsTest {
    private final ExecutorHarness h = new ExecutorHarness();

    @AfterEach
    void close() {
        h.close();
    }

    @Test
    void getAndSet() {
        h.expect("(nil)", "GET", "k");
        h.expect("OK", "set", "k", "v");
        h.expect("\"v\"", "get", "k");
        h.expect("OK", "SET", "k", "w");
        h.expect("\"w\"", "GET", "k");
    }

    @Test
    void setNxXx() {
        h.expect("(nil)", "SET", "k", "v", "XX");
        h.expect("(nil)", "GET", "k");
        h.expect("OK", "SET", "k", "v", "NX");
        h.expect("(nil)", "SET", "k", "w", "NX");
        h.expect("\"v\"", "GET", "k");
        h.expect("OK", "SET", "k", "w", "xx");
        h.expect("\"w\"", "GET", "k");
    }

    @Test
    void setGetReturnsOldValueEvenWhenNotSet() {
        h.expect("(nil)", "SET", "k", "v", "GET");
        h.expect("\"v\"", "GET", "k");
        h.expect("\"v\"", "SET", "k", "w", "GET");
        h.expect("\"w\"", "SET", "k", "x", "NX", "GET");
        h.expect("\"w\"", "GET", "k");
        h.expect("(nil)", "SET", "other", "x", "XX", "GET");
        h.expect("(integer) 0", "EXISTS", "other");
        h.expect("\"w\"", "SET", "k", "y", "get", "get");
    }

    /** Valkey 8.1's SET ... IFEQ: compare-and-set; expected replies follow Valkey's tests/unit/type/string.tcl. */
    @Test
    void setIfeqSetsOnlyWhenTheCurrentValueIsEqual() {
        h.expect("(nil)", "SET", "k", "v", "IFEQ", "anything");
        h.expect("(integer) 0", "EXISTS", "k"); // absent never matches, not even an empty comparison
        h.expect("(nil)", "SET", "k", "v", "IFEQ", "");
        h.expect("(integer) 0", "EXISTS", "k");
        h.expect("OK", "SET", "k", "initial");
        h.expect("OK", "SET", "k", "next", "IFEQ", "initial");
        h.expect("\"next\"", "GET", "k");
        h.expect("(nil)", "SET", "k", "lost", "ifeq", "initial"); // stale comparison: nothing happens
        h.expect("\"next\"", "GET", "k");
        h.expect("(nil)", "SET", "k", "lost", "IfEq", "NEXT"); // byte comparison, case matters
        h.expect("(nil)", "SET", "k", "lost", "IFEQ", "nex"); // a prefix is not equal
        h.expect("\"next\"", "GET", "k");
    }

    @Test
    void setIfeqComparesBinaryValuesExactly() {
        byte[] k = {'b'};
        byte[] current = {0, (byte) 0xFF, '\r', '\n', 0};
        h.run("SET".getBytes(), k, current);
        assertEquals("(nil)", Replies.render(h.run("SET".getBytes(), k, new byte[] {1},
                "IFEQ".getBytes(), new byte[] {0, (byte) 0xFF, '\r', '\n'})));
        assertEquals("OK", Replies.render(h.run("SET".getBytes(), k, new byte[] {1},
                "IFEQ".getBytes(), current.clone())));
        h.expect("\"\\x01\"", "GET", "b");
    }

    @Test
    void setIfeqWithGetRepliesTheOldValueWhetherOrNotItSet() {
        h.expect("(nil)", "SET", "k", "new", "IFEQ", "initial", "GET");
        h.expect("(nil)", "GET", "k");
        h.expect("OK", "SET", "k", "initial");
        h.expect("\"initial\"", "SET", "k", "new", "IFEQ", "initial", "GET");
        h.expect("\"new\"", "GET", "k");
        h.expect("\"new\"", "SET", "k", "other", "GET", "IFEQ", "initial"); // mismatch: old value, unchanged
        h.expect("\"new\"", "GET", "k");
    }

    @Test
    void setIfeqWithExpiryOptions() {
        h.expect("OK", "SET", "k", "a", "PX", "5000");
        h.expect("OK", "SET", "k", "b", "IFEQ", "a", "KEEPTTL");
        h.expect("(integer) 5000", "PTTL", "k");
        h.expect("OK", "SET", "k", "c", "EX", "100", "IFEQ", "b");
        h.expect("(integer) 100000", "PTTL", "k");
        h.expect("(nil)", "SET", "k", "d", "IFEQ", "b", "PX", "10"); // failed: TTL untouched too
        h.expect("(integer) 100000", "PTTL", "k");
        h.expect("OK", "SET", "k", "d", "IFEQ", "c");
        h.expect("(integer) -1", "PTTL", "k"); // a plain SET (no KEEPTTL) clears the TTL, IFEQ or not
        h.expect("OK", "SET", "k", "e", "IFEQ", "d", "PXAT", String.valueOf(h.now() + 777));
        h.expect("(integer) 777", "PTTL", "k");
        h.expect("OK", "SET", "k", "gone", "IFEQ", "e", "EXAT", "1"); // past absolute expiry: set, then gone
        h.expect("(integer) 0", "EXISTS", "k");
    }

    @Test
    void setIfeqDoesNotMatchAnExpiredKey() {
        h.expect("OK", "SET", "k", "v", "PX", "100");
        h.advance(100);
        h.expect("(integer) 0", "PTTL", "k"); // Redis keeps a key alive through its last millisecond
        h.expect("OK", "SET", "k", "w", "IFEQ", "v", "KEEPTTL");
        h.advance(1);
        h.expect("(nil)", "GET", "k");
        h.expect("(nil)", "SET", "k", "x", "IFEQ", "w");
        h.expect("(integer) 0", "EXISTS", "k");
    }

    @Test
    void setIfeqInsideExecSeesEarlierWritesOfTheSameBlock() {
        h.expect("OK", "SET", "k", "a");
        assertEquals("[OK, OK, (nil), \"c\"]", Replies.render(h.exec(java.util.List.of(
                Replies.argv("SET", "k", "b", "IFEQ", "a"),
                Replies.argv("SET", "k", "c", "IFEQ", "b"),
                Replies.argv("SET", "k", "d", "IFEQ", "a"),
                Replies.argv("GET", "k")), java.util.List.of())));
    }

    @Test
    void setIfeqOnAStaleValueChangesNothingIncludingTheWatchToken() {
        h.expect("OK", "SET", "k", "a");
        long before = h.token("k");
        h.expect("(nil)", "SET", "k", "b", "IFEQ", "z");
        assertEquals(before, h.token("k"), "a failed IFEQ must not look like a write to WATCH");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "SET k v IFEQ a NX|(error) ERR syntax error",
            "SET k v IFEQ a XX|(error) ERR syntax error",
            "SET k v NX IFEQ a|(error) ERR syntax error",
            "SET k v XX IFEQ a|(error) ERR syntax error",
            "SET k v IFEQ a IFEQ a|(error) ERR syntax error",
            "SET k v IFEQ|(error) ERR syntax error",
            "SET k v GET IFEQ|(error) ERR syntax error",
            "SET k v IFEQ a EX 0|(error) ERR invalid expire time in 'set' command",
            "SET k v IFEQ a EX 10 KEEPTTL|(error) ERR syntax error",
            "GETEX k IFEQ a|(error) ERR syntax error",
    })
    void setIfeqSyntaxErrorsMatchValkey(String command, String expected) {
        h.expect("OK", "SET", "k", "a");
        assertEquals(expected, h.r(command.split(" ")), command);
        h.expect("\"a\"", "GET", "k"); // an error changes nothing, even when the comparison would match
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "SET k v NX XX|(error) ERR syntax error",
            "SET k v XX NX|(error) ERR syntax error",
            "SET k v EX 10 PX 10|(error) ERR syntax error",
            "SET k v KEEPTTL EX 10|(error) ERR syntax error",
            "SET k v EX 10 KEEPTTL|(error) ERR syntax error",
            "SET k v EXAT 10 PXAT 10|(error) ERR syntax error",
            "SET k v EX|(error) ERR syntax error",
            "SET k v foo|(error) ERR syntax error",
            "SET k v PERSIST|(error) ERR syntax error",
            "SET k v EX 0|(error) ERR invalid expire time in 'set' command",
            "SET k v EX -1|(error) ERR invalid expire time in 'set' command",
            "SET k v PX 0|(error) ERR invalid expire time in 'set' command",
            "SET k v EXAT 0|(error) ERR invalid expire time in 'set' command",
            "SET k v EX abc|(error) ERR value is not an integer or out of range",
            "SET k v EX 1.5|(error) ERR value is not an integer or out of range",
            "SET k v PX 9223372036854775807|(error) ERR invalid expire time in 'set' command",
            "SET k v EX 9223372036854775|(error) ERR invalid expire time in 'set' command",
            "SETEX k 0 v|(error) ERR invalid expire time in 'setex' command",
            "SETEX k abc v|(error) ERR value is not an integer or out of range",
            "PSETEX k -5 v|(error) ERR invalid expire time in 'psetex' command",
            "SET k|(error) ERR wrong number of arguments for 'set' command",
            "GET|(error) ERR wrong number of arguments for 'get' command",
            "GET a b|(error) ERR wrong number of arguments for 'get' command",
            "MSET a|(error) ERR wrong number of arguments for 'mset' command",
            "MSET a 1 b|(error) ERR wrong number of arguments for 'mset' command",
            "MSETNX a 1 b|(error) ERR wrong number of arguments for 'msetnx' command",
            "GETEX k PERSIST EX 10|(error) ERR syntax error",
            "GETEX k EX 10 PERSIST|(error) ERR syntax error",
            "GETEX k NX|(error) ERR syntax error",
            "GETEX k KEEPTTL|(error) ERR syntax error",
            "INCRBY k abc|(error) ERR value is not an integer or out of range",
            "INCRBY k 1.0|(error) ERR value is not an integer or out of range",
            "DECRBY k -9223372036854775808|(error) ERR decrement would overflow",
            "INCRBYFLOAT k abc|(error) ERR value is not a valid float",
            "INCRBYFLOAT k nan|(error) ERR value is not a valid float",
            "INCRBYFLOAT k inf|(error) ERR increment would produce NaN or Infinity",
            "INCRBYFLOAT k 1e400000|(error) ERR value is not a valid float",
            "SETRANGE k -1 x|(error) ERR offset is out of range",
            "SETRANGE k a x|(error) ERR value is not an integer or out of range",
            "SETRANGE k 536870912 x|(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)",
            "SETRANGE k 9223372036854775807 x|(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)",
            "GETRANGE k a 1|(error) ERR value is not an integer or out of range",
            "FOO a b|\"(error) ERR unknown command 'FOO', with args beginning with: 'a' 'b' \"",
            "unknowncmd|\"(error) ERR unknown command 'unknowncmd', with args beginning with: \"",
    })
    void errorsMatchRedis(String command, String expected) {
        assertEquals(expected, h.r(command.split(" ")), command);
        h.expect("(integer) 0", "EXISTS", "k"); // an error changes nothing
    }

    @Test
    void setExpiryVariants() {
        h.expect("OK", "SET", "k", "v", "EX", "100");
        h.expect("(integer) 100000", "PTTL", "k");
        h.expect("OK", "SET", "k", "v", "PX", "1500");
        h.expect("(integer) 1500", "PTTL", "k");
        h.expect("OK", "SET", "k", "v", "EXAT", String.valueOf(h.now() / 1000 + 50));
        h.expect("(integer) " + ((h.now() / 1000 + 50) * 1000), "PEXPIRETIME", "k");
        h.expect("OK", "SET", "k", "v", "PXAT", String.valueOf(h.now() + 777));
        h.expect("(integer) 777", "PTTL", "k");
        h.expect("OK", "SET", "k", "w", "KEEPTTL");
        h.expect("(integer) 777", "PTTL", "k");
        h.expect("\"w\"", "GET", "k");
        h.expect("OK", "SET", "k", "x");
        h.expect("(integer) -1", "PTTL", "k");
        h.expect("OK", "SET", "k", "v", "EX", "10", "EX", "20");
        h.expect("(integer) 20", "TTL", "k");
    }

    @Test
    void setWithPastAbsoluteExpirySucceedsButKeyIsGone() {
        h.expect("OK", "SET", "k", "v");
        h.expect("OK", "SET", "k", "v", "EXAT", "1");
        h.expect("(nil)", "GET", "k");
        h.expect("(integer) 0", "EXISTS", "k");
        h.expect("(integer) -2", "TTL", "k");
    }

    @Test
    void setnxSetexPsetexGetset() {
        h.expect("(integer) 1", "SETNX", "k", "v");
        h.expect("(integer) 0", "SETNX", "k", "w");
        h.expect("\"v\"", "GET", "k");
        h.expect("OK", "SETEX", "k", "10", "a");
        h.expect("(integer) 10", "TTL", "k");
        h.expect("OK", "PSETEX", "k", "2500", "b");
        h.expect("(integer) 2500", "PTTL", "k");
        h.expect("(integer) 3", "TTL", "k"); // (2500 + 500) / 1000
        h.expect("\"b\"", "GETSET", "k", "c");
        h.expect("(integer) -1", "TTL", "k"); // GETSET drops the TTL like SET
        h.expect("(nil)", "GETSET", "n", "1");
        h.expect("\"1\"", "GET", "n");
    }

    @Test
    void getdelAndGetex() {
        h.expect("(nil)", "GETDEL", "k");
        h.expect("OK", "SET", "k", "v");
        h.expect("\"v\"", "GETDEL", "k");
        h.expect("(integer) 0", "EXISTS", "k");

        h.expect("(nil)", "GETEX", "k", "EX", "abc"); // missing key: nil before the expiry is validated
        h.expect("OK", "SET", "k", "10");
        h.expect("(error) ERR value is not an integer or out of range", "GETEX", "k", "EX", "abc");
        h.expect("(error) ERR invalid expire time in 'getex' command", "GETEX", "k", "PX", "0");
        h.expect("\"10\"", "GETEX", "k");
        h.expect("(integer) -1", "TTL", "k");
        h.expect("\"10\"", "GETEX", "k", "EX", "100");
        h.expect("(integer) 100", "TTL", "k");
        h.expect("\"10\"", "GETEX", "k", "PX", "5000");
        h.expect("(integer) 5000", "PTTL", "k");
        h.expect("\"10\"", "GETEX", "k", "PXAT", String.valueOf(h.now() + 42));
        h.expect("(integer) 42", "PTTL", "k");
        h.expect("\"10\"", "GETEX", "k", "EXAT", String.valueOf(h.now() / 1000 + 9));
        h.expect("\"10\"", "GETEX", "k", "PERSIST");
        h.expect("(integer) -1", "TTL", "k");
        h.expect("\"10\"", "GETEX", "k", "EX", "10", "EX", "20");
        h.expect("(integer) 20", "TTL", "k");
        h.expect("\"10\"", "GETEX", "k", "EXAT", "1"); // past: replies, then deletes
        h.expect("(integer) 0", "EXISTS", "k");
    }

    @Test
    void mgetMsetMsetnx() {
        h.expect("OK", "MSET", "a", "1", "b", "2");
        h.expect("[\"1\", \"2\", (nil), \"1\"]", "MGET", "a", "b", "c", "a");
        h.expect("(integer) 0", "MSETNX", "c", "3", "a", "x");
        h.expect("(nil)", "GET", "c");
        h.expect("\"1\"", "GET", "a");
        h.expect("(integer) 1", "MSETNX", "c", "3", "d", "4");
        h.expect("[\"3\", \"4\"]", "MGET", "c", "d");
        h.expect("OK", "SET", "t", "v", "EX", "100");
        h.expect("OK", "MSET", "t", "w", "a", "1", "a", "2");
        h.expect("(integer) -1", "TTL", "t");
        h.expect("\"2\"", "GET", "a"); // the later pair wins
    }

    @Test
    void appendStrlenGetrangeSetrange() {
        h.expect("(integer) 0", "STRLEN", "s");
        h.expect("(integer) 5", "APPEND", "s", "Hello");
        h.expect("(integer) 11", "APPEND", "s", " World");
        h.expect("(integer) 11", "STRLEN", "s");
        h.expect("\"Hello\"", "GETRANGE", "s", "0", "4");
        h.expect("\"World\"", "SUBSTR", "s", "-5", "-1");
        h.expect("(integer) 11", "SETRANGE", "s", "6", "Redis");
        h.expect("\"Hello Redis\"", "GET", "s");
        h.expect("(integer) 11", "SETRANGE", "s", "20", "");
        h.expect("(integer) 0", "SETRANGE", "missing", "3", "");
        h.expect("(integer) 0", "EXISTS", "missing");
        h.expect("(integer) 7", "SETRANGE", "pad", "5", "ab");
        h.expect("\"\\x00\\x00\\x00\\x00\\x00ab\"", "GET", "pad");
        h.expect("(integer) 13", "SETRANGE", "s", "11", "!!");
        h.expect("\"Hello Redis!!\"", "GET", "s");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0 -1|Hello World", "0 4|Hello", "-5 -1|World", "-1 -5|''", "5 3|''", "0 100|Hello World",
            "-100 100|Hello World", "-100 -50|H", "11 20|''", "10 10|d", "-1 -1|d", "-12 2|Hel", "3 -100|''",
            "9223372036854775807 -9223372036854775808|''", "-9223372036854775808 9223372036854775807|Hello World"})
    void getrangeMatchesRedis(String range, String expected) {
        h.run("SET", "s", "Hello World");
        String[] r = range.split(" ");
        assertEquals("\"" + expected + "\"", h.r("GETRANGE", "s", r[0], r[1]));
    }

    @Test
    void getrangeOfEmptyAndMissing() {
        h.run("SET", "e", "");
        h.expect("\"\"", "GETRANGE", "e", "0", "-1");
        h.expect("\"\"", "GETRANGE", "missing", "0", "-1");
    }

    @Test
    void appendAndSetrangeKeepTtl() {
        h.run("SET", "k", "a", "EX", "100");
        h.expect("(integer) 2", "APPEND", "k", "b");
        h.expect("(integer) 100", "TTL", "k");
        h.expect("(integer) 2", "SETRANGE", "k", "0", "x");
        h.expect("(integer) 100", "TTL", "k");
    }

    @Test
    void incrDecrFamily() {
        h.expect("(integer) 1", "INCR", "n");
        h.expect("(integer) 0", "DECR", "n");
        h.expect("(integer) 10", "INCRBY", "n", "10");
        h.expect("(integer) -5", "DECRBY", "n", "15");
        h.expect("\"-5\"", "GET", "n");
        h.run("SET", "n", "9223372036854775807");
        h.expect("(error) ERR increment or decrement would overflow", "INCR", "n");
        h.run("SET", "n", "-9223372036854775808");
        h.expect("(error) ERR increment or decrement would overflow", "DECR", "n");
        h.expect("(error) ERR increment or decrement would overflow", "INCRBY", "n", "-1");
        h.expect("(integer) -1", "INCRBY", "n", "9223372036854775807");
        for (String bad : new String[] {"1.5", " 1", "1 ", "01", "+1", "abc", "", "99999999999999999999"}) {
            h.run("SET", "b", bad);
            h.expect("(error) ERR value is not an integer or out of range", "INCR", "b");
            assertEquals("\"" + bad + "\"", h.r("GET", "b"), "value left alone");
        }
        h.run("SET", "t", "5", "EX", "100");
        h.expect("(integer) 6", "INCR", "t");
        h.expect("(integer) 100", "TTL", "t"); // INCR keeps the TTL
    }

    @Test
    void incrbyfloat() {
        h.expect("\"1\"", "INCRBYFLOAT", "f", "1");
        h.expect("\"1.25\"", "INCRBYFLOAT", "f", "0.25");
        h.run("SET", "f", "10.5");
        h.expect("\"10.6\"", "INCRBYFLOAT", "f", "0.1");
        h.run("SET", "f", "0.1");
        h.expect("\"0.3\"", "INCRBYFLOAT", "f", "0.2");
        h.expect("\"3000.30000000000000004\"", "INCRBYFLOAT", "f", "3.0e3");
        h.expect("\"0\"", "INCRBYFLOAT", "f", "-3000.3");
        h.run("SET", "f", "5.0e3");
        h.expect("\"5200\"", "INCRBYFLOAT", "f", "2.0e2");
        h.run("SET", "f", " 1");
        h.expect("(error) ERR value is not a valid float", "INCRBYFLOAT", "f", "1");
        h.run("SET", "f", "1", "PX", "5000");
        h.expect("\"2.5\"", "INCRBYFLOAT", "f", "1.5");
        h.expect("(integer) 5000", "PTTL", "f");
        h.expect("\"17.5\"", "INCRBYFLOAT", "f", "0xF");
    }

    @Test
    void sizeLimitsGiveErrorsNotExceptions() {
        try (ExecutorHarness small = new ExecutorHarness(4,
                Map.of("storage.max-value-bytes", "8", "storage.max-key-bytes", "6"))) {
            small.expect("(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)",
                    "SET", "k", "123456789");
            small.expect("OK", "SET", "k", "12345678");
            small.expect("(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)", "APPEND", "k", "9");
            small.expect("(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)",
                    "SETRANGE", "k", "8", "x");
            small.expect("(integer) 8", "SETRANGE", "k", "7", "x");
            small.expect("(error) ERR key exceeds maximum allowed size of 6 bytes (storage.max-key-bytes)",
                    "SET", "longkey", "v");
            small.expect("(nil)", "GET", "longkey");
            small.expect("(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)",
                    "MSET", "a", "1", "b", "123456789");
            small.expect("(integer) 0", "EXISTS", "a"); // MSET validated everything before writing
            small.expect("(error) ERR key exceeds maximum allowed size of 6 bytes (storage.max-key-bytes)",
                    "RENAME", "k", "longkey");
            small.expect("\"1234567x\"", "GET", "k");
        }
    }
}
