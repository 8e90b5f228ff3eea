package io.cairn.verify.history;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One completed (or abandoned) client operation.
 *
 * <p>Times are {@link System#nanoTime()} readings: {@code invokeNanos} is taken before the request
 * leaves the client and {@code completeNanos} after the reply arrives, so the true effect of an
 * {@link Status#OK} operation lies inside the interval. For {@link Status#INFO} operations
 * {@code completeNanos} only records when the client gave up; checkers must use
 * {@link #effectiveCompleteNanos()}, which is +infinity for them.
 *
 * <p>{@code input} may contain {@code null} elements (a CAS "expected absent"), so it is kept as an
 * unmodifiable list that permits nulls rather than {@link List#of}.
 *
 * @param id unique within a history; recorders assign them in invocation order
 * @param process the client (process/thread/connection) that issued the operation
 * @param key the key the operation touched; histories are partitioned by it
 * @param kind the operation
 * @param input arguments, see {@link OpKind}
 * @param output the reply for {@link Status#OK} ops ({@code null} = nil/absent); unused otherwise
 * @param invokeNanos time before the request was sent
 * @param completeNanos time after the reply arrived (for INFO: when the client gave up)
 * @param status how the operation ended
 */
public record Op(long id, int process, String key, OpKind kind, List<String> input, String output,
                 long invokeNanos, long completeNanos, Status status) {

    public Op {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(status, "status");
        input = input == null || input.isEmpty() ? List.of()
                : Collections.unmodifiableList(new ArrayList<>(input));
        if (status != Status.INFO && completeNanos < invokeNanos) {
            throw new IllegalArgumentException("op #" + id + " completes (" + completeNanos
                    + ") before it is invoked (" + invokeNanos + ")");
        }
    }

    /** Convenience factory taking the inputs as varargs ({@code null} elements allowed). */
    public static Op of(long id, int process, String key, OpKind kind, String output,
                        long invokeNanos, long completeNanos, Status status, String... input) {
        return new Op(id, process, key, kind, input == null ? List.of() : Arrays.asList(input),
                output, invokeNanos, completeNanos, status);
    }

    /** Input {@code i}, or {@code null} if there are fewer inputs. */
    public String input(int i) {
        return i < input.size() ? input.get(i) : null;
    }

    public boolean isOk() {
        return status == Status.OK;
    }

    public boolean isInfo() {
        return status == Status.INFO;
    }

    public boolean isFail() {
        return status == Status.FAIL;
    }

    /** The latest instant the op can have taken effect: its completion, or +infinity if INFO. */
    public long effectiveCompleteNanos() {
        return status == Status.INFO ? Long.MAX_VALUE : completeNanos;
    }

    /** Same op with another status (and output), e.g. to mark a pending op indeterminate. */
    public Op withStatus(Status newStatus, String newOutput, long newCompleteNanos) {
        return new Op(id, process, key, kind, input, newOutput, invokeNanos, newCompleteNanos, newStatus);
    }

    /** Same op with another output; tests use it to corrupt histories. */
    public Op withOutput(String newOutput) {
        return new Op(id, process, key, kind, input, newOutput, invokeNanos, completeNanos, status);
    }

    /**
     * Human-readable one-liner with times relative to {@code originNanos}, e.g.
     * {@code #12 p3 CAS "k" "a" "b" => "true" [+1.234ms .. +1.567ms]}.
     */
    public String describe(long originNanos) {
        StringBuilder sb = new StringBuilder(64);
        sb.append('#').append(id).append(" p").append(process).append(' ').append(kind)
                .append(' ').append(quote(key));
        for (String in : input) {
            sb.append(' ').append(quote(in));
        }
        switch (status) {
            case OK -> {
                if (output != null || kind == OpKind.READ || kind == OpKind.CAS || kind == OpKind.INCR) {
                    sb.append(" => ").append(quote(output));
                }
            }
            case FAIL -> sb.append(" FAILED");
            case INFO -> sb.append(" INDETERMINATE");
        }
        sb.append(" [").append(formatTime(invokeNanos, originNanos)).append(" .. ")
                .append(status == Status.INFO ? "inf" : formatTime(completeNanos, originNanos)).append(']');
        return sb.toString();
    }

    @Override
    public String toString() {
        return describe(0);
    }

    /** {@code nil} for null, otherwise the string in quotes with control characters escaped. */
    public static String quote(String s) {
        if (s == null) {
            return "nil";
        }
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    /** Milliseconds since {@code originNanos} with microsecond precision, e.g. {@code +12.345ms}. */
    public static String formatTime(long nanos, long originNanos) {
        if (nanos == Long.MAX_VALUE) {
            return "inf";
        }
        return String.format(Locale.ROOT, "%+.3fms", (nanos - originNanos) / 1e6);
    }
}
