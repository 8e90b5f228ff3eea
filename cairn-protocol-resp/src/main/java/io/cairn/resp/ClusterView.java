package io.cairn.resp;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The cluster as the CLUSTER commands and redirect mode see it: which nodes exist, where their
 * RESP ports are, how the 16384 hash slots fall into partitions (Cairn's unit of replication:
 * a contiguous slot range served by one Raft group) and who leads and replicates each.
 * Implementations return consistent snapshots and are safe to call from any thread;
 * {@link #partitionOfSlot} and {@link #route} are asked once per command in redirect mode and
 * must be cheap.
 */
public interface ClusterView {
    int SLOTS = 16_384;

    /** Id of the node answering (one of {@link #nodes()}). */
    String myId();

    /**
     * Every known node, this one included, in a stable order. A node is reported as a primary
     * serving the slots of the partitions it leads (see {@link #partitions()}).
     */
    List<Node> nodes();

    /** Every partition, in slot order; together their slot ranges cover 0..16383 exactly once. */
    List<Partition> partitions();

    /** The partition that holds {@code slot} (a fixed map: no lookup of leaders). */
    int partitionOfSlot(int slot);

    /** Who serves {@code slot}'s partition now, as this node knows it. */
    Route route(int slot);

    /**
     * Keys in this node's own copy of {@code partition} (Redis's DBSIZE on a cluster node counts
     * its own copy, logically expired keys not yet reclaimed included), for DBSIZE in redirect
     * mode; -1 if this node holds no copy of it.
     */
    long localKeyCount(int partition);

    /**
     * {@code ok} when every partition has a leader this node knows of, otherwise {@code fail}
     * (CLUSTER INFO's cluster_state).
     */
    default String state() {
        for (Partition p : partitions()) {
            if (p.leaderId() == null) {
                return "fail";
            }
        }
        return "ok";
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

        public boolean contains(int slot) {
            return slot >= start && slot <= end;
        }
    }

    /**
     * One partition.
     *
     * @param index      the partition number (what the command service's SCAN cursor names in its low 16 bits)
     * @param slots      the slots it holds
     * @param leaderId   id of the node leading it as this node knows it; null while no leader is known
     * @param replicaIds ids of every node holding a copy (the leader among them), in placement order:
     *                   the first is the preferred leader, advertised while no leader is known
     * @param hostedHere this node holds a copy (it can serve READONLY reads of it)
     */
    record Partition(int index, SlotRange slots, String leaderId, List<String> replicaIds, boolean hostedHere) {
        public Partition {
            Objects.requireNonNull(slots, "slots");
            replicaIds = List.copyOf(replicaIds);
            if (index < 0) {
                throw new IllegalArgumentException("negative partition index " + index);
            }
            if (replicaIds.isEmpty()) {
                throw new IllegalArgumentException("partition " + index + " has no replica");
            }
        }

        /** Whom CLUSTER SLOTS/SHARDS/NODES name as the primary: the leader, else the preferred leader. */
        public String advertisedLeaderId() {
            return leaderId != null ? leaderId : replicaIds.get(0);
        }

        /** The replicas other than the advertised leader, in placement order. */
        public List<String> followerIds() {
            String leader = advertisedLeaderId();
            List<String> out = new ArrayList<>(replicaIds.size());
            for (String id : replicaIds) {
                if (!id.equals(leader)) {
                    out.add(id);
                }
            }
            return out;
        }
    }

    /** Where a client reaches a node: its id and RESP address (as CLUSTER SLOTS advertises it). */
    record Endpoint(String id, String host, int port) {
        public Endpoint {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(host, "host");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("invalid port " + port + " for node " + id);
            }
        }
    }

    /**
     * Who serves one slot's partition now.
     *
     * @param partition  the partition
     * @param leader     the leader's endpoint; null while no leader is known (an election is under way,
     *                   or this node is cut off from the partition's replicas)
     * @param leaderHere this node leads the partition
     * @param hostedHere this node holds a copy of the partition
     */
    record Route(int partition, Endpoint leader, boolean leaderHere, boolean hostedHere) {
        public Route {
            if (leaderHere && leader == null) {
                throw new IllegalArgumentException("partition " + partition + ": led here but no leader endpoint");
            }
            if (leaderHere && !hostedHere) {
                throw new IllegalArgumentException("partition " + partition + ": led here but not hosted here");
            }
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

    /**
     * The slot ranges of partitions {@code partitions} (in slot order) whose advertised leader is
     * {@code nodeId}, adjacent ones merged, as Redis prints a node's slots.
     */
    static List<SlotRange> slotsLedBy(String nodeId, List<Partition> partitions) {
        List<SlotRange> ranges = new ArrayList<>();
        for (Partition p : partitions) {
            if (!p.advertisedLeaderId().equals(nodeId)) {
                continue;
            }
            SlotRange r = p.slots();
            if (!ranges.isEmpty() && ranges.get(ranges.size() - 1).end() + 1 == r.start()) {
                r = new SlotRange(ranges.remove(ranges.size() - 1).start(), r.end());
            }
            ranges.add(r);
        }
        return ranges;
    }
}
