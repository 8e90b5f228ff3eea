package io.cairn.cluster;

/**
 * A replica swap in progress on one partition: a replica is being created on {@code add} and,
 * once it has caught up, the one on {@code remove} is dropped. {@code remove} is null when the
 * partition is growing back to the replication factor (only a replica is added).
 *
 * <p>While a move is in progress the partition's Raft group may briefly have one member more
 * than the replication factor (the old replicas plus {@code add}); the map keeps the replica list
 * as it was before the move until {@link ControlCommand.CompleteMove} records the result.
 *
 * @param startedAtEpoch the epoch at which the move began: with the two nodes it names the move
 *                       exactly, so a stale mover cannot complete or abort a later move that
 *                       happens to swap the same nodes
 */
public record ReplicaMove(String add, String remove, long startedAtEpoch) {
    public ReplicaMove {
        if (add == null) {
            throw new IllegalArgumentException("a move needs a node to add");
        }
        if (add.equals(remove)) {
            throw new IllegalArgumentException("a move cannot add and remove the same node " + add);
        }
        if (startedAtEpoch < 1) {
            throw new IllegalArgumentException("startedAtEpoch must be >= 1, got " + startedAtEpoch);
        }
    }

    @Override
    public String toString() {
        return "+" + add + (remove == null ? "" : " -" + remove) + " @" + startedAtEpoch;
    }
}
