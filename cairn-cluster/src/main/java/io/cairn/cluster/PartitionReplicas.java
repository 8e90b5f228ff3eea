package io.cairn.cluster;

import java.util.HashSet;
import java.util.List;

/**
 * One partition's entry in the cluster map.
 *
 * @param partition      its number
 * @param replicas       the nodes replicating it, distinct, preferred leader first (the order of
 *                       the others carries no meaning)
 * @param move           the replica swap in progress, or null
 * @param changedAtEpoch the epoch at which this entry last changed: a planner decision taken
 *                       from an older map is refused as stale
 */
public record PartitionReplicas(int partition, List<String> replicas, ReplicaMove move, long changedAtEpoch) {
    public PartitionReplicas {
        if (partition < 0) {
            throw new IllegalArgumentException("partition must be >= 0, got " + partition);
        }
        replicas = List.copyOf(replicas);
        if (replicas.isEmpty()) {
            throw new IllegalArgumentException("partition " + partition + " has no replica");
        }
        if (new HashSet<>(replicas).size() != replicas.size()) {
            throw new IllegalArgumentException("partition " + partition + ": replicas must be distinct, got " + replicas);
        }
        if (changedAtEpoch < 1) {
            throw new IllegalArgumentException("partition " + partition + ": changedAtEpoch must be >= 1, got " + changedAtEpoch);
        }
        if (move != null) {
            if (replicas.contains(move.add())) {
                throw new IllegalArgumentException("partition " + partition + ": move adds " + move.add()
                        + " which already replicates it " + replicas);
            }
            if (move.remove() != null && !replicas.contains(move.remove())) {
                throw new IllegalArgumentException("partition " + partition + ": move removes " + move.remove()
                        + " which does not replicate it " + replicas);
            }
            if (move.startedAtEpoch() > changedAtEpoch) {
                throw new IllegalArgumentException("partition " + partition + ": move started at epoch "
                        + move.startedAtEpoch() + " after the entry last changed at " + changedAtEpoch);
            }
        }
    }

    public String preferredLeader() {
        return replicas.get(0);
    }

    /** The replicas once the move in progress (if any) completes. */
    public List<String> replicasAfterMove() {
        if (move == null) {
            return replicas;
        }
        return afterSwap(replicas, move.add(), move.remove());
    }

    /**
     * {@code replicas} without {@code remove} and with {@code add} last: the preferred leader stays
     * unless it is the one removed (then the next in line takes its place); the planner moves
     * the target's leader to the front afterwards.
     */
    static List<String> afterSwap(List<String> replicas, String add, String remove) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>(replicas.size() + 1);
        for (String r : replicas) {
            if (!r.equals(remove)) {
                out.add(r);
            }
        }
        out.add(add);
        return List.copyOf(out);
    }

    /** Every node this partition's Raft group may include right now: the replicas and a move's destination. */
    public boolean involves(String node) {
        return replicas.contains(node) || (move != null && (node.equals(move.add()) || node.equals(move.remove())));
    }
}
