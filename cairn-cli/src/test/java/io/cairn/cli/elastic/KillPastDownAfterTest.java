package io.cairn.cli.elastic;

import static io.cairn.cli.elastic.ElasticChecks.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue: "Kill -9 a node and keep it down past {@code down-after}: its replicas are rebuilt
 * elsewhere; bring it back: it rejoins cleanly." Real {@code cairn server} processes: a 4-node
 * elastic cluster (RF 3, so every node holds replicas and one spare node can take a dead one's)
 * under writes and reads loses one node to a real kill -9. The survivors must mark it failed in
 * CLUSTER NODES, and once it has been silent for {@code down-after-ms} re-create its replicas so
 * that every partition is back on 3 online replicas, all on survivors; every acknowledged write
 * stays readable. The node then restarts on its data directory with {@code --join}: every node
 * shows it healthy again, the cluster settles on 3 replicas per partition over all 4 nodes, and the
 * data is intact everywhere (also on the returning node's own replicas: replicas it kept from
 * before were reconciled, never merged with stale data).
 */
@Timeout(300)
class KillPastDownAfterTest {
    private static final int PARTITIONS = 8;
    private static final int WRITERS = 4;
    private static final int VICTIM = 2;
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration QUIET = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    @Test
    void replicasOfANodeDownPastDownAfterAreRebuiltAndItRejoinsCleanly() throws Exception {
        try (ElasticCluster cluster = new ElasticCluster(dir, "KillPastDownAfterTest", 4, PARTITIONS, List.of())) {
            List<Integer> all = List.of(0, 1, 2, 3);
            cluster.bootstrap(0);
            for (int n = 1; n < 4; n++) {
                cluster.join(n, 0);
            }
            ElasticCluster.Settled formed = cluster.awaitSettled(all, 3, QUIET, SETTLE_TIMEOUT);
            cluster.awaitWritable(all, Duration.ofSeconds(60));
            long victimReplicas = formed.layout().replicas().values().stream().filter(r -> r.contains(VICTIM)).count();
            assertTrue(victimReplicas > 0, "the victim holds no replica: nothing to rebuild");

            Load load = new Load(cluster, WRITERS, all);
            long loadStart = System.nanoTime();
            load.start(Duration.ofSeconds(240));
            Thread.sleep(3000);

            long kill = System.nanoTime();
            cluster.kill(VICTIM);
            load.targets.remove(Integer.valueOf(VICTIM)); // clients fail over to the others (they would anyway)
            List<Integer> survivors = new ArrayList<>(all);
            survivors.remove(Integer.valueOf(VICTIM));

            // The survivors flag it (SUSPECT after suspect-after-ms, DOWN after down-after-ms).
            long flaggedNanos = awaitMemberHealth(cluster, survivors, VICTIM, false, Duration.ofSeconds(30)) - kill;
            ElasticCluster.Settled rebuilt = cluster.awaitSettled(survivors, 3, QUIET, SETTLE_TIMEOUT);
            long rebuiltMs = ms(System.nanoTime() - kill) - QUIET.toMillis();
            int recreated = ElasticChecks.replicasAdded(formed.layout(), rebuilt.layout());
            assertEquals(victimReplicas, recreated, "every replica of the dead node, and only those, is re-created: "
                    + formed.layout() + " -> " + rebuilt.layout());
            // Replicas are rebuilt only once the node is DOWN, not while it is merely SUSPECT (the
            // detector counts from its last heartbeat, at most a heartbeat interval before the kill).
            assertTrue(rebuiltMs >= ElasticCluster.DOWN_AFTER_MS - ElasticCluster.HEARTBEAT_MS - 250,
                    () -> "settled " + rebuiltMs + " ms after the kill: before down-after-ms " + ElasticCluster.DOWN_AFTER_MS);
            String checkedDown = ElasticChecks.assertDataEverywhere(cluster, load, survivors);

            // Back on its data directory and ports, through --join.
            long restart = System.nanoTime();
            cluster.restart(VICTIM);
            long readyMs = ms(System.nanoTime() - restart);
            load.targets.add(VICTIM);
            long healthyMs = ms(awaitMemberHealth(cluster, all, VICTIM, true, Duration.ofSeconds(60)) - restart);
            ElasticCluster.Settled back = cluster.awaitSettled(all, 3, QUIET, SETTLE_TIMEOUT);
            long settledBackMs = ms(System.nanoTime() - restart) - QUIET.toMillis();
            int movedBack = ElasticChecks.replicasAdded(rebuilt.layout(), back.layout());

            Thread.sleep(2000);
            load.stopAndJoin();
            long loadMs = ms(System.nanoTime() - loadStart);
            ElasticChecks.assertCleanLoad(load);
            String checkedAll = ElasticChecks.assertDataEverywhere(cluster, load, all);
            ElasticCluster.Settled end = cluster.awaitSettled(all, 3, Duration.ofSeconds(1), SETTLE_TIMEOUT);
            assertEquals(back.epoch(), end.epoch(), "the map changed after the cluster had settled");
            List<Load.Outcome> ackedAfterKill = load.all().stream()
                    .filter(o -> o.kind() == Load.Kind.ACKED && o.sentNanos() > kill).toList();
            assertFalse(ackedAfterKill.isEmpty(), "no write sent after the kill was acknowledged");

            System.out.printf("KillPastDownAfterTest summary: %s | kill -9 %s (held %d of %d replicas):"
                            + " flagged fail %d ms, RF 3 restored on the survivors %d ms after the kill (down-after %d ms,"
                            + " %d replicas re-created, epoch %d->%d), checked %s | restart with --join: ready %d ms,"
                            + " healthy everywhere %d ms, settled %d ms (replicas moved back %d, epoch %d), checked %s;"
                            + " longest writer stall after the kill %d ms; load %d ms%n",
                    ElasticChecks.loadFigures(load), cluster.names[VICTIM], victimReplicas, 3 * PARTITIONS, ms(flaggedNanos),
                    rebuiltMs, ElasticCluster.DOWN_AFTER_MS, recreated, formed.epoch(), rebuilt.epoch(), checkedDown,
                    readyMs, healthyMs, settledBackMs, movedBack, back.epoch(), checkedAll,
                    load.longestStallMs(kill, kill + java.util.concurrent.TimeUnit.SECONDS.toNanos(10)), loadMs);
            for (int n : all) {
                System.out.printf("KillPastDownAfterTest: %s ERROR/exception lines: %s%n", cluster.names[n], cluster.trouble(n));
            }
        }
    }

    /**
     * Polls CLUSTER NODES on every node in {@code via} until each shows {@code node} with the given
     * health; returns the {@link System#nanoTime()} when all did. Throws at the deadline.
     */
    private static long awaitMemberHealth(ElasticCluster cluster, List<Integer> via, int node, boolean healthy,
                                          Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (int v : via) {
                try {
                    Map<Integer, Boolean> m = cluster.members(v);
                    if (!Boolean.valueOf(healthy).equals(m.get(node))) {
                        all = false;
                        last = cluster.names[v] + " shows " + m;
                        break;
                    }
                } catch (RuntimeException e) {
                    all = false;
                    last = cluster.names[v] + ": " + e;
                    break;
                }
            }
            if (all) {
                return System.nanoTime();
            }
            Thread.sleep(100);
        }
        throw new AssertionError(cluster.names[node] + " not shown " + (healthy ? "healthy" : "failed") + " by "
                + cluster.nodeNames(via) + " within " + timeout.toSeconds() + " s: " + last);
    }
}
