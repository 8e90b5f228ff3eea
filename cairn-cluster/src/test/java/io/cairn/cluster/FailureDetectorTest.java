package io.cairn.cluster;

import static io.cairn.cluster.Maps.cluster;
import static io.cairn.cluster.Maps.ok;
import static io.cairn.cluster.Maps.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.clock.ManualClock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FailureDetectorTest {
    private final ManualClock clock = new ManualClock(1_000_000);
    private final FailureDetector fd = new FailureDetector(clock, 30_000, 15_000, 16);

    /** Applies what the detector proposes, as the controller leader would. */
    private static ClusterMap applyAll(ClusterMap m, List<ControlCommand> commands) {
        for (ControlCommand c : commands) {
            m = ok(m, c);
        }
        return m;
    }

    private static NodeState state(ClusterMap m, String id) {
        return m.node(id).orElseThrow().state();
    }

    @Test
    void aSilentNodeBecomesSuspectThenDownAndComesBackWhenHeard() {
        ClusterMap m = cluster(Maps.settings(4, 3), 3);
        assertTrue(fd.evaluate(m).isEmpty(), "the grace period starts at first sight");
        clock.advance(10_000);
        fd.heartbeat("n1");
        fd.heartbeat("n2");
        clock.advance(6_000);
        // n3 silent for 16 s (since first sight): suspect; n1 and n2 heard 6 s ago.
        assertEquals(List.of(new ControlCommand.MarkSuspect("n3", m.epoch())), fd.evaluate(m));
        m = applyAll(m, fd.evaluate(m));
        assertEquals(NodeState.SUSPECT, state(m, "n3"));
        fd.heartbeat("n1");
        fd.heartbeat("n2");
        clock.advance(14_001);
        fd.heartbeat("n1");
        fd.heartbeat("n2");
        assertEquals(List.of(new ControlCommand.MarkDown("n3", m.epoch())), fd.evaluate(m));
        m = applyAll(m, fd.evaluate(m));
        assertEquals(NodeState.DOWN, state(m, "n3"));
        // Still silent: nothing more to say.
        clock.advance(60_000);
        fd.heartbeat("n1");
        fd.heartbeat("n2");
        assertTrue(fd.evaluate(m).isEmpty());
        // Heard again: back up.
        fd.heartbeat("n3");
        assertEquals(List.of(new ControlCommand.MarkUp("n3", m.epoch())), fd.evaluate(m));
        m = applyAll(m, fd.evaluate(m));
        assertEquals(NodeState.UP, state(m, "n3"));
    }

    @Test
    void aSuspectHeardAgainIsUpWithoutGoingDown() {
        ClusterMap m = cluster(Maps.settings(4, 3), 2);
        fd.evaluate(m);
        clock.advance(15_001);
        fd.heartbeat("n1");
        m = applyAll(m, fd.evaluate(m));
        assertEquals(NodeState.SUSPECT, state(m, "n2"));
        fd.heartbeat("n2");
        m = applyAll(m, fd.evaluate(m));
        assertEquals(NodeState.UP, state(m, "n2"));
    }

    @Test
    void joiningNodesComeUpWhenHeardAndANewLeaderDoesNotMarkUnheardNodesUp() {
        ClusterMap m = cluster(Maps.settings(4, 3), 1);
        m = ok(m, new ControlCommand.Join(spec("n2")));
        m = ok(m, new ControlCommand.MarkDown("n1", m.epoch()));
        assertTrue(fd.evaluate(m).isEmpty(), "never heard: neither the JOINING nor the DOWN node is marked UP");
        fd.heartbeat("n2");
        fd.heartbeat("n1");
        List<ControlCommand> up = fd.evaluate(m);
        assertEquals(List.of(new ControlCommand.MarkUp("n1", m.epoch()), new ControlCommand.MarkUp("n2", m.epoch())), up);
    }

    @Test
    void aJoiningOrLeavingNodeThatFallsSilentIsMarkedDown() {
        ClusterMap m = cluster(Maps.settings(4, 3), 1);
        m = ok(m, new ControlCommand.Join(spec("n2")));
        m = Maps.joinUp(m, spec("n3"));
        m = ok(m, new ControlCommand.Leave("n3"));
        fd.evaluate(m);
        clock.advance(20_000);
        fd.heartbeat("n1");
        assertTrue(fd.evaluate(m).isEmpty(), "JOINING and LEAVING nodes are not suspected, only declared down");
        clock.advance(10_001);
        fd.heartbeat("n1");
        assertEquals(List.of(new ControlCommand.MarkDown("n2", m.epoch()), new ControlCommand.MarkDown("n3", m.epoch())),
                fd.evaluate(m));
    }

    @Test
    void aStaleVerdictIsRefusedByTheMap() {
        ClusterMap m = cluster(Maps.settings(4, 3), 2);
        fd.evaluate(m);
        clock.advance(31_000);
        fd.heartbeat("n1");
        List<ControlCommand> verdict = fd.evaluate(m);
        assertEquals(List.of(new ControlCommand.MarkDown("n2", m.epoch())), verdict);
        // Meanwhile another leader saw n2 go down and come back.
        ClusterMap newer = ok(ok(m, new ControlCommand.MarkDown("n2", m.epoch())), new ControlCommand.MarkUp("n2", m.epoch() + 1));
        Maps.refused(newer, verdict.get(0), ApplyResult.Reason.STALE_EPOCH);
    }

    @Test
    void memoryIsBoundedByTheMapAndTheLimit() {
        FailureDetector small = new FailureDetector(clock, 30_000, 15_000, 3);
        assertTrue(small.heartbeat("a"));
        assertTrue(small.heartbeat("b"));
        assertTrue(small.heartbeat("c"));
        assertFalse(small.heartbeat("d"), "a 4th id is refused");
        assertTrue(small.heartbeat("a"), "a tracked id is always accepted");
        ClusterMap m = cluster(Maps.settings(4, 3), 2);
        m = ok(m, new ControlCommand.Join(spec("n3")));
        m = ok(m, new ControlCommand.Leave("n3"));
        m = ok(m, new ControlCommand.Remove("n3"));
        small.heartbeat("n3");
        small.evaluate(m);
        // Ids not in the map (a, b, c) and LEFT ones (n3) are forgotten; n1 and n2 are tracked.
        assertEquals(2, small.tracked());
    }

    @Test
    void configurationIsChecked() {
        assertThrows(IllegalArgumentException.class, () -> new FailureDetector(clock, 0, 1, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FailureDetector(clock, 10, 11, 1));
        assertTrue(e.getMessage().startsWith("suspect-after-ms"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new FailureDetector(clock, 10, 5, 0));
        FailureDetector fromConfig = FailureDetector.fromConfig(clock, Map.of("down-after-ms", "1000", "suspect-after-ms", "1000"));
        // suspect-after = down-after: a silent UP node goes straight to DOWN.
        ClusterMap m = cluster(Maps.settings(4, 3), 2);
        fromConfig.evaluate(m);
        clock.advance(1_001);
        fromConfig.heartbeat("n1");
        assertEquals(List.of(new ControlCommand.MarkDown("n2", m.epoch())), fromConfig.evaluate(m));
    }
}
