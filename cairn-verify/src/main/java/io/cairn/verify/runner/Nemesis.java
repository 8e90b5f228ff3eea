package io.cairn.verify.runner;

import io.cairn.verify.report.FaultWindow;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Injects faults on a seeded schedule until the run's fault phase ends: wait a random gap, start
 * one fault (sometimes two of different kinds at once, on different nodes), hold it for a random
 * while, end it, repeat. Every fault is recorded as a {@link FaultWindow} for the report. Whatever
 * happens, {@link #healEverything} leaves every member running, resumed, connected and on time.
 *
 * <p>Faults target the cluster's current members only, and never a node the
 * {@link MembershipNemesis} is working on: a fault reserves its node
 * ({@link ClusterProcesses#tryReserve}) until it ends. Membership changes (join, leave) are not
 * scheduled here; they run on their own thread, overlapping these faults.
 */
final class Nemesis implements Runnable {
    private interface Active {
        /** Ends the fault (restart, resume, heal, reset). */
        void end() throws Exception;
    }

    private final ClusterProcesses cluster;
    private final List<NemesisKind> kinds;
    private final Random random;
    private final long endNanos;
    private final NemesisTiming timing;
    private final PrintStream log;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<FaultWindow> windows = Collections.synchronizedList(new ArrayList<>());
    private final List<String> errors = Collections.synchronizedList(new ArrayList<>());
    private final long originNanos;

    Nemesis(ClusterProcesses cluster, Set<NemesisKind> kinds, long seed, long endNanos, NemesisTiming timing,
            PrintStream log, long originNanos) {
        this.cluster = cluster;
        this.kinds = kinds.stream().filter(k -> !k.isMembership()).sorted().toList();
        this.random = new Random(seed);
        this.endNanos = endNanos;
        this.timing = timing;
        this.log = log;
        this.originNanos = originNanos;
    }

    List<FaultWindow> windows() {
        synchronized (windows) {
            return List.copyOf(windows);
        }
    }

    /** Problems the nemesis met (a node that would not restart, a refused DEBUG command). */
    List<String> errors() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }

    void stop() {
        stop.set(true);
    }

    @Override
    public void run() {
        if (kinds.isEmpty()) {
            return;
        }
        try {
            while (!stop.get()) {
                long gap = between(timing.minGapMs(), timing.maxGapMs());
                long hold = between(timing.minFaultMs(), timing.maxFaultMs());
                if (System.nanoTime() + (gap + hold) * 1_000_000L > endNanos) {
                    break;
                }
                Thread.sleep(gap);
                List<NemesisKind> chosen = new ArrayList<>(kinds);
                Collections.shuffle(chosen, random);
                int count = chosen.size() > 1 && random.nextInt(4) == 0 ? 2 : 1;
                Set<Integer> busy = new HashSet<>();
                List<Runnable> enders = new ArrayList<>();
                for (NemesisKind kind : chosen.subList(0, count)) {
                    enders.add(0, begin(kind, busy));
                }
                Thread.sleep(hold);
                enders.forEach(Runnable::run);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            healEverything();
        }
    }

    private long between(int lo, int hi) {
        return lo + (hi > lo ? random.nextInt(hi - lo + 1) : 0);
    }

    /** Starts one fault and returns what ends it (and closes its window). */
    private Runnable begin(NemesisKind kind, Set<Integer> busy) {
        long start = System.nanoTime();
        String[] description = {""};
        Active active;
        try {
            active = switch (kind) {
                case KILL -> {
                    int n = target(busy, true);
                    description[0] = cluster.name(n);
                    cluster.kill(n);
                    yield () -> {
                        try {
                            cluster.start(n);
                        } finally {
                            cluster.release(n);
                        }
                    };
                }
                case PAUSE -> {
                    int n = target(busy, true);
                    description[0] = cluster.name(n);
                    cluster.pause(n);
                    yield () -> {
                        try {
                            cluster.resume(n);
                        } finally {
                            cluster.release(n);
                        }
                    };
                }
                case PARTITION -> {
                    description[0] = partition();
                    yield () -> cluster.network().healAll();
                }
                case CLOCK -> {
                    int n = target(busy, false);
                    long offset = (random.nextBoolean() ? 1 : -1) * between(1_000, 60_000);
                    description[0] = cluster.name(n) + String.format(Locale.ROOT, " %+d ms", offset);
                    try {
                        debug(n, "CLOCK-OFFSET", String.valueOf(offset));
                    } catch (RuntimeException e) {
                        cluster.release(n);
                        throw e;
                    }
                    yield () -> {
                        try {
                            debug(n, "CLOCK-OFFSET", "0");
                        } finally {
                            cluster.release(n);
                        }
                    };
                }
                case TRANSFER -> {
                    int n = target(busy, true);
                    try {
                        String moved = debug(n, "LEADER-STEPDOWN");
                        description[0] = cluster.name(n) + " handed over " + moved + " leaders";
                    } finally {
                        cluster.release(n);
                    }
                    yield () -> { };
                }
                case JOIN, LEAVE -> throw new IllegalStateException(kind + " is scheduled by the membership nemesis");
            };
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            errors.add(kind + " " + description[0] + ": " + e);
            active = () -> { };
        }
        String name = kind.name().toLowerCase(Locale.ROOT);
        log.printf(Locale.ROOT, "[%6.1fs] nemesis %s %s%n", (start - originNanos) / 1e9, name, description[0]);
        Active fault = active;
        if (kind == NemesisKind.TRANSFER) {
            windows.add(new FaultWindow(name, description[0], start, System.nanoTime()));
            return () -> { };
        }
        return () -> {
            try {
                fault.end();
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                errors.add("ending " + name + " " + description[0] + ": " + e);
            }
            long end = System.nanoTime();
            windows.add(new FaultWindow(name, description[0], start, end));
            log.printf(Locale.ROOT, "[%6.1fs] nemesis %s %s ended%n", (end - originNanos) / 1e9, name, description[0]);
        };
    }

    /**
     * A running member for the next fault, not already targeted in this round nor reserved by the
     * membership nemesis; the caller owns its reservation until the fault ends. Half the time the
     * busiest leader when {@code preferLeader}: faults at leaders exercise failover, the risky path.
     */
    private int target(Set<Integer> busy, boolean preferLeader) {
        if (preferLeader && random.nextBoolean()) {
            int leader = cluster.busiestLeader();
            if (leader >= 0 && !busy.contains(leader) && cluster.isMember(leader)
                    && cluster.state(leader) == ClusterProcesses.State.RUNNING && cluster.tryReserve(leader)) {
                busy.add(leader);
                return leader;
            }
        }
        List<Integer> free = new ArrayList<>();
        for (int i : cluster.runningMembers()) {
            if (!busy.contains(i) && !cluster.isReserved(i)) {
                free.add(i);
            }
        }
        while (!free.isEmpty()) {
            int n = free.remove(random.nextInt(free.size()));
            if (cluster.tryReserve(n)) { // the membership nemesis may have taken it meanwhile
                busy.add(n);
                return n;
            }
        }
        throw new IllegalStateException("no running member left to target");
    }

    /** Applies one random partition shape and returns its description, e.g. {@code "n1 | n2 n3"}. */
    private String partition() {
        // Members only: a spare's or a departed node's links carry nothing worth cutting (a spare
        // that joins during the fault sits with the majority side, see below).
        List<String> nodes = new ArrayList<>(cluster.memberNames());
        Collections.shuffle(nodes, random);
        int shape = random.nextInt(4);
        if (shape == 0) { // isolate the busiest leader: the old leader must not serve or commit alone
            int leader = cluster.busiestLeader();
            String isolated = leader >= 0 ? cluster.name(leader) : nodes.get(0);
            cluster.network().isolate(isolated);
            return isolated + " | rest (busiest leader isolated)";
        }
        if (shape == 1 && nodes.size() >= 3) { // bridge: one node sees both halves, the halves not each other
            String bridge = nodes.get(0);
            List<String> rest = nodes.subList(1, nodes.size());
            List<String> left = rest.subList(0, rest.size() / 2);
            List<String> right = rest.subList(rest.size() / 2, rest.size());
            for (String a : left) {
                for (String b : right) {
                    cluster.network().block(a, b);
                    cluster.network().block(b, a);
                }
            }
            return String.join(" ", left) + " <-> " + bridge + " <-> " + String.join(" ", right) + " (bridge)";
        }
        if (shape == 2) { // one random node alone
            cluster.network().isolate(nodes.get(0));
            return nodes.get(0) + " | rest";
        }
        int minority = (nodes.size() - 1) / 2; // majority / minority split
        List<String> small = nodes.subList(0, Math.max(1, minority));
        List<String> big = new ArrayList<>(nodes.subList(Math.max(1, minority), nodes.size()));
        String shown = String.join(" ", big);
        for (String n : cluster.names()) {
            if (!nodes.contains(n)) {
                big.add(n); // a node not listed would be cut off from everyone
            }
        }
        cluster.network().partition(List.of(small, big));
        return String.join(" ", small) + " | " + shown;
    }

    private String debug(int node, String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "DEBUG";
        System.arraycopy(args, 0, cmd, 1, args.length);
        String reply = cluster.command(node, cmd);
        if (reply.startsWith("-")) {
            throw new IllegalStateException("DEBUG " + String.join(" ", args) + " on " + cluster.name(node) + ": " + reply);
        }
        return reply;
    }

    /** Ends every fault: links healed, paused nodes resumed, stopped members restarted, clocks reset. */
    void healEverything() {
        cluster.network().healAll();
        for (int i : cluster.members()) {
            try {
                switch (cluster.state(i)) {
                    case PAUSED -> cluster.resume(i);
                    case STOPPED -> {
                        if (!cluster.isLaunching(i)) { // a join in progress: the membership nemesis owns it
                            cluster.start(i);
                        }
                    }
                    case RUNNING -> { }
                }
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                errors.add("healing " + cluster.name(i) + ": " + e);
            }
        }
        if (kinds.contains(NemesisKind.CLOCK)) {
            for (int i : cluster.runningMembers()) {
                try {
                    debug(i, "CLOCK-OFFSET", "0");
                } catch (RuntimeException e) {
                    errors.add("resetting the clock of " + cluster.name(i) + ": " + e);
                }
            }
        }
    }
}
