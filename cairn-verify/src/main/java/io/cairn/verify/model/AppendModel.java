package io.cairn.verify.model;

import io.cairn.verify.history.Op;
import io.cairn.verify.history.OpKind;
import java.util.Objects;
import java.util.Optional;

/**
 * A string that only grows by APPEND (Redis APPEND/GET), for full linearizability checking of
 * append workloads. The state is the whole string, so it is exact but its cost grows with the
 * value length; for long append runs prefer the linear-time
 * {@link io.cairn.verify.check.AppendChecker}. READ of an absent key ({@code null}) equals "".
 * APPEND's output (the new length in Redis) is ignored.
 */
public final class AppendModel implements Model<String> {

    @Override
    public String init() {
        return "";
    }

    @Override
    public void validate(Op op) {
        Model.requireKind(op, "AppendModel", OpKind.APPEND, OpKind.READ, OpKind.WRITE, OpKind.DELETE);
        if ((op.kind() == OpKind.APPEND || op.kind() == OpKind.WRITE) && op.input(0) == null) {
            throw new IllegalArgumentException(op.kind() + " needs a value: " + op);
        }
    }

    @Override
    public Optional<String> step(String state, Op op) {
        return switch (op.kind()) {
            case READ -> !op.isOk() || Objects.equals(state, op.output() == null ? "" : op.output())
                    ? Optional.of(state) : Optional.empty();
            case APPEND -> Optional.of(state + op.input(0));
            case WRITE -> Optional.of(op.input(0));
            case DELETE -> Optional.of("");
            default -> throw new IllegalArgumentException("unsupported op " + op);
        };
    }

    @Override
    public String describe(String state) {
        return Op.quote(state);
    }
}
