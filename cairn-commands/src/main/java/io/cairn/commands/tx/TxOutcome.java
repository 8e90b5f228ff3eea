package io.cairn.commands.tx;

import io.cairn.api.reply.Reply;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link TransactionRunner} request ended. Front ends translate each case into their own
 * statuses and texts; the runner itself never completes a future exceptionally.
 */
public sealed interface TxOutcome {
    /** Which operation list an index refers to: the unconditional request and a met condition run SUCCESS. */
    enum Branch { SUCCESS, FAILURE }

    /**
     * The chosen branch ran and every operation succeeded (an empty branch ran nothing; its decision
     * was taken on one consistent state of the condition keys).
     *
     * @param conditionsHeld true if every condition held (always true without conditions): SUCCESS ran
     * @param results        one per operation of the branch that ran
     * @param attempts       optimistic attempts it took, 1 without contention
     */
    record Completed(boolean conditionsHeld, List<TxResult> results, int attempts) implements TxOutcome {
        public Completed {
            results = List.copyOf(results);
        }
    }

    /** {@link TransactionRunner#read}: values and versions of the keys, of one state. */
    record Read(Snapshot snapshot) implements TxOutcome {}

    /**
     * The service refused the whole block with {@code error} (CROSSSLOT, TIMEOUT, NOQUORUM, MOVED, ...).
     * Nothing the runner knows of was applied; a TIMEOUT or NOQUORUM of a block with writes leaves
     * its outcome unknown, as for any write.
     *
     * @param hadWrites whether the refused block held writes (a read-only probe did not)
     */
    record Refused(Reply.Error error, boolean hadWrites) implements TxOutcome {}

    /**
     * Replaying the branch on the values it depends on showed that operation {@code index} would fail
     * with {@code error} (an incr of a non-integer or past the 64-bit range); nothing was run.
     */
    record DataConflict(Branch branch, int index, Reply.Error error) implements TxOutcome {}

    /** The block ran, operation {@code index} failed with {@code error} and no write of it was applied. */
    record OperationFailed(Branch branch, int index, Reply.Error error) implements TxOutcome {}

    /**
     * Should be impossible (validation and the replay rule it out): operation {@code index} failed
     * while {@code appliedWrites} other writes of the block were applied. Logged by the runner.
     */
    record PartiallyApplied(Branch branch, int index, Reply.Error error, int appliedWrites) implements TxOutcome {}

    /** The watched keys changed under every one of {@code attempts} optimistic attempts; nothing was applied. */
    record Conflict(int attempts) implements TxOutcome {}

    /**
     * The service failed (shutdown, no quorum, a full queue) or the deadline passed
     * ({@link java.util.concurrent.TimeoutException}); a write's outcome may be unknown.
     */
    record Unavailable(Throwable cause) implements TxOutcome {
        public Unavailable {
            Objects.requireNonNull(cause, "cause");
        }
    }

    /** A reply of a shape the runner cannot read: a bug below it, never passed off as success. Logged by the runner. */
    record Internal(String message) implements TxOutcome {}

    /**
     * Values of some keys with their WATCH tokens, all of one state.
     *
     * @param values one per key, null when absent
     */
    record Snapshot(List<byte[]> keys, long[] tokens, List<byte[]> values, int attempts) {
        /** The record version of key {@code i}: its token when live, 0 when absent. */
        public long version(int i) {
            return values.get(i) == null ? 0 : tokens[i];
        }
    }
}
