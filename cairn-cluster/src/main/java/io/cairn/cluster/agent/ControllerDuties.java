package io.cairn.cluster.agent;

import io.cairn.cluster.ApplyResult;
import io.cairn.cluster.ClusterCodec.ControlReply;
import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.ControlCommand;
import io.cairn.cluster.ControllerStateMachine;
import io.cairn.cluster.FailureDetector;
import io.cairn.cluster.NodeInfo;
import io.cairn.cluster.NodeState;
import io.cairn.cluster.PartitionReplicas;
import io.cairn.cluster.Planner;
import io.cairn.cluster.ReplicaMove;
import io.cairn.raft.RaftNode;
import io.cairn.raft.RaftNode.GroupState;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the node leading the controller group does, in a loop ({@code
 * cluster.controller.loop-interval-ms}, and woken by every map change), each pass only while this
 * node's controller replica leads and is ready:
 * <ol>
 *   <li>Failure detection: the heartbeats this leader heard ({@link FailureDetector}, created
 *       fresh each time this node becomes leader, so silence is never counted from what a previous
 *       leader heard) become MarkSuspect / MarkDown / MarkUp. Those verdicts
 *       come from this leader's memory, not from the map, so they are proposed to this node's own
 *       replica only, and only while it still leads in the term the detector was created in: a
 *       leader that was paused (or cut off) and resumes believing it still leads would otherwise
 *       judge everyone silent for the length of its own pause, and Ratis's client would carry its
 *       verdicts to the new leader, which commits whatever still matches the map's epoch.</li>
 *   <li>The planner's proposals (preferred leaders, removal of drained nodes, new moves), except
 *       its aborts: a move is given up only by its mover, after checking the group (below).</li>
 *   <li>A mover for every move in the map that has none (so a new leader resumes the moves it
 *       inherits), on {@code cluster.mover.threads} threads.</li>
 *   <li>One step of the controller group's own membership (on a thread of its own: a new member's
 *       catch-up may take a while, and failure detection must not wait for it).</li>
 *   <li>An audit of a few partitions' Raft voters against the map.</li>
 * </ol>
 *
 * <p><b>A move</b> {@code (p, +add, -remove)}: the destination hosts an empty replica when it sees
 * the move ({@link Reconciler}); the mover waits for that (up to {@code cluster.move.host-wait-ms}),
 * then asks {@link RaftNode#changeReplicas} — the new replica catches up (staging) before the
 * configuration changes — and proposes {@code CompleteMove} once the group's voters are the map's
 * replicas after the move. A swap Ratis would refuse in one change (one of two voters, or the
 * only one) goes through the union first (add, then remove). Each step starts from the voters the
 * partition's leader reports, so a retried or resumed move continues where it stopped. After
 * {@code cluster.move.max-attempts} failed attempts, or once the destination is DOWN, LEAVING or
 * gone, the move is settled from the group's actual voters: already the new ones → CompleteMove;
 * the old ones → AbortMove; the union → the destination is taken out again, then AbortMove. The map
 * is therefore only ever changed to what the group already is.
 *
 * <p><b>Controller membership</b>: 1 voter while fewer than 3 nodes are UP (or SUSPECT: a suspected
 * node is most likely alive, and the group does not shrink for it), then 3, then (with 5 such
 * nodes and {@code cluster.controller.max-voters} 5) 5; only UP nodes are added. The group grows by all the members it lacks
 * in one configuration change (1 → 3, 3 → 5), so it is never even: an even group needs one more
 * member for every commit and tolerates no more failures (a two-member one needs both). The new
 * members host the controller group first (Ratis group management, asked of their servers; a
 * leftover replica a node still has from an earlier membership is deleted first, see
 * {@code hostFresh}), then the configuration changes (compare-and-set against the current
 * voters): Ratis catches the new members up (staging) before it proposes the new configuration.
 * Ratis refuses a change that adds as many members as it keeps unless its server allows it
 * ({@code raft.server.leaderelection.member.majority-add}); refused once, the group grows one
 * member at a time instead (Ratis's one exception, 1 → 2, then 2 → 3: two members for a moment).
 * A member that is LEAVING, LEFT or DOWN is replaced by an UP node if one is spare, else removed
 * only if the group is larger than the nodes call for (a draining node keeps voting until it is
 * gone rather than leave two members that must both answer every commit); the group never drops
 * below three members while three nodes are UP ({@link #nextMembershipChange}). A leader that
 * must go hands its leadership to another member first.
 */
final class ControllerDuties {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerDuties.class);

    private final ClusterAgent agent;
    private final RaftNode node;
    private final ClusterAgentConfig config;
    private final Planner planner;
    private final ExecutorService loop;
    private final ThreadPoolExecutor movers;
    /** Changes of the controller group's members, one at a time, off the loop (each may wait for a new member to catch up). */
    private final ExecutorService membership;
    private final AtomicBoolean membershipBusy = new AtomicBoolean();
    private final AtomicBoolean pending = new AtomicBoolean();
    /** The failure detector of one leadership: valid only in {@code term}. */
    private record Detector(FailureDetector fd, long term) {
    }

    /** Non-null only while this node leads the controller group; recreated at each election won. */
    private volatile Detector detector;
    /** Moves with a mover running here: partition@startedAtEpoch. */
    private final Set<String> activeMoves = ConcurrentHashMap.newKeySet();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong aborted = new AtomicLong();
    private int auditCursor;
    private volatile boolean closed;

    ControllerDuties(ClusterAgent agent) {
        this.agent = agent;
        this.node = agent.node;
        this.config = agent.config;
        this.planner = new Planner(config.rebalanceAuto());
        this.loop = Executors.newSingleThreadExecutor(ClusterAgent.daemon("cairn-agent-controller-" + agent.selfId));
        // A move in the map needs a mover; the map holds at most max-concurrent-moves (<= 1024) of them. No more
        // run at once than this node's Raft side drives (raft.move.max-concurrent): the others wait their turn.
        int threads = Math.min(config.moverThreads(), node.config().moveMaxConcurrent());
        this.movers = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(1024), ClusterAgent.daemon("cairn-agent-mover-" + agent.selfId));
        movers.allowCoreThreadTimeOut(true);
        this.membership = Executors.newSingleThreadExecutor(ClusterAgent.daemon("cairn-agent-membership-" + agent.selfId));
    }

    // ------------------------------------------------------------------ leadership (Ratis threads: never block)

    void controllerLeaderChanged(RaftPeerId leader) {
        if (leader != null && leader.toString().equals(agent.selfId)) {
            long term = currentTerm();
            detector = term < 0 ? null : newDetector(term);
            LOG.info("node {} leads the controller (term {})", agent.selfId, term);
            wake();
        } else {
            detector = null;
        }
    }

    void heartbeatHeard(String nodeId) {
        Detector d = detector;
        if (d != null && !d.fd().heartbeat(nodeId)) {
            LOG.warn("controller: heartbeat from {} not recorded: {} nodes tracked ({})", nodeId, d.fd().tracked(),
                    FailureDetector.MAX_TRACKED_NODES);
        }
    }

    private Detector newDetector(long term) {
        return new Detector(new FailureDetector(agent.clock, config.downAfterMs(), config.suspectAfterMs(),
                config.maxTrackedNodes()), term);
    }

    /** The current term of this node's controller replica, -1 if it has none. */
    private long currentTerm() {
        return agent.localControllerDivision().map(d -> d.getInfo().getCurrentTerm()).orElse(-1L);
    }

    /** True while this node's controller replica leads and has applied its term's first entry. */
    boolean isLeader() {
        Optional<RaftServer.Division> d = agent.localControllerDivision();
        return d.isPresent() && d.get().getInfo().isLeader() && d.get().getInfo().isLeaderReady();
    }

    private ClusterMap leaderMap() {
        return agent.localControllerDivision().map(d -> ((ControllerStateMachine) d.getStateMachine()).currentMap())
                .orElse(ClusterMap.EMPTY);
    }

    // ------------------------------------------------------------------ the loop

    void wake() {
        if (closed || !pending.compareAndSet(false, true)) {
            return;
        }
        try {
            loop.execute(this::run);
        } catch (RejectedExecutionException e) {
            pending.set(false);
        }
    }

    private void run() {
        pending.set(false);
        if (closed || !isLeader()) {
            return;
        }
        try {
            pass();
        } catch (InterruptedIOException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.warn("controller pass on {} failed: {}", agent.selfId, e.toString());
        }
    }

    private void pass() throws IOException {
        ClusterMap m = leaderMap();
        if (!m.isBootstrapped()) {
            return;
        }
        Detector d = detector;
        long term = currentTerm();
        if (d == null || d.term() != term) {
            // Elected again without hearing of another leader in between (or the notification is still on its way):
            // what the old detector heard belongs to another term.
            d = newDetector(term);
            detector = d;
        }
        for (ControlCommand c : d.fd().evaluate(m)) {
            if (!proposeInTerm(c, d.term())) {
                break;
            }
        }
        for (ControlCommand c : planner.plan(leaderMap())) {
            if (c instanceof ControlCommand.AbortMove) {
                continue; // the move's mover settles it from the group's actual voters
            }
            if (closed || !isLeader()) {
                return;
            }
            propose(c);
        }
        m = leaderMap();
        for (PartitionReplicas part : m.partitions()) {
            if (part.move() != null) {
                ensureMover(part.partition(), part.move());
            }
        }
        if (membershipBusy.compareAndSet(false, true)) {
            try {
                membership.execute(() -> {
                    try {
                        if (!closed && isLeader()) {
                            membershipStep(leaderMap());
                        }
                    } catch (RuntimeException e) {
                        LOG.warn("controller membership step on {} failed: {}", agent.selfId, e.toString());
                    } finally {
                        membershipBusy.set(false);
                    }
                });
            } catch (RejectedExecutionException e) {
                membershipBusy.set(false);
            }
        }
        audit(leaderMap());
    }

    /**
     * Proposes a failure detector's verdict to this node's own controller replica only, and only
     * while it leads in {@code term} (see the class comment); false if it no longer does.
     */
    private boolean proposeInTerm(ControlCommand c, long term) throws IOException {
        if (closed || !isLeader() || currentTerm() != term) {
            LOG.info("controller: {} not proposed: {} no longer leads in term {}", c, agent.selfId, term);
            return false;
        }
        RaftPeer self = agent.node.peer();
        // No retry: a replica that no longer leads answers "not leader", and the verdict must not go to the leader it names.
        try (RaftClient client = agent.oneShotClient(List.of(self), config.commandTimeoutMs())) {
            RaftClientReply reply = client.io().send(org.apache.ratis.protocol.Message.valueOf(
                    org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations.unsafeWrap(
                            io.cairn.cluster.ClusterCodec.encode(c))));
            if (!reply.isSuccess()) {
                LOG.info("controller: {} not committed in term {}: {}", c, term, reply.getException());
                return false;
            }
            ControlReply r = io.cairn.cluster.ClusterCodec.decodeReply(reply.getMessage().getContent().toByteArray());
            logVerdict(c, r);
            return true;
        } catch (InterruptedIOException e) {
            throw e;
        } catch (IOException e) {
            LOG.info("controller: {} not committed in term {}: {}", c, term, e.toString());
            return false;
        }
    }

    private ControlReply propose(ControlCommand c) throws IOException {
        ControlReply r = agent.submit(c);
        logVerdict(c, r);
        return r;
    }

    private static void logVerdict(ControlCommand c, ControlReply r) {
        if (r.accepted()) {
            LOG.info("controller: {} -> epoch {}", c, r.epoch());
        } else if (r.reason() == ApplyResult.Reason.STALE_EPOCH || r.reason() == ApplyResult.Reason.NO_CHANGE
                || r.reason() == ApplyResult.Reason.MOVE_LIMIT) {
            LOG.debug("controller: {} refused: {}", c, r.errorLine()); // planned again from the newer map
        } else {
            LOG.info("controller: {} refused: {}", c, r.errorLine());
        }
    }

    // ------------------------------------------------------------------ moves

    private void ensureMover(int p, ReplicaMove mv) {
        String key = p + "@" + mv.startedAtEpoch();
        if (!activeMoves.add(key)) {
            return;
        }
        try {
            movers.execute(() -> {
                try {
                    runMove(p, mv);
                } catch (InterruptedIOException e) {
                    Thread.currentThread().interrupt();
                } catch (IOException | RuntimeException e) {
                    LOG.warn("mover of partition {} ({}) stopped: {}", p, mv, e.toString());
                } finally {
                    activeMoves.remove(key);
                    wake(); // the next pass may start the next move or resume this one
                }
            });
        } catch (RejectedExecutionException e) {
            activeMoves.remove(key);
        }
    }

    /** Settling a move from the group's voters: what to propose. */
    private enum Verdict { COMPLETE, ABORT, WAIT }

    private void runMove(int p, ReplicaMove mv) throws IOException {
        int failures = 0;
        long notHostedSince = -1;
        String lastFailure = "none";
        LOG.info("mover: partition {} move {} under way", p, mv);
        while (!closed && isLeader()) {
            ClusterMap m = leaderMap();
            PartitionReplicas part = m.partition(p);
            if (!mv.equals(part.move())) {
                return; // completed or aborted meanwhile (by this leader or a previous one)
            }
            List<String> before = part.replicas();
            List<String> after = part.replicasAfterMove();
            NodeState dest = m.node(mv.add()).map(NodeInfo::state).orElse(NodeState.LEFT);
            boolean destGone = dest == NodeState.DOWN || dest == NodeState.LEAVING || dest == NodeState.LEFT;
            if (destGone || failures >= config.moveMaxAttempts()) {
                String why = destGone ? "destination " + mv.add() + " is " + dest
                        : failures + " attempts failed (last: " + lastFailure + ")";
                Verdict v = settle(m, p, before, after, mv);
                if (v == Verdict.WAIT) {
                    ClusterAgent.sleep(config.moveRetryPauseMs());
                    continue;
                }
                finish(p, mv, v, why);
                return;
            }
            try {
                advance(m, p, before, after);
                finish(p, mv, Verdict.COMPLETE, "the group's voters are " + after);
                return;
            } catch (IllegalStateException notYet) {
                // The destination does not host the replica yet, or this node drives its most moves already.
                long now = System.nanoTime();
                notHostedSince = notHostedSince < 0 ? now : notHostedSince;
                if (now - notHostedSince > TimeUnit.MILLISECONDS.toNanos(config.moveHostWaitMs())) {
                    failures++;
                    lastFailure = notYet.getMessage();
                    notHostedSince = -1;
                }
                LOG.debug("mover: partition {} move {} waits: {}", p, mv, notYet.getMessage());
            } catch (InterruptedIOException e) {
                throw e;
            } catch (IOException | IllegalArgumentException e) {
                failures++;
                lastFailure = e.getMessage();
                notHostedSince = -1;
                LOG.info("mover: partition {} move {} attempt {} failed: {}", p, mv, failures, e.getMessage());
            }
            ClusterAgent.sleep(config.moveRetryPauseMs());
        }
    }

    /**
     * Brings the group's voters to {@code after}, a Ratis-allowed change at a time, starting from
     * what its leader reports; returns once they are exactly {@code after}.
     *
     * @throws IllegalStateException    the destination does not host the replica yet (or this node is busy)
     * @throws IllegalArgumentException the voters are neither the map's before, after, nor their union
     * @throws IOException              a change or a look at the group did not finish in time
     */
    private void advance(ClusterMap m, int p, List<String> before, List<String> after) throws IOException {
        Duration op = Duration.ofMillis(config.replicaOpTimeoutMs());
        Duration attempt = Duration.ofMillis(config.moveAttemptTimeoutMs());
        List<String> union = union(before, after);
        for (int step = 0; step < 4; step++) {
            GroupState s = node.groupState(p, op);
            Set<String> voters = ids(s);
            if (!s.stable()) {
                // A change is half done (joint consensus): Ratis finishes it; look again shortly.
                ClusterAgent.sleep(config.moveRetryPauseMs());
                continue;
            }
            List<String> next;
            if (voters.equals(Set.copyOf(after))) {
                return;
            } else if (voters.equals(Set.copyOf(before))) {
                next = oneChange(before, after) ? after : union;
            } else if (voters.equals(Set.copyOf(union))) {
                next = after;
            } else {
                throw new IllegalArgumentException("partition " + p + "'s voters are " + voters + ", neither the map's "
                        + before + " nor " + after + " (nor their union)");
            }
            node.changeReplicas(p, ClusterAgent.peers(m, next), attempt);
        }
        GroupState s = node.groupState(p, op);
        if (!(s.stable() && ids(s).equals(Set.copyOf(after)))) {
            throw new IOException("partition " + p + "'s voters are " + ids(s) + " after the changes, not " + after);
        }
    }

    /** What the map may now record, from the group's actual voters, when a move is given up. */
    private Verdict settle(ClusterMap m, int p, List<String> before, List<String> after, ReplicaMove mv) throws IOException {
        GroupState s;
        try {
            s = node.groupState(p, Duration.ofMillis(config.replicaOpTimeoutMs()));
        } catch (InterruptedIOException e) {
            throw e;
        } catch (IOException e) {
            LOG.info("mover: partition {} move {} cannot be settled yet: {}", p, mv, e.getMessage());
            return Verdict.WAIT;
        }
        Set<String> voters = ids(s);
        if (!s.stable()) {
            return Verdict.WAIT;
        }
        if (voters.equals(Set.copyOf(after))) {
            return Verdict.COMPLETE;
        }
        if (voters.equals(Set.copyOf(before))) {
            return Verdict.ABORT;
        }
        if (voters.equals(Set.copyOf(union(before, after)))) {
            try {
                // Added but not yet swapped: take the destination out again (a removal, always allowed).
                node.changeReplicas(p, ClusterAgent.peers(m, before), Duration.ofMillis(config.moveAttemptTimeoutMs()));
                return Verdict.ABORT;
            } catch (InterruptedIOException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                LOG.info("mover: partition {}: taking {} out again failed: {}", p, mv.add(), e.getMessage());
                return Verdict.WAIT;
            }
        }
        LOG.error("mover: partition {} move {}: the group's voters {} match neither {} nor {}; leaving the move in place",
                p, mv, voters, before, after);
        return Verdict.WAIT;
    }

    private void finish(int p, ReplicaMove mv, Verdict v, String why) throws IOException {
        ControlCommand c = v == Verdict.COMPLETE
                ? new ControlCommand.CompleteMove(p, mv.add(), mv.remove(), mv.startedAtEpoch())
                : new ControlCommand.AbortMove(p, mv.add(), mv.remove(), mv.startedAtEpoch());
        ControlReply r = propose(c);
        if (r.accepted()) {
            (v == Verdict.COMPLETE ? completed : aborted).incrementAndGet();
            LOG.info("mover: partition {} move {} {} ({})", p, mv, v == Verdict.COMPLETE ? "completed" : "aborted", why);
        }
    }

    /** True if Ratis takes {@code from} → {@code to} as one change: fewer new voters than kept ones, or 1 → 2. */
    static boolean oneChange(List<String> from, List<String> to) {
        long added = to.stream().filter(x -> !from.contains(x)).count();
        long kept = to.size() - added;
        return added < kept || (from.size() == 1 && to.size() == 2 && added == 1);
    }

    /** {@code before} then the nodes of {@code after} it lacks (preferred leader stays first). */
    static List<String> union(List<String> before, List<String> after) {
        List<String> u = new ArrayList<>(before);
        for (String a : after) {
            if (!u.contains(a)) {
                u.add(a);
            }
        }
        return u;
    }

    private static Set<String> ids(GroupState s) {
        Set<String> out = new LinkedHashSet<>();
        s.voterIds().forEach(id -> out.add(id.toString()));
        return out;
    }

    // ------------------------------------------------------------------ controller membership

    /** One change of the controller group's voters toward the rule in the class comment, or none. */
    private void membershipStep(ClusterMap m) {
        Optional<RaftServer.Division> local = agent.localControllerDivision();
        if (local.isEmpty() || closed) {
            return;
        }
        RaftConfiguration conf = local.get().getRaftConf();
        if (!conf.getPreviousPeers().isEmpty()) {
            return; // a change is half done
        }
        List<RaftPeer> voters = new ArrayList<>(conf.getCurrentPeers());
        voters.sort(Comparator.comparing(x -> x.getId().toString()));
        MembershipChange change = nextMembershipChange(m, ids(voters), agent.selfId, config.controllerMaxVoters(),
                !majorityAddRefused);
        if (change != null) {
            changeMembers(m, voters, change.add().stream().map(id -> m.node(id).orElseThrow()).toList(), change.remove());
        }
    }

    /** One change of the controller group's voters: nodes to add (UP, not voters) and at most one voter to remove. */
    record MembershipChange(List<String> add, String remove) {
        MembershipChange {
            add = List.copyOf(add);
            if (add.isEmpty() && remove == null) {
                throw new IllegalArgumentException("a membership change adds or removes someone");
            }
        }
    }

    /**
     * The next change of the controller group toward the rule in the class comment, or null.
     * The size the group should have follows the nodes that are UP or SUSPECT: a suspected node
     * is most likely alive (slow, paused, its heartbeats late), and shrinking the group for it
     * would only have to be undone, each change needing the old group's majority. Only UP nodes
     * are added. A member that is LEAVING, LEFT or DOWN is replaced by an UP node if there is one;
     * without one it is taken out only if the group stays at least the size the nodes call for —
     * a node that is still draining keeps voting (taking it out of a group of three left two
     * members that both had to answer every commit, in a verify run where the other nodes were
     * merely suspected), and the group never drops below three members while three nodes are UP.
     *
     * @param voters   the group's current voters (a stable configuration), sorted
     * @param self     the leader (it is replaced last: it must hand its leadership over first)
     * @param together whether Ratis may add as many members as it keeps in one change
     */
    static MembershipChange nextMembershipChange(ClusterMap m, List<String> voters, String self, int maxVoters,
                                                 boolean together) {
        Set<String> voterIds = Set.copyOf(voters);
        List<NodeInfo> up = m.nodes().stream().filter(n -> n.state() == NodeState.UP).toList();
        long present = m.nodes().stream().filter(n -> n.state() == NodeState.UP || n.state() == NodeState.SUSPECT).count();
        int desired = desiredVoters((int) present, maxVoters);
        List<String> spares = spares(m, up, voterIds).stream().map(NodeInfo::id).toList();
        MembershipChange change = null;
        String bad = null;
        for (String v : voters) {
            NodeState s = state(m, v);
            if (s == NodeState.LEFT || s == NodeState.LEAVING || s == NodeState.DOWN) {
                // Replace others before this leader (which hands its leadership over first).
                if (bad == null || bad.equals(self)) {
                    bad = v;
                }
            }
        }
        if (bad != null) {
            if (!spares.isEmpty()) {
                change = new MembershipChange(List.of(spares.get(0)), bad);
            } else if (voters.size() > desired) {
                // Nobody to replace it, and the group is larger than the nodes call for: it leaves the group.
                change = new MembershipChange(List.of(), bad);
            }
            // Else it stays: a LEAVING node votes until it is gone, a DOWN one may come back; a smaller group would
            // tolerate no more failures and an even one would need every member it has left.
        } else {
            List<String> adds = growth(voters.size(), desired, spares.stream().map(id -> m.node(id).orElseThrow()).toList(),
                    together).stream().map(NodeInfo::id).toList();
            if (!adds.isEmpty()) {
                change = new MembershipChange(adds, null);
            } else if (voters.size() > desired && voters.size() % 2 == 0) {
                // An even group (growth that stalled: the next member went away) tolerates no more failures than the
                // odd one below it and needs one more member for every commit: shrink back, by a member that is not
                // UP if there is one (a suspected one), else by the last other one.
                String out = voters.stream().filter(id -> !id.equals(self) && state(m, id) != NodeState.UP).findFirst()
                        .orElse(voters.stream().filter(id -> !id.equals(self)).reduce((a, b) -> b).orElse(null));
                change = out == null ? null : new MembershipChange(List.of(), out);
            }
        }
        if (change != null && change.add().isEmpty() && voters.size() - 1 < 3 && up.size() >= 3 && maxVoters >= 3) {
            // The rule above never gets here (with three nodes UP, a member that goes has a spare to replace it).
            throw new IllegalStateException("controller membership: removing " + change.remove() + " from " + voters
                    + " would leave fewer than three voters with " + up.size() + " nodes UP");
        }
        return change;
    }

    private static NodeState state(ClusterMap m, String id) {
        return m.node(id).map(NodeInfo::state).orElse(NodeState.LEFT);
    }

    /** The controller group's size for {@code upNodes} UP nodes: 1, 3 once 3 are UP, 5 once 5 are (up to {@code maxVoters}). */
    static int desiredVoters(int upNodes, int maxVoters) {
        return upNodes >= 5 && maxVoters >= 5 ? 5 : upNodes >= 3 && maxVoters >= 3 ? 3 : 1;
    }

    /**
     * The spares to add to a group of {@code voters} on its way to {@code desired}: all that are
     * missing at once when {@code together} (1 → 3, 3 → 5: the group is never even), as far as
     * spares go and only to an odd size (none if only an even size is reachable: 3 members
     * tolerate as many failures as 4); else one (the old path, through an even group, for a
     * Ratis that refuses to add as many members as it keeps). None if the group is big enough.
     */
    static List<NodeInfo> growth(int voters, int desired, List<NodeInfo> spares, boolean together) {
        if (voters >= desired || spares.isEmpty()) {
            return List.of();
        }
        if (!together) {
            return List.of(spares.get(0));
        }
        int n = Math.min(desired - voters, spares.size());
        if ((voters + n) % 2 == 0) {
            n--; // an even group needs one more member for every commit and tolerates no more failures
        }
        return n <= 0 ? List.of() : List.copyOf(spares.subList(0, n));
    }

    /** UP nodes outside the group, those in zones the group lacks first, then by id. */
    private static List<NodeInfo> spares(ClusterMap m, List<NodeInfo> up, Set<String> voterIds) {
        Set<String> zones = new HashSet<>();
        for (String v : voterIds) {
            m.node(v).ifPresent(n -> zones.add(n.placementZone()));
        }
        List<NodeInfo> out = new ArrayList<>(up.stream().filter(n -> !voterIds.contains(n.id())).toList());
        out.sort(Comparator.comparing((NodeInfo n) -> zones.contains(n.placementZone())).thenComparing(NodeInfo::id));
        return out;
    }

    /** What Ratis's refusal of a change that adds as many members as it keeps says (RaftConfigurationImpl.changeMajority). */
    static final String MAJORITY_REFUSAL = "changes a majority set";

    /** Set once Ratis refused to add several members in one change: from then on the group grows one member at a time. */
    private volatile boolean majorityAddRefused;

    private void changeMembers(ClusterMap m, List<RaftPeer> voters, List<NodeInfo> add, String remove) {
        changeMembers(m, voters, add, remove, Set.of());
    }

    /** @param hostedJustNow nodes whose fresh controller replica this step created a moment ago (not leftovers) */
    private void changeMembers(ClusterMap m, List<RaftPeer> voters, List<NodeInfo> add, String remove,
                               Set<String> hostedJustNow) {
        List<RaftPeer> next = new ArrayList<>();
        for (RaftPeer v : voters) {
            if (!v.getId().toString().equals(remove)) {
                next.add(v);
            }
        }
        List<RaftPeer> added = add.stream().map(n -> ClusterAgent.peer(m, n.id())).toList();
        next.addAll(added);
        List<RaftPeer> everyone = new ArrayList<>(voters);
        everyone.addAll(added);
        String what = "controller members " + ids(voters) + " -> " + ids(next);
        try (RaftClient client = agent.oneShotClient(everyone, config.controllerChangeTimeoutMs())) {
            if (agent.selfId.equals(remove)) {
                // This leader goes: hand the leadership to a member that stays; the new leader makes the change.
                RaftPeerId heir = next.stream().map(RaftPeer::getId).filter(id -> !id.toString().equals(agent.selfId))
                        .filter(id -> voters.stream().anyMatch(v -> v.getId().equals(id))).findFirst().orElse(null);
                if (heir != null) {
                    RaftClientReply r = client.admin().transferLeadership(heir, config.controllerChangeTimeoutMs());
                    LOG.info("controller: {} hands its leadership to {} before leaving the group: {}", agent.selfId, heir,
                            r.isSuccess() ? "done" : r.getException());
                }
                return;
            }
            for (RaftPeer a : added) {
                if (!hostedJustNow.contains(a.getId().toString()) && !hostFresh(client, a, voters)) {
                    return;
                }
            }
            SetConfigurationRequest.Arguments args = SetConfigurationRequest.Arguments.newBuilder()
                    .setServersInNewConf(next)
                    .setServersInCurrentConf(voters)
                    .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
                    .build();
            RaftClientReply r;
            String refusal;
            try {
                r = sendToSelf(client, args);
                refusal = r.isSuccess() ? null : String.valueOf(r.getException());
            } catch (IOException e) {
                // The transport may throw the leader's refusal instead of returning it in the reply.
                if (added.size() < 2 || !String.valueOf(e.getMessage()).contains(MAJORITY_REFUSAL)) {
                    throw e;
                }
                r = null;
                refusal = e.getMessage();
            }
            if (refusal != null) {
                if (added.size() > 1 && refusal.contains(MAJORITY_REFUSAL)) {
                    // This Ratis server refuses majority adds (raft.server.leaderelection.member.majority-add off):
                    // grow one member at a time, starting now with the first, whose fresh replica was just created.
                    majorityAddRefused = true;
                    LOG.info("controller: {} refused by Ratis (adding a majority at once is off); growing one member"
                            + " at a time", what);
                    changeMembers(m, voters, add.subList(0, 1), remove, Set.of(added.get(0).getId().toString()));
                    return;
                }
                LOG.info("controller: {} failed: {}", what, refusal);
                return;
            }
            LOG.info("controller: {}", what);
            if (remove != null) {
                NodeState s = m.node(remove).map(NodeInfo::state).orElse(NodeState.LEFT);
                if (s != NodeState.DOWN) {
                    try {
                        client.getGroupManagementApi(RaftPeerId.valueOf(remove)).remove(agent.controllerGroupId, true, false);
                    } catch (IOException | RuntimeException e) {
                        LOG.debug("controller: {} did not remove its controller replica (it does so itself): {}", remove, e.toString());
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.info("controller: {} failed: {}", what, e.toString());
        }
    }

    /**
     * Makes {@code peer} (not a voter) host a fresh replica of the controller group, false if it
     * did not. A replica it has already is a leftover — of an earlier membership (a node that came
     * back after it was taken out; a replica the leader told to shut down stays registered, closed),
     * or of an earlier attempt of this step — and holds nothing the group needs: it is deleted and
     * the group hosted anew. Catching up a leftover instead raced with the node's own clean-up
     * (which deletes a replica its leader's configuration leaves out) and, for a closed one, waited
     * for a catch-up that never came, until the change timed out.
     */
    private boolean hostFresh(RaftClient client, RaftPeer peer, List<RaftPeer> voters) throws IOException {
        RaftGroup group = RaftGroup.valueOf(agent.controllerGroupId, voters);
        if (add(client, peer, group)) {
            return true;
        }
        RaftClientReply removed = client.getGroupManagementApi(peer.getId()).remove(agent.controllerGroupId, true, false);
        if (!removed.isSuccess()) {
            LOG.info("controller: {} could not delete its leftover controller replica: {}", peer.getId(), removed.getException());
            return false;
        }
        LOG.info("controller: deleted {}'s leftover controller replica before adding it to the group", peer.getId());
        if (add(client, peer, group)) {
            return true;
        }
        LOG.info("controller: {} still has a controller replica after deleting it; trying again on a later pass", peer.getId());
        return false;
    }

    /** Asks {@code peer} to host {@code group}: true if it did, false if it has the group already; other failures throw. */
    private static boolean add(RaftClient client, RaftPeer peer, RaftGroup group) throws IOException {
        try {
            RaftClientReply r = client.getGroupManagementApi(peer.getId()).add(group);
            if (r.isSuccess()) {
                return true;
            }
            if (String.valueOf(r.getException()).contains(AlreadyExistsException.class.getSimpleName())) {
                return false;
            }
            throw new IOException(peer.getId() + " could not host the controller group: " + r.getException());
        } catch (IOException e) {
            // Depending on the transport the refusal comes back as the exception itself or wrapped.
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof AlreadyExistsException || String.valueOf(t.getMessage()).contains("already exists")) {
                    return false;
                }
            }
            throw e;
        }
    }

    /** Sends the configuration change to this node's replica, the leader. */
    private RaftClientReply sendToSelf(RaftClient client, SetConfigurationRequest.Arguments args) throws IOException {
        return client.getClientRpc().sendRequest(new SetConfigurationRequest(client.getId(), RaftPeerId.valueOf(agent.selfId),
                agent.controllerGroupId, org.apache.ratis.rpc.CallId.getAndIncrement(), args));
    }

    private static List<String> ids(List<RaftPeer> peers) {
        return peers.stream().map(x -> x.getId().toString()).toList();
    }

    // ------------------------------------------------------------------ audit

    /**
     * Compares a few partitions' voters (as their leaders report them) with the map; a group that
     * holds one replica the map does not, in place of one the map lists (an interrupted move whose
     * change went through after it was given up), gets the move recorded so that the mover
     * completes it; any other disagreement is logged.
     */
    private void audit(ClusterMap m) throws IOException {
        int n = Math.min(config.auditPartitionsPerPass(), m.partitions().size());
        Duration look = Duration.ofMillis(Math.min(config.replicaOpTimeoutMs(), 2000));
        for (int i = 0; i < n && !closed && isLeader(); i++) {
            int p = Math.floorMod(auditCursor++, m.partitions().size());
            PartitionReplicas part = m.partition(p);
            if (part.move() != null || activeMoves.stream().anyMatch(k -> k.startsWith(p + "@"))) {
                continue;
            }
            GroupState s;
            try {
                s = node.groupState(p, look);
            } catch (InterruptedIOException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                continue;
            }
            Set<String> voters = ids(s);
            Set<String> listed = Set.copyOf(part.replicas());
            if (!s.stable() || voters.equals(listed)) {
                continue;
            }
            Set<String> extra = new HashSet<>(voters);
            extra.removeAll(listed);
            Set<String> missing = new HashSet<>(listed);
            missing.removeAll(voters);
            ClusterMap now = leaderMap();
            if (now.partition(p).changedAtEpoch() != part.changedAtEpoch()) {
                continue; // changed meanwhile: look again on a later pass
            }
            if (extra.size() == 1 && missing.size() <= 1) {
                String add = extra.iterator().next();
                String remove = missing.isEmpty() ? null : missing.iterator().next();
                LOG.warn("controller audit: partition {}'s voters are {} but the map lists {}: recording the move +{} -{}", p,
                        voters, listed, add, remove);
                propose(new ControlCommand.BeginMove(p, add, remove, now.epoch()));
            } else {
                LOG.warn("controller audit: partition {}'s voters are {} but the map lists {}", p, voters, listed);
            }
        }
    }

    long movesCompleted() {
        return completed.get();
    }

    long movesAborted() {
        return aborted.get();
    }

    void close() {
        closed = true;
        detector = null;
        loop.shutdownNow();
        movers.shutdownNow();
        membership.shutdownNow();
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
            movers.awaitTermination(5, TimeUnit.SECONDS);
            membership.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
