package io.cairn.commands.tx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.clock.Clock;
import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.api.reply.Errors;
import io.cairn.api.reply.Reply;
import io.cairn.commands.LocalCommandService;
import io.cairn.commands.RedisNumbers;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Random requests of get/set/delete/incr/cas over three keys of one hash tag, on random starting
 * values (numbers, non-numbers, values near the 64-bit limits, absent), run by the real runner on a
 * real {@link LocalCommandService} and by a sequential model. Either every operation's result and the
 * final state match the model, or the model's first failing incr is reported at its index and the
 * stored state is exactly the starting state: all or nothing, whatever the mix.
 */
class TransactionModelPropertyTest {
    static final List<String> KEYS = List.of("{p}a", "{p}b", "{p}c");
    static final List<String> VALUES = List.of("0", "1", "-7", "41", "abc", "", "01", " 1",
            Long.toString(Long.MAX_VALUE - 1), Long.toString(Long.MIN_VALUE));

    enum Kind { GET, SET, DELETE, INCR, CAS, CAS_ABSENT }

    record Op(Kind kind, String key, String value, String expected, long by) {
        TxOp toTx() {
            byte[] k = bytes(key);
            return switch (kind) {
                case GET -> new TxOp.Get(k);
                case SET -> new TxOp.Set(k, bytes(value), 0);
                case DELETE -> new TxOp.Delete(k);
                case INCR -> new TxOp.Incr(k, by);
                case CAS -> new TxOp.Cas(k, bytes(expected), bytes(value), 0);
                case CAS_ABSENT -> new TxOp.Cas(k, null, bytes(value), 0);
            };
        }
    }

    @Provide
    Arbitrary<Op> ops() {
        return Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.of(KEYS), Arbitraries.of(VALUES),
                Arbitraries.of(VALUES), Arbitraries.of(1L, -1L, 5L, Long.MAX_VALUE, Long.MIN_VALUE)).as(Op::new);
    }

    /** A starting value per key; null: absent. */
    @Provide
    Arbitrary<List<String>> starts() {
        return Arbitraries.of(VALUES).injectNull(0.3).list().ofSize(KEYS.size());
    }

    @Property(tries = 250)
    void outcomesMatchASequentialModel(@ForAll("starts") List<String> start,
                                       @ForAll @Size(min = 1, max = 6) List<@From("ops") Op> ops) throws Exception {
        StorageEngine engine = StorageEngines.open("memory", null, Map.of());
        LocalCommandService service = new LocalCommandService(engine, 4, Clock.SYSTEM,
                new HybridLogicalClock(Clock.SYSTEM, 1000), new LocalCommandService.Options(0, 10));
        try {
            Map<String, String> state = new HashMap<>();
            for (int i = 0; i < KEYS.size(); i++) {
                if (start.get(i) != null) {
                    service.execute(new byte[][] {bytes("SET"), bytes(KEYS.get(i)), bytes(start.get(i))}).join();
                    state.put(KEYS.get(i), start.get(i));
                }
            }
            Map<String, String> before = new HashMap<>(state);
            TransactionRunner runner = new TransactionRunner(service, 3, () -> { });
            TxOutcome outcome = runner.run(ops.stream().map(Op::toTx).toList(), TxContext.unbounded())
                    .get(10, TimeUnit.SECONDS);

            List<String> expected = new ArrayList<>();
            for (int i = 0; i < ops.size(); i++) {
                Reply.Error failure = apply(ops.get(i), state, expected);
                if (failure != null) {
                    int index = i;
                    Reply.Error error = switch (outcome) {
                        case TxOutcome.DataConflict c when c.index() == index -> c.error();
                        case TxOutcome.OperationFailed f when f.index() == index -> {
                            // Only a lone write may run unobserved: its failure then leaves nothing written.
                            assertEquals(1, ops.stream().filter(o -> o.kind != Kind.GET).count(), "ops " + ops);
                            yield f.error();
                        }
                        default -> throw new AssertionError("expected op " + index + " to fail with "
                                + failure.text() + ", got " + outcome + " for " + ops + " on " + before);
                    };
                    assertEquals(failure, error);
                    assertEquals(before, stored(service), "nothing applied");
                    return;
                }
            }
            TxOutcome.Completed done = switch (outcome) {
                case TxOutcome.Completed c -> c;
                default -> throw new AssertionError("expected success, got " + outcome + " for " + ops + " on " + before);
            };
            assertEquals(expected, done.results().stream().map(TransactionModelPropertyTest::render).toList(),
                    "results of " + ops + " on " + before);
            assertEquals(state, stored(service), "final state of " + ops + " on " + before);
            assertTrue(done.conditionsHeld());
        } finally {
            service.close();
            engine.close();
        }
    }

    /** Applies one operation to the model; returns the error it fails with, else appends its rendered result. */
    private static Reply.Error apply(Op op, Map<String, String> state, List<String> results) {
        String current = state.get(op.key);
        switch (op.kind) {
            case GET -> results.add("value:" + current);
            case SET -> {
                state.put(op.key, op.value);
                results.add("ok");
            }
            case DELETE -> results.add("deleted:" + (state.remove(op.key) != null));
            case INCR -> {
                if (current != null && !RedisNumbers.isLong(bytes(current))) {
                    return Errors.NOT_INTEGER;
                }
                long value = current == null ? 0 : Long.parseLong(current);
                long next;
                try {
                    next = Math.addExact(value, op.by);
                } catch (ArithmeticException e) {
                    return Errors.OVERFLOW;
                }
                state.put(op.key, Long.toString(next));
                results.add("incr:" + next);
            }
            case CAS, CAS_ABSENT -> {
                String expected = op.kind == Kind.CAS ? op.expected : null;
                boolean swap = Objects.equals(current, expected);
                if (swap) {
                    state.put(op.key, op.value);
                }
                results.add(swap ? "swapped" : "kept:" + current);
            }
        }
        return null;
    }

    private static String render(TxResult r) {
        return switch (r) {
            case TxResult.Value v -> "value:" + (v.value() == null ? null : new String(v.value(), StandardCharsets.UTF_8));
            case TxResult.Written w -> "ok";
            case TxResult.Deleted d -> "deleted:" + d.deleted();
            case TxResult.Incremented n -> "incr:" + n.value();
            case TxResult.Compared c -> c.swapped() ? "swapped"
                    : "kept:" + (c.previous() == null ? null : new String(c.previous(), StandardCharsets.UTF_8));
        };
    }

    private static Map<String, String> stored(LocalCommandService service) {
        Map<String, String> m = new HashMap<>();
        for (String k : KEYS) {
            Reply r = service.execute(new byte[][] {bytes("GET"), bytes(k)}).join();
            if (r instanceof Reply.Bulk b) {
                m.put(k, b.utf8());
            }
        }
        return m;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
