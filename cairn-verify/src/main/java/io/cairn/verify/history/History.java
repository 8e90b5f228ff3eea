package io.cairn.verify.history;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * An immutable list of operations, the unit every checker consumes.
 *
 * <p>Histories are persisted as escaped TSV (one op per line) rather than JSON so the module needs
 * no dependencies and a failing history from CI can be read, grepped and diffed by hand. Format:
 * <pre>
 * #cairn-history v1
 * id  process  status  kind  invokeNanos  completeNanos  key  output  input0  input1 ...
 * </pre>
 * Fields are tab-separated; {@code \\}, tab, CR and LF are backslash-escaped and {@code \N}
 * stands for {@code null}, so every string (including empty and null) round-trips exactly.
 */
public final class History {
    private static final String HEADER = "#cairn-history v1";
    private static final String NULL = "\\N";

    private final List<Op> ops;

    private History(List<Op> ops) {
        this.ops = ops;
    }

    /** A history of the given ops in the given order; ids must be unique. */
    public static History of(Collection<Op> ops) {
        List<Op> copy = List.copyOf(ops);
        Set<Long> ids = new HashSet<>();
        for (Op op : copy) {
            if (!ids.add(op.id())) {
                throw new IllegalArgumentException("duplicate op id " + op.id());
            }
        }
        return new History(copy);
    }

    public static Builder builder() {
        return new Builder();
    }

    public List<Op> ops() {
        return ops;
    }

    public int size() {
        return ops.size();
    }

    public boolean isEmpty() {
        return ops.isEmpty();
    }

    /** Ops grouped by key (keys sorted, ops in history order) — the unit of P-compositionality. */
    public SortedMap<String, List<Op>> byKey() {
        SortedMap<String, List<Op>> map = new TreeMap<>();
        for (Op op : ops) {
            map.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        map.replaceAll((k, v) -> Collections.unmodifiableList(v));
        return Collections.unmodifiableSortedMap(map);
    }

    /** Earliest invocation time, used as "time zero" when printing ops; 0 for an empty history. */
    public long originNanos() {
        return origin(ops);
    }

    public static long origin(Collection<Op> ops) {
        long min = Long.MAX_VALUE;
        for (Op op : ops) {
            min = Math.min(min, op.invokeNanos());
        }
        return ops.isEmpty() ? 0 : min;
    }

    public History filter(Predicate<Op> keep) {
        return new History(ops.stream().filter(keep).toList());
    }

    public void write(Path path) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(path, StandardCharsets.UTF_8)) {
            w.write(HEADER);
            w.write('\n');
            StringBuilder sb = new StringBuilder(128);
            for (Op op : ops) {
                sb.setLength(0);
                sb.append(op.id()).append('\t').append(op.process()).append('\t').append(op.status())
                        .append('\t').append(op.kind()).append('\t').append(op.invokeNanos())
                        .append('\t').append(op.completeNanos()).append('\t');
                escape(sb, op.key());
                sb.append('\t');
                escape(sb, op.output());
                for (String in : op.input()) {
                    sb.append('\t');
                    escape(sb, in);
                }
                w.append(sb).append('\n');
            }
        }
    }

    public static History read(Path path) throws IOException {
        List<Op> ops = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            String line = r.readLine();
            if (line == null || !line.equals(HEADER)) {
                throw new IOException(path + ": not a cairn history (missing '" + HEADER + "' header)");
            }
            int lineNo = 1;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                if (f.length < 8) {
                    throw new IOException(path + ":" + lineNo + ": expected at least 8 fields, got " + f.length);
                }
                try {
                    String[] input = new String[f.length - 8];
                    for (int i = 0; i < input.length; i++) {
                        input[i] = unescape(f[8 + i]);
                    }
                    ops.add(new Op(Long.parseLong(f[0]), Integer.parseInt(f[1]), unescape(f[6]),
                            OpKind.valueOf(f[3]), Arrays.asList(input), unescape(f[7]),
                            Long.parseLong(f[4]), Long.parseLong(f[5]), Status.valueOf(f[2])));
                } catch (IllegalArgumentException e) {
                    throw new IOException(path + ":" + lineNo + ": " + e.getMessage(), e);
                }
            }
        }
        return of(ops);
    }

    private static void escape(StringBuilder sb, String s) {
        if (s == null) {
            sb.append(NULL);
            return;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\t' -> sb.append("\\t");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                default -> sb.append(c);
            }
        }
    }

    private static String unescape(String f) {
        if (f.equals(NULL)) {
            return null;
        }
        if (f.indexOf('\\') < 0) {
            return f;
        }
        StringBuilder sb = new StringBuilder(f.length());
        for (int i = 0; i < f.length(); i++) {
            char c = f.charAt(i);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (++i == f.length()) {
                throw new IllegalArgumentException("dangling escape in field: " + f);
            }
            switch (f.charAt(i)) {
                case '\\' -> sb.append('\\');
                case 't' -> sb.append('\t');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                default -> throw new IllegalArgumentException("bad escape \\" + f.charAt(i) + " in field: " + f);
            }
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof History h && h.ops.equals(ops);
    }

    @Override
    public int hashCode() {
        return ops.hashCode();
    }

    @Override
    public String toString() {
        return "History[" + ops.size() + " ops, " + ops.stream().map(Op::key).distinct().count() + " keys]";
    }

    /**
     * Builds histories by hand, mainly for tests: ids are assigned in call order, times are given
     * explicitly. The typed helpers record OK ops; {@link #info} and {@link #fail} record the others.
     */
    public static final class Builder {
        private final List<Op> ops = new ArrayList<>();
        private long nextId;

        private Builder() {
        }

        public Builder add(Op op) {
            ops.add(op);
            nextId = Math.max(nextId, op.id() + 1);
            return this;
        }

        public Builder op(int process, String key, OpKind kind, String output, long invoke, long complete,
                          Status status, String... input) {
            return add(Op.of(nextId, process, key, kind, output, invoke, complete, status, input));
        }

        public Builder write(int process, String key, String value, long invoke, long complete) {
            return op(process, key, OpKind.WRITE, null, invoke, complete, Status.OK, value);
        }

        public Builder read(int process, String key, String output, long invoke, long complete) {
            return op(process, key, OpKind.READ, output, invoke, complete, Status.OK);
        }

        public Builder cas(int process, String key, String expected, String value, boolean succeeded,
                           long invoke, long complete) {
            return op(process, key, OpKind.CAS, Boolean.toString(succeeded), invoke, complete, Status.OK,
                    expected, value);
        }

        public Builder delete(int process, String key, long invoke, long complete) {
            return op(process, key, OpKind.DELETE, null, invoke, complete, Status.OK);
        }

        public Builder incr(int process, String key, long delta, long result, long invoke, long complete) {
            return op(process, key, OpKind.INCR, Long.toString(result), invoke, complete, Status.OK,
                    Long.toString(delta));
        }

        public Builder append(int process, String key, String token, long invoke, long complete) {
            return op(process, key, OpKind.APPEND, null, invoke, complete, Status.OK, token);
        }

        /** An indeterminate op invoked at {@code invoke} (no completion, output unknown). */
        public Builder info(int process, String key, OpKind kind, long invoke, String... input) {
            return op(process, key, kind, null, invoke, Long.MAX_VALUE, Status.INFO, input);
        }

        /** An op that definitely did not take effect. */
        public Builder fail(int process, String key, OpKind kind, long invoke, long complete, String... input) {
            return op(process, key, kind, null, invoke, complete, Status.FAIL, input);
        }

        public History build() {
            return of(ops);
        }
    }
}
