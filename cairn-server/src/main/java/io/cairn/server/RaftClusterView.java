package io.cairn.server;

import io.cairn.cluster.Peer;
import io.cairn.cluster.Placement;
import io.cairn.raft.RaftNode;
import io.cairn.resp.ClusterView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * CLUSTER NODES/SLOTS/SHARDS for a replicated cluster. Every node serves every slot (it forwards
 * to the partition's Raft leader), but cluster-aware clients do best sending each key straight to
 * its leader, so each node is reported as the primary of the slots of the partitions it currently
 * leads (the placement's preferred leader while a partition has none). Replicas are not listed
 * as Redis replicas: a Cairn node leads some partitions and follows others, which Redis's
 * one-role-per-node model cannot express.
 */
final class RaftClusterView implements ClusterView {
    private final RaftNode raft;
    private final Placement placement;
    private final List<Peer> peers;
    private final String selfName;
    private final IntSupplier selfRespPort;
    private final Function<String, String> idOfName;
    private final int partitions;

    RaftClusterView(RaftNode raft, Placement placement, List<Peer> peers, String selfName, IntSupplier selfRespPort,
                    Function<String, String> idOfName) {
        this.raft = raft;
        this.placement = placement;
        this.peers = List.copyOf(peers);
        this.selfName = selfName;
        this.selfRespPort = selfRespPort;
        this.idOfName = idOfName;
        this.partitions = placement.partitions();
    }

    @Override
    public String myId() {
        return idOfName.apply(selfName);
    }

    /** The partition's leader as this node knows it, else its preferred leader. */
    String leaderOf(int partition) {
        String leader = raft.leaderOf(partition);
        return leader != null ? leader : placement.replicas(partition).get(0);
    }

    @Override
    public List<Node> nodes() {
        Map<String, List<SlotRange>> slots = new LinkedHashMap<>();
        peers.forEach(p -> slots.put(p.name(), new ArrayList<>()));
        for (int p = 0; p < partitions; p++) {
            List<SlotRange> ranges = slots.get(leaderOf(p));
            if (ranges != null) {
                SlotRange r = slotsOf(p, partitions);
                // Adjacent partitions with one leader merge into one range, as Redis prints them.
                if (!ranges.isEmpty() && ranges.get(ranges.size() - 1).end() + 1 == r.start()) {
                    r = new SlotRange(ranges.remove(ranges.size() - 1).start(), r.end());
                }
                ranges.add(r);
            }
        }
        List<Node> out = new ArrayList<>();
        for (Peer p : peers) {
            int port = p.name().equals(selfName) ? selfRespPort.getAsInt() : p.respPort();
            out.add(new Node(idOfName.apply(p.name()), p.host(), port, p.raftPort(), true, null, 0, true,
                    slots.get(p.name())));
        }
        return out;
    }

    /** The contiguous slots of a partition under {@code SlotHash.partitionOfSlot}: {@code slot * P / 16384 == p}. */
    static SlotRange slotsOf(int partition, int partitions) {
        return new SlotRange(io.cairn.storage.SlotHash.firstSlotOf(partition, partitions),
                io.cairn.storage.SlotHash.lastSlotOf(partition, partitions));
    }

    @Override
    public long currentEpoch() {
        return 0;
    }
}
