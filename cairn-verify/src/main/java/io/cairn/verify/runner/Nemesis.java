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
 * happens, {@link #healEverything} leaves every node running, resumed, connected and on time.
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
        this.kinds = List.copyOf(kinds);
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
                    yield () -> cluster.start(n);
                }
                case PAUSE -> {
                    int n = target(busy, true);
                    description[0] = cluster.name(n);
                    cluster.pause(n);
                    yield () -> cluster.resume(n);
                }
                case PARTITION -> {
                    description[0] = partition();
                    yield () -> cluster.network().healAll();
                }
                case CLOCK -> {
                    int n = target(busy, false);
                    long offset = (random.nextBoolean() ? 1 : -1) * between(1_000, 60_000);
                    description[0] = cluster.name(n) + String.format(Locale.ROOT, " %+d ms", offset);
                    debug(n, "CLOCK-OFFSET", String.valueOf(offset));
                    yield () -> debug(n, "CLOCK-OFFSET", "0");
                }
                case TRANSFER -> {
                    int n = target(busy, true);
                    String moved = debug(n, "LEADER-STEPDOWN");
                    description[0] = cluster.name(n) + " handed over " + moved + " leaders";
                    yield () -> { };
                }
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
     * A node for the next fault, not already targeted in this round. Half the time the busiest
     * leader when {@code preferLeader}: faults at leaders exercise failover, the risky path.
     */
    private int target(Set<Integer> busy, boolean preferLeader) {
        if (preferLeader && random.nextBoolean()) {
            int leader = cluster.busiestLeader();
            if (leader >= 0 && busy.add(leader)) {
                return leader;
            }
        }
        List<Integer> free = new ArrayList<>();
        for (int i = 0; i < cluster.size(); i++) {
            if (!busy.contains(i) && cluster.state(i) == ClusterProcesses.State.RUNNING) {
                free.add(i);
            }
        }
        if (free.isEmpty()) {
            throw new IllegalStateException("no running node left to target");
        }
        int n = free.get(random.nextInt(free.size()));
        busy.add(n);
        return n;
    }

    /** Applies one random partition shape and returns its description, e.g. {@code "n1 | n2 n3"}. */
    private String partition() {
        List<String> nodes = new ArrayList<>(cluster.names());
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
        List<String> big = nodes.subList(Math.max(1, minority), nodes.size());
        cluster.network().partition(List.of(small, big));
        return String.join(" ", small) + " | " + String.join(" ", big);
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

    /** Ends every fault: links healed, paused nodes resumed, stopped nodes restarted, clocks reset. */
    void healEverything() {
        cluster.network().healAll();
        for (int i = 0; i < cluster.size(); i++) {
            try {
                switch (cluster.state(i)) {
                    case PAUSED -> cluster.resume(i);
                    case STOPPED -> cluster.start(i);
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
            for (int i = 0; i < cluster.size(); i++) {
                try {
                    debug(i, "CLOCK-OFFSET", "0");
                } catch (RuntimeException e) {
                    errors.add("resetting the clock of " + cluster.name(i) + ": " + e);
                }
            }
        }
    }
}
