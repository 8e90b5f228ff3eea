package io.cairn.commands.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.commands.support.ExecutorHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Generic key commands; expected replies checked against redis-server 7.0. */
class KeyCommandsTest {
    private final ExecutorHarness h = new ExecutorHarness();

    @AfterEach
    void close() {
        h.close();
    }

    @Test
    void delUnlinkExistsTouchType() {
        h.run("MSET", "a", "1", "b", "2", "c", "3");
        h.expect("(integer) 3", "EXISTS", "a", "a", "b");
        h.expect("(integer) 2", "TOUCH", "a", "b", "nope");
        h.expect("string", "TYPE", "a");
        h.expect("none", "TYPE", "nope");
        h.expect("(integer) 1", "DEL", "a", "a", "nope");
        h.expect("(integer) 2", "UNLINK", "b", "c");
        h.expect("(integer) 0", "EXISTS", "a", "b", "c");
        h.expect("none", "TYPE", "a");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "EXPIRE k 10 nx xx|(error) ERR NX and XX, GT or LT options at the same time are not compatible",
            "EXPIRE k 10 NX GT|(error) ERR NX and XX, GT or LT options at the same time are not compatible",
            "EXPIRE k 10 gt lt|(error) ERR GT and LT options at the same time are not compatible",
            "EXPIRE k 10 foo|(error) ERR Unsupported option foo",
            "EXPIRE k abc foo|(error) ERR Unsupported option foo",
            "EXPIRE k abc|(error) ERR value is not an integer or out of range",
            "EXPIRE k 9223372036854776|(error) ERR invalid expire time in 'expire' command",
            "EXPIRE k 9223372036854775|(error) ERR invalid expire time in 'expire' command",
            "EXPIRE k -9223372036854776|(error) ERR invalid expire time in 'expire' command",
            "PEXPIRE k 9223372036854775807|(error) ERR invalid expire time in 'pexpire' command",
            "EXPIREAT k 9223372036854776|(error) ERR invalid expire time in 'expireat' command",
    })
    void expireErrors(String command, String expected) {
        h.run("SET", "k", "v");
        assertEquals(expected, h.r(command.split(" ")));
        h.expect("(integer) -1", "TTL", "k");
    }

    @Test
    void expireFlags() {
        h.expect("(integer) 0", "EXPIRE", "nok", "10");
        h.run("SET", "k", "v");
        h.expect("(integer) 0", "EXPIRE", "k", "100", "XX");
        h.expect("(integer) 0", "EXPIRE", "k", "100", "GT"); // no TTL counts as infinite
        h.expect("(integer) 1", "EXPIRE", "k", "100", "NX");
        h.expect("(integer) 0", "EXPIRE", "k", "100", "NX");
        h.expect("(integer) 1", "EXPIRE", "k", "100", "XX");
        h.expect("(integer) 0", "EXPIRE", "k", "50", "GT");
        h.expect("(integer) 1", "EXPIRE", "k", "200", "gt");
        h.expect("(integer) 0", "EXPIRE", "k", "300", "LT");
        h.expect("(integer) 1", "EXPIRE", "k", "150", "LT", "XX");
        h.expect("(integer) 150", "TTL", "k");
        h.expect("(integer) 1", "PERSIST", "k");
        h.expect("(integer) 0", "PERSIST", "k");
        h.expect("(integer) 1", "EXPIRE", "k", "100", "LT"); // LT on a key without TTL sets it
        h.expect("(integer) 100", "TTL", "k");
        h.expect("(integer) 0", "PERSIST", "nok");
    }

    @Test
    void nonPositiveOrPastExpiryDeletes() {
        h.run("SET", "k", "v");
        h.expect("(integer) 1", "EXPIRE", "k", "-1");
        h.expect("(integer) 0", "EXISTS", "k");
        h.run("SET", "k", "v");
        h.expect("(integer) 1", "PEXPIRE", "k", "0");
        h.expect("(integer) 0", "EXISTS", "k");
        h.run("SET", "k", "v");
        h.expect("(integer) 1", "EXPIREAT", "k", "1");
        h.expect("(integer) 0", "EXISTS", "k");
        h.run("SET", "k", "v");
        h.expect("(integer) 1", "PEXPIREAT", "k", String.valueOf(h.now()));
        h.expect("(integer) 0", "EXISTS", "k");
        h.run("SET", "k", "v");
        h.expect("(integer) 1", "PEXPIREAT", "k", "9223372036854775807");
        h.expect("(integer) 9223372036854775807", "PEXPIRETIME", "k");
    }

    @Test
    void ttlVariantsAndRounding() {
        h.expect("(integer) -2", "TTL", "k");
        h.expect("(integer) -2", "PTTL", "k");
        h.expect("(integer) -2", "EXPIRETIME", "k");
        h.expect("(integer) -2", "PEXPIRETIME", "k");
        h.run("SET", "k", "v");
        h.expect("(integer) -1", "TTL", "k");
        h.expect("(integer) -1", "PEXPIRETIME", "k");
        h.run("PEXPIRE", "k", "1499");
        h.expect("(integer) 1", "TTL", "k"); // (1499 + 500) / 1000
        h.run("PEXPIRE", "k", "1500");
        h.expect("(integer) 2", "TTL", "k");
        h.run("PEXPIRE", "k", "499");
        h.expect("(integer) 0", "TTL", "k");
        h.expect("(integer) 499", "PTTL", "k");
        long at = h.now() + 10_499;
        h.run("PEXPIREAT", "k", String.valueOf(at));
        h.expect("(integer) " + at, "PEXPIRETIME", "k");
        h.expect("(integer) " + (at + 500) / 1000, "EXPIRETIME", "k"); // Redis rounds the absolute time too
        h.run("EXPIREAT", "k", String.valueOf(h.now() / 1000 + 100));
        h.expect("(integer) " + (h.now() / 1000 + 100), "EXPIRETIME", "k");
    }

    @Test
    void expiryFollowsTheClock() {
        h.run("SET", "k", "v", "PX", "1000");
        h.advance(999);
        h.expect("\"v\"", "GET", "k");
        h.expect("(integer) 1", "PTTL", "k");
        h.advance(1);
        // Redis keeps a key until now > expireAt: alive with PTTL 0 in its last millisecond.
        h.expect("\"v\"", "GET", "k");
        h.expect("(integer) 0", "PTTL", "k");
        h.advance(1);
        h.expect("(nil)", "GET", "k");
        h.expect("(integer) -2", "PTTL", "k");
        h.expect("(integer) 0", "EXISTS", "k");
        h.expect("(integer) 0", "DEL", "k");
        h.expect("(integer) 1", "INCR", "k"); // an expired value is gone: INCR starts from 0 without TTL
        h.expect("(integer) -1", "TTL", "k");
    }

    @Test
    void renameAndRenamenx() {
        h.expect("(error) ERR no such key", "RENAME", "nok", "x");
        h.expect("(error) ERR no such key", "RENAMENX", "nok", "x");
        h.expect("(error) ERR no such key", "RENAME", "nok", "nok");
        h.run("SET", "a", "1", "EX", "100");
        h.expect("OK", "RENAME", "a", "a");
        h.expect("(integer) 0", "RENAMENX", "a", "a");
        h.expect("OK", "RENAME", "a", "b");
        h.expect("(integer) 0", "EXISTS", "a");
        h.expect("\"1\"", "GET", "b");
        h.expect("(integer) 100", "TTL", "b"); // the TTL moves with the value
        h.run("SET", "c", "3");
        h.expect("(integer) 0", "RENAMENX", "b", "c");
        h.expect("(integer) 1", "RENAMENX", "b", "d");
        h.expect("OK", "RENAME", "d", "c"); // overwrites
        h.expect("\"1\"", "GET", "c");
        h.expect("(integer) 100", "TTL", "c");
        h.expect("(integer) 0", "EXISTS", "b", "d");
    }

    @Test
    void copy() {
        h.expect("(integer) 0", "COPY", "a", "b");
        h.run("SET", "a", "1", "PX", "5000");
        h.expect("(error) ERR source and destination objects are the same", "COPY", "a", "a");
        h.expect("(error) ERR DB index is out of range", "COPY", "a", "b", "DB", "16");
        h.expect("(error) ERR value is not an integer or out of range", "COPY", "a", "b", "DB", "x");
        h.expect("(error) ERR value is out of range, value must between -2147483648 and 2147483647",
                "COPY", "a", "b", "DB", "2147483648");
        h.expect("(error) ERR Copying to another database is not allowed in cluster mode", "COPY", "a", "b", "DB", "1");
        h.expect("(error) ERR syntax error", "COPY", "a", "b", "foo");
        h.expect("(error) ERR syntax error", "COPY", "a", "b", "DB");
        h.expect("(integer) 1", "COPY", "a", "b", "DB", "0");
        h.expect("(integer) 5000", "PTTL", "b");
        h.expect("(integer) 0", "COPY", "a", "b");
        h.run("SET", "a", "2");
        h.expect("(integer) 1", "COPY", "a", "b", "REPLACE");
        h.expect("\"2\"", "GET", "b");
        h.expect("(integer) -1", "PTTL", "b");
        h.expect("\"2\"", "GET", "a");
    }

    @Test
    void dbsizeAndFlush() {
        h.expect("(integer) 0", "DBSIZE");
        for (int i = 0; i < 100; i++) {
            h.run("SET", "k" + i, "v");
        }
        h.expect("(integer) 100", "DBSIZE");
        h.run("DEL", "k0");
        h.expect("(integer) 99", "DBSIZE");
        h.expect("(error) ERR syntax error", "FLUSHALL", "foo");
        h.expect("(error) ERR syntax error", "FLUSHALL", "sync", "async");
        h.expect("(integer) 99", "DBSIZE");
        h.expect("OK", "FLUSHDB", "ASYNC");
        h.expect("(integer) 0", "DBSIZE");
        h.run("SET", "x", "1");
        h.expect("OK", "FLUSHALL");
        h.expect("(nil)", "GET", "x");
        h.expect("OK", "FLUSHALL", "SYNC");
    }

    @Test
    void randomkey() {
        h.expect("(nil)", "RANDOMKEY");
        h.run("SET", "only", "1");
        h.expect("\"only\"", "RANDOMKEY");
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 50; i++) {
            h.run("SET", "key:" + i, "v");
        }
        for (int i = 0; i < 300; i++) {
            String k = h.r("RANDOMKEY");
            assertEquals(1, Integer.parseInt(h.r("EXISTS", k.substring(1, k.length() - 1)).substring(10)), k);
            seen.add(k);
        }
        // Deterministic in (version, now), and spread over the keyspace.
        org.junit.jupiter.api.Assertions.assertTrue(seen.size() >= 10, "RANDOMKEY should vary: " + seen);
        h.run("SET", "gone", "x", "PX", "1");
        h.run("FLUSHALL");
        h.run("SET", "gone", "x", "PX", "1");
        h.advance(5);
        h.expect("(nil)", "RANDOMKEY"); // only an expired key is left
    }
}
