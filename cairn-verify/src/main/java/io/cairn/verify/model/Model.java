package io.cairn.verify.model;

import io.cairn.verify.history.Op;
import io.cairn.verify.history.OpKind;
import java.util.Optional;

/**
 * Sequential specification of one key: what a single-threaded, correct store would do.
 * Linearizability is defined relative to such a spec, so the checker is generic over it.
 *
 * <p>Contract, relied upon by the checker's memoization:
 * <ul>
 *   <li>States are immutable, non-null and have value-based {@code equals}/{@code hashCode}:
 *       two search paths reaching equal states with the same set of linearized ops are merged.</li>
 *   <li>{@link #step} is deterministic. If {@code op.status()} is {@code INFO} the output is unknown
 *       and must not be checked; the op still changes the state as it would have.</li>
 *   <li>{@link #step} never throws for ops that passed {@link #validate}; validation happens once,
 *       up front, so malformed histories fail loudly instead of looking non-linearizable.</li>
 *   <li>{@link #step} depends only on the op's kind, input, output and status — never on its id,
 *       process or times. The checker treats indeterminate ops with equal kind and input as
 *       interchangeable.</li>
 * </ul>
 *
 * @param <S> state type
 */
public interface Model<S> {

    /** State before any operation (the key is absent). */
    S init();

    /**
     * Applies {@code op} to {@code state}: the successor state, or empty if the op's recorded
     * output is impossible in {@code state}.
     */
    Optional<S> step(S state, Op op);

    /** Rejects ops this model cannot interpret (unknown kind, missing or malformed inputs). */
    default void validate(Op op) {
    }

    /**
     * True if the op can never change the state: for every state, {@link #step} returns either
     * empty or that same state. The checker relies on this twice: indeterminate read-only ops
     * constrain nothing and are dropped, and a completed read-only op that fits the current state
     * is linearized immediately without branching (it commutes with everything that could be
     * placed before it), which removes most of the search space of read-heavy histories. Returning
     * true for an op that can change the state makes the checker unsound; returning false is
     * always safe, only slower.
     */
    default boolean isReadOnly(Op op) {
        return op.kind() == OpKind.READ;
    }

    /** Human-readable state for violation reports. */
    default String describe(S state) {
        return String.valueOf(state);
    }

    /** Shared validation helper: the op's kind must be one of {@code kinds}. */
    static void requireKind(Op op, String model, OpKind... kinds) {
        for (OpKind k : kinds) {
            if (op.kind() == k) {
                return;
            }
        }
        throw new IllegalArgumentException(model + " does not support " + op.kind() + ": " + op);
    }

    /** Shared validation helper: the op's input {@code i} must be present and a decimal long. */
    static long requireLong(Op op, int i, long dflt) {
        String s = op.input(i);
        if (s == null) {
            return dflt;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("input " + i + " is not an integer: " + op, e);
        }
    }
}
