package io.cairn.raft.minicluster;

import io.cairn.api.reply.Reply;
import io.cairn.raft.RaftConfig;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test: a bounded measurement of group commit. For each {@code raft.batch.max-commands}
 * value, a fresh 3-node in-process cluster takes SETs from one node with a fixed number of
 * commands outstanding for a fixed time, and prints throughput and latency percentiles; then it
 * prints threads and RSS of the JVM holding all three nodes at the largest partition count.
 *
 * <pre>
 * mvn -q -o -pl cairn-raft test-compile
 * java -cp "$(cat cp.txt):cairn-raft/target/classes:cairn-raft/target/test-classes" \
 *     io.cairn.raft.minicluster.ReplicationBench [seconds=5] [outstanding=128] [partitions=4] [durability=STRICT]
 *     [max-in-flight=4]
 * </pre>
 */
public final class ReplicationBench {
    private static int inFlight;

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int outstanding = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        String durability = args.length > 3 ? args[3] : "STRICT";
        inFlight = args.length > 4 ? Integer.parseInt(args[4]) : 4;
        System.out.printf("3 nodes, %d partitions, %s, %d outstanding SETs from one node, %d s per row, "
                + "max-in-flight %d%n", partitions, durability, outstanding, seconds, inFlight);
        System.out.printf("%-12s %10s %10s %10s %10s %12s%n", "max-batch", "ops/s", "p50 ms", "p99 ms", "max ms",
                "cmds/entry");
        for (int batch : new int[] {1, 16, 128, 512}) {
            run(batch, seconds, outstanding, partitions, durability, false);
        }
        run(512, Math.max(2, seconds / 2), outstanding, 16, durability, true);
    }

    private static void run(int batch, int seconds, int outstanding, int partitions, String durability,
                            boolean footprint) throws Exception {
        Path dir = Files.createTempDirectory("cairn-bench");
        Map<String, String> settings = Map.of(RaftConfig.BATCH_MAX_COMMANDS, Integer.toString(batch),
                RaftConfig.DURABILITY, durability, RaftConfig.BATCH_MAX_IN_FLIGHT, Integer.toString(inFlight),
                RaftConfig.BATCH_MAX_PENDING, Integer.toString(Math.max(batch, 16_384)));
        try (MiniCluster c = new MiniCluster(dir, 3, partitions, settings).start()) {
            c.awaitLeaders(Duration.ofSeconds(30));
            Semaphore window = new Semaphore(outstanding);
            int maxSamples = 5_000_000;
            long[] latencies = new long[maxSamples];
            AtomicLong done = new AtomicLong();
            AtomicLong errors = new AtomicLong();
            byte[] value = new byte[100];
            long start = System.nanoTime();
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            long i = 0;
            while (System.nanoTime() < end) {
                window.acquire();
                long t0 = System.nanoTime();
                byte[][] argv = {"SET".getBytes(StandardCharsets.US_ASCII),
                        ("key:" + (i++ % 100_000)).getBytes(StandardCharsets.US_ASCII), value};
                c.service(0).execute(argv).whenComplete((r, e) -> {
                    long n = done.getAndIncrement();
                    if (e != null || !(r instanceof Reply.Simple)) {
                        errors.incrementAndGet();
                    } else if (n < maxSamples) {
                        latencies[(int) n] = System.nanoTime() - t0;
                    }
                    window.release();
                });
            }
            window.acquire(outstanding);
            double elapsed = (System.nanoTime() - start) / 1e9;
            int n = (int) Math.min(done.get(), maxSamples);
            long[] sorted = Arrays.copyOf(latencies, n);
            Arrays.sort(sorted);
            long batches = 0, commands = 0;
            for (int p = 0; p < partitions; p++) {
                long[] s = c.node(0).writeBatchStats(p);
                batches += s[0];
                commands += s[1];
            }
            if (footprint) {
                System.out.printf("footprint at %d partitions (all 3 nodes in this JVM): %d live threads, RSS %s, "
                                + "%.0f ops/s, p99 %.1f ms%n", partitions,
                        ManagementFactory.getThreadMXBean().getThreadCount(), rss(), done.get() / elapsed,
                        sorted[(int) (n * 0.99)] / 1e6);
                // Which pools the threads belong to (names with their numbers stripped).
                Map<String, Long> byName = new java.util.TreeMap<>();
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    String name = t.getName().replaceAll("group-[0-9A-F]+", "group").replaceAll("[0-9]+", "#");
                    byName.merge(name, 1L, Long::sum);
                }
                byName.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(12)
                        .forEach(e -> System.out.printf("  %5d  %s%n", e.getValue(), e.getKey()));
            } else {
                System.out.printf("%-12d %10.0f %10.2f %10.2f %10.2f %12.1f%s%n", batch, done.get() / elapsed,
                        sorted[n / 2] / 1e6, sorted[(int) (n * 0.99)] / 1e6, sorted[n - 1] / 1e6,
                        (double) commands / Math.max(1, batches), errors.get() > 0 ? "  errors=" + errors.get() : "");
            }
        }
    }

    private static String rss() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS")) {
                return line.substring(6).trim();
            }
        }
        return "?";
    }
}
