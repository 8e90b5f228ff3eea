package io.cairn.verify.runner;

import io.cairn.verify.check.Anomaly;
import io.cairn.verify.check.AppendChecker;
import io.cairn.verify.check.CheckResult;
import io.cairn.verify.check.KeyResult;
import io.cairn.verify.check.LinearizabilityChecker;
import io.cairn.verify.check.LinearizabilityResult;
import io.cairn.verify.check.LostWriteChecker;
import io.cairn.verify.check.Verdict;
import io.cairn.verify.history.History;
import io.cairn.verify.history.HistoryRecorder;
import io.cairn.verify.history.Op;
import io.cairn.verify.history.OpKind;
import io.cairn.verify.model.CounterModel;
import io.cairn.verify.model.RegisterModel;
import io.cairn.verify.report.FaultWindow;
import io.cairn.verify.report.TimelineReport;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * One verification run: start a cluster of real processes behind a fault network, run the
 * workloads while the nemesis injects faults, heal, read every key back, check the history, and
 * write the report directory ({@code history.tsv}, {@code verdict.txt}, {@code faults.txt},
 * {@code timeline.html}, the nodes' logs).
 *
 * <p>Checks: linearizability (registers, counters), append order and lost writes over the whole
 * history (the final reads included), then replica agreement (every replica's own copy of every
 * key equals the final read, {@link ReplicaAgreement}). An elastic run also waits, after the heal,
 * for pending leaves to finish and the map to settle (every member UP, every partition on RF
 * members, no move; within {@link ElasticOptions#settleTimeout}, else the run is UNAVAILABLE), and
 * fails if any map seen during the run listed a partition on other than RF nodes
 * ({@link MembershipNemesis}). Membership changes and rebalances are fault windows in the
 * report, with a summary of how much of them overlapped the other faults.
 */
public final class VerifyRun {
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CHECK_BUDGET_PER_KEY = Duration.ofSeconds(20);
    private static final int FINAL_READ_ATTEMPTS = 20;
    /** An elastic cluster counts as settled once its map has not changed for this long (several controller loops). */
    private static final Duration SETTLE_QUIET = Duration.ofSeconds(2);
    /** How long every replica may take to show the final values to its own STALE reads (catch-up after the heal). */
    private static final Duration REPLICA_AGREEMENT_TIMEOUT = Duration.ofSeconds(30);
    /** Mixed into the seed of the membership schedule, so it does not share a random stream with the faults. */
    private static final long MEMBERSHIP_SEED_MIX = 0x6d656d62657273L;

    private final VerifyOptions options;
    private final PrintStream log;

    public VerifyRun(VerifyOptions options, PrintStream log) {
        this.options = options;
        this.log = log;
    }

    public VerifyResult run() throws IOException, InterruptedException {
        Path dir = options.reportRoot().resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                + "-seed" + options.seed());
        Files.createDirectories(dir);
        log.printf(Locale.ROOT, "verify: seed %d, %d nodes%s, %d partitions, %d s, nemesis %s, workloads %s%s%n",
                options.seed(), options.nodes(), options.elastic() == null ? ""
                        : " (elastic, " + options.elastic().spares() + " spare" + (options.elastic().spares() == 1 ? "" : "s")
                        + ")", options.partitions(), options.duration().toSeconds(),
                options.nemeses().isEmpty() ? "none" : options.nemeses(), options.workloads(),
                options.readConsistency() == null ? "" : ", reads " + options.readConsistency());
        log.println("verify: report directory " + dir);
        HistoryRecorder recorder = new HistoryRecorder(VerifyOptions.MAX_OPS);
        Map<Workload, KeySpace> keys = new EnumMap<>(Workload.class);
        for (Workload w : options.workloads()) {
            keys.put(w, new KeySpace(w, options.keysPerWorkload(), options.opsPerKey()));
        }
        List<FaultWindow> faults;
        List<String> problems = new ArrayList<>();
        List<String> serverArgs = new ArrayList<>(options.serverArgs());
        if (options.nemeses().contains(NemesisKind.CLOCK) || options.nemeses().contains(NemesisKind.TRANSFER)) {
            serverArgs.addAll(List.of("-s", "enable-debug-command=yes")); // those faults are DEBUG subcommands
        }
        ElasticOptions elastic = options.elastic();
        MembershipReport membership = null;
        Map<String, String> finalValues = Map.of();
        ReplicaAgreement agreement = null;
        try (ClusterProcesses cluster = new ClusterProcesses(options.launcher(), options.nodes(),
                elastic == null ? 0 : elastic.spares(), elastic != null, options.partitions(), dir, serverArgs)) {
            cluster.startAll();
            ClusterMapView settled = null;
            if (elastic != null) {
                settled = cluster.awaitSettled(SETTLE_QUIET, elastic.settleTimeout());
                log.printf(Locale.ROOT, "verify: elastic cluster of %s settled at epoch %d, RF %d; spares %s%n",
                        cluster.memberNames(), settled.epoch(), settled.replicationFactor(), spareNames(cluster));
            }
            cluster.awaitWritable(RECOVERY_TIMEOUT);
            long origin = System.nanoTime();
            log.println("verify: cluster up, workload running");
            Random seeds = new Random(options.seed());
            long faultEnd = origin + options.duration().toNanos();
            Nemesis nemesis = new Nemesis(cluster, options.nemeses(), seeds.nextLong(), faultEnd, options.timing(), log,
                    origin);
            MembershipNemesis changes = elastic == null ? null : new MembershipNemesis(cluster, options.nemeses(), elastic,
                    options.seed() ^ MEMBERSHIP_SEED_MIX, settled, faultEnd, log, origin);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger processIds = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < options.clients(); c++) {
                WorkloadClient client = new WorkloadClient(c, cluster, keys, options.workloads(), recorder, processIds,
                        seeds.nextLong(), options.readConsistency(), options.thinkMaxMs(), stop);
                threads.add(Thread.ofPlatform().name("verify-client-" + c).daemon().start(client));
            }
            Thread nemesisThread = Thread.ofPlatform().name("verify-nemesis").daemon().start(nemesis);
            Thread changesThread = null;
            if (changes != null) {
                changes.startWatching();
                changesThread = Thread.ofPlatform().name("verify-membership").daemon().start(changes);
            }
            progress(recorder, origin);
            nemesis.stop();
            if (changes != null) {
                changes.stop();
            }
            nemesisThread.join(Duration.ofMinutes(3)); // ends the fault in progress and heals everything
            if (changesThread != null) { // finishes the change in progress, each of its waits bounded
                changesThread.join(elastic.joinTimeout().plus(elastic.leaveTimeout()).plusSeconds(60));
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join(Duration.ofSeconds(30));
            }
            problems.addAll(nemesis.errors());
            log.printf(Locale.ROOT, "verify: workload done, %d ops; healed, waiting for the cluster%n", recorder.size());
            ClusterMapView finalMap = null;
            try {
                if (changes != null) {
                    nemesis.healEverything(); // a member the membership nemesis left stopped (a failed join) starts again
                    problems.addAll(changes.errors());
                    problems.addAll(changes.finishPendingLeaves(elastic.settleTimeout()));
                    try {
                        finalMap = cluster.awaitSettled(SETTLE_QUIET, elastic.settleTimeout());
                    } catch (IllegalStateException e) {
                        problems.add("the cluster did not recover: " + e.getMessage());
                    }
                }
                cluster.awaitWritable(RECOVERY_TIMEOUT);
                finalValues = finalReads(cluster, keys, recorder, processIds);
                agreement = ReplicaAgreement.check(cluster, finalValues, REPLICA_AGREEMENT_TIMEOUT);
            } catch (IllegalStateException e) {
                problems.add("the cluster did not recover within " + RECOVERY_TIMEOUT.toSeconds() + " s of healing: "
                        + e.getMessage());
            } finally {
                if (changes != null) {
                    changes.stopWatching();
                }
            }
            faults = new ArrayList<>(nemesis.windows());
            if (changes != null) {
                faults.addAll(changes.windows());
                membership = new MembershipReport(changes.joins(), changes.leaves(), changes.leavesRefused(),
                        changes.violations(), finalMap, cluster.memberNames(), spareNames(cluster));
            }
            faults.sort(java.util.Comparator.comparingLong(FaultWindow::startNanos));
        }
        History history = recorder.history();
        history.write(dir.resolve("history.tsv"));
        VerifyResult result = check(dir, history, faults, problems, membership, agreement);
        if (result.outcome() == VerifyResult.Outcome.VALID) {
            deleteTree(dir.resolve("data")); // the nodes' Raft logs only matter as evidence of a violation
        }
        return result;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Checks a saved {@code history.tsv} again (e.g. after a checker change) and rewrites the
     * verdict, timeline and faults files next to it; the fault windows of the original run are not
     * in the history, so the new timeline has none.
     */
    public VerifyResult recheck(Path historyFile) throws IOException {
        History history = History.read(historyFile);
        Path dir = historyFile.toAbsolutePath().getParent();
        return check(dir, history, List.of(), List.of(), null, null);
    }

    /** Sleeps through the workload phase, printing a progress line every 10 s. */
    private void progress(HistoryRecorder recorder, long origin) throws InterruptedException {
        long end = origin + options.duration().toNanos();
        while (System.nanoTime() < end) {
            Thread.sleep(Math.min(10_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            log.printf(Locale.ROOT, "[%6.1fs] %d ops recorded, %d in flight%n", (System.nanoTime() - origin) / 1e9,
                    recorder.size(), recorder.pending());
        }
    }

    /**
     * A linearizable GET of every key through a running member, after the heal: the lost-write check
     * needs each key's final state. Failed attempts are recorded too (as FAIL, reads have no effect).
     * Returns each key's final value (null: absent) for the keys some attempt read.
     */
    private Map<String, String> finalReads(ClusterProcesses cluster, Map<Workload, KeySpace> keys,
                                           HistoryRecorder recorder, AtomicInteger processIds) {
        int process = processIds.getAndIncrement();
        List<Integer> nodes = cluster.runningMembers();
        if (nodes.isEmpty()) {
            throw new IllegalStateException("no running member to read from");
        }
        Map<String, String> values = new java.util.LinkedHashMap<>();
        int next = 0;
        for (KeySpace space : keys.values()) {
            for (String key : space.allKeys()) {
                for (int attempt = 0; attempt < FINAL_READ_ATTEMPTS; attempt++) {
                    int node = nodes.get(next++ % nodes.size());
                    long id = recorder.invoke(process, key, OpKind.READ);
                    try (Jedis j = cluster.connect(node)) {
                        String v = j.get(key);
                        recorder.ok(id, v);
                        values.put(key, v);
                        break;
                    } catch (JedisException e) {
                        recorder.fail(id);
                    }
                }
            }
        }
        return values;
    }

    private static List<String> spareNames(ClusterProcesses cluster) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < cluster.size(); i++) {
            if (!cluster.isMember(i)) {
                out.add(cluster.name(i));
            }
        }
        return out;
    }

    private VerifyResult check(Path dir, History history, List<FaultWindow> faults, List<String> problems,
                               MembershipReport membership, ReplicaAgreement agreement) throws IOException {
        List<String> summary = new ArrayList<>();
        Set<Long> highlighted = new HashSet<>();
        long ok = history.ops().stream().filter(Op::isOk).count();
        long info = history.ops().stream().filter(Op::isInfo).count();
        summary.add(String.format(Locale.ROOT, "history: %d ops (%d ok, %d indeterminate, %d failed), %d keys, %d faults",
                history.size(), ok, info, history.size() - ok - info, history.byKey().size(), faults.size()));
        StringBuilder details = new StringBuilder();

        LinearizabilityResult registers = registers(history);
        LinearizabilityResult counters = linearizability(history, Workload.COUNTER, new CounterModel());
        CheckResult appends = new AppendChecker(Workload.SEPARATOR).check(only(history, Workload.APPEND));
        CheckResult lost = new LostWriteChecker(Workload.SEPARATOR).check(history);
        List<VerifyResult.Outcome> outcomes = new ArrayList<>();
        for (LinearizabilityResult r : List.of(registers, counters)) {
            outcomes.add(switch (r.verdict()) {
                case LINEARIZABLE -> VerifyResult.Outcome.VALID;
                case NOT_LINEARIZABLE -> VerifyResult.Outcome.INVALID;
                case UNKNOWN -> VerifyResult.Outcome.UNKNOWN;
            });
            details.append(r.describe()).append('\n');
            for (KeyResult k : r.keys().values()) {
                if (k.verdict() == Verdict.NOT_LINEARIZABLE && k.explanation() != null) {
                    k.explanation().unplaceable().forEach(o -> highlighted.add(o.id()));
                    highlighted.add(k.explanation().deadline().id());
                }
            }
        }
        for (CheckResult r : List.of(appends, lost)) {
            outcomes.add(switch (r.outcome()) {
                case VALID -> VerifyResult.Outcome.VALID;
                case INVALID -> VerifyResult.Outcome.INVALID;
                case UNKNOWN -> VerifyResult.Outcome.UNKNOWN;
            });
            details.append(r.describe()).append('\n');
            for (Anomaly a : r.anomalies()) {
                a.ops().forEach(o -> highlighted.add(o.id()));
            }
        }
        summary.add("linearizability (registers): " + registers.verdict() + ", " + registers.keys().size() + " keys");
        summary.add("linearizability (counters): " + counters.verdict() + ", " + counters.keys().size() + " keys");
        summary.add("append order: " + appends.outcome() + " (" + appends.anomalies().size() + " anomalies)");
        summary.add("lost writes: " + lost.outcome() + " (" + lost.anomalies().size() + " anomalies)");
        if (agreement != null) {
            summary.add(agreement.summary());
            outcomes.add(switch (agreement.outcome()) {
                case VALID -> VerifyResult.Outcome.VALID;
                case INVALID -> VerifyResult.Outcome.INVALID;
                case UNKNOWN -> VerifyResult.Outcome.UNKNOWN;
            });
            if (!agreement.problems().isEmpty()) {
                details.append("Replica agreement:\n");
                agreement.problems().forEach(p -> details.append("    ").append(p).append('\n'));
            }
        }
        if (membership != null) {
            summary.addAll(membership.summary(faults));
            outcomes.add(membership.outcome());
            if (!membership.violations().isEmpty()) {
                details.append("Replica lists shorter or longer than the replication factor:\n");
                membership.violations().forEach(v -> details.append("    ").append(v).append('\n'));
            }
        }
        VerifyResult.Outcome outcome = VerifyResult.Outcome.VALID;
        for (VerifyResult.Outcome o : outcomes) {
            if (o.ordinal() > outcome.ordinal()) {
                outcome = o;
            }
        }
        if (ok == 0) {
            outcome = outcome == VerifyResult.Outcome.INVALID ? outcome : VerifyResult.Outcome.UNKNOWN;
            summary.add("no operation was acknowledged: nothing to judge");
        }
        for (String p : problems) {
            summary.add("problem: " + p);
            if (p.contains("did not recover")) {
                outcome = outcome == VerifyResult.Outcome.INVALID ? outcome : VerifyResult.Outcome.UNAVAILABLE;
            }
        }
        summary.add(0, "verdict: " + outcome + " (seed " + options.seed() + ")");
        long origin = history.originNanos();
        StringBuilder faultText = new StringBuilder();
        for (FaultWindow f : faults) {
            faultText.append(String.format(Locale.ROOT, "%8.3f %8s %-10s %s%n", (f.startNanos() - origin) / 1e9,
                    f.ended() ? String.format(Locale.ROOT, "%8.3f", (f.endNanos() - origin) / 1e9) : "open",
                    f.nemesis(), f.description()));
        }
        Files.writeString(dir.resolve("faults.txt"), faultText);
        Files.writeString(dir.resolve("verdict.txt"), String.join("\n", summary) + "\n\n" + details);
        TimelineReport.writeHtml(dir.resolve("timeline.html"), "Cairn verify, seed " + options.seed(), history, faults,
                summary, highlighted);
        return new VerifyResult(outcome, dir, summary);
    }

    /**
     * Registers are checked in two passes per key. Indeterminate writes are the search's hard case
     * (each may or may not have happened, at any later time), and most of them are never observed:
     * no read returns their value and no CAS expects it. Leaving out indeterminate ops is always a
     * legal choice (they may never have happened), so if the key is linearizable without the
     * unobserved ones it is linearizable, full stop. Only otherwise is the whole key searched,
     * and only that search can report a violation.
     */
    static LinearizabilityResult registers(History history) {
        long start = System.nanoTime();
        LinearizabilityChecker<RegisterModel.Value> checker = new LinearizabilityChecker<>(new RegisterModel())
                .withTimeBudgetPerKey(CHECK_BUDGET_PER_KEY);
        java.util.SortedMap<String, KeyResult> results = new java.util.TreeMap<>();
        Verdict verdict = Verdict.LINEARIZABLE;
        History registers = only(history, Workload.REGISTER);
        for (Map.Entry<String, List<Op>> e : registers.byKey().entrySet()) {
            List<Op> reduced = withoutUnobservedIndeterminateWrites(e.getValue());
            KeyResult r = reduced.size() < e.getValue().size() ? checker.checkKey(e.getKey(), reduced) : null;
            if (r == null || r.verdict() != Verdict.LINEARIZABLE) {
                r = checker.checkKey(e.getKey(), e.getValue());
            }
            results.put(e.getKey(), r);
            if (r.verdict() == Verdict.NOT_LINEARIZABLE) {
                verdict = Verdict.NOT_LINEARIZABLE;
            } else if (r.verdict() == Verdict.UNKNOWN && verdict == Verdict.LINEARIZABLE) {
                verdict = Verdict.UNKNOWN;
            }
        }
        return new LinearizabilityResult(verdict, results, registers.originNanos(), System.nanoTime() - start);
    }

    /** The key's ops minus indeterminate WRITE/CAS ops whose new value no read returned and no CAS expected. */
    static List<Op> withoutUnobservedIndeterminateWrites(List<Op> ops) {
        Set<String> observed = new HashSet<>();
        for (Op op : ops) {
            if (op.kind() == OpKind.READ && op.isOk() && op.output() != null) {
                observed.add(op.output());
            } else if (op.kind() == OpKind.CAS && op.input(0) != null) {
                observed.add(op.input(0));
            }
        }
        List<Op> kept = new ArrayList<>(ops.size());
        for (Op op : ops) {
            boolean write = op.kind() == OpKind.WRITE || op.kind() == OpKind.CAS;
            String value = op.kind() == OpKind.CAS ? op.input(1) : op.input(0);
            if (!(op.isInfo() && write && !observed.contains(value))) {
                kept.add(op);
            }
        }
        return kept;
    }

    private static History only(History h, Workload w) {
        return h.filter(op -> Workload.ofKey(op.key()) == w);
    }

    private static <S> LinearizabilityResult linearizability(History h, Workload w,
                                                             io.cairn.verify.model.Model<S> model) {
        return new LinearizabilityChecker<>(model).withTimeBudgetPerKey(CHECK_BUDGET_PER_KEY)
                .withParallelism(Math.max(1, Runtime.getRuntime().availableProcessors()))
                .check(only(h, w));
    }
}
