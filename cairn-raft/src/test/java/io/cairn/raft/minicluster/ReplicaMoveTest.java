package io.cairn.raft.minicluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.raft.RaftConfig;
import io.cairn.raft.RaftNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Moving a partition's replica from node n0 to node n3 (which starts outside every group) on
 * real Ratis servers over loopback, while writers and a reader keep using the partition through
 * every node: no command may fail, every acknowledged write must survive on the new replicas, no
 * deleted key may come back, and the old replica's data must be gone.
 */
class ReplicaMoveTest {
    static final int PARTITIONS = 2;
    static final int P = 0;

    @TempDir
    Path dir;

    MiniCluster cluster() throws Exception {
        return new MiniCluster(dir, 4, PARTITIONS, Map.of(RaftConfig.MOVE_STAGING_TIMEOUT_MS, "4000"))
                .withMembers(3).start();
    }

    static Set<String> ids(List<RaftPeer> peers) {
        return peers.stream().map(p -> p.getId().toString()).collect(Collectors.toSet());
    }

    static RaftPeerId id(MiniCluster c, int node) {
        return c.peer(node).getId();
    }

    /** Makes node {@code node} lead partition {@code p}. */
    static void lead(MiniCluster c, int p, int node) {
        MiniCluster.await(Duration.ofSeconds(30), () -> {
            int leader = c.leaderOf(p);
            if (leader == node) {
                return true;
            }
            if (leader >= 0) {
                c.node(leader).transferLeadership(p, id(c, node), Duration.ofSeconds(5));
            }
            return c.leaderOf(p) == node;
        }, "node " + node + " to lead partition " + p);
    }

    /** The group directory Ratis keeps for partition {@code p} on node {@code node}. */
    static Path groupDir(MiniCluster c, int node, int p) {
        return c.storageDir(node).resolve(RaftNode.groupId("cairn", p).getUuid().toString());
    }

    @Test
    @Timeout(120)
    void movingAReplicaUnderLoadLosesNothing() throws Exception {
        try (MiniCluster c = cluster()) {
            c.awaitLeaders(Duration.ofSeconds(20));
            lead(c, P, 1); // the removed replica is a follower here; the next test removes the leader's
            MoveWorkload w = new MoveWorkload(P, PARTITIONS);
            // Writers on every node: n0 loses its replica mid-run and then only forwards; n3 gains one.
            for (int n = 0; n < 4; n++) {
                w.writer("w" + n, c.service(n));
            }
            w.reader("n2", c.service(2)).start();
            try {
                w.awaitWrites(300, Duration.ofSeconds(30));
                // A snapshot on every replica: the new one is caught up from it, then from the log.
                for (int n = 0; n < 3; n++) {
                    c.node(n).snapshot(P, Duration.ofSeconds(20));
                }
                w.awaitWrites(100, Duration.ofSeconds(30));

                long started = System.nanoTime();
                c.node(3).hostReplica(P, c.peers(0, 1, 2), Duration.ofSeconds(30));
                assertTrue(c.node(3).hosts(P));
                assertFalse(c.node(3).votes(P), "a new replica answers no local reads while it catches up");
                // Driven from a node that neither leads nor moves: the request goes to the leader.
                RaftNode.GroupState moved = c.node(2).changeReplicas(P, c.peers(1, 2, 3), Duration.ofSeconds(60));
                long moveMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertEquals(Set.of("n1", "n2", "n3"), ids(moved.voters()));
                assertTrue(moved.stable());
                // The replicas learn the change from their own logs: n3 now votes, n0 (still there) no longer.
                MiniCluster.await(Duration.ofSeconds(10), () -> c.node(3).votes(P) && !c.node(0).votes(P),
                        "n3 to vote and n0 not to");
                assertTrue(c.node(0).hosts(P), "n0's copy stays until it is dropped");

                // A retried move finds the work done.
                RaftNode.GroupState again = c.node(0).changeReplicas(P, c.peers(1, 2, 3), Duration.ofSeconds(20));
                assertEquals(Set.of("n1", "n2", "n3"), ids(again.voters()));

                // The copies that count are never dropped; the one that left is.
                IllegalStateException refused = assertThrows(IllegalStateException.class,
                        () -> c.node(1).dropReplica(P, Duration.ofSeconds(20)));
                assertTrue(refused.getMessage().contains("still a voter"), refused.getMessage());
                assertTrue(Files.exists(groupDir(c, 1, P)));
                assertTrue(c.node(0).dropReplica(P, Duration.ofSeconds(30)));
                c.setReplicas(P, 1, 2, 3);
                assertFalse(c.node(0).hosts(P));
                assertFalse(Files.exists(groupDir(c, 0, P)), "n0's group directory should be deleted");
                assertEquals(0, c.engine(0).stats(P).keys(), "n0's engine should hold nothing of partition " + P);
                assertFalse(c.node(0).dropReplica(P, Duration.ofSeconds(5)), "nothing left to drop");

                // Writes go on after the move, through the node that only forwards now too.
                w.awaitWrites(300, Duration.ofSeconds(30));
                System.out.printf("move under load: %d ms; %d writes, %d reads, %d failures%n", moveMs, w.writes.get(),
                        w.reads.get(), w.failures.size());
            } finally {
                w.close();
            }
            assertEquals(List.of(), w.failures.subList(0, Math.min(10, w.failures.size())), "failed commands");
            assertTrue(w.kept.size() > 300 && w.deleted.size() > 100, w.kept.size() + " kept, " + w.deleted.size() + " deleted");

            // Every client, hosting or not, now reaches the new replicas.
            for (int n = 0; n < 4; n++) {
                assertEquals(Set.of("n1", "n2", "n3"), ids(c.node(n).replicas(P)), "replicas known to n" + n);
            }
            c.awaitConverged(Duration.ofSeconds(30));
            for (int n : List.of(1, 2, 3)) {
                w.checkEngine(c, n);
                assertEquals(c.checksum(1, P), c.checksum(n, P), "partition " + P + " on n" + n);
            }
            assertTrue(c.node(3).stateMachine(P).snapshotsInstalled() >= 1, "n3 should have been caught up by a snapshot");
            w.checkReadsThrough(List.of(c.service(0), c.service(1), c.service(2), c.service(3)));
            // The other partition was not touched.
            assertEquals(Set.of("n0", "n1", "n2"), ids(c.node(3).groupState(1, Duration.ofSeconds(10)).voters()));
        }
    }

    @Test
    @Timeout(120)
    void movingTheLeadersReplicaAwayKeepsWritesGoing() throws Exception {
        try (MiniCluster c = cluster()) {
            c.awaitLeaders(Duration.ofSeconds(20));
            lead(c, P, 0);
            MoveWorkload w = new MoveWorkload(P, PARTITIONS);
            for (int n = 1; n < 4; n++) {
                w.writer("w" + n, c.service(n));
            }
            w.reader("n1", c.service(1)).start();
            try {
                w.awaitWrites(200, Duration.ofSeconds(30));
                c.node(3).hostReplica(P, c.peers(0, 1, 2), Duration.ofSeconds(30));
                // Asked of the leader itself, the replica being removed.
                RaftNode.GroupState moved = c.node(0).changeReplicas(P, c.peers(1, 2, 3), Duration.ofSeconds(60));
                assertEquals(Set.of("n1", "n2", "n3"), ids(moved.voters()));
                MiniCluster.await(Duration.ofSeconds(20), () -> {
                    int leader = c.leaderOf(P);
                    return leader >= 1 && leader <= 3;
                }, "a new leader among n1..n3");
                w.awaitWrites(200, Duration.ofSeconds(30));
                assertTrue(c.node(0).dropReplica(P, Duration.ofSeconds(30)));
                c.setReplicas(P, 1, 2, 3);
                assertFalse(Files.exists(groupDir(c, 0, P)));
                w.awaitWrites(100, Duration.ofSeconds(30));
                System.out.printf("leader's replica moved: %d writes, %d reads, %d failures%n", w.writes.get(),
                        w.reads.get(), w.failures.size());
            } finally {
                w.close();
            }
            assertEquals(List.of(), w.failures.subList(0, Math.min(10, w.failures.size())), "failed commands");
            c.awaitConverged(Duration.ofSeconds(30));
            for (int n : List.of(1, 2, 3)) {
                w.checkEngine(c, n);
            }
            w.checkReadsThrough(List.of(c.service(0), c.service(3)));
        }
    }

    @Test
    @Timeout(90)
    void clientsSwitchReplicaListsWithoutFailingCommands() throws Exception {
        try (MiniCluster c = cluster()) {
            c.awaitLeaders(Duration.ofSeconds(20));
            // n3 hosts nothing. Point its client at a stale list that names n3 itself and leaves the
            // leader out: commands still find the leader ("not leader" answers name it, and a "group
            // not found" from n3 is retried elsewhere: PartitionClientRpcTest).
            int leader = c.leaderOf(P);
            int follower = (leader + 1) % 3;
            c.node(3).updateReplicas(P, c.peers(3, follower));
            assertEquals(Set.of("n3", "n" + follower), ids(c.node(3).replicas(P)));
            MoveWorkload w = new MoveWorkload(P, PARTITIONS);
            w.writer("w3", c.service(3)).writer("w3b", c.service(3)).reader("n3", c.service(3)).start();
            try {
                w.awaitWrites(100, Duration.ofSeconds(30));
                // Swap the client under load, back and forth: commands already taken finish on the
                // old client, new ones go to the new client, none fails.
                for (int i = 0; i < 10; i++) {
                    c.node(3).updateReplicas(P, i % 2 == 0 ? c.peers(0, 1, 2) : c.peers(2, 1, 0, 3));
                    w.awaitWrites(20, Duration.ofSeconds(30));
                }
                c.node(3).updateReplicas(P, c.peers(0, 1, 2));
                c.node(3).updateReplicas(P, c.peers(0, 1, 2)); // no change, no new client
                w.awaitWrites(50, Duration.ofSeconds(30));
            } finally {
                w.close();
            }
            assertEquals(List.of(), w.failures.subList(0, Math.min(10, w.failures.size())), "failed commands");
            assertEquals(Set.of("n0", "n1", "n2"), ids(c.node(3).replicas(P)));
            c.awaitConverged(Duration.ofSeconds(30));
            w.checkEngine(c, 0);
            w.checkReadsThrough(List.of(c.service(3)));
        }
    }

    @Test
    @Timeout(90)
    void unsafeOrPrematureRequestsAreRefused() throws Exception {
        try (MiniCluster c = cluster()) {
            c.awaitLeaders(Duration.ofSeconds(20));
            CommandService s = c.service(0);
            assertEquals(Reply.OK, s.execute(MoveWorkload.argv("SET", "{a}k", "v")).get(20, TimeUnit.SECONDS));
            int p = io.cairn.storage.SlotHash.partitionOf("{a}k".getBytes(), PARTITIONS);

            // Nothing to drop on a node without a replica; a voter's copy is never dropped.
            assertFalse(c.node(3).dropReplica(p, Duration.ofSeconds(10)));
            for (int n = 0; n < 3; n++) {
                int node = n;
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> c.node(node).dropReplica(p, Duration.ofSeconds(20)));
                assertTrue(e.getMessage().contains("still a voter"), e.getMessage());
                assertTrue(Files.exists(groupDir(c, n, p)));
            }

            // A new replica must be hosted before the configuration names it.
            IllegalStateException notHosted = assertThrows(IllegalStateException.class,
                    () -> c.node(1).changeReplicas(p, c.peers(1, 2, 3), Duration.ofSeconds(20)));
            assertTrue(notHosted.getMessage().contains("hostReplica"), notHosted.getMessage());

            c.node(3).hostReplica(p, c.peers(0, 1, 2), Duration.ofSeconds(30));
            c.node(3).hostReplica(p, c.peers(0, 1, 2), Duration.ofSeconds(30)); // idempotent
            // Replacing two of three voters at once would let the new ones outvote the old: refused.
            IllegalArgumentException majority = assertThrows(IllegalArgumentException.class,
                    () -> c.node(1).changeReplicas(p, c.peers(2, 3), Duration.ofSeconds(20)));
            assertTrue(majority.getMessage().contains("one replica at a time"), majority.getMessage());
            assertThrows(IllegalArgumentException.class, () -> c.node(1).changeReplicas(p, List.of(), Duration.ofSeconds(5)));
            assertThrows(IllegalArgumentException.class,
                    () -> c.node(1).changeReplicas(p, c.peers(1, 1, 3), Duration.ofSeconds(5)));

            // The hosted replica is not a voter, so it may be dropped again (an abandoned move).
            assertTrue(c.node(3).dropReplica(p, Duration.ofSeconds(20)));
            assertFalse(Files.exists(groupDir(c, 3, p)));
            RaftNode.GroupState state = c.node(3).groupState(p, Duration.ofSeconds(10));
            assertEquals(Set.of("n0", "n1", "n2"), ids(state.voters()));
            assertEquals("v", ((Reply.Bulk) c.service(3).execute(MoveWorkload.argv("GET", "{a}k")).get(20, TimeUnit.SECONDS)).utf8());
        }
    }
}
