package io.cairn.cluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
