package io.cairn.verify.runner;

import io.cairn.verify.report.FaultWindow;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Changes an elastic cluster's membership on a seeded schedule while {@link Nemesis} injects the
 * other faults on its own thread, so joins, drains and the rebalances they cause overlap kills,
 * pauses, partitions, clock jumps and leader transfers.
 *
 * <ul>
 *   <li><b>join</b>: a spare slot (never started, or a node that left; its data directory wiped)
 *       starts with {@code --join} through a running member; the change ends when the map lists it
 *       UP (bounded by {@link ElasticOptions#joinTimeout}).</li>
 *   <li><b>leave</b>: {@code CLUSTER LEAVE <node>} through a running member; the controller drains
 *       the node's replicas to the others and marks it LEFT; then its process is stopped (SIGTERM).
 *       A leave is only issued when the map's UP members other than the leaving node (and any other
 *       node still leaving) can hold the replication factor, and when no other leave is pending; the
 *       controller refuses it anyway ({@code -TOOFEWNODES}) if a node went down meanwhile. The wait
 *       for LEFT is bounded by {@link ElasticOptions#leaveTimeout}; a leave that has not finished
 *       by then stays pending, and {@link #finishPendingLeaves} waits for it after the heal.</li>
 *   <li><b>rebalance</b>: a watcher thread polls the map every {@value #WATCH_INTERVAL_MS} ms and
 *       records a window from the first map with a replica move in progress until none has been
 *       seen for {@value #REBALANCE_QUIET_MS} ms: the rebalances after joins and leaves, and the
 *       re-replication after a kill or pause that outlasted {@code down-after-ms}.</li>
 * </ul>
 *
 * <p>Changes alternate, join first (a 3-node cluster at RF 3 cannot lose a node); a change starts
 * {@link ElasticOptions#minGapMs}..{@code maxGapMs} after the previous one ended, and only while at
 * least {@value #MIN_REMAINING_MS} ms of the fault phase remain, so each one overlaps the other
 * faults. The node a change works on (and a join's contact node until the joiner is up) is
 * reserved ({@link ClusterProcesses#tryReserve}): the other nemesis does not kill or pause it
 * meanwhile. Every change is recorded as a {@link FaultWindow} ({@code join}, {@code leave},
 * {@code rebalance}) for the report.
 *
 * <p>The watcher also checks an invariant of the map ({@code ClusterMap}: "a failure never shortens
 * the list"): once the cluster has settled at the replication factor, every map any node reports
 * lists exactly that many distinct replicas for every partition. A map that does not is a
 * {@link #violations() violation}: a partition whose quorum shrank.
 */
final class MembershipNemesis implements Runnable {
    /** The watcher's poll interval. */
    static final int WATCH_INTERVAL_MS = 500;
    /** A rebalance window closes once no move has been seen for this long (moves come and go between planner loops). */
    static final int REBALANCE_QUIET_MS = 2_000;
    /** A change starts only if the fault phase has at least this long left, so it overlaps faults. */
    static final int MIN_REMAINING_MS = 6_000;
    /** Attempts of one {@code CLUSTER LEAVE}, each through another member (connection lost, node busy). */
    private static final int LEAVE_ATTEMPTS = 3;
    private static final int POLL_MS = 250;
    /** Invariant violations kept for the report; one is enough to fail the run, the rest are evidence. */
    private static final int MAX_VIOLATIONS = 50;

    private final ClusterProcesses cluster;
    private final boolean joins;
    private final boolean leaves;
    private final ElasticOptions options;
    private final Random random;
    private final long endNanos;
    private final long originNanos;
    private final long settledEpoch;
    private final int replicationFactor;
    private final PrintStream log;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicBoolean stopWatching = new AtomicBoolean();
    private final List<FaultWindow> windows = Collections.synchronizedList(new ArrayList<>());
    private final List<String> errors = Collections.synchronizedList(new ArrayList<>());
    private final Set<String> violations = Collections.synchronizedSet(new TreeSet<>());
    /** Nodes whose CLUSTER LEAVE was accepted but that are not LEFT and stopped yet. */
    private final Set<Integer> pendingLeaves = Collections.synchronizedSet(new TreeSet<>());
    private Thread watcher;
    private volatile int joinsDone;
    private volatile int leavesDone;
    private volatile int leavesRefused;

    /**
     * @param kinds             the run's nemeses; only {@link NemesisKind#JOIN} and {@link NemesisKind#LEAVE} matter here
     * @param settled           the map the cluster settled at before the workload began
     * @param endNanos          end of the fault phase ({@link System#nanoTime()})
     */
    MembershipNemesis(ClusterProcesses cluster, Set<NemesisKind> kinds, ElasticOptions options, long seed,
                      ClusterMapView settled, long endNanos, PrintStream log, long originNanos) {
        if (!cluster.isElastic()) {
            throw new IllegalArgumentException("membership changes need an elastic cluster");
        }
        this.cluster = cluster;
        this.joins = kinds.contains(NemesisKind.JOIN);
        this.leaves = kinds.contains(NemesisKind.LEAVE);
        this.options = options;
        this.random = new Random(seed);
        this.endNanos = endNanos;
        this.originNanos = originNanos;
        this.settledEpoch = settled.epoch();
        this.replicationFactor = settled.replicationFactor();
        this.log = log;
    }

    List<FaultWindow> windows() {
        synchronized (windows) {
            return List.copyOf(windows);
        }
    }

    /** Problems the nemesis met (a join that failed, a leave that did not finish). */
    List<String> errors() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }

    /** Maps that broke an invariant (a partition listed on fewer or more than RF nodes after the settle). */
    List<String> violations() {
        synchronized (violations) {
            return List.copyOf(violations);
        }
    }

    int joins() {
        return joinsDone;
    }

    int leaves() {
        return leavesDone;
    }

    int leavesRefused() {
        return leavesRefused;
    }

    /** No new change after the current one. */
    void stop() {
        stop.set(true);
    }

    /** Starts the rebalance watcher; it runs until {@link #stopWatching}. */
    void startWatching() {
        watcher = Thread.ofPlatform().name("verify-rebalance-watch").daemon().start(this::watch);
    }

    /** Stops the watcher (closing an open rebalance window) and waits for it. */
    void stopWatching() throws InterruptedException {
        stopWatching.set(true);
        if (watcher != null) {
            watcher.join(Duration.ofSeconds(30));
        }
    }

    @Override
    public void run() {
        if (!joins && !leaves) {
            return;
        }
        boolean joinTurn = true;
        try {
            while (!stop.get()) {
                if (!sleepUnlessStopped(between(options.minGapMs(), options.maxGapMs()))) {
                    break;
                }
                if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MIN_REMAINING_MS) > endNanos) {
                    break;
                }
                Integer spare = joins ? spare() : null;
                Integer leaver = leaves ? leaveCandidate() : null;
                if (spare != null && (joinTurn || leaver == null)) {
                    join(spare);
                    joinTurn = false;
                } else if (leaver != null) {
                    leave(leaver);
                    joinTurn = true;
                }
                // neither possible now (a member down, a leave pending): look again after the next gap
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private long between(int lo, int hi) {
        return lo + (hi > lo ? random.nextInt(hi - lo + 1) : 0);
    }

    private boolean sleepUnlessStopped(long ms) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (!stop.get()) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            Thread.sleep(Math.min(100, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left))));
        }
        return false;
    }

    /** A slot that is not a member and not running (a spare, or a node that left and was stopped), or null. */
    private Integer spare() {
        List<Integer> free = new ArrayList<>();
        for (int i = 0; i < cluster.size(); i++) {
            if (!cluster.isMember(i) && cluster.state(i) == ClusterProcesses.State.STOPPED && !cluster.isReserved(i)) {
                free.add(i);
            }
        }
        return free.isEmpty() ? null : free.get(random.nextInt(free.size()));
    }

    /**
     * A running, unreserved member that is UP in the map and may leave: no other leave pending and
     * the map's other UP members hold the replication factor. Null if there is none.
     */
    private Integer leaveCandidate() {
        if (!pendingLeaves.isEmpty()) {
            return null;
        }
        ClusterMapView map = cluster.anyMapView();
        if (map == null) {
            return null;
        }
        List<Integer> candidates = new ArrayList<>();
        for (int i : cluster.runningMembers()) {
            String name = cluster.name(i);
            Set<String> othersUp = new HashSet<>(map.up());
            othersUp.remove(name);
            if (!cluster.isReserved(i) && map.state(name).equals("UP") && othersUp.size() >= map.replicationFactor()) {
                candidates.add(i);
            }
        }
        return candidates.isEmpty() ? null : candidates.get(random.nextInt(candidates.size()));
    }

    private void join(int node) throws InterruptedException {
        if (!cluster.tryReserve(node)) {
            return;
        }
        Integer via = null;
        List<Integer> contacts = new ArrayList<>(cluster.runningMembers());
        Collections.shuffle(contacts, random);
        for (int c : contacts) {
            if (cluster.tryReserve(c)) {
                via = c;
                break;
            }
        }
        if (via == null) {
            cluster.release(node);
            return;
        }
        String name = cluster.name(node);
        String description = name + " via " + cluster.name(via);
        long start = System.nanoTime();
        log.printf(Locale.ROOT, "[%6.1fs] nemesis join %s%n", seconds(start), description);
        String outcome;
        try {
            try {
                cluster.joinFresh(node, via);
            } finally {
                cluster.release(via);
            }
            long deadline = start + options.joinTimeout().toNanos();
            String state = awaitState(name, "UP", deadline);
            if (state.equals("UP")) {
                joinsDone++;
                outcome = "";
            } else {
                outcome = " (not UP within " + options.joinTimeout().toSeconds() + " s: " + state + ")";
                errors.add("join " + description + outcome);
            }
        } catch (java.io.IOException | RuntimeException e) {
            outcome = " (failed: " + e.getMessage() + ")";
            errors.add("join " + description + ": " + e);
        } finally {
            cluster.release(node);
        }
        long end = System.nanoTime();
        windows.add(new FaultWindow("join", description + outcome, start, end));
        log.printf(Locale.ROOT, "[%6.1fs] nemesis join %s ended%s%n", seconds(end), name, outcome);
    }

    private void leave(int node) throws InterruptedException {
        if (!cluster.tryReserve(node)) {
            return;
        }
        String name = cluster.name(node);
        long start = System.nanoTime();
        String reply = null;
        List<Integer> via = new ArrayList<>(cluster.runningMembers());
        Collections.shuffle(via, random);
        try {
            for (int attempt = 0; attempt < LEAVE_ATTEMPTS && attempt < via.size(); attempt++) {
                try {
                    reply = cluster.command(via.get(attempt), "CLUSTER", "LEAVE", name);
                } catch (RuntimeException e) { // lost connection: the leave may or may not have been accepted
                    reply = "-connection: " + e.getMessage();
                }
                if (!reply.startsWith("-") || !retryable(reply)) {
                    break;
                }
            }
            ClusterMapView map = cluster.anyMapView();
            boolean accepted = reply != null && (reply.startsWith("OK")
                    || (map != null && (map.state(name).equals("LEAVING") || map.state(name).equals("LEFT"))));
            log.printf(Locale.ROOT, "[%6.1fs] nemesis leave %s: CLUSTER LEAVE -> %s%n", seconds(start), name, reply);
            if (!accepted) {
                // The controller protects the replication factor (TOOFEWNODES) when a node went down
                // after the candidate was picked: a refusal is the right answer, not a failure.
                leavesRefused++;
                windows.add(new FaultWindow("leave", name + " refused: " + reply, start, System.nanoTime()));
                if (reply == null || !reply.startsWith("-TOOFEWNODES")) {
                    errors.add("leave " + name + ": CLUSTER LEAVE -> " + reply);
                }
                return;
            }
            pendingLeaves.add(node);
            String state = awaitState(name, "LEFT", start + options.leaveTimeout().toNanos());
            String outcome;
            if (state.equals("LEFT")) {
                cluster.retire(node);
                pendingLeaves.remove(node);
                leavesDone++;
                outcome = "";
            } else {
                outcome = " (not LEFT within " + options.leaveTimeout().toSeconds() + " s: " + state + ")";
                errors.add("leave " + name + outcome);
            }
            long end = System.nanoTime();
            windows.add(new FaultWindow("leave", name + outcome, start, end));
            log.printf(Locale.ROOT, "[%6.1fs] nemesis leave %s ended%s%n", seconds(end), name,
                    outcome.isEmpty() ? " (LEFT, stopped)" : outcome);
        } finally {
            cluster.release(node);
        }
    }

    private static boolean retryable(String reply) {
        return reply.startsWith("-connection") || reply.contains("still waiting") || reply.startsWith("-TIMEOUT")
                || reply.startsWith("-ERR the controller did not accept");
    }

    /**
     * After the faults are healed: waits for every leave still pending to reach LEFT (bounded by
     * {@code timeout}) and stops those nodes; returns a problem line per leave that did not finish.
     */
    List<String> finishPendingLeaves(Duration timeout) throws InterruptedException {
        List<String> problems = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int node : List.copyOf(pendingLeaves)) {
            String name = cluster.name(node);
            String state = awaitState(name, "LEFT", deadline);
            if (state.equals("LEFT")) {
                cluster.retire(node);
                pendingLeaves.remove(node);
                leavesDone++;
                log.printf(Locale.ROOT, "[%6.1fs] leave %s finished after the heal%n", seconds(System.nanoTime()), name);
            } else {
                problems.add("the cluster did not recover: the leave of " + name + " did not finish within "
                        + timeout.toSeconds() + " s of healing (" + state + ")");
            }
        }
        return problems;
    }

    /** Polls the map until {@code node} is in {@code wanted} or the deadline passes; returns the last state seen. */
    private String awaitState(String node, String wanted, long deadlineNanos) throws InterruptedException {
        String last = "unknown (no map)";
        while (true) {
            ClusterMapView map = cluster.anyMapView();
            if (map != null) {
                last = map.state(node);
                if (last.equals(wanted)) {
                    return last;
                }
            }
            if (System.nanoTime() > deadlineNanos) {
                return last;
            }
            Thread.sleep(POLL_MS);
        }
    }

    private void watch() {
        long openSince = -1;
        long lastMoving = -1;
        long firstEpoch = -1;
        int mostMoving = 0;
        while (!stopWatching.get()) {
            ClusterMapView map = cluster.anyMapView();
            long now = System.nanoTime();
            if (map != null) {
                checkInvariant(map);
                int moving = map.moves();
                if (moving > 0) {
                    if (openSince < 0) {
                        openSince = now;
                        firstEpoch = map.epoch();
                        mostMoving = 0;
                    }
                    lastMoving = now;
                    mostMoving = Math.max(mostMoving, moving);
                } else if (openSince >= 0 && now - lastMoving >= TimeUnit.MILLISECONDS.toNanos(REBALANCE_QUIET_MS)) {
                    closeRebalance(openSince, lastMoving, firstEpoch, map.epoch(), mostMoving);
                    openSince = -1;
                }
            }
            try {
                Thread.sleep(WATCH_INTERVAL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (openSince >= 0) {
            ClusterMapView map = cluster.anyMapView();
            closeRebalance(openSince, System.nanoTime(), firstEpoch, map == null ? -1 : map.epoch(), mostMoving);
        }
    }

    private void closeRebalance(long start, long end, long fromEpoch, long toEpoch, int mostMoving) {
        String description = String.format(Locale.ROOT, "epoch %d->%d, up to %d partition%s moving", fromEpoch, toEpoch,
                mostMoving, mostMoving == 1 ? "" : "s");
        windows.add(new FaultWindow("rebalance", description, start, Math.max(start, end)));
        log.printf(Locale.ROOT, "[%6.1fs] rebalance %s (%.1f s)%n", seconds(start), description, (end - start) / 1e9);
    }

    /** "A failure never shortens the list": after the settle, every partition lists RF distinct replicas. */
    private void checkInvariant(ClusterMapView map) {
        if (map.epoch() < settledEpoch) {
            return; // a node that has not caught up with the settled map yet: its view may predate full replication
        }
        for (int p = 0; p < map.replicas().size(); p++) {
            List<String> r = map.replicas().get(p);
            if ((r.size() != replicationFactor || new HashSet<>(r).size() != r.size()) && violations.size() < MAX_VIOLATIONS) {
                violations.add("epoch " + map.epoch() + ": partition " + p + " listed on " + r + ", not "
                        + replicationFactor + " distinct nodes");
            }
        }
    }

    private double seconds(long nanos) {
        return (nanos - originNanos) / 1e9;
    }
}
