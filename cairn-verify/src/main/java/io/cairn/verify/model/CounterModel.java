package io.cairn.verify.model;

import io.cairn.verify.history.Op;
import io.cairn.verify.history.OpKind;
import java.util.Optional;

/**
 * A 64-bit counter (Redis INCRBY/GET/SET/DEL). An absent key reads as 0, matching INCR's view of
 * a missing key, so a READ output of {@code null} is treated as 0. INCR's output is the new value;
 * a recorded {@code null} output for an OK INCR is not checked.
 */
public final class CounterModel implements Model<Long> {

    @Override
    public Long init() {
        return 0L;
    }

    @Override
    public void validate(Op op) {
        Model.requireKind(op, "CounterModel", OpKind.INCR, OpKind.READ, OpKind.WRITE, OpKind.DELETE);
        switch (op.kind()) {
            case INCR -> Model.requireLong(op, 0, 1);
            case WRITE -> {
                if (op.input(0) == null) {
                    throw new IllegalArgumentException("WRITE needs a value: " + op);
                }
                Model.requireLong(op, 0, 0);
            }
            default -> {
            }
        }
        if (op.isOk() && op.output() != null && (op.kind() == OpKind.INCR || op.kind() == OpKind.READ)) {
            try {
                Long.parseLong(op.output());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("output is not an integer: " + op, e);
            }
        }
    }

    @Override
    public Optional<Long> step(Long state, Op op) {
        return switch (op.kind()) {
            case READ -> !op.isOk() || state == (op.output() == null ? 0L : Long.parseLong(op.output()))
                    ? Optional.of(state) : Optional.empty();
            case INCR -> {
                long next = state + Model.requireLong(op, 0, 1);
                yield !op.isOk() || op.output() == null || next == Long.parseLong(op.output())
                        ? Optional.of(next) : Optional.empty();
            }
            case WRITE -> Optional.of(Long.parseLong(op.input(0)));
            case DELETE -> Optional.of(0L);
            default -> throw new IllegalArgumentException("unsupported op " + op);
        };
    }
}
