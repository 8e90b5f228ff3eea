package io.cairn.cluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides, from a cluster map alone, where replicas should be and which changes to propose next.
 * Deterministic: the same map always yields the same plan, so a new controller leader picks up
 * where the old one stopped.
 *
 * <p><b>Target.</b> The ring placement ({@link Placement}) over the nodes on the ring (UP and
 * SUSPECT: a suspicion alone does not reshuffle replicas; DOWN, LEAVING, JOINING and LEFT nodes
 * are off it), with the cluster's {@code vnodes-per-node}, spreading replicas over distinct zones
 * when nodes declare them. Each partition gets {@code min(replication-factor, nodes on the ring)}
 * replicas, the first being the preferred leader.
 *
 * <p><b>Moves.</b> One replica swap per move (add one, remove one; add only while a partition is
 * below the replication factor), at most one per partition and at most {@code max-concurrent-moves}
 * in flight in the cluster, counting those already in the map. Priority: partitions with a
 * replica on a DOWN node first (restore redundancy), then those below the replication factor,
 * then those draining a LEAVING node, then rebalancing; within a class, by partition number. The
 * replica removed is, in that order, one on a DOWN node, one on a LEAVING node, any other outside
 * the target (the last in list order, sparing the preferred leader). The replica added is the
 * first node of the target not yet a replica, and only if it is UP. A move that would leave the
 * partition without a live majority ({@link ClusterMap#moveSafety}) is not proposed. The list of a
 * partition never shrinks: with fewer nodes on the ring than the replication factor, a replica on
 * a DOWN node stays until there is somewhere to re-create it.
 *
 * <p><b>Rebalancing on request.</b> With {@code autoRebalance} off ({@code cluster.rebalance.auto}
 * false) the planner still restores replication (replaces replicas on DOWN nodes, grows partitions
 * below the replication factor, drains LEAVING nodes) and sets preferred leaders, but proposes
 * the moves of the rebalance class only while an operator's request is recorded in the map
 * ({@link ClusterMap#rebalanceRequested}). Once the placement is reached (no move in progress,
 * {@link #distance} 0) it proposes {@link ControlCommand.ClearRebalance} for a pending request,
 * whichever the mode (with it on, a request only makes the planner run at once).
 *
 * <p><b>Other proposals.</b> Abort a move whose destination went DOWN or LEAVING; remove a
 * LEAVING node that no longer takes part in any partition (completing {@code cairn leave}); and
 * make the target's first replica the preferred leader once the partition's replicas equal the
 * target (or, sooner, move the preference off a replica that is not UP).
 *
 * <p><b>Convergence.</b> Every move puts one target node in place of a non-target one (or adds a
 * missing target node), so the number of replicas differing from the target strictly decreases
 * and, moves applied one after another, the map reaches the target in exactly that many moves —
 * the minimum for the ring's target. How close the ring's target itself is to the ideal
 * ({@code RF × partitions / nodes} replicas moved when a node joins) is what
 * {@code vnodes-per-node} trades against ring size; see {@code VnodeMeasurementTest}.
 */
public final class Planner {
    private record RingKey(Map<String, String> zones, int partitions, int replicationFactor, int vnodes) {
    }

    // The last target computed: the ring is rebuilt only when the nodes on it change.
    private RingKey cachedKey;
    private Map<Integer, List<String>> cachedTarget;
    private final boolean autoRebalance;

    /** A planner that rebalances whenever the placement changes ({@code cluster.rebalance.auto} true). */
    public Planner() {
        this(true);
    }

    /** @param autoRebalance false: balance moves only while an operator's rebalance request is pending */
    public Planner(boolean autoRebalance) {
        this.autoRebalance = autoRebalance;
    }

    public boolean autoRebalance() {
        return autoRebalance;
    }

    /**
     * Per partition, the target replicas (preferred leader first); empty lists if no node is on
     * the ring.
     */
    public synchronized Map<Integer, List<String>> target(ClusterMap map) {
        ClusterSettings s = map.settings();
        Map<String, String> zones = new LinkedHashMap<>();
        for (NodeInfo n : map.nodes()) {
            if (n.state().isOnRing()) {
                zones.put(n.id(), n.placementZone());
            }
        }
        RingKey key = new RingKey(Map.copyOf(zones), s.partitions(), s.replicationFactor(), s.vnodesPerNode());
        if (!key.equals(cachedKey)) {
            Map<Integer, List<String>> t = new LinkedHashMap<>();
            if (zones.isEmpty()) {
                for (int p = 0; p < s.partitions(); p++) {
                    t.put(p, List.of());
                }
            } else {
                t.putAll(Placement.compute(zones, s.partitions(), Math.min(s.replicationFactor(), zones.size()),
                        s.vnodesPerNode()).asMap());
            }
            cachedTarget = java.util.Collections.unmodifiableMap(t);
            cachedKey = key;
        }
        return cachedTarget;
    }

    /**
     * The commands to propose now, each based on {@code map}'s epoch: aborts, removals of drained
     * nodes, preferred-leader changes, then moves. Each one's compare-and-set covers only its own
     * partition and nodes, so they may be proposed together, in this order; one refused as stale
     * (the map moved on meanwhile) is simply planned again from the newer map.
     */
    public List<ControlCommand> plan(ClusterMap map) {
        if (!map.isBootstrapped()) {
            return List.of();
        }
        Map<Integer, List<String>> target = target(map);
        long epoch = map.epoch();
        List<ControlCommand> out = new ArrayList<>();
        int moving = map.movesInProgress();

        for (PartitionReplicas p : map.partitions()) {
            ReplicaMove m = p.move();
            if (m != null && map.node(m.add()).map(n -> n.state() == NodeState.DOWN || n.state() == NodeState.LEAVING)
                    .orElse(true)) {
                out.add(new ControlCommand.AbortMove(p.partition(), m.add(), m.remove(), m.startedAtEpoch()));
                moving--;
            }
        }
        for (NodeInfo n : map.nodes()) {
            if (n.state() == NodeState.LEAVING && map.involvement(n.id()) == 0) {
                out.add(new ControlCommand.Remove(n.id()));
            }
        }
        for (PartitionReplicas p : map.partitions()) {
            String leader = desiredLeader(map, p, target.get(p.partition()));
            if (leader != null) {
                out.add(new ControlCommand.SetPreferredLeader(p.partition(), leader, epoch));
            }
        }
        if (map.rebalanceRequested() && map.movesInProgress() == 0 && distance(map) == 0) {
            out.add(new ControlCommand.ClearRebalance(map.rebalanceRequestedAtEpoch()));
        }
        boolean balance = autoRebalance || map.rebalanceRequested();
        int budget = map.settings().maxConcurrentMoves() - moving;
        if (budget > 0) {
            List<Candidate> candidates = new ArrayList<>();
            for (PartitionReplicas p : map.partitions()) {
                Candidate c = nextMove(map, p, target.get(p.partition()));
                if (c != null && (balance || c.priority() != PRIORITY_REBALANCE)) {
                    candidates.add(c);
                }
            }
            candidates.sort(Comparator.comparingInt(Candidate::priority).thenComparingInt(Candidate::partition));
            for (int i = 0; i < Math.min(budget, candidates.size()); i++) {
                Candidate c = candidates.get(i);
                out.add(new ControlCommand.BeginMove(c.partition, c.add, c.remove, epoch));
            }
        }
        return out;
    }

    /** Moves that restore a replica lost on a DOWN node come first; rebalancing last. */
    static final int PRIORITY_DOWN = 0;
    static final int PRIORITY_GROW = 1;
    static final int PRIORITY_DRAIN = 2;
    static final int PRIORITY_REBALANCE = 3;

    record Candidate(int partition, String add, String remove, int priority) {
    }

    /** The next swap for {@code p} toward {@code target}, or null (none needed, none possible now, or a move is in progress). */
    static Candidate nextMove(ClusterMap map, PartitionReplicas p, List<String> target) {
        if (p.move() != null || target.isEmpty()) {
            return null;
        }
        List<String> current = p.replicas();
        String add = null;
        for (String t : target) {
            if (!current.contains(t) && state(map, t) == NodeState.UP) {
                add = t;
                break;
            }
        }
        if (add == null) {
            return null;
        }
        String remove = null;
        int priority;
        boolean hasDown = current.stream().anyMatch(r -> state(map, r) == NodeState.DOWN);
        if (current.size() < target.size()) {
            priority = hasDown ? PRIORITY_DOWN : PRIORITY_GROW;
        } else {
            remove = pickRemoval(map, current, target);
            if (remove == null) {
                // Every replica is in the target and the list is full: nothing to swap.
                return null;
            }
            NodeState removed = state(map, remove);
            priority = hasDown ? PRIORITY_DOWN : removed == NodeState.LEAVING ? PRIORITY_DRAIN : PRIORITY_REBALANCE;
        }
        if (map.moveSafety(current, add, remove) != null) {
            return null;
        }
        return new Candidate(p.partition(), add, remove, priority);
    }

    private static String pickRemoval(ClusterMap map, List<String> current, List<String> target) {
        String down = null;
        String leaving = null;
        String other = null;
        for (String r : current) {
            if (target.contains(r)) {
                continue;
            }
            switch (state(map, r)) {
                case DOWN -> down = down == null ? r : down;
                case LEAVING -> leaving = leaving == null ? r : leaving;
                // The last outside the target: spares the preferred leader (first) when there is a choice.
                default -> other = r;
            }
        }
        return down != null ? down : leaving != null ? leaving : other;
    }

    /**
     * The preferred leader to set for {@code p}, or null to leave it. Only when no move is in
     * progress: while the current one is not UP, the first UP replica in target order (else in
     * list order); once the replicas equal the target, the target's first if it is UP.
     */
    static String desiredLeader(ClusterMap map, PartitionReplicas p, List<String> target) {
        if (p.move() != null) {
            return null;
        }
        List<String> current = p.replicas();
        String leader = current.get(0);
        if (state(map, leader) != NodeState.UP) {
            for (String t : target) {
                if (current.contains(t) && state(map, t) == NodeState.UP) {
                    return t;
                }
            }
            for (String r : current) {
                if (state(map, r) == NodeState.UP) {
                    return r;
                }
            }
            return null;
        }
        if (!target.isEmpty() && current.size() == target.size() && current.containsAll(target)
                && !leader.equals(target.get(0)) && state(map, target.get(0)) == NodeState.UP) {
            return target.get(0);
        }
        return null;
    }

    private static NodeState state(ClusterMap map, String node) {
        return map.node(node).map(NodeInfo::state).orElse(NodeState.LEFT);
    }

    /**
     * Replicas not where the target wants them: over all partitions, the target nodes missing
     * from the replica list (a move in progress counts as done). Zero once converged; each move
     * lowers it by one.
     */
    public int distance(ClusterMap map) {
        if (!map.isBootstrapped()) {
            return 0;
        }
        Map<Integer, List<String>> target = target(map);
        int d = 0;
        for (PartitionReplicas p : map.partitions()) {
            List<String> after = p.replicasAfterMove();
            for (String t : target.get(p.partition())) {
                if (!after.contains(t)) {
                    d++;
                }
            }
        }
        return d;
    }
}
