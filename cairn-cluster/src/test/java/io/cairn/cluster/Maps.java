package io.cairn.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;

/** Test helpers: node specs, applying commands that must succeed or fail, and a simulated mover. */
final class Maps {
    private Maps() {
    }

    static NodeSpec spec(String id) {
        return spec(id, "");
    }

    static NodeSpec spec(String id, String zone) {
        return new NodeSpec(id, id + ".test:7001", id + ".test:6380", zone);
    }

    static ClusterSettings settings(int partitions, int rf) {
        return new ClusterSettings("test", partitions, rf, 64, 4, 64);
    }

    static ClusterSettings settings(int partitions, int rf, int vnodes, int maxMoves) {
        return new ClusterSettings("test", partitions, rf, vnodes, maxMoves, 64);
    }

    static ClusterMap ok(ClusterMap map, ControlCommand c) {
        ApplyResult r = map.apply(c);
        if (r instanceof ApplyResult.Rejected rej) {
            fail(c + " on " + map + " was refused: " + rej.errorLine());
        }
        ClusterMap next = ((ApplyResult.Applied) r).map();
        assertEquals(map.epoch() + 1, next.epoch(), "an accepted command moves the epoch by one");
        return next;
    }

    static ApplyResult.Rejected refused(ClusterMap map, ControlCommand c, ApplyResult.Reason reason) {
        ApplyResult r = map.apply(c);
        ApplyResult.Rejected rej = assertInstanceOf(ApplyResult.Rejected.class, r, () -> c + " should be refused as " + reason);
        assertEquals(reason, rej.reason(), rej.errorLine());
        return rej;
    }

    /** Bootstraps n1 and joins n2..nN, all UP, without moving anything yet. */
    static ClusterMap cluster(ClusterSettings s, int nodes) {
        ClusterMap m = ok(ClusterMap.EMPTY, new ControlCommand.Bootstrap(s, spec("n1")));
        for (int i = 2; i <= nodes; i++) {
            m = joinUp(m, spec("n" + i));
        }
        return m;
    }

    static ClusterMap joinUp(ClusterMap m, NodeSpec spec) {
        m = ok(m, new ControlCommand.Join(spec));
        return ok(m, new ControlCommand.MarkUp(spec.id(), m.epoch()));
    }

    /** Outcome of {@link #settle}. */
    record Settled(ClusterMap map, int movesBegun, int rounds) {
    }

    /**
     * Plays controller and mover: proposes the planner's commands in order (each from the map of
     * the moment, as a real controller would re-plan after a stale refusal), completing every
     * move it begins right away, until the planner proposes nothing. Bounded.
     */
    static Settled settle(ClusterMap m, Planner planner, int maxRounds) {
        int moves = 0;
        for (int round = 0; round < maxRounds; round++) {
            List<ControlCommand> plan = planner.plan(m);
            if (plan.isEmpty()) {
                return new Settled(m, moves, round);
            }
            boolean progressed = false;
            for (ControlCommand c : plan) {
                ApplyResult r = m.apply(c);
                if (r instanceof ApplyResult.Applied a) {
                    m = a.map();
                    progressed = true;
                    if (c instanceof ControlCommand.BeginMove b) {
                        moves++;
                        ReplicaMove mv = m.partition(b.partition()).move();
                        m = ok(m, new ControlCommand.CompleteMove(b.partition(), mv.add(), mv.remove(), mv.startedAtEpoch()));
                    }
                }
            }
            if (!progressed) {
                fail("the planner proposed only refused commands: " + plan + " on " + m);
            }
        }
        fail("no convergence within " + maxRounds + " rounds: " + m);
        return null;
    }
}
