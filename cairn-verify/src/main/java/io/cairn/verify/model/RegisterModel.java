package io.cairn.verify.model;

import io.cairn.verify.history.Op;
import io.cairn.verify.history.OpKind;
import java.util.Objects;
import java.util.Optional;

/**
 * A single string register with READ, WRITE, CAS and DELETE (Redis GET/SET/SET-if/DEL).
 *
 * <p>The state wraps the value in a record because "absent" must be a real, non-null state
 * ({@link Optional} cannot carry null) that compares equal to itself for memoization.
 * CAS outputs are {@code "true"}/{@code "false"} (also {@code "1"}/{@code "0"}); a CAS whose
 * expected value is {@code null} succeeds only if the key is absent (SET NX). Outputs of WRITE and
 * DELETE are ignored.
 */
public final class RegisterModel implements Model<RegisterModel.Value> {

    /** Register contents; {@code value == null} means absent. */
    public record Value(String value) {
        public static final Value ABSENT = new Value(null);

        @Override
        public String toString() {
            return value == null ? "absent" : Op.quote(value);
        }
    }

    @Override
    public Value init() {
        return Value.ABSENT;
    }

    @Override
    public void validate(Op op) {
        Model.requireKind(op, "RegisterModel", OpKind.READ, OpKind.WRITE, OpKind.CAS, OpKind.DELETE);
        if (op.kind() == OpKind.WRITE && op.input().size() != 1) {
            throw new IllegalArgumentException("WRITE needs exactly one input: " + op);
        }
        if (op.kind() == OpKind.CAS) {
            if (op.input().size() != 2) {
                throw new IllegalArgumentException("CAS needs inputs (expected, new): " + op);
            }
            if (op.isOk()) {
                parseBool(op);
            }
        }
    }

    /** A CAS that reported failure is an observer too: wherever it fits, it leaves the state alone. */
    @Override
    public boolean isReadOnly(Op op) {
        return op.kind() == OpKind.READ || (op.kind() == OpKind.CAS && op.isOk() && !parseBool(op));
    }

    @Override
    public Optional<Value> step(Value state, Op op) {
        return switch (op.kind()) {
            case READ -> !op.isOk() || Objects.equals(op.output(), state.value())
                    ? Optional.of(state) : Optional.empty();
            case WRITE -> Optional.of(new Value(op.input(0)));
            case DELETE -> Optional.of(Value.ABSENT);
            case CAS -> {
                boolean matches = Objects.equals(state.value(), op.input(0));
                if (op.isOk() && parseBool(op) != matches) {
                    yield Optional.empty();
                }
                yield Optional.of(matches ? new Value(op.input(1)) : state);
            }
            default -> throw new IllegalArgumentException("unsupported op " + op);
        };
    }

    static boolean parseBool(Op op) {
        String s = op.output();
        if ("true".equals(s) || "1".equals(s)) {
            return true;
        }
        if ("false".equals(s) || "0".equals(s)) {
            return false;
        }
        throw new IllegalArgumentException("CAS output must be true/false/1/0: " + op);
    }
}
