package io.cairn.server;

import io.cairn.cluster.Peer;
import io.cairn.cluster.Placement;
import io.cairn.raft.RaftNode;
import io.cairn.resp.ClusterView;
import io.cairn.storage.SlotHash;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * The CLUSTER commands' and redirect mode's view of a replicated cluster, read from the Raft node
 * each time it is asked (no cache to go stale): a partition's slots are served by the node that
 * leads the partition's Raft group as this node knows it ({@link RaftNode#leaderOf}), its other
 * replicas are listed as replicas (CLUSTER SLOTS, SHARDS). While a partition has no known leader,
 * the CLUSTER commands name its preferred leader (the placement's first replica) and redirect mode
 * waits for one. What this node knows of a leader comes from its own replica of the partition
 * (Ratis learns of a new leader from its first heartbeat) or, for a partition it holds no copy
 * of, from its Raft client's last answer.
 *
 * <p>Cost: {@link #route} is one leader lookup and runs once per command in redirect mode;
 * {@link #partitions} and {@link #nodes} are one per partition (CLUSTER SLOTS and friends).
 */
final class RaftClusterView implements ClusterView {
    /**
     * Who the members are and where each partition's replicas belong: fixed for static membership
     * ({@code peers}), the controller's current map for elastic membership.
     */
    interface Membership {
        /** One member: where clients reach it, and whether it is believed alive. */
        record Member(String name, String host, int respPort, int busPort, boolean healthy) {}

        List<Member> members();

        /** The partition's replicas, preferred leader first. */
        List<String> preferredReplicas(int partition);

        long epoch();

        /** Static membership: the same peers and placement on every node, epoch 0. */
        static Membership fixed(List<Peer> peers, Placement placement) {
            List<Member> members = peers.stream()
                    .map(p -> new Member(p.name(), p.host(), p.respPort(), p.raftPort(), true)).toList();
            return new Membership() {
                @Override
                public List<Member> members() {
                    return members;
                }

                @Override
                public List<String> preferredReplicas(int partition) {
                    return placement.replicas(partition);
                }

                @Override
                public long epoch() {
                    return 0;
                }
            };
        }
    }

    private final RaftNode raft;
    private final Membership membership;
    private final Map<String, String> idByName = new java.util.concurrent.ConcurrentHashMap<>();
    private final Function<String, String> idOfName;
    private final String selfName;
    private final IntSupplier selfRespPort;
    private final int partitions;

    RaftClusterView(RaftNode raft, Membership membership, String selfName, IntSupplier selfRespPort,
                    Function<String, String> idOfName) {
        this.raft = raft;
        this.membership = membership;
        this.selfName = selfName;
        this.selfRespPort = selfRespPort;
        this.idOfName = idOfName;
        this.partitions = raft.partitions();
    }

    private String id(String name) {
        return idByName.computeIfAbsent(name, idOfName);
    }

    private Membership.Member member(String name) {
        for (Membership.Member m : membership.members()) {
            if (m.name().equals(name)) {
                return m;
            }
        }
        return null;
    }

    @Override
    public String myId() {
        return id(selfName);
    }

    @Override
    public int partitionOfSlot(int slot) {
        return SlotHash.partitionOfSlot(slot, partitions);
    }

    @Override
    public Route route(int slot) {
        int p = partitionOfSlot(slot);
        String leader = raft.leaderOf(p);
        boolean hosted = raft.hosts(p);
        Endpoint endpoint = leader == null ? null : endpoint(leader);
        return new Route(p, endpoint, hosted && endpoint != null && leader.equals(selfName), hosted);
    }

    /** Where clients reach node {@code name}; null for a name not among the peers. */
    private Endpoint endpoint(String name) {
        Membership.Member m = member(name);
        if (m == null) {
            return null;
        }
        int port = name.equals(selfName) ? selfRespPort.getAsInt() : m.respPort();
        return new Endpoint(id(name), m.host(), port);
    }

    @Override
    public List<Partition> partitions() {
        List<Partition> out = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            String leader = raft.leaderOf(p);
            String leaderId = leader == null ? null : id(leader);
            List<String> ids = new ArrayList<>();
            for (String name : replicaNames(p)) {
                ids.add(id(name));
            }
            if (leaderId != null && !ids.contains(leaderId)) {
                ids.add(0, leaderId);
            }
            out.add(new Partition(p, slotsOf(p, partitions), leaderId, ids, raft.hosts(p)));
        }
        return out;
    }

    /**
     * The partition's replicas as its Raft group lists them, in placement order (the preferred
     * leader first); the placement's list if this node has no handle on the group.
     */
    private List<String> replicaNames(int partition) {
        List<String> preferred = membership.preferredReplicas(partition);
        List<String> names = new ArrayList<>();
        try {
            raft.replicas(partition).forEach(peer -> names.add(peer.getId().toString()));
        } catch (IllegalStateException noGroupHere) {
            return preferred;
        }
        names.sort(Comparator.comparingInt(n -> preferred.contains(n) ? preferred.indexOf(n) : Integer.MAX_VALUE));
        return names;
    }

    /** This node's replica's key count (what the partition's DBSIZE reads on a replica). */
    @Override
    public long localKeyCount(int partition) {
        if (!raft.hosts(partition)) {
            return -1;
        }
        return raft.executor().engine().stats(partition).keys();
    }

    @Override
    public List<Node> nodes() {
        List<Partition> parts = partitions();
        List<Node> out = new ArrayList<>();
        long epoch = membership.epoch();
        for (Membership.Member m : membership.members()) {
            String id = id(m.name());
            int port = m.name().equals(selfName) ? selfRespPort.getAsInt() : m.respPort();
            out.add(new Node(id, m.host(), port, m.busPort(), true, null, epoch, m.healthy(),
                    ClusterView.slotsLedBy(id, parts)));
        }
        return out;
    }

    /** The contiguous slots of a partition under {@code SlotHash.partitionOfSlot}: {@code slot * P / 16384 == p}. */
    static SlotRange slotsOf(int partition, int partitions) {
        return new SlotRange(SlotHash.firstSlotOf(partition, partitions), SlotHash.lastSlotOf(partition, partitions));
    }

    @Override
    public long currentEpoch() {
        return membership.epoch();
    }
}
