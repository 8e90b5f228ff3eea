package io.cairn.commands.tx;

/** The typed result of one {@link TxOp} that ran; front ends render it in their own shapes. */
public sealed interface TxResult {
    /** {@link TxOp.Get}: the value, null if the key is absent. */
    record Value(byte[] value) implements TxResult {}

    /** {@link TxOp.Set}: the value was stored. */
    enum Written implements TxResult { INSTANCE }

    /** {@link TxOp.Delete}: whether the key existed. */
    record Deleted(boolean deleted) implements TxResult {}

    /** {@link TxOp.Incr}: the new value. */
    record Incremented(long value) implements TxResult {}

    /**
     * {@link TxOp.Cas}: whether it swapped, and the value before the operation (null if absent):
     * equal to the expected value when it swapped, what is there instead when it did not.
     */
    record Compared(boolean swapped, byte[] previous) implements TxResult {}
}
