package io.cairn.resp;

import java.util.List;
import java.util.Objects;

/**
 * The cluster as the CLUSTER commands describe it: which nodes exist, where their RESP ports are,
 * and which hash slots each serves. Implementations return consistent snapshots and are safe to
 * call from any thread.
 */
public interface ClusterView {
    int SLOTS = 16_384;

    /** Id of the node answering (one of {@link #nodes()}). */
    String myId();

    /** Every known node, this one included, in a stable order. */
    List<Node> nodes();

    /** {@code ok} when every slot is served, otherwise {@code fail} (CLUSTER INFO's cluster_state). */
    default String state() {
        int served = 0;
        for (Node n : nodes()) {
            if (n.primary() && n.healthy()) {
                for (SlotRange r : n.slots()) {
                    served += r.size();
                }
            }
        }
        return served == SLOTS ? "ok" : "fail";
    }

    /** The highest configuration epoch known in the cluster. */
    long currentEpoch();

    /** An inclusive range of hash slots. */
    record SlotRange(int start, int end) {
        public SlotRange {
            if (start < 0 || end >= SLOTS || start > end) {
                throw new IllegalArgumentException("invalid slot range " + start + "-" + end);
            }
        }

        public int size() {
            return end - start + 1;
        }
    }

    /**
     * One node.
     *
     * @param id          40-character hex id
     * @param host        address clients should connect to; a wildcard ("0.0.0.0", "::") or ""
     *                    means "the address this connection reached" and is replaced per client
     * @param port        RESP port
     * @param busPort     cluster-bus port; 0 when the node has none
     * @param primary     true for a primary (Redis "master"), false for a replica
     * @param primaryId   for a replica, the id of its primary; null for primaries
     * @param configEpoch the node's configuration epoch
     * @param healthy     false if the node is known to be failing
     * @param slots       slots the node serves (empty for replicas)
     */
    record Node(String id, String host, int port, int busPort, boolean primary, String primaryId, long configEpoch,
                boolean healthy, List<SlotRange> slots) {
        public Node {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(host, "host");
            if (port < 0 || port > 65535 || busPort < 0 || busPort > 65535) {
                throw new IllegalArgumentException("invalid port for node " + id);
            }
            if (!primary && primaryId == null) {
                throw new IllegalArgumentException("replica " + id + " needs the id of its primary");
            }
            slots = List.copyOf(slots);
        }
    }
}
