package io.cairn.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cairn.bench.load.BenchConfig;
import io.cairn.bench.load.BenchReport;
import io.cairn.bench.load.BenchStats;
import io.cairn.bench.load.Distribution;
import io.cairn.bench.load.GrpcTarget;
import io.cairn.bench.load.LoadDriver;
import io.cairn.bench.load.RespTarget;
import io.cairn.bench.load.Target;
import io.cairn.bench.load.Workload;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cairn bench}: a YCSB-style load driver (engine in {@code io.cairn.bench.load}) against
 * Cairn or any Redis server over RESP, so the same tool measures both, or against Cairn's gRPC API
 * ({@code --target grpc}: the same operations as {@code cairn.v1.KeyValue} Get/Put calls, see
 * {@link GrpcTarget}), so the two front ends compare on one workload. The load phase ({@code
 * --workload load}) inserts {@code --records} records; workloads a..f then run their mix over them.
 * Reports HdrHistogram latencies (p50..max), throughput, read hits, errors and the longest gap
 * between successful writes (per partition with {@code --partitions}), as a table or JSON, with an
 * optional HTML plot over time; a live progress bar on a terminal. {@code --warmup} runs the
 * workload unmeasured first in the same process, so a short run does not measure JIT warm-up
 * (gRPC's client stack takes seconds to reach its steady rate in a fresh JVM).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Load driver: YCSB workloads A-F (or the load phase) against Cairn or any Redis server over RESP,",
                "or against Cairn's gRPC API (--target grpc, a node's grpc.port: Get/Put calls, up to --pipeline in flight per client).",
                "Latency percentiles (HdrHistogram), throughput over time, --rate for a fixed rate with latency "
                        + "measured from each operation's intended start (coordinated-omission corrected).",
                "Exit code: 0 ok, 1 error (bad option, or no operation succeeded), 3 cannot connect."},
        footer = {"", "Examples:",
                "  cairn bench --port 6380 --workload load --records 100000 --clients 16 --pipeline 16",
                "  cairn bench --port 6380 --workload a --records 100000 --duration 30 --rate 20000 --html a.html",
                "  cairn bench --hosts 127.0.0.1:6401,127.0.0.1:6402 --workload b --operations 1000000 -o json",
                "  cairn bench --target grpc --port 8381 --workload a --records 100000 --duration 30 --pipeline 16"})
final class BenchCommand implements Callable<Integer> {
    static final int OK = 0;
    static final int ERROR = 1;
    static final int CONNECTION = 3;

    /** The RESP target's default port (Redis's). */
    static final int DEFAULT_RESP_PORT = 6379;
    /** The gRPC target's default port: {@code grpc.port}'s default on a Cairn node. */
    static final int DEFAULT_GRPC_PORT = 8381;

    @Option(names = {"-t", "--target"}, paramLabel = "resp|grpc", description = "resp (default: Cairn or any Redis server) or grpc (Cairn's gRPC API on a node's grpc.port).")
    String targetKind = "resp";

    @Option(names = "--host", description = "Server host (default 127.0.0.1).")
    String host = "127.0.0.1";

    @Option(names = {"-p", "--port"}, description = "Server port: RESP (default " + DEFAULT_RESP_PORT + "), or with --target grpc the node's grpc.port (default " + DEFAULT_GRPC_PORT + ").")
    Integer port;

    @Option(names = "--hosts", split = ",", paramLabel = "HOST:PORT",
            description = "Several servers (e.g. every Cairn node): client i starts on server i mod n and moves to the next on reconnect. Overrides --host/--port.")
    List<String> hosts;

    @Option(names = {"-a", "--password"}, description = "AUTH password, if the server requires one (RESP only: the gRPC API has no AUTH).")
    String password;

    @Option(names = {"-w", "--workload"}, description = "load, or a..f (YCSB core workloads; default a).")
    String workload = "a";

    @Option(names = {"-r", "--records"}, description = "Records the load phase inserts / the run reads and updates (default 100000).")
    long records = 100_000;

    @Option(names = {"-n", "--operations"}, description = "Operations to run (default: the load phase, one per record; a run, 100000 unless --duration is given).")
    Long operations;

    @Option(names = {"-d", "--duration"}, description = "Run for this long: seconds, or with a unit (500ms, 30s, 5m). With --operations, whichever ends first.")
    String duration;

    @Option(names = {"-c", "--clients"}, description = "Connections, one thread each (default 8; max " + BenchConfig.MAX_CLIENTS + ").")
    int clients = 8;

    @Option(names = {"-P", "--pipeline"}, description = "Operations in flight per connection (default 1; max " + BenchConfig.MAX_PIPELINE + ").")
    int pipeline = 1;

    @Option(names = "--value-size", description = "Bytes per value (default 100).")
    int valueSize = 100;

    @Option(names = "--key-size", description = "Bytes per key: 'user' and the zero-padded record number (default 16).")
    int keySize = 16;

    @Option(names = "--distribution", description = "uniform, zipfian or latest (default: the workload's: zipfian; d: latest; load: uniform).")
    String distribution;

    @Option(names = "--rate", description = "Operations per second over all clients; latency counts from each operation's intended start (default: unthrottled).")
    double rate;

    @Option(names = "--partitions", description = "Cairn's partition count: measure the longest write gap per partition (a failover) instead of over all writes.")
    int partitions;

    @Option(names = {"-o", "--output"}, description = "table (default) or json.")
    String output = "table";

    @Option(names = "--html", paramLabel = "FILE", description = "Also write an HTML page with throughput and latency plotted over time.")
    Path html;

    @Option(names = "--progress", description = "auto (default: a bar on a terminal, else nothing), bar, lines (one stderr line per interval) or off.")
    String progress = "auto";

    @Option(names = "--report-interval-ms", description = "Timeline and progress interval (default 1000).")
    long reportIntervalMs = 1000;

    @Option(names = "--max-timeline-points", description = "Timeline intervals kept for JSON/HTML (default 100000).")
    int maxTimelinePoints = 100_000;

    @Option(names = "--warmup", description = "First run the workload this long unmeasured, in the same process (seconds, or 500ms, 30s, 5m): the client's "
            + "and server's JIT warm up (gRPC's stack needs seconds). Its writes land in the store; not with --workload load.")
    String warmup;

    @Option(names = "--timeout-ms", description = "Connect and read timeout per request; with --target grpc each call's deadline (default 10000).")
    int timeoutMs = 10_000;

    @Option(names = "--grpc-max-calls", description = "With --target grpc: calls in flight per client at most, >= --pipeline (a scan's reads go out together up to it; default "
            + GrpcTarget.DEFAULT_MAX_CALLS_IN_FLIGHT + ", the server's default grpc.max-calls-per-connection; max " + GrpcTarget.MAX_CALLS_IN_FLIGHT + ").")
    Integer grpcMaxCalls;

    @Option(names = "--seed", description = "Random seed (default: random; printed in the JSON).")
    Long seed;

    @Option(names = "--stop-file", paramLabel = "FILE", description = "Stop early, with a full report, once this file exists (checked every interval).")
    Path stopFile;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BenchConfig config;
        BenchConfig warmupConfig = null;
        Target target;
        boolean json;
        try {
            json = switch (output.toLowerCase(Locale.ROOT)) {
                case "json" -> true;
                case "table" -> false;
                default -> throw new IllegalArgumentException("--output must be table or json, got '" + output + "'");
            };
            Workload w = Workload.named(workload);
            long durationMillis = duration == null ? 0 : parseDuration(duration, "--duration");
            long ops = operations != null ? operations : (w.isLoad() || durationMillis > 0 ? 0 : 100_000);
            config = new BenchConfig(w, distribution == null ? null : Distribution.parse(distribution), records, ops,
                    durationMillis, clients, pipeline, valueSize, keySize, rate, partitions, reportIntervalMs,
                    maxTimelinePoints, seed != null ? seed : ThreadLocalRandom.current().nextLong(), stopFile);
            target = newTarget(config);
            if (warmup != null) {
                if (w.isLoad()) {
                    throw new IllegalArgumentException("--warmup is for workloads a..f: a load phase's warm-up would insert the records it then measures");
                }
                // Same workload and settings, another seed (not the measured run's key sequence), no operation budget.
                warmupConfig = new BenchConfig(w, config.distribution(), records, 0, parseDuration(warmup, "--warmup"),
                        clients, pipeline, valueSize, keySize, rate, partitions, reportIntervalMs, maxTimelinePoints,
                        ~config.seed(), stopFile);
            }
        } catch (IllegalArgumentException e) {
            err.println("cairn bench: " + e.getMessage());
            return ERROR;
        }
        LoadDriver.ProgressListener listener;
        try {
            listener = progressListener(err);
        } catch (IllegalArgumentException e) {
            err.println("cairn bench: " + e.getMessage());
            return ERROR;
        }
        LoadDriver.Result result;
        try {
            if (warmupConfig != null) {
                if (listener != null) {
                    err.println("cairn bench: warming up for " + warmupConfig.durationMillis() + " ms (not measured)");
                    err.flush();
                }
                new LoadDriver(warmupConfig, target).run(null);
            }
            result = new LoadDriver(config, target).run(listener);
        } catch (Target.TargetException e) {
            err.println("cairn bench: " + e.getMessage());
            return CONNECTION;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("cairn bench: interrupted");
            return ERROR;
        }
        if (json) {
            try {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(BenchReport.json(result)));
            } catch (IOException e) {
                err.println("cairn bench: cannot render JSON: " + e.getMessage());
                return ERROR;
            }
        } else {
            BenchReport.table(result, out);
        }
        out.flush();
        if (html != null) {
            try {
                Files.writeString(html, BenchReport.html(result), StandardCharsets.UTF_8);
            } catch (IOException e) {
                err.println("cairn bench: cannot write " + html + ": " + e.getMessage());
                return ERROR;
            }
        }
        if (result.stats().totalSucceeded() == 0) {
            err.println("cairn bench: no operation succeeded");
            return ERROR;
        }
        return OK;
    }

    /**
     * The target the options describe, with combinations that make no sense refused: the gRPC API
     * has no AUTH, and {@code --grpc-max-calls} means nothing over RESP (a pipeline there is one
     * connection's stream of commands) and must leave room for a full pipeline.
     */
    private Target newTarget(BenchConfig config) {
        String kind = targetKind.toLowerCase(Locale.ROOT);
        boolean grpc = switch (kind) {
            case "grpc" -> true;
            case "resp" -> false;
            default -> throw new IllegalArgumentException("--target must be resp or grpc, got '" + targetKind + "'");
        };
        int defaultPort = grpc ? DEFAULT_GRPC_PORT : DEFAULT_RESP_PORT;
        List<String> servers = hosts != null && !hosts.isEmpty() ? hosts : List.of(host + ":" + (port != null ? port : defaultPort));
        if (!grpc) {
            if (grpcMaxCalls != null) {
                throw new IllegalArgumentException("--grpc-max-calls applies to --target grpc only");
            }
            return new RespTarget(servers, password, timeoutMs);
        }
        if (password != null) {
            throw new IllegalArgumentException("--password is RESP AUTH; Cairn's gRPC API has no password (drop it, or use --target resp)");
        }
        int maxCalls = grpcMaxCalls != null ? grpcMaxCalls : GrpcTarget.DEFAULT_MAX_CALLS_IN_FLIGHT;
        if (maxCalls < 1 || maxCalls > GrpcTarget.MAX_CALLS_IN_FLIGHT) {
            throw new IllegalArgumentException("--grpc-max-calls must be in 1.." + GrpcTarget.MAX_CALLS_IN_FLIGHT);
        }
        if (maxCalls < config.pipeline()) {
            throw new IllegalArgumentException("--grpc-max-calls " + maxCalls + " is below --pipeline " + config.pipeline()
                    + ": a client could not keep its pipeline in flight");
        }
        return new GrpcTarget(servers, timeoutMs, maxCalls);
    }

    private LoadDriver.ProgressListener progressListener(PrintWriter err) {
        String mode = progress.toLowerCase(Locale.ROOT);
        return switch (mode) {
            case "off" -> null;
            case "auto" -> onTerminal() ? bar(err) : null;
            case "bar" -> bar(err);
            case "lines" -> (p, fraction, ok, failed) -> {
                err.println(line(p, ok, failed));
                err.flush();
            };
            default -> throw new IllegalArgumentException("--progress must be auto, bar, lines or off, got '" + progress + "'");
        };
    }

    /**
     * Whether stderr's terminal is interactive. Since JDK 22 {@link System#console()} is non-null
     * even when output is redirected and {@code Console.isTerminal()} tells; it is called
     * reflectively because the CLI is built for Java 21.
     */
    private static boolean onTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21: a console exists only on a terminal
        }
    }

    /** A bar redrawn in place ({@code \r}); the final interval ends the line. */
    private static LoadDriver.ProgressListener bar(PrintWriter err) {
        return (p, fraction, ok, failed) -> {
            int width = 30;
            int filled = (int) Math.round(width * fraction);
            err.print("\r[" + "#".repeat(filled) + "-".repeat(width - filled) + "] "
                    + String.format(Locale.ROOT, "%3.0f%% ", fraction * 100) + line(p, ok, failed) + "   ");
            if (fraction >= 1.0) {
                err.println();
            }
            err.flush();
        };
    }

    private static String line(BenchStats.TimelinePoint p, long ok, long failed) {
        return String.format(Locale.ROOT, "t=%.0fs %d ok %d failed | %.0f ops/s p50 %.2f ms p99 %.2f ms max %.2f ms",
                p.t(), ok, failed, p.opsPerSecond(), p.p50Ms(), p.p99Ms(), p.maxMs());
    }

    /** "30" (seconds), "500ms", "30s", "5m", "1h"; {@code option} names the option in the error. */
    static long parseDuration(String text, String option) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1000;
        String number = s;
        if (s.endsWith("ms")) {
            unit = 1;
            number = s.substring(0, s.length() - 2);
        } else if (s.endsWith("s")) {
            number = s.substring(0, s.length() - 1);
        } else if (s.endsWith("m")) {
            unit = 60_000;
            number = s.substring(0, s.length() - 1);
        } else if (s.endsWith("h")) {
            unit = 3_600_000;
            number = s.substring(0, s.length() - 1);
        }
        try {
            double v = Double.parseDouble(number);
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new NumberFormatException();
            }
            return Math.max(1, Math.round(v * unit));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a positive time such as 30, 500ms, 30s or 5m, got '" + text + "'");
        }
    }
}
