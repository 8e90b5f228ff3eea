package io.cairn.verify.support;

import io.cairn.verify.history.History;
import io.cairn.verify.history.Op;
import io.cairn.verify.history.OpKind;
import io.cairn.verify.history.Status;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * Generates histories of a store that is linearizable by construction: every op takes effect
 * atomically at a random instant inside its [invoke, complete] interval, and outputs are computed
 * by applying the ops in that order. Indeterminate ops either never take effect or take effect at
 * a random instant after their invocation, possibly long after the client gave up, as on a real
 * cluster. Any checker that rejects such a history has a bug.
 */
public final class Simulator {

    public enum Workload { REGISTER, COUNTER, APPEND }

    /**
     * @param clients concurrent sequential clients
     * @param keys number of keys ("k0", "k1", ...)
     * @param ops total operations
     * @param infoRate probability an op ends indeterminate
     * @param failRate probability an op definitely fails
     * @param values register value domain size (small = more ambiguity, harder search)
     */
    public record Config(Workload workload, int clients, int keys, int ops, double infoRate, double failRate,
                         int values) {
    }

    private Simulator() {
    }

    private static final class Pending {
        int process;
        String key;
        OpKind kind;
        String[] input;
        long invoke;
        long complete;
        long effectAt; // Long.MAX_VALUE: never takes effect
        Status status;
        String output;
    }

    public static History simulate(Config c, long seed) {
        Random rnd = new Random(seed);
        long[] clock = new long[c.clients()];
        for (int i = 0; i < clock.length; i++) {
            clock[i] = rnd.nextInt(100);
        }
        List<Pending> all = new ArrayList<>();
        int token = 0;
        for (int n = 0; n < c.ops(); n++) {
            int client = 0;
            for (int i = 1; i < clock.length; i++) {
                if (clock[i] < clock[client]) {
                    client = i;
                }
            }
            Pending p = new Pending();
            p.process = client;
            p.key = "k" + rnd.nextInt(c.keys());
            p.invoke = clock[client] + 1 + rnd.nextInt(20);
            long duration = 1 + rnd.nextInt(100);
            p.complete = p.invoke + duration;
            p.effectAt = p.invoke + (long) (rnd.nextDouble() * duration);
            double r = rnd.nextDouble();
            p.status = r < c.infoRate() ? Status.INFO : r < c.infoRate() + c.failRate() ? Status.FAIL : Status.OK;
            if (p.status == Status.FAIL) {
                p.effectAt = Long.MAX_VALUE;
            } else if (p.status == Status.INFO) {
                p.effectAt = rnd.nextBoolean() ? Long.MAX_VALUE : p.invoke + (long) (rnd.nextDouble() * duration * 20);
            }
            chooseOp(c, rnd, p, token++);
            clock[client] = p.complete + rnd.nextInt(10);
            all.add(p);
        }
        // Apply the effects in effect-time order to compute outputs.
        List<Pending> effective = new ArrayList<>(all.stream().filter(p -> p.effectAt != Long.MAX_VALUE).toList());
        effective.sort(Comparator.comparingLong(p -> p.effectAt));
        Map<String, String> state = new HashMap<>();
        for (Pending p : effective) {
            String out = apply(state, p);
            p.output = p.status == Status.OK ? out : null;
        }
        all.sort(Comparator.comparingLong(p -> p.invoke));
        List<Op> ops = new ArrayList<>(all.size());
        for (Pending p : all) {
            ops.add(Op.of(ops.size(), p.process, p.key, p.kind, p.output, p.invoke,
                    p.status == Status.INFO ? Long.MAX_VALUE : p.complete, p.status, p.input));
        }
        return History.of(ops);
    }

    private static void chooseOp(Config c, Random rnd, Pending p, int token) {
        int r = rnd.nextInt(100);
        switch (c.workload()) {
            case REGISTER -> {
                String v = Integer.toString(rnd.nextInt(c.values()));
                if (r < 40) {
                    p.kind = OpKind.READ;
                    p.input = new String[0];
                } else if (r < 70) {
                    p.kind = OpKind.WRITE;
                    p.input = new String[] {v};
                } else if (r < 90) {
                    p.kind = OpKind.CAS;
                    String expected = rnd.nextInt(10) == 0 ? null : Integer.toString(rnd.nextInt(c.values()));
                    p.input = new String[] {expected, v};
                } else {
                    p.kind = OpKind.DELETE;
                    p.input = new String[0];
                }
            }
            case COUNTER -> {
                if (r < 50) {
                    p.kind = OpKind.INCR;
                    p.input = new String[] {Integer.toString(1 + rnd.nextInt(3))};
                } else {
                    p.kind = OpKind.READ;
                    p.input = new String[0];
                }
            }
            case APPEND -> {
                if (r < 50) {
                    p.kind = OpKind.APPEND;
                    p.input = new String[] {"t" + token + ","};
                } else {
                    p.kind = OpKind.READ;
                    p.input = new String[0];
                }
            }
        }
    }

    private static String apply(Map<String, String> state, Pending p) {
        String cur = state.get(p.key);
        return switch (p.kind) {
            case READ -> cur;
            case WRITE -> {
                state.put(p.key, p.input[0]);
                yield null;
            }
            case DELETE -> {
                state.remove(p.key);
                yield null;
            }
            case CAS -> {
                boolean ok = Objects.equals(cur, p.input[0]);
                if (ok) {
                    state.put(p.key, p.input[1]);
                }
                yield Boolean.toString(ok);
            }
            case INCR -> {
                long next = (cur == null ? 0 : Long.parseLong(cur)) + Long.parseLong(p.input[0]);
                state.put(p.key, Long.toString(next));
                yield Long.toString(next);
            }
            case APPEND -> {
                state.put(p.key, (cur == null ? "" : cur) + p.input[0]);
                yield null;
            }
        };
    }

    /** Replaces the output of the {@code n}-th (mod count) OK read; null if the history has none. */
    public static History corruptRead(History h, int n, String output) {
        List<Op> reads = h.ops().stream().filter(op -> op.kind() == OpKind.READ && op.isOk()).toList();
        if (reads.isEmpty()) {
            return null;
        }
        Op victim = reads.get(Math.floorMod(n, reads.size()));
        return History.of(h.ops().stream().map(op -> op == victim ? op.withOutput(output) : op).toList());
    }
}
