package io.cairn.api.kv;

/**
 * The outcome of one {@link BatchOp}, at the same index as the op. An operation the store refused
 * (a value over the limit, say) yields {@link Failed} and does not fail the whole batch, because
 * the other operations of a non-atomic batch ran regardless; failures that leave the whole batch's
 * outcome unknown (timeout, lost connection) fail the call instead.
 */
public sealed interface BatchResult {
    /** A get: the value, or null if the key was absent. */
    record Value(byte[] value) implements BatchResult {}

    /** A put was applied. */
    record Written() implements BatchResult {}

    /** A delete: whether the key existed. */
    record Deleted(boolean existed) implements BatchResult {}

    /** A compare-and-set: whether the new value was stored. */
    record Swapped(boolean swapped) implements BatchResult {}

    /** The store refused this one operation. */
    record Failed(CairnException error) implements BatchResult {}
}
