package io.cairn.commands.property;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.commands.support.ExecutorHarness;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Random sequences of SET/GET/DEL/INCR/APPEND/EXPIRE/PTTL and clock moves, run against the
 * executor and against a plain in-memory model of Redis's semantics; every reply must agree.
 */
class ModelPropertyTest {

    enum Kind { SET, SET_PX, GET, DEL, INCR, APPEND, EXPIRE, PTTL, ADVANCE }

    record Op(Kind kind, String key, String value, long number) {
        String[] argv() {
            return switch (kind) {
                case SET -> new String[] {"SET", key, value};
                case SET_PX -> new String[] {"SET", key, value, "PX", String.valueOf(number)};
                case GET -> new String[] {"GET", key};
                case DEL -> new String[] {"DEL", key};
                case INCR -> new String[] {"INCR", key};
                case APPEND -> new String[] {"APPEND", key, value};
                case EXPIRE -> new String[] {"PEXPIRE", key, String.valueOf(number)};
                case PTTL -> new String[] {"PTTL", key};
                case ADVANCE -> null;
            };
        }
    }

    @Provide
    Arbitrary<Op> ops() {
        Arbitrary<Kind> kinds = Arbitraries.of(Kind.class);
        Arbitrary<String> keys = Arbitraries.of("a", "b", "c", "{a}x", "user:1");
        Arbitrary<String> values = Arbitraries.oneOf(
                Arbitraries.of("0", "1", "-1", "41", "9223372036854775806", "9223372036854775807",
                        "-9223372036854775808", "01", "abc", "", " 1", "1.5"),
                Arbitraries.strings().alpha().numeric().ofMaxLength(6));
        Arbitrary<Long> numbers = Arbitraries.longs().between(-50, 400);
        return Combinators.combine(kinds, keys, values, numbers).as(Op::new);
    }

    /** The model: what Redis would hold. */
    static final class Model {
        record Entry(String value, long expireAt) {} // expireAt 0 = none

        final Map<String, Entry> data = new HashMap<>();
        long now = ExecutorHarness.START_MILLIS;

        Entry live(String key) {
            Entry e = data.get(key);
            if (e != null && e.expireAt != 0 && now > e.expireAt) { // Redis: expired once now > expireAt
                data.remove(key);
                return null;
            }
            return e;
        }

        String apply(Op op) {
            Entry e = live(op.key);
            switch (op.kind) {
                case SET -> {
                    data.put(op.key, new Entry(op.value, 0));
                    return "OK";
                }
                case SET_PX -> {
                    if (op.number <= 0) {
                        return "(error) ERR invalid expire time in 'set' command";
                    }
                    data.put(op.key, new Entry(op.value, now + op.number));
                    return "OK";
                }
                case GET -> {
                    return e == null ? "(nil)" : "\"" + e.value + "\"";
                }
                case DEL -> {
                    return data.remove(op.key) != null && e != null ? "(integer) 1" : "(integer) 0";
                }
                case INCR -> {
                    BigInteger v;
                    if (e == null) {
                        v = BigInteger.ZERO;
                    } else if (e.value.matches("0|-?[1-9][0-9]{0,19}")) {
                        v = new BigInteger(e.value);
                        if (v.bitLength() > 63) {
                            return "(error) ERR value is not an integer or out of range";
                        }
                    } else {
                        return "(error) ERR value is not an integer or out of range";
                    }
                    BigInteger next = v.add(BigInteger.ONE);
                    if (next.bitLength() > 63) {
                        return "(error) ERR increment or decrement would overflow";
                    }
                    data.put(op.key, new Entry(next.toString(), e == null ? 0 : e.expireAt));
                    return "(integer) " + next;
                }
                case APPEND -> {
                    String value = (e == null ? "" : e.value) + op.value;
                    data.put(op.key, new Entry(value, e == null ? 0 : e.expireAt));
                    return "(integer) " + value.length();
                }
                case EXPIRE -> {
                    if (e == null) {
                        return "(integer) 0";
                    }
                    long at = now + op.number;
                    if (at <= now) {
                        data.remove(op.key);
                    } else {
                        data.put(op.key, new Entry(e.value, at));
                    }
                    return "(integer) 1";
                }
                case PTTL -> {
                    if (e == null) {
                        return "(integer) -2";
                    }
                    return e.expireAt == 0 ? "(integer) -1" : "(integer) " + (e.expireAt - now);
                }
                case ADVANCE -> {
                    now += Math.max(0, op.number);
                    return "";
                }
            }
            throw new AssertionError(op);
        }
    }

    @Property(tries = 300)
    void executorAgreesWithModel(@ForAll @Size(max = 80) List<@net.jqwik.api.From("ops") Op> ops) {
        Model model = new Model();
        try (ExecutorHarness h = new ExecutorHarness(4, Map.of())) {
            int step = 0;
            for (Op op : ops) {
                String expected = model.apply(op);
                if (op.kind == Kind.ADVANCE) {
                    h.advance(Math.max(0, op.number));
                } else {
                    assertEquals(expected, h.r(op.argv()), "step " + step + ": " + String.join(" ", op.argv()));
                }
                step++;
            }
            // Final state agrees key by key.
            for (String key : List.of("a", "b", "c", "{a}x", "user:1")) {
                Model.Entry e = model.live(key);
                assertEquals(e == null ? "(nil)" : "\"" + e.value() + "\"", h.r("GET", key), key);
            }
        }
    }
}
