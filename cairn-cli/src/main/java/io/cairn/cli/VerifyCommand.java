package io.cairn.cli;

import io.cairn.verify.runner.NemesisKind;
import io.cairn.verify.runner.NodeLauncher;
import io.cairn.verify.runner.VerifyOptions;
import io.cairn.verify.runner.VerifyResult;
import io.cairn.verify.runner.VerifyRun;
import io.cairn.verify.runner.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Jepsen-style verification: real {@code cairn server} processes (started from this CLI's own
 * class path) behind a fault proxy on every Raft link, concurrent clients recording a history,
 * a nemesis injecting faults, then linearizability, lost-write, append and replica-agreement
 * checks. With {@code --membership elastic} (the default of {@code --quick}) the cluster is
 * bootstrapped and joined, and the join/leave nemeses add spare nodes and decommission members
 * while the other faults go on.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Start a local cluster of real server processes, run workloads under injected faults "
                + "(kill -9, SIGSTOP, network partitions, clock jumps, leader transfers; nodes joining and leaving "
                + "an elastic cluster), and check the history for linearizability and lost writes.",
                "Exit code: 0 valid, 1 violation found, 2 inconclusive, 3 cluster did not recover."})
final class VerifyCommand implements Callable<Integer> {
    /** Held so the level set on it is not lost when the logger is garbage-collected. */
    private static final java.util.logging.Logger PROXY_LOG = java.util.logging.Logger.getLogger("io.cairn.verify.net");

    @Option(names = "--quick", description = "A short run: an elastic cluster of 3 nodes and 1 spare, 40 s, every "
            + "nemesis including join and leave (overrides --time and --membership unless given).")
    boolean quick;

    @Option(names = "--membership", description = "static (--peers, the default) or elastic (--bootstrap/--join, with "
            + "spare nodes for the join and leave nemeses; the default of --quick).")
    String membership;

    @Option(names = "--spares", description = "Elastic membership: spare nodes the join nemesis may add (default 1).")
    int spares = 1;

    @Option(names = "--time", description = "Seconds of workload under faults (default 60; --quick: 40).")
    Integer seconds;

    @Option(names = "--nodes", description = "Cluster size (default 3).")
    int nodes = 3;

    @Option(names = "--partitions", description = "Partitions (Raft groups) (default 4).")
    int partitions = 4;

    @Option(names = "--nemesis", description = "Faults: all, none, or a list of kill,pause,partition,clock,transfer,join,leave "
            + "(default all: with static membership all but join and leave).")
    String nemesis = "all";

    @Option(names = "--workload", description = "Workloads: a list of register,counter,append (default all three).")
    String workloads = "register,counter,append";

    @Option(names = "--clients", description = "Concurrent clients (default 6).")
    int clients = 6;

    @Option(names = "--seed", description = "Seed of the workload and fault schedule (default random; printed).")
    Long seed;

    @Option(names = "--report-dir", description = "Parent of the run's report directory (default target/verify).")
    Path reportDir = Path.of("target", "verify");

    @Option(names = "--weaken", description = "Deliberately weaken the server to show the checker catches it: "
            + "stale-reads (clients read with CLIENT CONSISTENCY READ STALE).")
    String weaken;

    @Option(names = "--reads", description = "Read consistency of the clients: LINEARIZABLE (default), LEASE, "
            + "FOLLOWER or STALE; only the first two promise linearizable histories.")
    String reads;

    @Option(names = "--server-arg", description = "Extra argument for every node, repeatable (e.g. --server-arg=--durability --server-arg=RELAXED).")
    List<String> serverArgs = new ArrayList<>();

    @Option(names = "--check-history", description = "Do not run a cluster: check a saved history.tsv again and rewrite its report.")
    Path checkHistory;

    @Override
    public Integer call() throws Exception {
        long s = seed != null ? seed : ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        if (checkHistory != null) {
            VerifyOptions none = VerifyOptions.defaults(NodeLauncher.sameJvm(CairnCli.class.getName()), reportDir,
                    Duration.ZERO, java.util.Set.of(), 0); // no schedule: the seed is not used
            VerifyResult result = new VerifyRun(none, System.out).recheck(checkHistory);
            result.summary().forEach(System.out::println);
            System.out.println("report: " + result.reportDir());
            return result.exitCode();
        }
        int time = seconds != null ? seconds : quick ? 40 : 60;
        if (time < 1 || time > 86_400) {
            System.err.println("cairn verify: --time must be in 1..86400");
            return 2;
        }
        List<Workload> w = new ArrayList<>();
        for (String part : workloads.split(",")) {
            w.add(Workload.parse(part));
        }
        String readConsistency = reads == null ? null : reads.toUpperCase(java.util.Locale.ROOT);
        if (weaken != null) {
            if (!weaken.equals("stale-reads")) {
                System.err.println("cairn verify: --weaken must be stale-reads");
                return 2;
            }
            readConsistency = "STALE";
        }
        String mode = membership != null ? membership.toLowerCase(java.util.Locale.ROOT) : quick ? "elastic" : "static";
        if (!mode.equals("static") && !mode.equals("elastic")) {
            System.err.println("cairn verify: --membership must be static or elastic");
            return 2;
        }
        boolean elastic = mode.equals("elastic");
        java.util.Set<NemesisKind> kinds;
        VerifyOptions options;
        try {
            kinds = NemesisKind.parse(nemesis, elastic);
            options = VerifyOptions.defaults(NodeLauncher.sameJvm(CairnCli.class.getName()), reportDir,
                            Duration.ofSeconds(time), java.util.Set.of(), s)
                    .withNodes(nodes).withClients(clients).withWorkloads(w).withReadConsistency(readConsistency)
                    .withServerArgs(serverArgs).withPartitions(partitions)
                    .withElastic(elastic ? io.cairn.verify.runner.ElasticOptions.DEFAULT.withSpares(spares) : null)
                    .withNemeses(kinds);
        } catch (IllegalArgumentException e) {
            System.err.println("cairn verify: " + e.getMessage());
            return 2;
        }
        // the nemesis prints every fault it injects; the proxies' own log lines would only repeat them
        PROXY_LOG.setLevel(java.util.logging.Level.WARNING);
        VerifyResult result = new VerifyRun(options, System.out).run();
        System.out.println();
        result.summary().forEach(System.out::println);
        System.out.println("report: " + result.reportDir().toAbsolutePath() + " (verdict.txt, history.tsv, faults.txt, "
                + "timeline.html, node logs)");
        System.out.println("reproduce the schedule: ./cairn verify --seed " + s + " --time " + time + " --nodes " + nodes
                + " --partitions " + partitions + " --membership " + mode + (elastic ? " --spares " + spares : "")
                + " --nemesis " + nemesis + " --workload " + workloads + " --clients " + clients
                + (reads != null ? " --reads " + reads : "") + (weaken != null ? " --weaken " + weaken : ""));
        return result.exitCode();
    }
}
