package io.cairn.resp;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The membership hooks behind Cairn's CLUSTER extensions ({@code CLUSTER MAP}, {@code CLUSTER
 * LEAVE}, {@code CLUSTER REBALANCE}), supplied by the server wiring through {@link
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
        };
    }

    /** The reason given when the server supplies no membership hooks at all. */
    String NOT_ELASTIC = "this node has no elastic membership (start nodes with --bootstrap / --join for CLUSTER MAP,"
            + " LEAVE and REBALANCE)";
}
