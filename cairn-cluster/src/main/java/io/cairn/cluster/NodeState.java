package io.cairn.cluster;

/**
 * Where a node stands in the cluster, as recorded in the {@link ClusterMap}.
 *
 * <pre>
 *   Join ──▶ JOINING ──MarkUp──▶ UP ◀──MarkUp── SUSPECT
 *                                │ ──MarkSuspect──▶ │
 *   any but LEFT ──MarkDown──▶ DOWN ──MarkUp──▶ UP
 *   JOINING/UP/SUSPECT/DOWN ──Leave──▶ LEAVING ──(drained) Remove──▶ LEFT
 *   DOWN ──(drained) Remove──▶ LEFT;  LEFT ──Join──▶ JOINING (the id is reused)
 * </pre>
 */
public enum NodeState {
    /** Registered, not yet confirmed alive: holds no replica and is not a placement target. */
    JOINING,
    /** Alive: a placement target and a live voter of the partitions it replicates. */
    UP,
    /**
     * Silent for a while, not yet declared down. Stays on the placement ring (so a short pause
     * does not reshuffle replicas) but receives no new replica, and does not count as a live voter
     * when the safety of a move is judged.
     */
    SUSPECT,
    /** Declared down by the failure detector: off the ring; its replicas are re-created elsewhere first. */
    DOWN,
    /** Draining on request: off the ring, still serving (a live voter) until its replicas have moved away. */
    LEAVING,
    /** Gone; kept as a tombstone so that a stale process with this id is told so. Holds nothing. */
    LEFT;

    /** Counts toward a partition's quorum when judging whether a membership change is safe. */
    public boolean isLiveVoter() {
        return this == UP || this == LEAVING;
    }

    /** On the placement ring (see {@link Planner}). */
    public boolean isOnRing() {
        return this == UP || this == SUSPECT;
    }

    /** May be listed as a replica of a partition (or as the destination of a move in progress). */
    public boolean mayHoldReplicas() {
        return this != JOINING && this != LEFT;
    }
}
