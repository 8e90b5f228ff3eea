package io.cairn.resp;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The membership hooks behind Cairn's CLUSTER extensions ({@code CLUSTER MAP}, {@code CLUSTER
 * LEAVE}, {@code CLUSTER REBALANCE [START]}, {@code CLUSTER LAG}), supplied by the server wiring through {@link
 * ServerContext#clusterAdmin()}. Only nodes with elastic membership (a cluster map kept by a
 * controller group) have them; static and single nodes answer with {@link #unavailable}, whose
 * reason the commands return as their error.
 *
 * <p>The RESP layer knows nothing about Raft or the controller: maps travel as their JSON text,
 * verdicts as Redis-style error lines. Calls come from event-loop threads: none may block (a
 * controller round trip is returned as a future completed elsewhere).
 */
public interface ClusterAdmin {

    /** Why this node cannot answer the membership commands, or null if it can. */
    String unavailableReason();

    /** The node's current cluster map, as JSON (the controller's map encoding, which includes its epoch). */
    String mapJson();

    /** The epoch of the node's current cluster map. */
    long epoch();

    /**
     * Asks the controller to drain {@code node} (a map node id, or a 40-character CLUSTER MYID id;
     * null: this node) and mark it LEFT once it holds no replica. The future completes with the
     * controller's verdict; it fails only if the controller could not be reached in time.
     */
    CompletableFuture<Verdict> leave(String node);

    /** What the planner makes of the node's current map right now (computed locally, read-only). */
    RebalanceStatus rebalance();

    /**
     * Asks the controller for a rebalance: with {@code cluster.rebalance.auto=false} the planner
     * makes balance moves only after such a request (until the placement is reached); with auto
     * on it just runs the planner at once. The future completes with the controller's verdict; it
     * fails only if the controller could not be reached in time.
     */
    CompletableFuture<Verdict> requestRebalance();

    /**
     * For each partition this node leads now, how far its other replicas are behind (only a
     * leader knows its followers' progress; ask every node for the whole cluster). Read-only
     * and non-blocking: the local Raft leaders' in-memory state. Sorted by partition.
     */
    List<PartitionLag> lag();

    /**
     * The controller's answer to a proposal: accepted with the map's new epoch, or refused with a
     * Redis-style error line (an upper-case code word first, e.g. {@code STALEEPOCH ...}).
     */
    record Verdict(boolean accepted, long epoch, String errorLine) {
        public Verdict {
            if (!accepted) {
                Objects.requireNonNull(errorLine, "errorLine");
            }
        }
    }

    /**
     * @param epoch             the epoch of the map it was computed from
     * @param movesInProgress   replica moves the map records as under way
     * @param movesStartable    moves the planner would begin now (within {@code max-concurrent-moves})
     * @param otherProposals    other changes it would propose now (aborts, removals of drained nodes,
     *                          preferred-leader changes)
     * @param replicasMisplaced replicas not yet where the placement wants them (0 once balanced)
     * @param loopIntervalMs    how often the controller leader runs the planner by itself
     */
    record RebalanceStatus(long epoch, int movesInProgress, int movesStartable, int otherProposals,
                           int replicasMisplaced, long loopIntervalMs) {}

    /**
     * A partition this node leads, as CLUSTER LAG reports it.
     *
     * @param leader      this node's name in the cluster map
     * @param term        the leader's Raft term
     * @param commitIndex the leader's commit index
     * @param lastIndex   the index of the last entry in the leader's log
     * @param replicas    the partition's other replicas, by node name
     */
    record PartitionLag(int partition, String leader, long term, long commitIndex, long lastIndex,
                        List<ReplicaLag> replicas) {
        public PartitionLag {
            Objects.requireNonNull(leader, "leader");
            replicas = List.copyOf(replicas);
        }
    }

    /**
     * @param node          the replica's node name
     * @param role          {@code voter}, {@code listener}, or {@code catching-up} (a new replica of a move
     *                      that the leader is bringing up to date before it becomes a voter)
     * @param matchIndex    the last log index the leader knows the replica holds
     * @param lagEntries    entries of the leader's log the replica is not known to hold ({@code lastIndex - matchIndex})
     * @param lastContactMs milliseconds since the replica last answered the leader
     */
    record ReplicaLag(String node, String role, long matchIndex, long lagEntries, long lastContactMs) {
        public ReplicaLag {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(role, "role");
        }
    }

    /** For nodes without elastic membership: every call but {@link #unavailableReason} refuses. */
    static ClusterAdmin unavailable(String reason) {
        Objects.requireNonNull(reason, "reason");
        return new ClusterAdmin() {
            @Override
            public String unavailableReason() {
                return reason;
            }

            @Override
            public String mapJson() {
                throw new UnsupportedOperationException(reason);
            }

            @Override
            public long epoch() {
                throw new UnsupportedOperationException(reason);
            }

            @Override
            public CompletableFuture<Verdict> leave(String node) {
                return CompletableFuture.failedFuture(new UnsupportedOperationException(reason));
            }

            @Override
            public RebalanceStatus rebalance() {
                throw new UnsupportedOperationException(reason);
            }

            @Override
            public CompletableFuture<Verdict> requestRebalance() {
                return CompletableFuture.failedFuture(new UnsupportedOperationException(reason));
            }

            @Override
            public List<PartitionLag> lag() {
                throw new UnsupportedOperationException(reason);
            }
        };
    }

    /** The reason given when the server supplies no membership hooks at all. */
    String NOT_ELASTIC = "this node has no elastic membership (start nodes with --bootstrap / --join for CLUSTER MAP,"
            + " LEAVE, REBALANCE and LAG)";
}
