package io.cairn.cli.elastic;

import static io.cairn.cli.elastic.ElasticChecks.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * Issue: "Grow 3 → 4 → 5 nodes under continuous writes and reads from several clients: every
 * acknowledged write readable at the end, no deleted key reappears, RF restored everywhere." Real
 * {@code cairn server} processes: a 3-node elastic cluster (RF 3) takes a fourth and then a fifth
 * node while writers (distinct keys, some deleted) and a linearizable reader run against every
 * node that is up. Each join must move some replicas onto the new node (CLUSTER SHARDS) and
 * settle with every partition on exactly 3 online replicas, the same on every node.
 */
@Timeout(300)
class GrowThreeToFiveTest {
    private static final int PARTITIONS = 8;
    private static final int WRITERS = 4;
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration QUIET = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    @Test
    void growsThreeToFourToFiveUnderLoadWithEveryPartitionBackAtThreeReplicas() throws Exception {
        try (ElasticCluster cluster = new ElasticCluster(dir, "GrowThreeToFiveTest", 5, PARTITIONS, List.of())) {
            long t0 = System.nanoTime();
            cluster.bootstrap(0);
            cluster.join(1, 0);
            cluster.join(2, 0);
            ElasticCluster.Settled three = cluster.awaitSettled(List.of(0, 1, 2), 3, QUIET, SETTLE_TIMEOUT);
            cluster.awaitWritable(List.of(0, 1, 2), Duration.ofSeconds(60));
            long formMs = ms(System.nanoTime() - t0);

            Load load = new Load(cluster, WRITERS, List.of(0, 1, 2));
            long loadStart = System.nanoTime();
            load.start(Duration.ofSeconds(240));
            Thread.sleep(3000);

            List<Integer> members = new ArrayList<>(List.of(0, 1, 2));
            ElasticCluster.Settled before = three;
            StringBuilder steps = new StringBuilder();
            for (int newcomer = 3; newcomer < 5; newcomer++) {
                long join = System.nanoTime();
                cluster.join(newcomer, newcomer - 1);
                long joinedMs = ms(System.nanoTime() - join);
                members.add(newcomer);
                load.targets.add(newcomer);
                ElasticCluster.Settled after = cluster.awaitSettled(List.copyOf(members), 3, QUIET, SETTLE_TIMEOUT);
                long settledMs = ms(System.nanoTime() - join) - QUIET.toMillis();
                int moved = ElasticChecks.replicasAdded(before.layout(), after.layout());
                int n = newcomer;
                long onNewcomer = after.layout().replicas().values().stream().filter(r -> r.contains(n)).count();
                assertTrue(onNewcomer > 0, () -> cluster.names[n] + " got no replica: " + after.layout());
                assertEquals(moved, onNewcomer, "replicas moved to nodes other than the newcomer: " + before.layout()
                        + " -> " + after.layout());
                steps.append(String.format(" | %d->%d nodes: join %d ms, settled %d ms, epoch %d->%d, replicas moved %d",
                        members.size() - 1, members.size(), joinedMs, settledMs, before.epoch(), after.epoch(), moved));
                before = after;
            }

            Thread.sleep(2000);
            load.stopAndJoin();
            long loadMs = ms(System.nanoTime() - loadStart);

            ElasticChecks.assertCleanLoad(load);
            String checked = ElasticChecks.assertDataEverywhere(cluster, load, members);
            ElasticCluster.Settled end = cluster.awaitSettled(members, 3, Duration.ofSeconds(1), SETTLE_TIMEOUT);
            assertEquals(before.epoch(), end.epoch(), "the map changed after the cluster had settled");
            for (int n : members) {
                Map<Integer, Boolean> m = cluster.members(n);
                assertTrue(m.size() == 5 && m.values().stream().allMatch(h -> h), () -> "CLUSTER NODES: " + m);
            }

            System.out.printf("GrowThreeToFiveTest summary: %s | keys checked %s | 3 nodes formed in %d ms (epoch %d)%s;"
                            + " load %d ms%n",
                    ElasticChecks.loadFigures(load), checked, formMs, three.epoch(), steps, loadMs);
            for (int n : members) {
                System.out.printf("GrowThreeToFiveTest: %s ERROR/exception lines: %s%n", cluster.names[n], cluster.trouble(n));
            }
        }
    }
}
