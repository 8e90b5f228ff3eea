package io.cairn.cluster;

import static io.cairn.cluster.Maps.cluster;
import static io.cairn.cluster.Maps.joinUp;
import static io.cairn.cluster.Maps.ok;
import static io.cairn.cluster.Maps.refused;
import static io.cairn.cluster.Maps.settings;
import static io.cairn.cluster.Maps.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.cluster.ApplyResult.Reason;
import io.cairn.cluster.ControlCommand.AbortMove;
import io.cairn.cluster.ControlCommand.BeginMove;
import io.cairn.cluster.ControlCommand.Bootstrap;
import io.cairn.cluster.ControlCommand.CompleteMove;
import io.cairn.cluster.ControlCommand.Join;
import io.cairn.cluster.ControlCommand.Leave;
import io.cairn.cluster.ControlCommand.MarkDown;
import io.cairn.cluster.ControlCommand.MarkSuspect;
import io.cairn.cluster.ControlCommand.MarkUp;
import io.cairn.cluster.ControlCommand.Remove;
import io.cairn.cluster.ControlCommand.SetPreferredLeader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterMapTest {

    private static NodeState state(ClusterMap m, String id) {
        return m.node(id).orElseThrow().state();
    }

    /** n1 bootstrapped, n2 and n3 joined and UP, and every partition grown to [n1, n2, n3] by moves. */
    private static ClusterMap threeFull(int partitions) {
        ClusterMap m = cluster(new ClusterSettings("test", partitions, 3, 64, 64, 64), 3);
        for (String n : List.of("n2", "n3")) {
            for (int p = 0; p < partitions; p++) {
                m = ok(m, new BeginMove(p, n, null, m.epoch()));
                m = ok(m, new CompleteMove(p, n, null, m.epoch()));
            }
        }
        return m;
    }

    @Test
    void theEmptyMapAcceptsOnlyBootstrap() {
        ClusterMap m = ClusterMap.EMPTY;
        assertEquals(0, m.epoch());
        Reason r = Reason.NOT_BOOTSTRAPPED;
        refused(m, new Join(spec("n1")), r);
        refused(m, new MarkUp("n1", 0), r);
        refused(m, new Leave("n1"), r);
        refused(m, new BeginMove(0, "n1", null, 0), r);
        assertThrows(IllegalStateException.class, m::settings);
    }

    @Test
    void bootstrapCreatesTheClusterOnTheFirstNode() {
        ClusterMap m = ok(ClusterMap.EMPTY, new Bootstrap(settings(8, 3), spec("n1")));
        assertEquals(1, m.epoch());
        assertEquals(NodeState.UP, state(m, "n1"));
        for (PartitionReplicas p : m.partitions()) {
            assertEquals(List.of("n1"), p.replicas());
            assertNull(p.move());
        }
        assertEquals(8, m.replicaCount("n1"));
        Maps.refused(m, new Bootstrap(settings(8, 3), spec("n2")), Reason.ALREADY_BOOTSTRAPPED);
    }

    @Test
    void joinRegistersAJoiningNodeAndRefusesDuplicates() {
        ClusterMap m = cluster(settings(4, 3), 1);
        m = ok(m, new Join(spec("n2")));
        assertEquals(NodeState.JOINING, state(m, "n2"));
        assertEquals(m.epoch(), m.node("n2").orElseThrow().sinceEpoch());
        refused(m, new Join(spec("n2")), Reason.NO_CHANGE);
        // A retried join before the node is confirmed alive may correct its addresses.
        NodeSpec moved = new NodeSpec("n2", "elsewhere:7001", "elsewhere:6380", "");
        m = ok(m, new Join(moved));
        assertEquals(moved, m.node("n2").orElseThrow().spec());
        refused(m, new Join(spec("n1")), Reason.NODE_EXISTS);
        // Another id at an address already in use is a misconfiguration.
        refused(m, new Join(new NodeSpec("n9", "n1.test:7001", "x:1", "")), Reason.ADDRESS_IN_USE);
        refused(m, new Join(new NodeSpec("n9", "x:1", "n1.test:6380", "")), Reason.ADDRESS_IN_USE);
    }

    @Test
    void joinIsBoundedByMaxNodes() {
        ClusterMap m = ok(ClusterMap.EMPTY, new Bootstrap(new ClusterSettings("t", 4, 1, 8, 1, 2), spec("n1")));
        m = ok(m, new Join(spec("n2")));
        refused(m, new Join(spec("n3")), Reason.NODE_LIMIT);
    }

    @Test
    void aDownNodeThatRestartsAnnouncesItselfAndComesBackWhenHeard() {
        ClusterMap m = cluster(settings(4, 3), 3);
        long observed = m.epoch();
        m = ok(m, new MarkDown("n3", observed));
        NodeSpec restarted = new NodeSpec("n3", "n3.test:7009", "n3.test:6389", "");
        m = ok(m, new Join(restarted));
        NodeInfo n3 = m.node("n3").orElseThrow();
        assertEquals(NodeState.DOWN, n3.state());
        assertEquals(restarted, n3.spec());
        assertEquals(m.epoch(), n3.sinceEpoch());
        // An observation from before the restart is stale.
        refused(m, new MarkUp("n3", observed), Reason.STALE_EPOCH);
        m = ok(m, new MarkUp("n3", m.epoch()));
        assertEquals(NodeState.UP, state(m, "n3"));
    }

    @Test
    void markUpSuspectDownFollowTheStateDiagram() {
        ClusterMap m = cluster(settings(4, 3), 1);
        m = ok(m, new Join(spec("n2")));
        refused(m, new MarkSuspect("n2", m.epoch()), Reason.WRONG_STATE);
        m = ok(m, new MarkUp("n2", m.epoch()));
        refused(m, new MarkUp("n2", m.epoch()), Reason.NO_CHANGE);
        m = ok(m, new MarkSuspect("n2", m.epoch()));
        assertEquals(NodeState.SUSPECT, state(m, "n2"));
        refused(m, new MarkSuspect("n2", m.epoch()), Reason.NO_CHANGE);
        m = ok(m, new MarkUp("n2", m.epoch()));
        m = ok(m, new MarkDown("n2", m.epoch()));
        refused(m, new MarkDown("n2", m.epoch()), Reason.NO_CHANGE);
        refused(m, new MarkSuspect("n2", m.epoch()), Reason.WRONG_STATE);
        m = ok(m, new MarkUp("n2", m.epoch()));
        assertEquals(NodeState.UP, state(m, "n2"));
        refused(m, new MarkUp("nope", m.epoch()), Reason.UNKNOWN_NODE);
        refused(m, new MarkDown("nope", m.epoch()), Reason.UNKNOWN_NODE);
        refused(m, new MarkSuspect("nope", m.epoch()), Reason.UNKNOWN_NODE);
    }

    @Test
    void aStaleObservationCannotClobberANewerState() {
        ClusterMap m = cluster(settings(4, 3), 3);
        long sawSilence = m.epoch();
        // Meanwhile another detector marked n3 down and it came back up.
        m = ok(m, new MarkDown("n3", m.epoch()));
        m = ok(m, new MarkUp("n3", m.epoch()));
        Reason stale = Reason.STALE_EPOCH;
        ApplyResult.Rejected r = refused(m, new MarkDown("n3", sawSilence), stale);
        assertTrue(r.errorLine().startsWith("STALEEPOCH "), r.errorLine());
        refused(m, new MarkSuspect("n3", sawSilence), stale);
        // An observation claiming a future epoch is refused too.
        refused(m, new MarkDown("n3", m.epoch() + 1), stale);
        assertEquals(NodeState.UP, state(m, "n3"));
    }

    @Test
    void aDownNodeKeepsItsReplicasListedUntilTheyAreRecreated() {
        ClusterMap m = threeFull(4);
        m = ok(m, new MarkDown("n2", m.epoch()));
        assertEquals(4, m.replicaCount("n2"));
        for (PartitionReplicas p : m.partitions()) {
            assertEquals(3, p.replicas().size());
        }
    }

    @Test
    void leaveNeedsSomewhereForTheReplicasToGo() {
        ClusterMap m = threeFull(4);
        ApplyResult.Rejected r = refused(m, new Leave("n3"), Reason.TOO_FEW_NODES);
        assertTrue(r.message().contains("replication factor 3"), r.message());
        m = joinUp(m, spec("n4"));
        m = ok(m, new Leave("n3"));
        assertEquals(NodeState.LEAVING, state(m, "n3"));
        refused(m, new Leave("n3"), Reason.NO_CHANGE);
        refused(m, new Leave("zz"), Reason.UNKNOWN_NODE);
        // A joining node holds nothing and may leave whatever the cluster's size.
        m = ok(m, new Join(spec("n5")));
        m = ok(m, new Leave("n5"));
        m = ok(m, new Remove("n5"));
        assertEquals(NodeState.LEFT, state(m, "n5"));
        refused(m, new Leave("n5"), Reason.WRONG_STATE);
        refused(m, new MarkUp("n5", m.epoch()), Reason.WRONG_STATE);
        refused(m, new MarkDown("n5", m.epoch()), Reason.WRONG_STATE);
    }

    @Test
    void removeOnlyOnceDrained() {
        ClusterMap m = threeFull(2);
        m = joinUp(m, spec("n4"));
        refused(m, new Remove("n3"), Reason.WRONG_STATE);
        m = ok(m, new Leave("n3"));
        refused(m, new Remove("n3"), Reason.HOLDS_REPLICAS);
        for (int p = 0; p < 2; p++) {
            m = ok(m, new BeginMove(p, "n4", "n3", m.epoch()));
            refused(m, new Remove("n3"), Reason.HOLDS_REPLICAS);
            m = ok(m, new CompleteMove(p, "n4", "n3", m.epoch()));
        }
        assertEquals(0, m.involvement("n3"));
        m = ok(m, new Remove("n3"));
        assertEquals(NodeState.LEFT, state(m, "n3"));
        refused(m, new Remove("n3"), Reason.NO_CHANGE);
        // The id may be used again: a fresh join.
        m = ok(m, new Join(spec("n3")));
        assertEquals(NodeState.JOINING, state(m, "n3"));
    }

    @Test
    void tombstonesAreBounded() {
        ClusterMap m = ok(ClusterMap.EMPTY, new Bootstrap(new ClusterSettings("t", 2, 1, 8, 1, 3), spec("n1")));
        for (int i = 2; i <= 8; i++) {
            m = ok(m, new Join(spec("n" + i)));
            m = ok(m, new Leave("n" + i));
            m = ok(m, new Remove("n" + i));
        }
        long tombstones = m.nodes().stream().filter(n -> n.state() == NodeState.LEFT).count();
        assertEquals(3, tombstones);
        // The most recent are kept.
        assertEquals(NodeState.LEFT, state(m, "n8"));
        assertTrue(m.node("n2").isEmpty());
    }

    @Test
    void movesSwapOneReplicaAndKeepThePreferredLeader() {
        ClusterMap m = threeFull(2);
        m = joinUp(m, spec("n4"));
        long planned = m.epoch();
        m = ok(m, new BeginMove(0, "n4", "n2", planned));
        ReplicaMove mv = m.partition(0).move();
        assertEquals(new ReplicaMove("n4", "n2", m.epoch()), mv);
        assertEquals(List.of("n1", "n2", "n3"), m.partition(0).replicas(), "the list changes only on completion");
        assertEquals(1, m.movesInProgress());
        assertEquals(1, m.involvement("n4"), "n4 takes part in partition 0 as the move's destination");
        // A second begin on a moving partition is refused; an older plan is stale first.
        refused(m, new BeginMove(0, "n4", "n3", m.epoch()), Reason.MOVE_IN_PROGRESS);
        refused(m, new BeginMove(0, "n4", "n3", planned), Reason.STALE_EPOCH);
        // Completing needs the exact move.
        refused(m, new CompleteMove(0, "n4", "n2", mv.startedAtEpoch() - 1), Reason.NO_SUCH_MOVE);
        refused(m, new CompleteMove(0, "n4", "n3", mv.startedAtEpoch()), Reason.NO_SUCH_MOVE);
        refused(m, new CompleteMove(1, "n4", "n2", mv.startedAtEpoch()), Reason.NO_SUCH_MOVE);
        m = ok(m, new CompleteMove(0, "n4", "n2", mv.startedAtEpoch()));
        assertEquals(List.of("n1", "n3", "n4"), m.partition(0).replicas());
        assertEquals(0, m.movesInProgress());
        // Removing the preferred leader hands the preference to the next in line.
        m = ok(m, new BeginMove(1, "n4", "n1", m.epoch()));
        m = ok(m, new CompleteMove(1, "n4", "n1", m.epoch()));
        assertEquals(List.of("n2", "n3", "n4"), m.partition(1).replicas());
    }

    @Test
    void abortLeavesTheReplicasAsTheyWere() {
        ClusterMap m = threeFull(2);
        m = joinUp(m, spec("n4"));
        m = ok(m, new BeginMove(1, "n4", "n3", m.epoch()));
        long started = m.epoch();
        refused(m, new AbortMove(1, "n4", null, started), Reason.NO_SUCH_MOVE);
        m = ok(m, new AbortMove(1, "n4", "n3", started));
        assertNull(m.partition(1).move());
        assertEquals(List.of("n1", "n2", "n3"), m.partition(1).replicas());
        refused(m, new CompleteMove(1, "n4", "n3", started), Reason.NO_SUCH_MOVE);
    }

    @Test
    void invalidMovesAreRefused() {
        ClusterMap m = threeFull(2);
        m = joinUp(m, spec("n4"));
        m = ok(m, new Join(spec("n5")));
        long e = m.epoch();
        refused(m, new BeginMove(2, "n4", "n1", e), Reason.UNKNOWN_PARTITION);
        refused(m, new BeginMove(-1, "n4", "n1", e), Reason.UNKNOWN_PARTITION);
        refused(m, new BeginMove(0, "zz", "n1", e), Reason.UNKNOWN_NODE);
        refused(m, new BeginMove(0, "n4", "zz", e), Reason.UNKNOWN_NODE);
        refused(m, new BeginMove(0, "n5", "n1", e), Reason.WRONG_STATE);
        refused(m, new BeginMove(0, "n2", "n1", e), Reason.INVALID_MOVE);
        refused(m, new BeginMove(0, "n4", null, e), Reason.INVALID_MOVE);
        refused(m, new BeginMove(0, "n4", "n5", e), Reason.INVALID_MOVE);
        refused(m, new BeginMove(0, "n4", "n1", e + 1), Reason.STALE_EPOCH);
        // A plan made before the destination changed state is stale.
        m = ok(m, new MarkSuspect("n4", m.epoch()));
        m = ok(m, new MarkUp("n4", m.epoch()));
        refused(m, new BeginMove(0, "n4", "n1", e), Reason.STALE_EPOCH);
        // The destination must be UP.
        m = ok(m, new MarkSuspect("n4", m.epoch()));
        refused(m, new BeginMove(0, "n4", "n1", m.epoch()), Reason.WRONG_STATE);
    }

    @Test
    void movesAreBoundedByMaxConcurrentMoves() {
        ClusterMap m = cluster(new ClusterSettings("t", 8, 3, 16, 2, 64), 3);
        m = ok(m, new BeginMove(0, "n2", null, m.epoch()));
        m = ok(m, new BeginMove(1, "n2", null, m.epoch()));
        refused(m, new BeginMove(2, "n2", null, m.epoch()), Reason.MOVE_LIMIT);
        m = ok(m, new CompleteMove(0, "n2", null, m.partition(0).move().startedAtEpoch()));
        ok(m, new BeginMove(2, "n2", null, m.epoch()));
    }

    @Test
    void aMoveMustNotLeaveThePartitionWithoutALiveMajority() {
        ClusterMap m = threeFull(2);
        m = joinUp(m, spec("n4"));
        m = joinUp(m, spec("n5"));
        m = ok(m, new MarkDown("n3", m.epoch()));
        // One of three down: replacing it is safe, and so is replacing a live one (two live remain).
        ok(m, new BeginMove(0, "n4", "n3", m.epoch()));
        ok(m, new BeginMove(0, "n4", "n1", m.epoch()));
        // Two of three down: the group has no majority and cannot change its membership.
        m = ok(m, new MarkDown("n2", m.epoch()));
        ApplyResult.Rejected r = refused(m, new BeginMove(0, "n4", "n3", m.epoch()), Reason.UNSAFE_MOVE);
        assertTrue(r.message().contains("majority"), r.message());
        // A suspect replica does not count as live either.
        m = ok(m, new MarkUp("n2", m.epoch()));
        m = ok(m, new MarkSuspect("n2", m.epoch()));
        refused(m, new BeginMove(0, "n4", "n1", m.epoch()), Reason.UNSAFE_MOVE);
        // RF 2 with one replica down has no majority to spare.
        ClusterMap two = cluster(new ClusterSettings("t", 1, 2, 16, 4, 64), 3);
        two = ok(two, new BeginMove(0, "n2", null, two.epoch()));
        two = ok(two, new CompleteMove(0, "n2", null, two.epoch()));
        two = ok(two, new MarkDown("n2", two.epoch()));
        refused(two, new BeginMove(0, "n3", "n2", two.epoch()), Reason.UNSAFE_MOVE);
    }

    @Test
    void preferredLeaderChangesAreCompareAndSet() {
        ClusterMap m = threeFull(2);
        long e = m.epoch();
        m = ok(m, new SetPreferredLeader(0, "n3", e));
        assertEquals(List.of("n3", "n1", "n2"), m.partition(0).replicas());
        // Partition 1 did not change, so a plan from epoch e is still valid there; partition 0's is stale.
        m = ok(m, new SetPreferredLeader(1, "n2", e));
        refused(m, new SetPreferredLeader(0, "n2", e), Reason.STALE_EPOCH);
        refused(m, new SetPreferredLeader(0, "n3", m.epoch()), Reason.NO_CHANGE);
        refused(m, new SetPreferredLeader(0, "n9", m.epoch()), Reason.NOT_A_REPLICA);
        refused(m, new SetPreferredLeader(5, "n1", m.epoch()), Reason.UNKNOWN_PARTITION);
    }

    @Test
    void theConstructorRefusesMapsThatBreakInvariants() {
        ClusterSettings s = settings(1, 3);
        NodeInfo n1 = new NodeInfo(spec("n1"), NodeState.UP, 1);
        NodeInfo n2 = new NodeInfo(spec("n2"), NodeState.UP, 1);
        NodeInfo joining = new NodeInfo(spec("n3"), NodeState.JOINING, 1);
        NodeInfo n4 = new NodeInfo(spec("n4"), NodeState.UP, 1);
        NodeInfo n5 = new NodeInfo(spec("n5"), NodeState.UP, 1);
        List<NodeInfo> nodes = List.of(n1, n2, joining, n4, n5);
        // Valid, for contrast.
        new ClusterMap(2, s, nodes, List.of(new PartitionReplicas(0, List.of("n1", "n2"), null, 1)));
        assertThrows(IllegalArgumentException.class, () -> new ClusterMap(-1, null, List.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> new ClusterMap(0, s, List.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> new ClusterMap(1, null, nodes, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new PartitionReplicas(0, List.of("n1", "n1"), null, 1));
        assertThrows(IllegalArgumentException.class, () -> new PartitionReplicas(0, List.of(), null, 1));
        // Wrong partition count, out-of-order entries.
        assertThrows(IllegalArgumentException.class, () -> new ClusterMap(2, s, nodes, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new ClusterMap(2, s, nodes,
                List.of(new PartitionReplicas(1, List.of("n1"), null, 1))));
        // More replicas than the replication factor; replicas on unknown or JOINING nodes.
        assertThrows(IllegalArgumentException.class, () -> new ClusterMap(2, s, nodes,
                List.of(new PartitionReplicas(0, List.of("n1", "n2", "n4", "n5"), null, 1))));
        assertThrows(IllegalArgumentException.class, () -> new ClusterMap(2, s, nodes,
                List.of(new PartitionReplicas(0, List.of("n1", "n9"), null, 1))));
        assertThrows(IllegalArgumentException.class, () -> new ClusterMap(2, s, nodes,
                List.of(new PartitionReplicas(0, List.of("n1", "n3"), null, 1))));
        // Epochs from the future.
        assertThrows(IllegalArgumentException.class, () -> new ClusterMap(2, s, nodes,
                List.of(new PartitionReplicas(0, List.of("n1"), null, 3))));
        assertThrows(IllegalArgumentException.class, () -> new ClusterMap(2, s,
                List.of(new NodeInfo(spec("n1"), NodeState.UP, 3)), List.of(new PartitionReplicas(0, List.of("n1"), null, 1))));
        // Moves: growing past RF, destination already a replica, removing a non-replica, too many at once.
        assertThrows(IllegalArgumentException.class, () -> new ClusterMap(2, s, nodes,
                List.of(new PartitionReplicas(0, List.of("n1", "n2", "n4"), new ReplicaMove("n5", null, 1), 1))));
        assertThrows(IllegalArgumentException.class, () -> new PartitionReplicas(0, List.of("n1"), new ReplicaMove("n1", null, 1), 1));
        assertThrows(IllegalArgumentException.class, () -> new PartitionReplicas(0, List.of("n1"), new ReplicaMove("n2", "n4", 1), 1));
        ClusterSettings oneMove = new ClusterSettings("test", 2, 3, 16, 1, 8);
        assertThrows(IllegalArgumentException.class, () -> new ClusterMap(2, oneMove, nodes, List.of(
                new PartitionReplicas(0, List.of("n1"), new ReplicaMove("n2", null, 1), 1),
                new PartitionReplicas(1, List.of("n1"), new ReplicaMove("n2", null, 1), 1))));
        // Two members at one address.
        List<NodeInfo> clash = new ArrayList<>(nodes);
        clash.add(new NodeInfo(new NodeSpec("n6", "n1.test:7001", "n6:1", ""), NodeState.DOWN, 1));
        assertThrows(IllegalArgumentException.class, () -> new ClusterMap(2, s, clash,
                List.of(new PartitionReplicas(0, List.of("n1"), null, 1))));
    }

    @Test
    void badSpecsAndSettingsAreRefusedWithClearMessages() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new NodeSpec("a b", "h:1", "h:2", ""));
        assertTrue(e.getMessage().contains("node id"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new NodeSpec("a", "h", "h:2", ""));
        assertThrows(IllegalArgumentException.class, () -> new NodeSpec("a", "h:0", "h:2", ""));
        assertThrows(IllegalArgumentException.class, () -> new NodeSpec("a", "h:1", "h:x", ""));
        assertThrows(IllegalArgumentException.class, () -> new NodeSpec("a", "h:1", "h:2", "bad zone"));
        assertEquals("", new NodeSpec("a", "[::1]:1", "h:2", null).zone());
        e = assertThrows(IllegalArgumentException.class, () -> new ClusterSettings("c", 16, 8, 64, 4, 16));
        assertTrue(e.getMessage().startsWith("replication-factor"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ClusterSettings("c", 0, 3, 64, 4, 16));
        assertThrows(IllegalArgumentException.class, () -> new ClusterSettings("c", 16, 3, 0, 4, 16));
        assertThrows(IllegalArgumentException.class, () -> new ClusterSettings("c", 16, 3, 64, 0, 16));
        assertThrows(IllegalArgumentException.class, () -> new ClusterSettings("", 16, 3, 64, 4, 16));
        ClusterSettings fromConfig = ClusterSettings.fromConfig(java.util.Map.of("partitions", "32", "vnodes-per-node", "16"));
        assertEquals(32, fromConfig.partitions());
        assertEquals(16, fromConfig.vnodesPerNode());
        assertEquals(ClusterSettings.DEFAULT_REPLICATION_FACTOR, fromConfig.replicationFactor());
        e = assertThrows(IllegalArgumentException.class, () -> ClusterSettings.fromConfig(java.util.Map.of("partitions", "x")));
        assertTrue(e.getMessage().startsWith("partitions"), e.getMessage());
    }

    @Test
    void aRebalanceRequestIsRecordedKeptAcrossChangesAndClearedOnlyByItsOwnEpoch() {
        ClusterMap m = cluster(settings(8, 3), 3);
        assertEquals(0, m.rebalanceRequestedAtEpoch());
        refused(m, new ControlCommand.ClearRebalance(1), Reason.NO_CHANGE);
        m = ok(m, new ControlCommand.RequestRebalance());
        long first = m.epoch();
        assertEquals(first, m.rebalanceRequestedAtEpoch());
        assertTrue(m.rebalanceRequested());
        // Other changes keep the request.
        m = joinUp(m, spec("n4"));
        m = ok(m, new MarkSuspect("n2", m.epoch()));
        assertEquals(first, m.rebalanceRequestedAtEpoch());
        // A second request supersedes the first: clearing the first is stale.
        m = ok(m, new ControlCommand.RequestRebalance());
        long second = m.epoch();
        refused(m, new ControlCommand.ClearRebalance(first), Reason.STALE_EPOCH);
        m = ok(m, new ControlCommand.ClearRebalance(second));
        assertEquals(0, m.rebalanceRequestedAtEpoch());
        refused(m, new ControlCommand.ClearRebalance(second), Reason.NO_CHANGE);
    }

    @Test
    void aRebalanceRequestOutsideTheMapsEpochsIsRefused() {
        ClusterMap m = cluster(settings(2, 1), 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ClusterMap(m.epoch(), m.settings(), m.nodes(), m.partitions(), m.epoch() + 1));
        assertTrue(e.getMessage().contains("rebalance requested at epoch"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ClusterMap(m.epoch(), m.settings(), m.nodes(), m.partitions(), -1));
        assertThrows(IllegalArgumentException.class, () -> new ClusterMap(0, null, List.of(), List.of(), 1));
        assertThrows(IllegalArgumentException.class, () -> new ControlCommand.ClearRebalance(0));
    }

    @Test
    void applyIsDeterministic() {
        ClusterMap a = threeFull(16);
        ClusterMap b = threeFull(16);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        ControlCommand c = new BeginMove(3, "n2", "n1", a.epoch());
        assertEquals(a.apply(c), b.apply(c));
    }
}
