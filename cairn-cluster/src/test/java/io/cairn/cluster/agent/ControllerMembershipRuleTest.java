package io.cairn.cluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.cairn.cluster.ApplyResult;
import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.ClusterSettings;
import io.cairn.cluster.ControlCommand;
import io.cairn.cluster.NodeInfo;
import io.cairn.cluster.NodeSpec;
import io.cairn.cluster.NodeState;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The controller group's size rule and how it grows: by every missing member at once, never to an even size. */
class ControllerMembershipRuleTest {
    private static List<NodeInfo> spares(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> new NodeInfo(new NodeSpec("s" + i, "h" + i + ":1", "h" + i + ":2", ""),
                NodeState.UP, 1)).toList();
    }

    private static List<String> ids(List<NodeInfo> nodes) {
        return nodes.stream().map(NodeInfo::id).toList();
    }

    @Test
    void desiredSizeFollowsTheUpNodesAndTheLimit() {
        assertEquals(1, ControllerDuties.desiredVoters(1, 5));
        assertEquals(1, ControllerDuties.desiredVoters(2, 5));
        assertEquals(3, ControllerDuties.desiredVoters(3, 5));
        assertEquals(3, ControllerDuties.desiredVoters(4, 5));
        assertEquals(5, ControllerDuties.desiredVoters(5, 5));
        assertEquals(5, ControllerDuties.desiredVoters(9, 5));
        assertEquals(3, ControllerDuties.desiredVoters(9, 3));
        assertEquals(1, ControllerDuties.desiredVoters(9, 1));
    }

    @Test
    void growthAddsEveryMissingMemberAtOnce() {
        assertEquals(List.of("s1", "s2"), ids(ControllerDuties.growth(1, 3, spares(2), true)), "1 -> 3");
        assertEquals(List.of("s1", "s2"), ids(ControllerDuties.growth(3, 5, spares(4), true)), "3 -> 5");
        assertEquals(List.of("s1", "s2", "s3", "s4"), ids(ControllerDuties.growth(1, 5, spares(4), true)), "1 -> 5");
        assertEquals(List.of(), ControllerDuties.growth(3, 3, spares(2), true), "big enough");
        assertEquals(List.of(), ControllerDuties.growth(1, 3, List.of(), true), "nobody to add");
    }

    @Test
    void growthNeverStopsAtAnEvenSizeWhenAddingTogether() {
        // 1 -> 5 with three spares: 1 + 3 would be even; 1 + 2 = 3.
        assertEquals(List.of("s1", "s2"), ids(ControllerDuties.growth(1, 5, spares(3), true)));
        // 3 -> 5 with one spare (a member SUSPECT, say): 4 would be even, no more tolerant than 3 and slower: stay.
        assertEquals(List.of(), ControllerDuties.growth(3, 5, spares(1), true));
    }

    @Test
    void oneAtATimeWhenRatisRefusesMajorityAdds() {
        assertEquals(List.of("s1"), ids(ControllerDuties.growth(1, 3, spares(2), false)));
        assertEquals(List.of("s1"), ids(ControllerDuties.growth(3, 5, spares(2), false)));
    }

    // ------------------------------------------------------------------ the next change, from the map

    private static ClusterMap apply(ClusterMap m, ControlCommand c) {
        ApplyResult r = m.apply(c);
        if (!(r instanceof ApplyResult.Applied a)) {
            throw new AssertionError(c + " refused: " + r);
        }
        return a.map();
    }

    /** Nodes n1..nN, all UP (no partition moved: the membership rule only looks at node states). */
    private static ClusterMap upNodes(int n) {
        ClusterMap m = apply(ClusterMap.EMPTY, new ControlCommand.Bootstrap(new ClusterSettings("t", 4, 3, 64, 4, 64),
                new NodeSpec("n1", "n1.test:1", "n1.test:2", "")));
        for (int i = 2; i <= n; i++) {
            m = apply(m, new ControlCommand.Join(new NodeSpec("n" + i, "n" + i + ".test:1", "n" + i + ".test:2", "")));
            m = apply(m, new ControlCommand.MarkUp("n" + i, m.epoch()));
        }
        return m;
    }

    private static ControllerDuties.MembershipChange next(ClusterMap m, List<String> voters) {
        return ControllerDuties.nextMembershipChange(m, voters, "n1", 5, true);
    }

    @Test
    void aLeavingMemberIsReplacedByASpare() {
        ClusterMap m = upNodes(4);
        m = apply(m, new ControlCommand.Leave("n3"));
        assertEquals(new ControllerDuties.MembershipChange(List.of("n4"), "n3"), next(m, List.of("n1", "n2", "n3")));
    }

    @Test
    void aLeavingMemberKeepsVotingWhileTheOnlySpareIsSuspected() {
        // The verify run: n3 (a member) drains while n4, the only node that could replace it, is suspected for a
        // moment. Taking n3 out left two members that both had to answer every commit.
        ClusterMap m = upNodes(4);
        m = apply(m, new ControlCommand.Leave("n3"));
        m = apply(m, new ControlCommand.MarkSuspect("n4", m.epoch()));
        assertNull(next(m, List.of("n1", "n2", "n3")));
        // n4 is heard again: it replaces n3.
        m = apply(m, new ControlCommand.MarkUp("n4", m.epoch()));
        assertEquals(new ControllerDuties.MembershipChange(List.of("n4"), "n3"), next(m, List.of("n1", "n2", "n3")));
    }

    @Test
    void suspicionDoesNotShrinkTheGroup() {
        // Three members, a fourth node suspected: a DOWN member waits for a spare rather than leaving two behind.
        ClusterMap m = upNodes(4);
        m = apply(m, new ControlCommand.MarkDown("n3", m.epoch()));
        m = apply(m, new ControlCommand.MarkSuspect("n4", m.epoch()));
        assertNull(next(m, List.of("n1", "n2", "n3")));
        // Five members, two suspected: nothing to do (UP + SUSPECT call for five).
        ClusterMap five = upNodes(5);
        five = apply(five, new ControlCommand.MarkSuspect("n4", five.epoch()));
        five = apply(five, new ControlCommand.MarkSuspect("n5", five.epoch()));
        assertNull(next(five, List.of("n1", "n2", "n3", "n4", "n5")));
    }

    @Test
    void aGroupOfThreeNeverShrinksWhileThreeNodesAreUp() {
        ClusterMap m = upNodes(5);
        m = apply(m, new ControlCommand.MarkDown("n5", m.epoch()));
        m = apply(m, new ControlCommand.MarkDown("n4", m.epoch()));
        // n1..n3 UP, members n1, n2, n4 (n4 DOWN): n3 replaces n4.
        assertEquals(new ControllerDuties.MembershipChange(List.of("n3"), "n4"), next(m, List.of("n1", "n2", "n4")));
        // Five members with two DOWN and three UP: 5 -> 4 -> 3, never below three.
        assertEquals(new ControllerDuties.MembershipChange(List.of(), "n4"), next(m, List.of("n1", "n2", "n3", "n4", "n5")));
        assertEquals(new ControllerDuties.MembershipChange(List.of(), "n5"), next(m, List.of("n1", "n2", "n3", "n5")));
        assertNull(next(m, List.of("n1", "n2", "n3")));
    }

    @Test
    void aClusterThatReallyShrinksToTwoNodesGoesToOneVoter() {
        // Three nodes, n3 leaves (and nobody is suspected): the group follows the two nodes that remain.
        ClusterMap m = upNodes(3);
        m = apply(m, new ControlCommand.Leave("n3"));
        assertEquals(new ControllerDuties.MembershipChange(List.of(), "n3"), next(m, List.of("n1", "n2", "n3")));
        assertEquals(new ControllerDuties.MembershipChange(List.of(), "n2"), next(m, List.of("n1", "n2")));
    }

    @Test
    void anEvenGroupShrinksByASuspectedMemberFirst() {
        ClusterMap five = upNodes(5);
        five = apply(five, new ControlCommand.MarkDown("n5", five.epoch()));
        five = apply(five, new ControlCommand.MarkSuspect("n2", five.epoch()));
        // Present: n1..n4 (n2 suspected) -> three members; the four members n1..n4 shrink by n2, not by n4.
        assertEquals(new ControllerDuties.MembershipChange(List.of(), "n2"), next(five, List.of("n1", "n2", "n3", "n4")));
    }
}
