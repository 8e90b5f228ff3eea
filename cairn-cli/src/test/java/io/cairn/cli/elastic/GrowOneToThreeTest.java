package io.cairn.cli.elastic;

import static io.cairn.cli.elastic.ElasticChecks.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue: "A cluster grown from 1 node: the joiner's view missed partitions it should own and data
 * stayed unreachable on the founder." Real {@code cairn server} processes: one bootstraps, a second
 * and a third join while writers (distinct keys, some deleted) and a linearizable reader run
 * against every node that is up. After each join the cluster must settle with every partition on
 * min(nodes, 3) replicas on every node's CLUSTER SHARDS; at the end every acknowledged write reads
 * back through every node (linearizably and from each node's own replicas), deleted keys stay
 * deleted, and no command got a reply other than OK or a retryable/indeterminate error.
 */
@Timeout(300)
class GrowOneToThreeTest {
    private static final int PARTITIONS = 8;
    private static final int WRITERS = 3;
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(90);
    /** Several controller loops ({@value ElasticCluster#HEARTBEAT_MS} ms) with no map change. */
    private static final Duration QUIET = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    @Test
    void growsOneToTwoToThreeUnderLoadWithNoLostOrResurrectedKey() throws Exception {
        try (ElasticCluster cluster = new ElasticCluster(dir, "GrowOneToThreeTest", 3, PARTITIONS, List.of())) {
            long t0 = System.nanoTime();
            cluster.bootstrap(0);
            cluster.awaitWritable(List.of(0), Duration.ofSeconds(60));
            ElasticCluster.Settled one = cluster.awaitSettled(List.of(0), 1, Duration.ofSeconds(1), SETTLE_TIMEOUT);
            long bootMs = ms(System.nanoTime() - t0);

            Load load = new Load(cluster, WRITERS, List.of(0));
            long loadStart = System.nanoTime();
            load.start(Duration.ofSeconds(240));
            Thread.sleep(2000); // data on the founder before anyone joins

            long join2 = System.nanoTime();
            cluster.join(1, 0);
            long joined2Ms = ms(System.nanoTime() - join2);
            load.targets.add(1);
            ElasticCluster.Settled two = cluster.awaitSettled(List.of(0, 1), 2, QUIET, SETTLE_TIMEOUT);
            long settled2Ms = ms(System.nanoTime() - join2) - QUIET.toMillis();

            long join3 = System.nanoTime();
            cluster.join(2, 1); // through the joiner, not the founder: any member's Raft address is a seed
            long joined3Ms = ms(System.nanoTime() - join3);
            load.targets.add(2);
            ElasticCluster.Settled three = cluster.awaitSettled(List.of(0, 1, 2), 3, QUIET, SETTLE_TIMEOUT);
            long settled3Ms = ms(System.nanoTime() - join3) - QUIET.toMillis();

            Thread.sleep(2000); // the load goes on against the settled cluster
            load.stopAndJoin();
            long loadMs = ms(System.nanoTime() - loadStart);

            ElasticChecks.assertCleanLoad(load);
            String checked = ElasticChecks.assertDataEverywhere(cluster, load, List.of(0, 1, 2));
            // After the checks: still settled, nothing moved meanwhile.
            ElasticCluster.Settled end = cluster.awaitSettled(List.of(0, 1, 2), 3, Duration.ofSeconds(1), SETTLE_TIMEOUT);
            assertEquals(three.epoch(), end.epoch(), "the map changed after the cluster had settled");
            for (int n = 0; n < 3; n++) {
                assertTrue(cluster.members(n).values().stream().allMatch(h -> h) && cluster.members(n).size() == 3,
                        () -> "CLUSTER NODES does not show 3 healthy members");
            }

            System.out.printf("GrowOneToThreeTest summary: %s | keys checked %s | bootstrap %d ms (epoch %d);"
                            + " join n2 %d ms, settled RF2 %d ms (epoch %d, replicas added %d);"
                            + " join n3 %d ms, settled RF3 %d ms (epoch %d, replicas added %d); load %d ms%n",
                    ElasticChecks.loadFigures(load), checked, bootMs, one.epoch(), joined2Ms, settled2Ms, two.epoch(),
                    ElasticChecks.replicasAdded(one.layout(), two.layout()), joined3Ms, settled3Ms, three.epoch(),
                    ElasticChecks.replicasAdded(two.layout(), three.layout()), loadMs);
            for (int n = 0; n < 3; n++) {
                System.out.printf("GrowOneToThreeTest: %s ERROR/exception lines: %s%n", cluster.names[n], cluster.trouble(n));
            }
        }
    }
}
