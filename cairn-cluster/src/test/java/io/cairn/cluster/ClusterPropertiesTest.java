package io.cairn.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Model-free properties over random histories of joins, state changes, leaves, removals, planner
 * rounds, move completions and aborts, and arbitrary (often invalid) moves:
 * <ul>
 *   <li>every accepted command moves the epoch by exactly one and yields a map that satisfies
 *       the invariants (the constructor checks them) and survives an encode/decode round trip;
 *       a refused one changes nothing;</li>
 *   <li>the planner's proposals, applied in order to the map they were planned from, are all
 *       accepted except those made stale by an earlier one of the same round;</li>
 *   <li>from wherever the history ends, once in-flight moves finish and suspects are heard again,
 *       planner rounds (moves completing at once) converge, and the result is the target for
 *       every partition that has a live majority;</li>
 *   <li>then a new node joining moves exactly the replicas it receives, nothing else.</li>
 * </ul>
 */
class ClusterPropertiesTest {
    enum Kind { JOIN, UP, SUSPECT, DOWN, LEAVE, REMOVE, PLAN, COMPLETE, ABORT, RANDOM_MOVE, SET_LEADER }

    record Op(Kind kind, int a, int b) {
    }

    @Provide
    Arbitrary<List<Op>> histories() {
        Arbitrary<Op> op = Combinators.combine(
                Arbitraries.of(Kind.class),
                Arbitraries.integers().between(0, 1000),
                Arbitraries.integers().between(0, 1000)).as(Op::new);
        return op.list().ofMinSize(0).ofMaxSize(80);
    }

    private static ClusterMap checked(ClusterMap m, ControlCommand c) {
        ApplyResult r = m.apply(c);
        if (r instanceof ApplyResult.Applied a) {
            assertEquals(m.epoch() + 1, a.map().epoch(), c.toString());
            assertEquals(a.map(), ClusterCodec.decodeMap(ClusterCodec.encode(a.map())));
            assertEquals(c, ClusterCodec.decodeCommand(ClusterCodec.encode(c)));
            return a.map();
        }
        return m;
    }

    private static String pickNode(ClusterMap m, int i) {
        List<NodeInfo> nodes = new ArrayList<>(m.nodes());
        return nodes.get(i % nodes.size()).id();
    }

    private static List<PartitionReplicas> moving(ClusterMap m) {
        return m.partitions().stream().filter(p -> p.move() != null).toList();
    }

    @Property(tries = 300)
    void randomHistoriesKeepTheInvariantsAndConverge(
            @ForAll("histories") List<Op> history,
            @ForAll @IntRange(min = 1, max = 24) int partitions,
            @ForAll @IntRange(min = 1, max = 4) int replicationFactor,
            @ForAll @IntRange(min = 1, max = 4) int maxMoves,
            @ForAll boolean zones) {
        ClusterSettings settings = new ClusterSettings("prop", partitions, replicationFactor, 16, maxMoves, 12);
        Planner planner = new Planner();
        ClusterMap m = Maps.ok(ClusterMap.EMPTY, new ControlCommand.Bootstrap(settings, Maps.spec("n0")));
        for (Op op : history) {
            m = step(m, op, planner, zones);
        }

        // Heal: the mover finishes what is in flight, every suspect is heard again.
        for (PartitionReplicas p : moving(m)) {
            ReplicaMove mv = p.move();
            m = Maps.ok(m, new ControlCommand.CompleteMove(p.partition(), mv.add(), mv.remove(), mv.startedAtEpoch()));
        }
        for (NodeInfo n : List.copyOf(m.nodes())) {
            if (n.state() == NodeState.SUSPECT) {
                m = Maps.ok(m, new ControlCommand.MarkUp(n.id(), m.epoch()));
            }
        }
        Maps.Settled settled = Maps.settle(m, planner, 20 * partitions * replicationFactor + 50);
        m = settled.map();
        assertTrue(planner.plan(m).isEmpty());
        assertEquals(0, m.movesInProgress());
        assertConverged(m, planner);

        // Minimal movement: without zones, a new node's join moves exactly the replicas it receives.
        boolean allUp = m.nodes().stream().allMatch(n -> n.state() == NodeState.UP || n.state() == NodeState.LEFT);
        long members = m.nodes().stream().filter(n -> n.state() == NodeState.UP).count();
        if (!zones && allUp && members < settings.maxNodes()) {
            m = Maps.joinUp(m, Maps.spec("fresh"));
            int distance = planner.distance(m);
            Maps.Settled after = Maps.settle(m, planner, 20 * partitions * replicationFactor + 50);
            assertEquals(distance, after.movesBegun(), "moves = replicas the target lacks");
            assertEquals(after.map().replicaCount("fresh"), after.movesBegun(), "only the new node receives replicas");
            assertConverged(after.map(), planner);
        }
    }

    private static void assertConverged(ClusterMap m, Planner planner) {
        Map<Integer, List<String>> target = planner.target(m);
        for (PartitionReplicas p : m.partitions()) {
            List<String> t = target.get(p.partition());
            List<String> c = p.replicas();
            int live = (int) c.stream().filter(r -> m.node(r).orElseThrow().state().isLiveVoter()).count();
            if (live < c.size() / 2 + 1) {
                continue; // No quorum: nothing may change until enough replicas come back.
            }
            assertTrue(c.containsAll(t), "partition " + p.partition() + " " + c + " lacks part of its target " + t);
            if (t.size() == m.settings().replicationFactor()) {
                assertEquals(Set.copyOf(t), Set.copyOf(c), "partition " + p.partition());
                assertEquals(t.get(0), p.preferredLeader(), "partition " + p.partition());
            }
        }
        for (NodeInfo n : m.nodes()) {
            assertTrue(n.state() != NodeState.LEAVING || m.involvement(n.id()) > 0, n + " drained but not removed");
        }
    }

    private static ClusterMap step(ClusterMap m, Op op, Planner planner, boolean zones) {
        long e = m.epoch();
        switch (op.kind()) {
            case JOIN -> {
                String id = "n" + (op.a() % 10);
                String zone = zones ? "z" + (op.b() % 3) : "";
                return checked(m, new ControlCommand.Join(Maps.spec(id, zone)));
            }
            // Observations sometimes a little old, to exercise the compare-and-set.
            case UP -> {
                return checked(m, new ControlCommand.MarkUp(pickNode(m, op.a()), Math.max(0, e - op.b() % 3)));
            }
            case SUSPECT -> {
                return checked(m, new ControlCommand.MarkSuspect(pickNode(m, op.a()), Math.max(0, e - op.b() % 3)));
            }
            case DOWN -> {
                return checked(m, new ControlCommand.MarkDown(pickNode(m, op.a()), Math.max(0, e - op.b() % 3)));
            }
            case LEAVE -> {
                return checked(m, new ControlCommand.Leave(pickNode(m, op.a())));
            }
            case REMOVE -> {
                return checked(m, new ControlCommand.Remove(pickNode(m, op.a())));
            }
            case PLAN -> {
                List<ControlCommand> plan = planner.plan(m);
                Set<Integer> touched = new HashSet<>();
                for (ControlCommand c : plan) {
                    ApplyResult r = m.apply(c);
                    if (r instanceof ApplyResult.Rejected rej) {
                        // Only an earlier proposal of this round on the same partition may have made it stale.
                        assertEquals(ApplyResult.Reason.STALE_EPOCH, rej.reason(), c + ": " + rej.errorLine());
                        assertTrue(touched.contains(partitionOf(c)), c + " refused as stale without a reason");
                    } else {
                        touched.add(partitionOf(c));
                        m = checked(m, c);
                    }
                }
                return m;
            }
            case COMPLETE, ABORT -> {
                List<PartitionReplicas> moving = moving(m);
                if (moving.isEmpty()) {
                    return m;
                }
                PartitionReplicas p = moving.get(op.a() % moving.size());
                ReplicaMove mv = p.move();
                ControlCommand c = op.kind() == Kind.COMPLETE
                        ? new ControlCommand.CompleteMove(p.partition(), mv.add(), mv.remove(), mv.startedAtEpoch())
                        : new ControlCommand.AbortMove(p.partition(), mv.add(), mv.remove(), mv.startedAtEpoch());
                ClusterMap next = checked(m, c);
                assertEquals(e + 1, next.epoch(), "the exact move in progress is always accepted");
                return next;
            }
            case RANDOM_MOVE -> {
                int p = op.a() % m.partitions().size();
                String remove = op.b() % 4 == 0 ? null : pickNode(m, op.b() / 4);
                ClusterMap next = checked(m, new ControlCommand.BeginMove(p, pickNode(m, op.b()), remove, e));
                if (next != m) {
                    PartitionReplicas part = m.partition(p);
                    ReplicaMove mv = next.partition(p).move();
                    assertEquals(null, m.moveSafety(part.replicas(), mv.add(), mv.remove()), "an accepted move is safe");
                }
                return next;
            }
            case SET_LEADER -> {
                int p = op.a() % m.partitions().size();
                return checked(m, new ControlCommand.SetPreferredLeader(p, pickNode(m, op.b()), e - op.b() % 2));
            }
            default -> throw new AssertionError(op);
        }
    }

    private static int partitionOf(ControlCommand c) {
        return switch (c) {
            case ControlCommand.BeginMove b -> b.partition();
            case ControlCommand.SetPreferredLeader s -> s.partition();
            case ControlCommand.AbortMove a -> a.partition();
            default -> -1;
        };
    }

    /** The codec accepts only what it wrote: arbitrary bytes are refused with a codec error, never anything else. */
    @Property(tries = 300)
    void arbitraryBytesNeverDecodeIntoSomethingUnchecked(@ForAll @Size(max = 200) byte[] junk) {
        try {
            ClusterCodec.decodeCommand(junk);
        } catch (ClusterCodec.ClusterCodecException expected) {
            // refused
        }
        try {
            ClusterCodec.decodeMap(junk);
        } catch (ClusterCodec.ClusterCodecException expected) {
            // refused
        }
    }
}
