package io.cairn.verify.runner;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One verification run. Everything random (workload choices, fault schedule) derives from
 * {@code seed}, so a run is reproduced by its seed and options; the timing of a real cluster is
 * not reproducible, so a reproduction replays the same schedule, not the same history.
 *
 * @param nodes           cluster size (3 or 5)
 * @param partitions      partitions (Raft groups) of the cluster
 * @param duration        length of the workload phase (faults are injected during it)
 * @param nemeses         faults to inject; empty = none
 * @param workloads       workloads to run side by side
 * @param clients         concurrent clients
 * @param keysPerWorkload active keys per workload
 * @param opsPerKey       operations after which a key is retired for a fresh one (bounds the check)
 * @param thinkMaxMs      a client waits 0..thinkMaxMs between its operations
 * @param seed            the run's seed
 * @param readConsistency null for the server's default (linearizable); else a weaker level, which the
 *                        checker should catch (e.g. STALE under partitions)
 * @param serverArgs      extra {@code cairn server} arguments for every node (e.g. durability)
 * @param reportRoot      parent of the run's report directory
 * @param launcher        how to start a node
 * @param timing          the nemesis schedule's timing
 * @param elastic         null for static membership ({@code --peers}, every node started at once); else an
 *                        elastic cluster ({@code --bootstrap} / {@code --join}) with spare nodes, needed by the
 *                        {@link NemesisKind#JOIN} and {@link NemesisKind#LEAVE} nemeses
 */
public record VerifyOptions(int nodes, int partitions, Duration duration, Set<NemesisKind> nemeses,
                            List<Workload> workloads, int clients, int keysPerWorkload, int opsPerKey,
                            int thinkMaxMs, long seed, String readConsistency, List<String> serverArgs,
                            Path reportRoot, NodeLauncher launcher, NemesisTiming timing,
                            ElasticOptions elastic) {
    /** History size bound: a run that would record more fails instead of exhausting memory. */
    public static final int MAX_OPS = 500_000;

    public VerifyOptions {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("nodes must be in 1..9, got " + nodes);
        }
        if (partitions < 1 || partitions > 1024) {
            throw new IllegalArgumentException("partitions must be in 1..1024, got " + partitions);
        }
        if (duration.isNegative() || duration.compareTo(Duration.ofHours(24)) > 0) {
            throw new IllegalArgumentException("duration must be in 0..24h, got " + duration);
        }
        if (workloads.isEmpty()) {
            throw new IllegalArgumentException("at least one workload");
        }
        if (clients < 1 || clients > 200) {
            throw new IllegalArgumentException("clients must be in 1..200, got " + clients);
        }
        if (keysPerWorkload < 1 || keysPerWorkload > 10_000 || opsPerKey < 1 || opsPerKey > 100_000) {
            throw new IllegalArgumentException("keys per workload in 1..10000 and ops per key in 1..100000");
        }
        if (thinkMaxMs < 0 || thinkMaxMs > 60_000) {
            throw new IllegalArgumentException("think time must be in 0..60000 ms");
        }
        nemeses = Set.copyOf(nemeses);
        workloads = List.copyOf(workloads);
        serverArgs = List.copyOf(serverArgs);
        Objects.requireNonNull(reportRoot, "reportRoot");
        Objects.requireNonNull(launcher, "launcher");
        Objects.requireNonNull(timing, "timing");
        if (elastic == null && nemeses.stream().anyMatch(NemesisKind::isMembership)) {
            throw new IllegalArgumentException("join and leave nemeses need an elastic cluster");
        }
        if (elastic != null && nodes + elastic.spares() > 9) {
            throw new IllegalArgumentException("nodes + spares must be at most 9, got " + nodes + " + "
                    + elastic.spares());
        }
    }

    /** Nodes the run may start: the initial ones plus the spares of an elastic cluster. */
    public int capacity() {
        return nodes + (elastic == null ? 0 : elastic.spares());
    }

    /** Defaults: 3 nodes, 4 partitions, every workload, 6 clients, 4 keys each, 150 ops per key. */
    public static VerifyOptions defaults(NodeLauncher launcher, Path reportRoot, Duration duration,
                                         Set<NemesisKind> nemeses, long seed) {
        return new VerifyOptions(3, 4, duration, nemeses, List.of(Workload.values()), 6, 4, 150, 10, seed, null,
                List.of(), reportRoot, launcher, NemesisTiming.DEFAULT, null);
    }

    public VerifyOptions withNodes(int n) {
        return new VerifyOptions(n, partitions, duration, nemeses, workloads, clients, keysPerWorkload, opsPerKey,
                thinkMaxMs, seed, readConsistency, serverArgs, reportRoot, launcher, timing, elastic);
    }

    public VerifyOptions withReadConsistency(String level) {
        return new VerifyOptions(nodes, partitions, duration, nemeses, workloads, clients, keysPerWorkload, opsPerKey,
                thinkMaxMs, seed, level, serverArgs, reportRoot, launcher, timing, elastic);
    }

    public VerifyOptions withWorkloads(List<Workload> w) {
        return new VerifyOptions(nodes, partitions, duration, nemeses, w, clients, keysPerWorkload, opsPerKey,
                thinkMaxMs, seed, readConsistency, serverArgs, reportRoot, launcher, timing, elastic);
    }

    public VerifyOptions withClients(int c) {
        return new VerifyOptions(nodes, partitions, duration, nemeses, workloads, c, keysPerWorkload, opsPerKey,
                thinkMaxMs, seed, readConsistency, serverArgs, reportRoot, launcher, timing, elastic);
    }

    public VerifyOptions withServerArgs(List<String> args) {
        return new VerifyOptions(nodes, partitions, duration, nemeses, workloads, clients, keysPerWorkload, opsPerKey,
                thinkMaxMs, seed, readConsistency, args, reportRoot, launcher, timing, elastic);
    }

    public VerifyOptions withPartitions(int p) {
        return new VerifyOptions(nodes, p, duration, nemeses, workloads, clients, keysPerWorkload, opsPerKey,
                thinkMaxMs, seed, readConsistency, serverArgs, reportRoot, launcher, timing, elastic);
    }

    public VerifyOptions withTiming(NemesisTiming t) {
        return new VerifyOptions(nodes, partitions, duration, nemeses, workloads, clients, keysPerWorkload, opsPerKey,
                thinkMaxMs, seed, readConsistency, serverArgs, reportRoot, launcher, t, elastic);
    }

    /** An elastic cluster ({@code e} non-null) or a static one ({@code null}). */
    public VerifyOptions withElastic(ElasticOptions e) {
        return new VerifyOptions(nodes, partitions, duration, nemeses, workloads, clients, keysPerWorkload, opsPerKey,
                thinkMaxMs, seed, readConsistency, serverArgs, reportRoot, launcher, timing, e);
    }

    /** The same run with other nemeses (check {@link #elastic} first when they include join or leave). */
    public VerifyOptions withNemeses(java.util.Set<NemesisKind> n) {
        return new VerifyOptions(nodes, partitions, duration, n, workloads, clients, keysPerWorkload, opsPerKey,
                thinkMaxMs, seed, readConsistency, serverArgs, reportRoot, launcher, timing, elastic);
    }
}
