package io.cairn.cluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.ClusterSettings;
import io.cairn.cluster.PartitionReplicas;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.ratis.protocol.RaftPeer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster grown from its bootstrap node to three nodes (replication factor 3) while writers
 * keep going through every node: each partition ends with three replicas, every acknowledged
 * write reads back through every node and sits in every replica's engine, no deleted key comes
 * back; the controller group grows to three members; and a node that joins after all these
 * rebalances knows the current map (its epoch, the partitions' current replicas) before it
 * serves, and serves every acknowledged write.
 */
class ClusterGrowthTest {
    static final int PARTITIONS = 8;

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void growsFromOneNodeToThreeUnderWritesAndALateJoinerStartsFromTheCurrentMap() throws Exception {
        ClusterSettings settings = new ClusterSettings(AgentCluster.CLUSTER, PARTITIONS, 3, 128, 4, 64);
        long started = System.nanoTime();
        try (AgentCluster c = new AgentCluster(dir, settings, AgentCluster.defaults())) {
            Workload w = new Workload(PARTITIONS);
            try {
                AgentCluster.Member n1 = c.bootstrap("n1");
                ClusterMap first = c.map();
                assertEquals(1, first.epoch());
                assertEquals(IntStream.range(0, PARTITIONS).boxed().collect(Collectors.toSet()), n1.node.hostedPartitions());
                w.start("a", n1.service);
                w.awaitWrites(200, Duration.ofSeconds(30));

                // A plain host:port seed: Ratis does not check the id a request is addressed to.
                AgentCluster.Member n2 = c.join("n2", n1.raftAddress());
                w.start("b", n2.service);
                ClusterMap two = c.awaitSettled(Duration.ofSeconds(60));
                for (PartitionReplicas p : two.partitions()) {
                    assertEquals(Set.of("n1", "n2"), Set.copyOf(p.replicas()), "partition " + p.partition());
                }
                w.awaitWrites(100, Duration.ofSeconds(30));

                // A seed that is no controller member (the controller has one voter, n1): found through n2's groups.
                AgentCluster.Member n3 = c.join("n3", "n2@" + n2.raftAddress());
                w.start("c", n3.service);
                ClusterMap three = c.awaitSettled(Duration.ofSeconds(60));
                for (PartitionReplicas p : three.partitions()) {
                    assertEquals(Set.of("n1", "n2", "n3"), Set.copyOf(p.replicas()), "partition " + p.partition());
                }
                // Three UP nodes: the controller group has grown to three members, as every node's heartbeats tell it.
                AgentCluster.await(Duration.ofSeconds(30), () -> c.live().stream()
                                .allMatch(m -> m.agent.controllerMembers().keySet().equals(Set.of("n1", "n2", "n3"))),
                        () -> "three controller members, seen " + c.live().stream().map(m -> m.agent.controllerMembers().keySet())
                                .toList());
                w.awaitWrites(200, Duration.ofSeconds(30));
                w.close();
                System.out.printf("growth 1->3: %d writes, %d kept, %d deleted, %d failures, map epoch %d, moves %s, %d ms%n",
                        w.writes.get(), w.kept.size(), w.deleted.size(), w.failures.size(), three.epoch(),
                        java.util.Arrays.toString(c.moveCounts()), (System.nanoTime() - started) / 1_000_000);
                assertEquals(List.of(), w.failures.subList(0, Math.min(10, w.failures.size())), "failed commands");
                assertEquals(0, c.moveCounts()[1], "no move should have been given up");

                c.awaitReplicasConverged(three, Duration.ofSeconds(30));
                c.checkReplicas(three, w);
                for (AgentCluster.Member m : c.live()) {
                    w.checkReadsThrough(m.id, m.service);
                }

                // A node joining after all that: the map it starts from is the current one.
                long before = c.map().epoch();
                AgentCluster.Member n4 = c.join("n4", n3.raftAddress());
                ClusterMap seen = n4.agent.map();
                assertTrue(seen.epoch() > before, "n4 started at epoch " + seen.epoch() + ", the map was at " + before
                        + " before it joined");
                for (PartitionReplicas p : seen.partitions()) {
                    // The partitions' current replicas; n4 itself only once a move to it has begun since.
                    Set<String> clientPeers = n4.node.replicas(p.partition()).stream().map(RaftPeer::getId)
                            .map(Object::toString).collect(Collectors.toSet());
                    Set<String> current = Set.copyOf(three.partition(p.partition()).replicas());
                    assertTrue(clientPeers.containsAll(current) && current.size() + (clientPeers.contains("n4") ? 1 : 0)
                            == clientPeers.size(), "n4's client of partition " + p.partition() + " reaches " + clientPeers
                            + ", the partition's replicas are " + current);
                }
                w.checkReadsThrough("n4", n4.service);
            } finally {
                w.close();
            }
        }
    }
}
