package io.cairn.cluster;

import io.cairn.cluster.ApplyResult.Applied;
import io.cairn.cluster.ApplyResult.Reason;
import io.cairn.cluster.ApplyResult.Rejected;
import io.cairn.cluster.ControlCommand.AbortMove;
import io.cairn.cluster.ControlCommand.BeginMove;
import io.cairn.cluster.ControlCommand.ClearRebalance;
import io.cairn.cluster.ControlCommand.Bootstrap;
import io.cairn.cluster.ControlCommand.CompleteMove;
import io.cairn.cluster.ControlCommand.Join;
import io.cairn.cluster.ControlCommand.Leave;
import io.cairn.cluster.ControlCommand.MarkDown;
import io.cairn.cluster.ControlCommand.MarkSuspect;
import io.cairn.cluster.ControlCommand.MarkUp;
import io.cairn.cluster.ControlCommand.Remove;
import io.cairn.cluster.ControlCommand.RequestRebalance;
import io.cairn.cluster.ControlCommand.SetPreferredLeader;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The cluster metadata held by the controller group: settings, nodes and, per partition, its
 * replicas (preferred leader first) and the replica move in progress. Immutable; every accepted
 * {@link ControlCommand} yields a new map whose epoch is exactly one more ({@link #apply}), so the
 * epoch only grows and names a map version: nodes cache the map and refresh it when they see a
 * newer epoch.
 *
 * <p>{@link #apply} is a pure function of the map and the command: no clock, no randomness, no
 * I/O. Every controller replica applies the same commands in log order and so holds the same map.
 *
 * <p>Invariants, checked by the constructor (so a map decoded from a snapshot or produced by a
 * transition that violates them is refused, never used):
 * <ul>
 *   <li>epoch 0 is the empty map (no settings, nodes or partitions); epoch ≥ 1 has settings and
 *       exactly {@code partitions} entries, entry {@code i} being partition {@code i}.</li>
 *   <li>Every {@code sinceEpoch}, {@code changedAtEpoch} and {@code startedAtEpoch} is ≤ the epoch.</li>
 *   <li>At most {@code max-nodes} members and {@code max-nodes} LEFT tombstones; the Raft and RESP
 *       addresses of members are distinct.</li>
 *   <li>A partition has 1..replication-factor distinct replicas, all on known nodes that may hold
 *       replicas (not JOINING, not LEFT). Fewer than the replication factor only while the cluster
 *       has had fewer nodes (a fresh bootstrap grows to it); a DOWN node stays listed until its
 *       replica has been re-created elsewhere, so a failure never shortens the list. During a
 *       move the Raft group has one member more (the destination) — the list is the one before
 *       the move, and the move names a node outside it (its destination) and one inside it (or
 *       none when growing, only allowed below the replication factor).</li>
 *   <li>At most {@code max-concurrent-moves} moves are in progress.</li>
 *   <li>{@code rebalanceRequestedAtEpoch} is 0 (no operator request pending) or the epoch of the
 *       request, ≤ the epoch; the empty map has none.</li>
 * </ul>
 */
public final class ClusterMap {
    public static final ClusterMap EMPTY = new ClusterMap(0, null, List.of(), List.of());

    private final long epoch;
    private final ClusterSettings settings;
    private final SortedMap<String, NodeInfo> nodes;
    private final List<PartitionReplicas> partitions;
    /** Derived: per node, the partitions it replicates or moves in or out of. */
    private final Map<String, Integer> involvement;
    private final int movesInProgress;
    /** The epoch of the map that recorded an operator's pending rebalance request; 0 if none. */
    private final long rebalanceRequestedAtEpoch;

    /** A map with no rebalance request pending. */
    public ClusterMap(long epoch, ClusterSettings settings, Collection<NodeInfo> nodes, List<PartitionReplicas> partitions) {
        this(epoch, settings, nodes, partitions, 0);
    }

    public ClusterMap(long epoch, ClusterSettings settings, Collection<NodeInfo> nodes, List<PartitionReplicas> partitions,
                      long rebalanceRequestedAtEpoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        if (rebalanceRequestedAtEpoch < 0 || rebalanceRequestedAtEpoch > epoch) {
            throw new IllegalArgumentException("rebalance requested at epoch " + rebalanceRequestedAtEpoch
                    + ", outside 0.." + epoch + " (the map's epoch)");
        }
        this.rebalanceRequestedAtEpoch = rebalanceRequestedAtEpoch;
        TreeMap<String, NodeInfo> byId = new TreeMap<>();
        for (NodeInfo n : nodes) {
            if (byId.put(n.id(), n) != null) {
                throw new IllegalArgumentException("node " + n.id() + " appears twice");
            }
        }
        this.epoch = epoch;
        this.settings = settings;
        this.nodes = Collections.unmodifiableSortedMap(byId);
        this.partitions = List.copyOf(partitions);
        if (epoch == 0) {
            if (settings != null || !byId.isEmpty() || !partitions.isEmpty()) {
                throw new IllegalArgumentException("the map of epoch 0 is the empty map (before bootstrap)");
            }
            this.involvement = Map.of();
            this.movesInProgress = 0;
            return;
        }
        if (settings == null) {
            throw new IllegalArgumentException("a bootstrapped map (epoch " + epoch + ") needs settings");
        }
        checkNodes(byId);
        Map<String, Integer> involved = new HashMap<>();
        this.movesInProgress = checkPartitions(byId, involved);
        this.involvement = Collections.unmodifiableMap(involved);
    }

    private void checkNodes(TreeMap<String, NodeInfo> byId) {
        int members = 0;
        int tombstones = 0;
        Set<String> raftAddresses = new HashSet<>();
        Set<String> respAddresses = new HashSet<>();
        for (NodeInfo n : byId.values()) {
            if (n.sinceEpoch() > epoch) {
                throw new IllegalArgumentException("node " + n.id() + " changed at epoch " + n.sinceEpoch()
                        + ", after the map's epoch " + epoch);
            }
            if (n.state() == NodeState.LEFT) {
                tombstones++;
                continue;
            }
            members++;
            if (!raftAddresses.add(n.spec().raftAddress())) {
                throw new IllegalArgumentException("raft address " + n.spec().raftAddress() + " is used by two nodes");
            }
            if (!respAddresses.add(n.spec().respAddress())) {
                throw new IllegalArgumentException("RESP address " + n.spec().respAddress() + " is used by two nodes");
            }
        }
        if (members > settings.maxNodes() || tombstones > settings.maxNodes()) {
            throw new IllegalArgumentException(members + " members and " + tombstones + " tombstones, at most "
                    + settings.maxNodes() + " of each (max-nodes)");
        }
    }

    private int checkPartitions(TreeMap<String, NodeInfo> byId, Map<String, Integer> involved) {
        if (partitions.size() != settings.partitions()) {
            throw new IllegalArgumentException("the map lists " + partitions.size() + " partitions, settings say "
                    + settings.partitions());
        }
        int moves = 0;
        for (int i = 0; i < partitions.size(); i++) {
            PartitionReplicas p = partitions.get(i);
            if (p.partition() != i) {
                throw new IllegalArgumentException("entry " + i + " is partition " + p.partition());
            }
            if (p.replicas().size() > settings.replicationFactor()) {
                throw new IllegalArgumentException("partition " + i + " has " + p.replicas().size()
                        + " replicas, more than the replication factor " + settings.replicationFactor());
            }
            if (p.changedAtEpoch() > epoch) {
                throw new IllegalArgumentException("partition " + i + " changed at epoch " + p.changedAtEpoch()
                        + ", after the map's epoch " + epoch);
            }
            for (String r : p.replicas()) {
                requireHolder(byId, r, "partition " + i + " replica");
                involved.merge(r, 1, Integer::sum);
            }
            ReplicaMove m = p.move();
            if (m != null) {
                moves++;
                requireHolder(byId, m.add(), "partition " + i + " move destination");
                involved.merge(m.add(), 1, Integer::sum);
                if (m.remove() == null && p.replicas().size() >= settings.replicationFactor()) {
                    throw new IllegalArgumentException("partition " + i + " grows past the replication factor "
                            + settings.replicationFactor() + " with move " + m);
                }
            }
        }
        if (moves > settings.maxConcurrentMoves()) {
            throw new IllegalArgumentException(moves + " moves in progress, at most " + settings.maxConcurrentMoves()
                    + " (max-concurrent-moves)");
        }
        return moves;
    }

    private static void requireHolder(Map<String, NodeInfo> byId, String id, String what) {
        NodeInfo n = byId.get(id);
        if (n == null) {
            throw new IllegalArgumentException(what + " " + id + " is not a known node");
        }
        if (!n.state().mayHoldReplicas()) {
            throw new IllegalArgumentException(what + " " + id + " is " + n.state() + " and may hold no replica");
        }
    }

    // ------------------------------------------------------------------ reading

    public long epoch() {
        return epoch;
    }

    public boolean isBootstrapped() {
        return epoch > 0;
    }

    /** The cluster's settings; the map must be bootstrapped. */
    public ClusterSettings settings() {
        if (settings == null) {
            throw new IllegalStateException("the cluster has not been bootstrapped");
        }
        return settings;
    }

    /** Every node, LEFT tombstones included, by id. */
    public Collection<NodeInfo> nodes() {
        return nodes.values();
    }

    public Optional<NodeInfo> node(String id) {
        return Optional.ofNullable(nodes.get(id));
    }

    public List<PartitionReplicas> partitions() {
        return partitions;
    }

    public PartitionReplicas partition(int p) {
        if (p < 0 || p >= partitions.size()) {
            throw new IllegalArgumentException("partition " + p + " out of range 0.." + (partitions.size() - 1));
        }
        return partitions.get(p);
    }

    public int movesInProgress() {
        return movesInProgress;
    }

    /**
     * The epoch at which an operator's rebalance request ({@link RequestRebalance}) was recorded,
     * or 0 if none is pending (none made, or the planner cleared it once the placement was reached).
     */
    public long rebalanceRequestedAtEpoch() {
        return rebalanceRequestedAtEpoch;
    }

    public boolean rebalanceRequested() {
        return rebalanceRequestedAtEpoch > 0;
    }

    /** Partitions whose group includes {@code node} (as a replica or a move's destination). */
    public int involvement(String node) {
        return involvement.getOrDefault(node, 0);
    }

    /** Partitions {@code node} replicates (not counting moves in progress). */
    public int replicaCount(String node) {
        int n = 0;
        for (PartitionReplicas p : partitions) {
            if (p.replicas().contains(node)) {
                n++;
            }
        }
        return n;
    }

    private boolean isLiveVoter(String node) {
        NodeInfo n = nodes.get(node);
        return n != null && n.state().isLiveVoter();
    }

    /**
     * Null if swapping {@code remove} (null: none) for {@code add} in a group whose voters are
     * {@code replicas} is safe now, otherwise why not. Safe means: the group has a live majority
     * now (else it cannot commit a membership change at all), and still has a majority of the
     * current configuration's size live after the swap (counting {@code add} once it has caught
     * up), so that losing {@code remove} never leaves it short of a quorum. Live means UP or
     * LEAVING; SUSPECT counts as not live.
     */
    public String moveSafety(List<String> replicas, String add, String remove) {
        int majority = replicas.size() / 2 + 1;
        int live = 0;
        for (String r : replicas) {
            if (isLiveVoter(r)) {
                live++;
            }
        }
        if (live < majority) {
            return "only " + live + " of its " + replicas.size() + " replicas " + replicas
                    + " are live, fewer than a majority: its group cannot commit a membership change";
        }
        int after = live - (remove != null && isLiveVoter(remove) ? 1 : 0) + (isLiveVoter(add) ? 1 : 0);
        if (after < majority) {
            return "after swapping " + remove + " for " + add + " only " + after + " replicas would be live, fewer than "
                    + majority + " (a majority of " + replicas.size() + ")";
        }
        return null;
    }

    // ------------------------------------------------------------------ transitions

    /** The map after {@code command}, or why it was refused. Deterministic: see the class comment. */
    public ApplyResult apply(ControlCommand command) {
        Objects.requireNonNull(command, "command");
        if (settings == null && !(command instanceof Bootstrap)) {
            return reject(Reason.NOT_BOOTSTRAPPED, "the cluster has not been bootstrapped yet");
        }
        return switch (command) {
            case Bootstrap c -> bootstrap(c);
            case Join c -> join(c);
            case MarkUp c -> markUp(c);
            case MarkSuspect c -> markSuspect(c);
            case MarkDown c -> markDown(c);
            case Leave c -> leave(c);
            case Remove c -> remove(c);
            case BeginMove c -> beginMove(c);
            case CompleteMove c -> completeMove(c);
            case AbortMove c -> abortMove(c);
            case SetPreferredLeader c -> setPreferredLeader(c);
            case RequestRebalance c -> new Applied(new ClusterMap(epoch + 1, settings, nodes.values(), partitions, epoch + 1));
            case ClearRebalance c -> clearRebalance(c);
        };
    }

    private static Rejected reject(Reason reason, String message) {
        return new Rejected(reason, message);
    }

    private Applied next(Map<String, NodeInfo> newNodes, List<PartitionReplicas> newPartitions) {
        return new Applied(new ClusterMap(epoch + 1, settings, newNodes.values(), newPartitions, rebalanceRequestedAtEpoch));
    }

    private ApplyResult clearRebalance(ClearRebalance c) {
        if (rebalanceRequestedAtEpoch == 0) {
            return reject(Reason.NO_CHANGE, "no rebalance request is pending");
        }
        if (c.requestedAtEpoch() != rebalanceRequestedAtEpoch) {
            return reject(Reason.STALE_EPOCH, "the pending rebalance request is of epoch " + rebalanceRequestedAtEpoch
                    + ", not " + c.requestedAtEpoch());
        }
        return new Applied(new ClusterMap(epoch + 1, settings, nodes.values(), partitions, 0));
    }

    private Applied withNode(NodeInfo node) {
        TreeMap<String, NodeInfo> n = new TreeMap<>(nodes);
        n.put(node.id(), node);
        return next(n, partitions);
    }

    private Applied withPartition(PartitionReplicas p) {
        List<PartitionReplicas> ps = new ArrayList<>(partitions);
        ps.set(p.partition(), p);
        return next(nodes, ps);
    }

    private ApplyResult bootstrap(Bootstrap c) {
        if (settings != null) {
            return reject(Reason.ALREADY_BOOTSTRAPPED, "cluster " + settings.clusterId() + " already exists (map at epoch "
                    + epoch + ")");
        }
        long e = 1;
        List<PartitionReplicas> ps = new ArrayList<>(c.settings().partitions());
        for (int p = 0; p < c.settings().partitions(); p++) {
            ps.add(new PartitionReplicas(p, List.of(c.firstNode().id()), null, e));
        }
        return new Applied(new ClusterMap(e, c.settings(), List.of(new NodeInfo(c.firstNode(), NodeState.UP, e)), ps));
    }

    private Rejected addressConflict(NodeSpec spec) {
        for (NodeInfo n : nodes.values()) {
            if (n.state() == NodeState.LEFT || n.id().equals(spec.id())) {
                continue;
            }
            if (n.spec().raftAddress().equals(spec.raftAddress()) || n.spec().respAddress().equals(spec.respAddress())) {
                return reject(Reason.ADDRESS_IN_USE, "node " + n.id() + " (" + n.state() + ") already uses raft "
                        + n.spec().raftAddress() + " / RESP " + n.spec().respAddress());
            }
        }
        return null;
    }

    private ApplyResult join(Join c) {
        NodeSpec spec = c.node();
        NodeInfo existing = nodes.get(spec.id());
        Rejected conflict = addressConflict(spec);
        if (existing != null && existing.state() != NodeState.LEFT) {
            switch (existing.state()) {
                case JOINING -> {
                    // Not yet confirmed alive and holding nothing: a retried join may correct its addresses.
                    if (existing.spec().equals(spec)) {
                        return reject(Reason.NO_CHANGE, "node " + spec.id() + " is already JOINING with these addresses");
                    }
                    return conflict != null ? conflict : withNode(new NodeInfo(spec, NodeState.JOINING, epoch + 1));
                }
                case DOWN -> {
                    // A restarted node announcing itself (perhaps at new addresses); it becomes UP when heard.
                    return conflict != null ? conflict : withNode(new NodeInfo(spec, NodeState.DOWN, epoch + 1));
                }
                default -> {
                    return reject(Reason.NODE_EXISTS, "node " + spec.id() + " is already a member (" + existing.state()
                            + " since epoch " + existing.sinceEpoch() + ")");
                }
            }
        }
        if (conflict != null) {
            return conflict;
        }
        long members = nodes.values().stream().filter(n -> n.state() != NodeState.LEFT).count();
        if (members >= settings.maxNodes()) {
            return reject(Reason.NODE_LIMIT, "the cluster has " + members + " members, the most max-nodes allows");
        }
        return withNode(new NodeInfo(spec, NodeState.JOINING, epoch + 1));
    }

    /** Null if an observation made in the map of {@code observedAtEpoch} still describes {@code node}. */
    private Rejected staleObservation(NodeInfo node, long observedAtEpoch) {
        if (observedAtEpoch > epoch) {
            return reject(Reason.STALE_EPOCH, "observation at epoch " + observedAtEpoch + " is ahead of the map (epoch "
                    + epoch + ")");
        }
        if (node.sinceEpoch() > observedAtEpoch) {
            return reject(Reason.STALE_EPOCH, "node " + node.id() + " became " + node.state() + " at epoch "
                    + node.sinceEpoch() + ", after the observation at epoch " + observedAtEpoch);
        }
        return null;
    }

    private ApplyResult markUp(MarkUp c) {
        NodeInfo n = nodes.get(c.node());
        if (n == null) {
            return reject(Reason.UNKNOWN_NODE, "no node " + c.node());
        }
        switch (n.state()) {
            case UP -> {
                return reject(Reason.NO_CHANGE, "node " + n.id() + " is already UP");
            }
            case LEAVING, LEFT -> {
                return reject(Reason.WRONG_STATE, "node " + n.id() + " is " + n.state() + " and cannot be marked UP");
            }
            default -> {
                Rejected stale = staleObservation(n, c.observedAtEpoch());
                return stale != null ? stale : withNode(n.with(NodeState.UP, epoch + 1));
            }
        }
    }

    private ApplyResult markSuspect(MarkSuspect c) {
        NodeInfo n = nodes.get(c.node());
        if (n == null) {
            return reject(Reason.UNKNOWN_NODE, "no node " + c.node());
        }
        if (n.state() == NodeState.SUSPECT) {
            return reject(Reason.NO_CHANGE, "node " + n.id() + " is already SUSPECT");
        }
        if (n.state() != NodeState.UP) {
            return reject(Reason.WRONG_STATE, "only an UP node can become SUSPECT; " + n.id() + " is " + n.state());
        }
        Rejected stale = staleObservation(n, c.observedAtEpoch());
        return stale != null ? stale : withNode(n.with(NodeState.SUSPECT, epoch + 1));
    }

    private ApplyResult markDown(MarkDown c) {
        NodeInfo n = nodes.get(c.node());
        if (n == null) {
            return reject(Reason.UNKNOWN_NODE, "no node " + c.node());
        }
        if (n.state() == NodeState.DOWN) {
            return reject(Reason.NO_CHANGE, "node " + n.id() + " is already DOWN");
        }
        if (n.state() == NodeState.LEFT) {
            return reject(Reason.WRONG_STATE, "node " + n.id() + " has left");
        }
        Rejected stale = staleObservation(n, c.observedAtEpoch());
        return stale != null ? stale : withNode(n.with(NodeState.DOWN, epoch + 1));
    }

    private ApplyResult leave(Leave c) {
        NodeInfo n = nodes.get(c.node());
        if (n == null) {
            return reject(Reason.UNKNOWN_NODE, "no node " + c.node());
        }
        if (n.state() == NodeState.LEAVING) {
            return reject(Reason.NO_CHANGE, "node " + n.id() + " is already LEAVING");
        }
        if (n.state() == NodeState.LEFT) {
            return reject(Reason.WRONG_STATE, "node " + n.id() + " has already left");
        }
        if (involvement(n.id()) > 0) {
            long others = nodes.values().stream()
                    .filter(o -> o.state().isOnRing() && !o.id().equals(n.id())).count();
            if (others < settings.replicationFactor()) {
                return reject(Reason.TOO_FEW_NODES, "node " + n.id() + " holds " + involvement(n.id())
                        + " replicas and only " + others + " other nodes are up, fewer than the replication factor "
                        + settings.replicationFactor() + ": add a node first");
            }
        }
        return withNode(n.with(NodeState.LEAVING, epoch + 1));
    }

    private ApplyResult remove(Remove c) {
        NodeInfo n = nodes.get(c.node());
        if (n == null) {
            return reject(Reason.UNKNOWN_NODE, "no node " + c.node());
        }
        if (n.state() == NodeState.LEFT) {
            return reject(Reason.NO_CHANGE, "node " + n.id() + " has already left");
        }
        if (n.state() != NodeState.LEAVING && n.state() != NodeState.DOWN) {
            return reject(Reason.WRONG_STATE, "node " + n.id() + " is " + n.state()
                    + "; only a LEAVING or DOWN node can be removed (leave first)");
        }
        if (involvement(n.id()) > 0) {
            return reject(Reason.HOLDS_REPLICAS, "node " + n.id() + " still takes part in " + involvement(n.id())
                    + " partitions; it is removed once they have moved away");
        }
        TreeMap<String, NodeInfo> ns = new TreeMap<>(nodes);
        ns.put(n.id(), n.with(NodeState.LEFT, epoch + 1));
        // Bounded tombstones: forget the oldest beyond max-nodes (a process that old is told it is unknown instead).
        List<NodeInfo> tombstones = new ArrayList<>(ns.values().stream().filter(x -> x.state() == NodeState.LEFT).toList());
        tombstones.sort((a, b) -> a.sinceEpoch() != b.sinceEpoch() ? Long.compare(a.sinceEpoch(), b.sinceEpoch())
                : a.id().compareTo(b.id()));
        for (int i = 0; i < tombstones.size() - settings.maxNodes(); i++) {
            ns.remove(tombstones.get(i).id());
        }
        return next(ns, partitions);
    }

    private Rejected unknownPartition(int p) {
        return p < 0 || p >= partitions.size()
                ? reject(Reason.UNKNOWN_PARTITION, "partition " + p + " out of range 0.." + (partitions.size() - 1)) : null;
    }

    private ApplyResult beginMove(BeginMove c) {
        Rejected bad = unknownPartition(c.partition());
        if (bad != null) {
            return bad;
        }
        PartitionReplicas part = partitions.get(c.partition());
        NodeInfo add = nodes.get(c.add());
        NodeInfo remove = c.remove() == null ? null : nodes.get(c.remove());
        if (add == null || add.state() == NodeState.LEFT) {
            return reject(Reason.UNKNOWN_NODE, "no node " + c.add() + " to move partition " + c.partition() + " to");
        }
        if (c.remove() != null && remove == null) {
            return reject(Reason.UNKNOWN_NODE, "no node " + c.remove() + " to move partition " + c.partition() + " from");
        }
        if (c.expectedEpoch() > epoch) {
            return reject(Reason.STALE_EPOCH, "move planned at epoch " + c.expectedEpoch() + ", ahead of the map (epoch "
                    + epoch + ")");
        }
        long changed = Math.max(part.changedAtEpoch(), Math.max(add.sinceEpoch(), remove == null ? 0 : remove.sinceEpoch()));
        if (changed > c.expectedEpoch()) {
            return reject(Reason.STALE_EPOCH, "partition " + c.partition() + " or its nodes changed at epoch " + changed
                    + ", after the plan's epoch " + c.expectedEpoch());
        }
        if (part.move() != null) {
            return reject(Reason.MOVE_IN_PROGRESS, "partition " + c.partition() + " is already moving " + part.move());
        }
        if (add.state() != NodeState.UP) {
            return reject(Reason.WRONG_STATE, "node " + add.id() + " is " + add.state() + "; replicas move only to UP nodes");
        }
        if (part.replicas().contains(add.id())) {
            return reject(Reason.INVALID_MOVE, "node " + add.id() + " already replicates partition " + c.partition());
        }
        if (remove == null && part.replicas().size() >= settings.replicationFactor()) {
            return reject(Reason.INVALID_MOVE, "partition " + c.partition() + " already has " + part.replicas().size()
                    + " replicas: a move must name one to remove");
        }
        if (remove != null && !part.replicas().contains(remove.id())) {
            return reject(Reason.INVALID_MOVE, "node " + remove.id() + " does not replicate partition " + c.partition());
        }
        if (movesInProgress >= settings.maxConcurrentMoves()) {
            return reject(Reason.MOVE_LIMIT, movesInProgress + " moves are in progress, the most max-concurrent-moves allows");
        }
        String unsafe = moveSafety(part.replicas(), add.id(), c.remove());
        if (unsafe != null) {
            return reject(Reason.UNSAFE_MOVE, "partition " + c.partition() + ": " + unsafe);
        }
        long e = epoch + 1;
        return withPartition(new PartitionReplicas(c.partition(), part.replicas(), new ReplicaMove(add.id(), c.remove(), e), e));
    }

    private Rejected noSuchMove(int p, String add, String remove, long startedAt) {
        Rejected bad = unknownPartition(p);
        if (bad != null) {
            return bad;
        }
        ReplicaMove m = partitions.get(p).move();
        if (m == null || !m.add().equals(add) || !Objects.equals(m.remove(), remove) || m.startedAtEpoch() != startedAt) {
            return reject(Reason.NO_SUCH_MOVE, "partition " + p + " is " + (m == null ? "not moving" : "moving " + m)
                    + ", not +" + add + (remove == null ? "" : " -" + remove) + " @" + startedAt);
        }
        return null;
    }

    private ApplyResult completeMove(CompleteMove c) {
        Rejected bad = noSuchMove(c.partition(), c.add(), c.remove(), c.startedAtEpoch());
        if (bad != null) {
            return bad;
        }
        PartitionReplicas part = partitions.get(c.partition());
        return withPartition(new PartitionReplicas(c.partition(), part.replicasAfterMove(), null, epoch + 1));
    }

    private ApplyResult abortMove(AbortMove c) {
        Rejected bad = noSuchMove(c.partition(), c.add(), c.remove(), c.startedAtEpoch());
        if (bad != null) {
            return bad;
        }
        PartitionReplicas part = partitions.get(c.partition());
        return withPartition(new PartitionReplicas(c.partition(), part.replicas(), null, epoch + 1));
    }

    private ApplyResult setPreferredLeader(SetPreferredLeader c) {
        Rejected bad = unknownPartition(c.partition());
        if (bad != null) {
            return bad;
        }
        PartitionReplicas part = partitions.get(c.partition());
        if (c.expectedEpoch() > epoch || part.changedAtEpoch() > c.expectedEpoch()) {
            return reject(Reason.STALE_EPOCH, "partition " + c.partition() + " changed at epoch " + part.changedAtEpoch()
                    + "; the request was based on epoch " + c.expectedEpoch() + " (map at " + epoch + ")");
        }
        if (!part.replicas().contains(c.node())) {
            return reject(Reason.NOT_A_REPLICA, "node " + c.node() + " does not replicate partition " + c.partition()
                    + " " + part.replicas());
        }
        if (part.preferredLeader().equals(c.node())) {
            return reject(Reason.NO_CHANGE, "node " + c.node() + " is already partition " + c.partition() + "'s preferred leader");
        }
        List<String> rs = new ArrayList<>(part.replicas().size());
        rs.add(c.node());
        for (String r : part.replicas()) {
            if (!r.equals(c.node())) {
                rs.add(r);
            }
        }
        return withPartition(new PartitionReplicas(c.partition(), rs, part.move(), epoch + 1));
    }

    // ------------------------------------------------------------------ identity

    @Override
    public boolean equals(Object o) {
        return o instanceof ClusterMap m && epoch == m.epoch && Objects.equals(settings, m.settings)
                && nodes.equals(m.nodes) && partitions.equals(m.partitions)
                && rebalanceRequestedAtEpoch == m.rebalanceRequestedAtEpoch;
    }

    @Override
    public int hashCode() {
        return Objects.hash(epoch, settings, nodes, partitions, rebalanceRequestedAtEpoch);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("ClusterMap{epoch=").append(epoch);
        if (settings != null) {
            b.append(", cluster=").append(settings.clusterId()).append(", nodes=[");
            String sep = "";
            for (NodeInfo n : nodes.values()) {
                b.append(sep).append(n.id()).append(' ').append(n.state());
                sep = ", ";
            }
            b.append("], partitions=").append(partitions.size()).append(", moves=").append(movesInProgress);
            if (rebalanceRequestedAtEpoch > 0) {
                b.append(", rebalance requested at ").append(rebalanceRequestedAtEpoch);
            }
        }
        return b.append('}').toString();
    }
}
