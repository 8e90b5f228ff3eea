package io.cairn.server.differential;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded random Redis commands over a small, colliding keyspace: mostly valid, with a steady
 * share of wrong arity, bad numbers, bad options and unknown commands. Relative expiries are long
 * (≥ 100 s) so that no key expires between the two servers' executions; absolute ones are either
 * far in the future or in the past (deterministic deletes).
 */
final class CommandGenerator {
    private static final String[] KEYS = {"k0", "k1", "k2", "k3", "{t}a", "{t}b", "n0", "n1", "f0", "e"};
    private static final String[] VALUES = {"", "a", "hello", "0", "1", "-1", "42", "007", "9223372036854775807",
            "-9223372036854775808", "9223372036854775806", "3.14", "1e3", "abc123", " 1", "10 ", "\u0000\u00ff",
            "x".repeat(100), "-0", "+5", "0x10", "1.0", "inf", "nan"};
    private static final String[] INTS = {"0", "1", "-1", "2", "5", "10", "100", "-5", "9223372036854775807",
            "-9223372036854775808", "abc", "1.5", "", "3"};
    private static final String[] FLOATS = {"1.5", "-0.5", "3", "1e2", "abc", "inf", "-inf", "0.1", "1.23e-5",
            "5.0e3", "", "10", "nan", "0x1p3", "1e400"};
    private static final String[] PATTERNS = {"*", "k*", "?0", "[kn]*", "{t}*", "*[^0-1]", "n?", "\\k*", "[a-f]*",
            "*a*", "e", "[", "k[0-"};
    private static final String[] LONG_SECONDS = {"100", "1000", "86400", "0", "-1", "abc", "99999999999999999"};
    private static final String[] LONG_MILLIS = {"100000", "1000000", "86400000", "0", "-1", "abc", "99999999999999999"};

    private final Random random;
    private final long nowSeconds;

    CommandGenerator(long seed, long nowSeconds) {
        this.random = new Random(seed);
        this.nowSeconds = nowSeconds;
    }

    /** One step: usually one command, sometimes a MULTI block or a WATCH sequence. */
    List<List<String>> next() {
        int r = random.nextInt(1000);
        if (r < 40) {
            return multiBlock(false);
        }
        if (r < 60) {
            return multiBlock(true);
        }
        if (r < 62) {
            return List.of(List.of("FLUSHALL"));
        }
        return List.of(command());
    }

    private List<List<String>> multiBlock(boolean watch) {
        List<List<String>> out = new ArrayList<>();
        if (watch) {
            out.add(List.of("WATCH", key()));
            if (random.nextBoolean()) {
                out.add(command());
            }
        }
        out.add(List.of("MULTI"));
        int n = 1 + random.nextInt(4);
        for (int i = 0; i < n; i++) {
            out.add(random.nextInt(15) == 0 ? List.of("GET") : command());
        }
        out.add(List.of(random.nextInt(8) == 0 ? "DISCARD" : "EXEC"));
        return out;
    }

    List<String> command() {
        int which = random.nextInt(48);
        List<String> c = new ArrayList<>();
        switch (which) {
            case 0, 1, 2 -> add(c, "GET", key());
            case 3, 4, 5 -> set(c);
            case 6 -> add(c, "SETNX", key(), value());
            case 7 -> add(c, "SETEX", key(), pick(LONG_SECONDS), value());
            case 8 -> add(c, "PSETEX", key(), pick(LONG_MILLIS), value());
            case 9 -> add(c, "GETSET", key(), value());
            case 10 -> add(c, "GETDEL", key());
            case 11 -> getex(c);
            case 12 -> {
                c.add("MGET");
                keys(c, 1 + random.nextInt(4));
            }
            case 13 -> {
                c.add(random.nextBoolean() ? "MSET" : "MSETNX");
                int n = 1 + random.nextInt(3);
                for (int i = 0; i < n; i++) {
                    c.add(key());
                    c.add(value());
                }
                if (random.nextInt(10) == 0) {
                    c.add(key()); // odd argument count
                }
            }
            case 14 -> add(c, "APPEND", key(), value());
            case 15 -> add(c, "STRLEN", key());
            case 16 -> add(c, random.nextInt(4) == 0 ? "SUBSTR" : "GETRANGE", key(), smallInt(), smallInt());
            case 17 -> add(c, "SETRANGE", key(), random.nextInt(20) == 0 ? "536870912" : smallInt(), value());
            case 18, 19 -> add(c, random.nextBoolean() ? "INCR" : "DECR", key());
            case 20, 21 -> add(c, random.nextBoolean() ? "INCRBY" : "DECRBY", key(), pick(INTS));
            case 22 -> add(c, "INCRBYFLOAT", key(), pick(FLOATS));
            case 23, 24 -> {
                c.add(random.nextBoolean() ? "DEL" : "UNLINK");
                keys(c, 1 + random.nextInt(3));
            }
            case 25 -> {
                c.add(random.nextBoolean() ? "EXISTS" : "TOUCH");
                keys(c, 1 + random.nextInt(3));
            }
            case 26 -> add(c, "TYPE", key());
            case 27, 28 -> expire(c);
            case 29 -> add(c, pick(new String[] {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"}), key());
            case 30 -> add(c, "PERSIST", key());
            case 31 -> add(c, random.nextBoolean() ? "RENAME" : "RENAMENX", key(), key());
            case 32 -> {
                add(c, "COPY", key(), key());
                if (random.nextBoolean()) {
                    c.add("REPLACE");
                }
            }
            case 33 -> add(c, "KEYS", pick(PATTERNS));
            case 34 -> add(c, "DBSIZE");
            case 35 -> add(c, "RANDOMKEY");
            case 36 -> add(c, "PING");
            case 37 -> add(c, "ECHO", value());
            case 38 -> wrongArity(c);
            case 39 -> add(c, pick(new String[] {"FOO", "SETX", "GETT", "incrby2"}), key(), value());
            case 40 -> add(c, "SCAN", "0");
            case 41 -> {
                add(c, "SET", key(), value());
                c.add(pick(new String[] {"NX", "XX", "EX", "PX", "GET", "KEEPTTL", "BOGUS", "EXAT", "PXAT"}));
            }
            case 42 -> add(c, "INCRBY", key(), pick(new String[] {"9223372036854775807", "-9223372036854775808"}));
            case 43 -> add(c, "GETRANGE", key(), pick(INTS), pick(INTS));
            case 44 -> add(c, "EXPIREAT", key(), String.valueOf(nowSeconds - 10 - random.nextInt(100)));
            case 45 -> add(c, "PEXPIREAT", key(), String.valueOf((nowSeconds + 5000) * 1000 + random.nextInt(1000)));
            case 46 -> add(c, "SETRANGE", key(), String.valueOf(random.nextInt(5)), value());
            default -> add(c, "MGET", key(), key());
        }
        return c;
    }

    private void set(List<String> c) {
        add(c, "SET", key(), value());
        if (random.nextInt(3) == 0) {
            c.add(pick(new String[] {"NX", "XX", "nx", "xx"}));
        }
        if (random.nextInt(4) == 0) {
            c.add("GET");
        }
        switch (random.nextInt(7)) {
            case 0 -> add(c, "EX", pick(LONG_SECONDS));
            case 1 -> add(c, "PX", pick(LONG_MILLIS));
            // Not in the past: Redis 7.0 stores such a key and reclaims it whenever active expiry gets to
            // it, so DBSIZE would differ by timing, not by semantics (Cairn deletes it at once).
            case 2 -> add(c, "EXAT", String.valueOf(nowSeconds + 10_000 + random.nextInt(100)));
            case 3 -> add(c, "PXAT", String.valueOf((nowSeconds + 10_000) * 1000));
            case 4 -> c.add("KEEPTTL");
            default -> { }
        }
        if (random.nextInt(25) == 0) {
            c.add(pick(new String[] {"EX", "NX", "KEEPTTL", "PX", "GET"})); // duplicate/conflicting option
        }
    }

    private void getex(List<String> c) {
        add(c, "GETEX", key());
        switch (random.nextInt(6)) {
            case 0 -> add(c, "EX", pick(LONG_SECONDS));
            case 1 -> add(c, "PX", "200000");
            case 2 -> add(c, "EXAT", String.valueOf(nowSeconds + 20_000));
            case 3 -> c.add("PERSIST");
            case 4 -> add(c, "PERSIST", "EX", "100");
            default -> { }
        }
    }

    private void expire(List<String> c) {
        switch (random.nextInt(4)) {
            case 0 -> add(c, "EXPIRE", key(), pick(LONG_SECONDS));
            case 1 -> add(c, "PEXPIRE", key(), pick(LONG_MILLIS));
            // Absolute expiries stay clear of now+100 s/1000 s/86400 s, where relative ones land: a GT/LT
            // comparison between the two would otherwise depend on the millisecond each server ran it.
            case 2 -> add(c, "EXPIREAT", key(), String.valueOf(nowSeconds + 5000 + random.nextInt(1000)));
            default -> add(c, "PEXPIREAT", key(), String.valueOf((nowSeconds + 3000) * 1000L + random.nextInt(100_000)));
        }
        boolean relative = c.get(0).endsWith("EXPIRE");
        int flags = random.nextInt(8);
        if (flags < 4) {
            // GT/LT after a relative expiry compare two "now + d" values whose order depends on which
            // millisecond each server ran them in; such timing is not semantics, so only absolute
            // expiries get GT/LT (their combination errors are still exercised below).
            c.add(new String[] {"NX", "XX", relative ? "NX" : "GT", relative ? "XX" : "LT"}[flags]);
        } else if (flags == 4) {
            // Two flags: combinations Redis refuses (and, for absolute expiries, GT XX / GT LT too).
            c.add(relative ? "NX" : pick(new String[] {"NX", "GT"}));
            c.add(pick(new String[] {"XX", "LT", "FOO"}));
        }
    }

    private void wrongArity(List<String> c) {
        switch (random.nextInt(6)) {
            case 0 -> c.add("GET");
            case 1 -> add(c, "GET", key(), key());
            case 2 -> add(c, "SET", key());
            case 3 -> c.add("INCR");
            case 4 -> add(c, "EXPIRE", key());
            default -> add(c, "RENAME", key());
        }
    }

    private void keys(List<String> c, int n) {
        for (int i = 0; i < n; i++) {
            c.add(key());
        }
    }

    private String key() {
        return KEYS[random.nextInt(KEYS.length)];
    }

    private String value() {
        return random.nextInt(4) == 0 ? String.valueOf(random.nextInt(2001) - 1000) : pick(VALUES);
    }

    private String smallInt() {
        return String.valueOf(random.nextInt(30) - 10);
    }

    private String pick(String[] from) {
        return from[random.nextInt(from.length)];
    }

    private static void add(List<String> c, String... parts) {
        c.addAll(List.of(parts));
    }

    static List<byte[]> argv(List<String> command) {
        List<byte[]> out = new ArrayList<>(command.size());
        for (String s : command) {
            out.add(s.getBytes(StandardCharsets.ISO_8859_1));
        }
        return out;
    }
}
