package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.PartitionReplicas;
import io.cairn.cluster.ReplicaMove;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

/**
 * {@code cairn rebalance}: starts a rebalance of an elastic cluster's replica placement and reports
 * its state. By default it first sends CLUSTER REBALANCE START: with {@code
 * cluster.rebalance.auto=false} the controller makes balance moves only after such a request
 * (until the placement is reached); with auto on (the default) the controller leader plans and
 * starts moves by itself every loop ({@code cluster.controller.loop-interval-ms}) and the request
 * only makes it plan at once. {@code --status} sends no request and only reports. The report is
 * CLUSTER REBALANCE (the planner's view: moves under way, moves it would start now, replicas not
 * yet where the placement wants them) and the moves of the map. With {@code --watch} it follows
 * them, one line per move as it starts and as it ends, with an overall bar of replicas placed,
 * until the placement is reached or {@code --timeout} passes.
 */
@Command(name = "rebalance", mixinStandardHelpOptions = true,
        description = {"Ask the controller to rebalance an elastic cluster (CLUSTER REBALANCE START), then show the "
                + "replica moves in progress and still to come; with --watch, follow them until the placement is "
                + "balanced. With --status, only show them.",
                "Without cluster.rebalance.auto=false the controller starts moves by itself; the request makes it "
                        + "plan at once.",
                "Exit code: 0 ok (with --watch: balanced), 1 error (e.g. the controller refused), 3 cannot connect, "
                        + "4 --timeout reached while moves remained."})
final class RebalanceCommand implements Callable<Integer> {
    @Mixin
    AdminClient.Options options = new AdminClient.Options();

    @Option(names = "--status", description = "Only report; do not ask the controller to start a rebalance.")
    boolean statusOnly;

    @Option(names = "--watch", description = "Follow the moves until none remain and every replica is placed.")
    boolean watch;

    @Option(names = "--timeout", description = "Seconds --watch follows at most (default 600).")
    long timeoutSeconds = 600;

    @Option(names = "--interval-ms", description = "How often --watch polls (default 500).")
    long intervalMs = 500;

    /** Width of the overall progress bar, in characters. */
    private static final int BAR = 30;

    @Spec
    CommandSpec spec;
    private PrintWriter out;
    private PrintWriter err;

    /** A move as first seen: its identity is (partition, add, remove, started epoch). */
    private record Move(int partition, String add, String remove, long startedAtEpoch) {
        static Move of(PartitionReplicas p) {
            ReplicaMove m = p.move();
            return new Move(p.partition(), m.add(), m.remove(), m.startedAtEpoch());
        }

        String text() {
            return "partition " + partition + ": +" + add + (remove == null ? "" : " -" + remove);
        }
    }

    @Override
    public Integer call() {
        out = spec.commandLine().getOut();
        err = spec.commandLine().getErr();
        try {
            options.validate();
            if (timeoutSeconds < 1 || intervalMs < 10) {
                throw new AdminClient.Failure(AdminClient.ERROR, "--timeout must be >= 1 s and --interval-ms >= 10");
            }
            try (AdminClient client = AdminClient.connect(options)) {
                long requestedAt = -1;
                if (!statusOnly) {
                    requestedAt = client.requestRebalance();
                    if (!options.isJson()) {
                        out.println("rebalance requested: the controller accepted it at epoch " + requestedAt);
                    }
                }
                return watch ? watch(client, requestedAt) : once(client, requestedAt);
            }
        } catch (AdminClient.Failure f) {
            err.println("cairn rebalance: " + f.getMessage());
            return f.exitCode;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("cairn rebalance: interrupted");
            return AdminClient.ERROR;
        }
    }

    private int once(AdminClient client, long requestedAt) throws AdminClient.Failure {
        Map<String, Long> status = client.rebalance();
        ClusterMap map = client.map();
        if (options.isJson()) {
            out.println(json(status, map, requestedAt).toPrettyString());
            return AdminClient.OK;
        }
        out.println(summary(status));
        for (PartitionReplicas p : map.partitions()) {
            if (p.move() != null) {
                out.println("  moving  " + Move.of(p).text() + " (since epoch " + p.move().startedAtEpoch() + ")");
            }
        }
        if (status.get("moves-in-progress") == 0 && status.get("replicas-misplaced") == 0) {
            out.println("balanced: every replica is where the placement wants it");
        } else {
            out.println("the controller plans moves every " + status.get("controller-loop-interval-ms")
                    + " ms; `cairn rebalance --status --watch` follows them");
        }
        return AdminClient.OK;
    }

    private int watch(AdminClient client, long requestedAt) throws AdminClient.Failure, InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeoutSeconds * 1_000_000_000L;
        Map<Move, Long> running = new LinkedHashMap<>(); // move -> when first seen
        ArrayNode finished = JsonNodeFactory.instance.arrayNode();
        long initialMisplaced = -1;
        String lastBar = "";
        while (true) {
            Map<String, Long> status = client.rebalance();
            ClusterMap map = client.map();
            long misplaced = status.get("replicas-misplaced");
            long inProgress = status.get("moves-in-progress");
            if (initialMisplaced < 0) {
                initialMisplaced = misplaced;
                if (!options.isJson()) {
                    out.println(summary(status));
                }
            }
            Map<Move, Long> now = new LinkedHashMap<>();
            for (PartitionReplicas p : map.partitions()) {
                if (p.move() != null) {
                    Move m = Move.of(p);
                    Long seen = running.get(m);
                    now.put(m, seen != null ? seen : System.nanoTime());
                    if (seen == null && !options.isJson()) {
                        out.println("  started   " + m.text() + " (epoch " + m.startedAtEpoch() + ")");
                    }
                }
            }
            for (Map.Entry<Move, Long> e : running.entrySet()) {
                if (!now.containsKey(e.getKey())) {
                    Move m = e.getKey();
                    // Gone from the map: completed or aborted; the partition's replicas tell which.
                    PartitionReplicas p = map.partition(m.partition());
                    boolean completed = p.replicas().contains(m.add()) && (m.remove() == null || !p.replicas().contains(m.remove()));
                    double seconds = (System.nanoTime() - e.getValue()) / 1e9;
                    if (options.isJson()) {
                        finished.addObject().put("partition", m.partition()).put("add", m.add()).put("remove", m.remove())
                                .put("outcome", completed ? "completed" : "aborted").put("seconds", Math.round(seconds * 10) / 10.0);
                    } else {
                        out.printf("  %-9s %s after %.1f s (epoch %d)%n", completed ? "completed" : "aborted", m.text(),
                                seconds, map.epoch());
                    }
                }
            }
            running.clear();
            running.putAll(now);
            // Overall: replicas placed since the watch began, out of those misplaced then (more may appear: a node joins).
            long total = Math.max(initialMisplaced, misplaced);
            initialMisplaced = total;
            if (!options.isJson()) {
                String bar = bar(total - misplaced, total) + "  " + inProgress + " move(s) under way";
                if (!bar.equals(lastBar)) {
                    out.println(bar);
                    lastBar = bar;
                }
            }
            if (inProgress == 0 && misplaced == 0) {
                if (options.isJson()) {
                    ObjectNode o = json(status, map, requestedAt);
                    o.set("finishedMoves", finished);
                    out.println(o.toPrettyString());
                } else {
                    out.printf("balanced at epoch %d after %.1f s%n", map.epoch(), (System.nanoTime() - start) / 1e9);
                }
                return AdminClient.OK;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AdminClient.Failure(AdminClient.TIMEOUT, "still " + inProgress + " move(s) under way and "
                        + misplaced + " replica(s) misplaced after " + timeoutSeconds + " s (epoch " + map.epoch() + ")");
            }
            Thread.sleep(intervalMs);
        }
    }

    /** "[##########--------------------] 4/12 replicas placed". */
    static String bar(long done, long total) {
        int filled = total == 0 ? BAR : (int) (BAR * done / total);
        return "[" + "#".repeat(filled) + "-".repeat(BAR - filled) + "] " + done + "/" + total + " replicas placed";
    }

    private static String summary(Map<String, Long> s) {
        return "epoch " + s.get("epoch") + ": " + s.get("moves-in-progress") + " move(s) in progress, "
                + s.get("moves-startable") + " to start now, " + s.get("replicas-misplaced") + " replica(s) misplaced";
    }

    /** {@code requestedAt}: the map epoch the controller answered this run's request with, -1 if none was sent. */
    private static ObjectNode json(Map<String, Long> status, ClusterMap map, long requestedAt) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        if (requestedAt >= 0) {
            o.put("requestedAtEpoch", requestedAt);
        } else {
            o.putNull("requestedAtEpoch");
        }
        o.put("epoch", status.get("epoch")).put("movesInProgress", status.get("moves-in-progress"))
                .put("movesStartable", status.get("moves-startable")).put("otherProposals", status.get("other-proposals"))
                .put("replicasMisplaced", status.get("replicas-misplaced"))
                .put("controllerLoopIntervalMs", status.get("controller-loop-interval-ms"))
                .put("balanced", status.get("moves-in-progress") == 0 && status.get("replicas-misplaced") == 0);
        ArrayNode moves = o.putArray("moves");
        for (PartitionReplicas p : map.partitions()) {
            if (p.move() != null) {
                moves.addObject().put("partition", p.partition()).put("add", p.move().add()).put("remove", p.move().remove())
                        .put("startedAtEpoch", p.move().startedAtEpoch());
            }
        }
        return o;
    }
}
