package io.cairn.cli.elastic;

import static io.cairn.cli.elastic.ElasticChecks.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue: "Rolling restart of every node under load; writes never stall longer than the election
 * timeout plus a bound you document." Real {@code cairn server} processes: a 3-node elastic
 * cluster (RF 3) under writes (distinct keys, some deleted) and linearizable reads from several
 * clients; one node at a time gets SIGTERM (a graceful stop, exit code 0), is restarted on its
 * data directory with {@code --join}, and the next waits until it serves writes and the cluster has
 * settled again (every partition on 3 online replicas, the map unchanged for a few seconds).
 *
 * <p><b>Stall bound.</b> A writer's stall is the longest time it went without an acknowledged
 * command while one node was stopped and restarted (see {@link Load#longestStallMs}); it includes
 * the time to notice the lost connection and reconnect to another node. The bound asserted is
 * {@code raft.election.timeout-max-ms} ({@value ElasticCluster#ELECTION_TIMEOUT_MAX_MS} ms: a
 * partition whose leader stopped elects another within it) plus {@value #STALL_MARGIN_MS} ms: a
 * command in flight on the stopping node fails at once or gets -TIMEOUT after
 * {@code command-timeout-ms} ({@value ElasticCluster#COMMAND_TIMEOUT_MS} ms) at worst, and the
 * client reconnects within ~100 ms; the rest is margin for a loaded 2-core machine running the
 * restarted JVM's start-up next to the writers.
 */
@Timeout(300)
class RollingRestartTest {
    private static final int PARTITIONS = 8;
    private static final int WRITERS = 3;
    /** See the class comment: command-timeout-ms plus start-up noise on a loaded 2-core machine. */
    static final int STALL_MARGIN_MS = 5000;
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration QUIET = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    @Test
    void rollingRestartUnderWritesStallsWithinTheBoundAndLosesNothing() throws Exception {
        try (ElasticCluster cluster = new ElasticCluster(dir, "RollingRestartTest", 3, PARTITIONS, List.of())) {
            List<Integer> all = List.of(0, 1, 2);
            cluster.bootstrap(0);
            cluster.join(1, 0);
            cluster.join(2, 0);
            ElasticCluster.Settled formed = cluster.awaitSettled(all, 3, QUIET, SETTLE_TIMEOUT);
            cluster.awaitWritable(all, Duration.ofSeconds(60));

            Load load = new Load(cluster, WRITERS, all);
            long loadStart = System.nanoTime();
            load.start(Duration.ofSeconds(240));
            Thread.sleep(3000);

            List<long[]> windows = new ArrayList<>(); // [stop sent, restarted node writable again]
            List<String> steps = new ArrayList<>();
            long epoch = formed.epoch();
            for (int n : all) {
                long stop = System.nanoTime();
                int exit = cluster.terminate(n);
                assertEquals(0, exit, cluster.names[n] + " exit code after SIGTERM");
                long stoppedMs = ms(System.nanoTime() - stop);
                long restart = System.nanoTime();
                cluster.restart(n);
                long readyMs = ms(System.nanoTime() - restart);
                cluster.awaitWritable(List.of(n), Duration.ofSeconds(60));
                long writableMs = ms(System.nanoTime() - restart);
                windows.add(new long[] {stop, System.nanoTime()});
                ElasticCluster.Settled s = cluster.awaitSettled(all, 3, QUIET, SETTLE_TIMEOUT);
                steps.add(String.format("%s: stopped %d ms, restarted ready %d ms, writable %d ms, settled %d ms (epoch %d->%d)",
                        cluster.names[n], stoppedMs, readyMs, writableMs, ms(System.nanoTime() - restart) - QUIET.toMillis(),
                        epoch, s.epoch()));
                epoch = s.epoch();
            }

            Thread.sleep(2000);
            load.stopAndJoin();
            long loadMs = ms(System.nanoTime() - loadStart);
            ElasticChecks.assertCleanLoad(load);
            String checked = ElasticChecks.assertDataEverywhere(cluster, load, all);

            long bound = ElasticCluster.ELECTION_TIMEOUT_MAX_MS + STALL_MARGIN_MS;
            List<Long> stalls = new ArrayList<>();
            for (long[] w : windows) {
                stalls.add(load.longestStallMs(w[0], w[1]));
            }
            System.out.printf("RollingRestartTest summary: %s | keys checked %s | longest writer stall per restart %s ms"
                            + " (bound %d ms = election timeout max %d + %d) | %s; load %d ms%n",
                    ElasticChecks.loadFigures(load), checked, stalls, bound, ElasticCluster.ELECTION_TIMEOUT_MAX_MS,
                    STALL_MARGIN_MS, String.join("; ", steps), loadMs);
            for (int n : all) {
                System.out.printf("RollingRestartTest: %s ERROR/exception lines: %s%n", cluster.names[n], cluster.trouble(n));
            }
            for (int i = 0; i < stalls.size(); i++) {
                long s = stalls.get(i);
                String who = cluster.names[all.get(i)];
                assertTrue(s < bound, () -> "writes stalled " + s + " ms while " + who + " restarted, bound " + bound + " ms");
            }
        }
    }
}
