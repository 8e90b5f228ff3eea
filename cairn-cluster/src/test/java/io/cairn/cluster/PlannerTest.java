package io.cairn.cluster;

import static io.cairn.cluster.Maps.cluster;
import static io.cairn.cluster.Maps.joinUp;
import static io.cairn.cluster.Maps.ok;
import static io.cairn.cluster.Maps.settle;
import static io.cairn.cluster.Maps.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlannerTest {
    private final Planner planner = new Planner();

    private static List<ControlCommand.BeginMove> begins(List<ControlCommand> plan) {
        return plan.stream().filter(c -> c instanceof ControlCommand.BeginMove).map(c -> (ControlCommand.BeginMove) c).toList();
    }

    /** A settled cluster of {@code n} UP nodes. */
    private ClusterMap settled(ClusterSettings s, int n) {
        return settle(cluster(s, n), planner, 10_000).map();
    }

    private void assertAtTarget(ClusterMap m) {
        Map<Integer, List<String>> target = planner.target(m);
        for (PartitionReplicas p : m.partitions()) {
            // Converged: the target's replicas with its preferred leader first (the order after it carries no meaning).
            List<String> t = target.get(p.partition());
            assertEquals(Set.copyOf(t), Set.copyOf(p.replicas()), "partition " + p.partition());
            assertEquals(t.get(0), p.preferredLeader(), "partition " + p.partition());
            assertNull(p.move());
        }
        assertEquals(0, planner.distance(m));
    }

    @Test
    void withoutAutoRebalanceAJoinerGetsNothingUntilAnOperatorAsks() {
        Planner manual = new Planner(false);
        ClusterMap three = settled(Maps.settings(32, 3, 128, 4), 3);
        ClusterMap m = joinUp(three, spec("n4"));
        int distance = planner.distance(m);
        assertTrue(distance > 0, "the ring gives n4 replicas");
        assertEquals(List.of(), begins(manual.plan(m)), "no balance move without a request");
        Maps.Settled idle = settle(m, manual, 100);
        assertEquals(0, idle.movesBegun());
        assertEquals(0, idle.map().replicaCount("n4"));

        m = ok(idle.map(), new ControlCommand.RequestRebalance());
        Maps.Settled s = settle(m, manual, 1000);
        assertEquals(distance, s.movesBegun(), "the requested rebalance makes exactly the balance moves");
        assertAtTarget(s.map());
        assertFalse(s.map().rebalanceRequested(), "the planner cleared the request once the placement was reached");
    }

    @Test
    void withoutAutoRebalanceReplicationIsStillRestoredAndNodesStillDrain() {
        Planner manual = new Planner(false);
        // Growth to the replication factor is not balancing.
        Maps.Settled grown = settle(cluster(Maps.settings(16, 3, 64, 4), 3), manual, 1000);
        for (PartitionReplicas p : grown.map().partitions()) {
            assertEquals(3, p.replicas().size(), "partition " + p.partition());
        }
        // A DOWN node's replicas are re-created elsewhere.
        ClusterMap four = settled(Maps.settings(32, 3, 128, 4), 4);
        ClusterMap down = ok(four, new ControlCommand.MarkDown("n4", four.epoch()));
        List<ControlCommand.BeginMove> replace = begins(manual.plan(down));
        assertFalse(replace.isEmpty());
        assertTrue(replace.stream().allMatch(b -> "n4".equals(b.remove())), replace.toString());
        Maps.Settled restored = settle(down, manual, 1000);
        assertEquals(0, restored.map().replicaCount("n4"));
        // A LEAVING node is drained and removed.
        ClusterMap leaving = ok(four, new ControlCommand.Leave("n2"));
        Maps.Settled drained = settle(leaving, manual, 1000);
        assertEquals(NodeState.LEFT, drained.map().node("n2").orElseThrow().state());
    }

    @Test
    void aRequestWithAutoRebalanceOnIsClearedAtOnceWhenThePlacementIsReached() {
        ClusterMap m = ok(settled(Maps.settings(16, 3), 3), new ControlCommand.RequestRebalance());
        assertEquals(List.of(new ControlCommand.ClearRebalance(m.epoch())), planner.plan(m));
        ClusterMap cleared = ok(m, planner.plan(m).get(0));
        assertEquals(List.of(), planner.plan(cleared));
    }

    @Test
    void theTargetIsTheRingOverNodesOnIt() {
        ClusterMap m = cluster(Maps.settings(32, 3), 4);
        m = ok(m, new ControlCommand.Join(spec("n5")));
        m = ok(m, new ControlCommand.MarkSuspect("n4", m.epoch()));
        Map<Integer, List<String>> target = planner.target(m);
        Placement ring = Placement.compute(List.of("n1", "n2", "n3", "n4"), 32, 3, 64);
        assertEquals(ring.asMap(), target, "UP and SUSPECT nodes are on the ring, JOINING ones are not");
        m = ok(m, new ControlCommand.MarkDown("n4", m.epoch()));
        assertEquals(Placement.compute(List.of("n1", "n2", "n3"), 32, 3, 64).asMap(), planner.target(m));
    }

    @Test
    void aBootstrappedClusterGrowsToTheReplicationFactorAndReachesTheTarget() {
        ClusterMap m = cluster(Maps.settings(16, 3, 64, 3), 3);
        int distance = planner.distance(m);
        assertEquals(2 * 16, distance, "every partition lacks two replicas");
        Maps.Settled s = settle(m, planner, 1000);
        assertEquals(distance, s.movesBegun(), "each move places one replica: exactly the distance");
        assertAtTarget(s.map());
    }

    @Test
    void aFourthNodeGetsItsShareAndNothingElseMoves() {
        ClusterMap three = settled(Maps.settings(64, 3, 128, 8), 3);
        ClusterMap m = joinUp(three, spec("n4"));
        int distance = planner.distance(m);
        Maps.Settled s = settle(m, planner, 1000);
        assertEquals(distance, s.movesBegun());
        assertEquals(s.map().replicaCount("n4"), s.movesBegun(), "every move put a replica on the new node");
        assertAtTarget(s.map());
    }

    @Test
    void movesRespectTheLimitAndOnePerPartition() {
        ClusterMap m = settled(Maps.settings(64, 3, 64, 3), 3);
        m = joinUp(m, spec("n4"));
        m = joinUp(m, spec("n5"));
        List<ControlCommand.BeginMove> first = begins(planner.plan(m));
        assertEquals(3, first.size());
        for (ControlCommand.BeginMove b : first) {
            m = ok(m, b);
        }
        assertEquals(3, m.movesInProgress());
        assertTrue(begins(planner.plan(m)).isEmpty(), "no room left under max-concurrent-moves");
        // Completing one frees one slot, and never for a partition already moving.
        ReplicaMove mv = m.partition(first.get(0).partition()).move();
        m = ok(m, new ControlCommand.CompleteMove(first.get(0).partition(), mv.add(), mv.remove(), mv.startedAtEpoch()));
        List<ControlCommand.BeginMove> next = begins(planner.plan(m));
        assertEquals(1, next.size());
        Set<Integer> moving = new HashSet<>();
        for (PartitionReplicas p : m.partitions()) {
            if (p.move() != null) {
                moving.add(p.partition());
            }
        }
        assertFalse(moving.contains(next.get(0).partition()));
    }

    @Test
    void replicasOnADownNodeAreReplacedFirst() {
        ClusterMap m = settled(Maps.settings(64, 3, 64, 1), 4);
        m = joinUp(m, spec("n5"));
        m = ok(m, new ControlCommand.MarkDown("n2", m.epoch()));
        // Rebalancing toward n5 is pending too, but the lost replicas come first.
        int onDown = m.replicaCount("n2");
        assertTrue(onDown > 0);
        for (int i = 0; i < onDown; i++) {
            List<ControlCommand.BeginMove> b = begins(planner.plan(m));
            assertEquals(1, b.size());
            assertEquals("n2", b.get(0).remove(), "move " + i + " of " + onDown + ": " + b.get(0));
            m = ok(m, b.get(0));
            ReplicaMove mv = m.partition(b.get(0).partition()).move();
            m = ok(m, new ControlCommand.CompleteMove(b.get(0).partition(), mv.add(), mv.remove(), mv.startedAtEpoch()));
        }
        assertEquals(0, m.replicaCount("n2"));
        assertAtTarget(settle(m, planner, 1000).map());
    }

    @Test
    void aPartitionWithoutALiveMajorityIsLeftAlone() {
        ClusterMap m = settled(Maps.settings(8, 3, 64, 8), 3);
        m = joinUp(m, spec("n4"));
        m = joinUp(m, spec("n5"));
        m = ok(m, new ControlCommand.MarkDown("n1", m.epoch()));
        m = ok(m, new ControlCommand.MarkDown("n2", m.epoch()));
        Maps.Settled s = settle(m, planner, 1000);
        for (PartitionReplicas p : s.map().partitions()) {
            // Every partition had n1, n2 and n3: none has a live majority, none may change.
            assertEquals(Set.of("n1", "n2", "n3"), Set.copyOf(p.replicas()));
        }
        assertEquals(0, s.movesBegun());
    }

    @Test
    void withTooFewNodesADownReplicaStaysListed() {
        ClusterMap m = settled(Maps.settings(8, 3, 64, 8), 3);
        m = ok(m, new ControlCommand.MarkDown("n3", m.epoch()));
        Maps.Settled s = settle(m, planner, 1000);
        assertEquals(0, s.movesBegun());
        for (PartitionReplicas p : s.map().partitions()) {
            assertEquals(3, p.replicas().size());
            assertTrue(p.preferredLeader().equals("n1") || p.preferredLeader().equals("n2"),
                    "the preference moves off the DOWN node: " + p);
        }
        // A new node gives the lost replicas somewhere to go.
        m = joinUp(s.map(), spec("n4"));
        ClusterMap after = settle(m, planner, 1000).map();
        assertEquals(0, after.replicaCount("n3"));
        assertAtTarget(after);
    }

    @Test
    void leavingDrainsThenRemovesTheNode() {
        ClusterMap m = settled(Maps.settings(32, 3, 64, 4), 4);
        m = ok(m, new ControlCommand.Leave("n2"));
        int held = m.replicaCount("n2");
        Maps.Settled s = settle(m, planner, 1000);
        assertEquals(held, s.movesBegun());
        assertEquals(NodeState.LEFT, s.map().node("n2").orElseThrow().state());
        assertAtTarget(s.map());
    }

    @Test
    void aMoveToANodeThatWentDownIsAborted() {
        ClusterMap m = settled(Maps.settings(16, 3, 64, 4), 3);
        m = joinUp(m, spec("n4"));
        ControlCommand.BeginMove b = begins(planner.plan(m)).get(0);
        m = ok(m, b);
        m = ok(m, new ControlCommand.MarkDown("n4", m.epoch()));
        ReplicaMove mv = m.partition(b.partition()).move();
        assertTrue(planner.plan(m).contains(new ControlCommand.AbortMove(b.partition(), mv.add(), mv.remove(), mv.startedAtEpoch())));
        ClusterMap after = settle(m, planner, 1000).map();
        assertEquals(0, after.movesInProgress());
        assertEquals(0, after.involvement("n4"));
    }

    @Test
    void preferredLeadersFollowTheTargetOnceInPlace() {
        ClusterMap m = settled(Maps.settings(64, 3, 64, 64), 3);
        for (int p = 0; p < 64; p++) {
            List<String> r = m.partition(p).replicas();
            if (!r.get(0).equals("n3")) {
                m = ok(m, new ControlCommand.SetPreferredLeader(p, "n3", m.epoch()));
            }
        }
        ClusterMap after = settle(m, planner, 1000).map();
        assertAtTarget(after);
        Map<String, Integer> leaders = new java.util.HashMap<>();
        after.partitions().forEach(p -> leaders.merge(p.preferredLeader(), 1, Integer::sum));
        assertEquals(3, leaders.size(), "leadership is spread again: " + leaders);
    }

    @Test
    void zonesAreSpreadWhenThereAreEnough() {
        ClusterMap m = ok(ClusterMap.EMPTY, new ControlCommand.Bootstrap(Maps.settings(64, 3, 64, 64), spec("a1", "a")));
        for (String id : List.of("a2", "b1", "b2", "c1", "c2")) {
            m = joinUp(m, spec(id, id.substring(0, 1)));
        }
        ClusterMap after = settle(m, planner, 1000).map();
        assertAtTarget(after);
        for (PartitionReplicas p : after.partitions()) {
            Set<Character> zones = new HashSet<>();
            p.replicas().forEach(r -> zones.add(r.charAt(0)));
            assertEquals(3, zones.size(), "partition " + p.partition() + " " + p.replicas());
        }
    }

    @Test
    void thePlanDependsOnlyOnTheMap() {
        ClusterMap m = settled(Maps.settings(32, 3, 64, 4), 3);
        m = joinUp(m, spec("n4"));
        m = ok(m, new ControlCommand.MarkDown("n1", m.epoch()));
        ClusterMap copy = ClusterCodec.decodeMap(ClusterCodec.encode(m));
        assertEquals(planner.plan(m), new Planner().plan(copy));
        assertNotNull(planner.plan(m).get(0));
        assertTrue(new Planner().plan(ClusterMap.EMPTY).isEmpty());
    }
}
