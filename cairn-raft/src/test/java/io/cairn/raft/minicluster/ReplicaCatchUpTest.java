package io.cairn.raft.minicluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import io.cairn.raft.RaftConfig;
import io.cairn.raft.RaftNode;
import io.cairn.storage.SlotHash;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new replica caught up by snapshot install, slowed down by the receive throttle so that there
 * is time to kill it mid-transfer: the failure class "the source dropped its copy before the
 * destination confirmed, and the destination crashed". Here the move fails cleanly, the old
 * replicas stay voters with all their data, and the retried move (after the destination restarts)
 * succeeds with nothing lost.
 */
class ReplicaCatchUpTest {
    static final int PARTITIONS = 2;
    static final int P = 0;
    static final int THROTTLE = 256 * 1024;
    static final int STAGING_TIMEOUT_MS = 3000;

    @TempDir
    Path dir;

    @Test
    @Timeout(150)
    void aNewReplicaStoppedMidSnapshotLeavesTheGroupIntactAndTheRetriedMoveSucceeds() throws Exception {
        Map<String, String> settings = new HashMap<>();
        settings.put(RaftConfig.SNAPSHOT_RECEIVE_BYTES_PER_SEC, Integer.toString(THROTTLE));
        settings.put(RaftConfig.MOVE_STAGING_TIMEOUT_MS, Integer.toString(STAGING_TIMEOUT_MS));
        settings.put(RaftConfig.MOVE_MAX_CONCURRENT, "1");
        // Small segments, purged up to the snapshot: the log the new replica would need is gone.
        settings.put(RaftConfig.SEGMENT_SIZE_MAX_BYTES, Integer.toString(64 * 1024));
        settings.put(RaftConfig.SEGMENT_CACHE_BYTES, Integer.toString(1 << 20));
        settings.put(RaftConfig.PURGE_GAP, "1");
        try (MiniCluster c = new MiniCluster(dir, 4, PARTITIONS, settings).withMembers(3).start()) {
            c.awaitLeaders(Duration.ofSeconds(20));
            ReplicaMoveTest.lead(c, P, 1);

            // ~2 MB in the partition (a few seconds at the throttle), a tenth of it deleted again.
            Map<String, String> kept = new HashMap<>();
            List<String> deleted = new ArrayList<>();
            List<CompletableFuture<Reply>> writes = new ArrayList<>();
            String filler = "x".repeat(1000);
            for (int i = 0; kept.size() + deleted.size() < 2000; i++) {
                String key = "big" + i;
                if (SlotHash.partitionOf(key.getBytes(StandardCharsets.UTF_8), PARTITIONS) != P) {
                    continue;
                }
                writes.add(c.service(i % 3).execute(MoveWorkload.argv("SET", key, key + filler)));
                if (i % 10 == 0) {
                    deleted.add(key);
                } else {
                    kept.put(key, key + filler);
                }
            }
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            writes.forEach(w -> assertEquals(Reply.OK, w.join()));
            for (String key : deleted) {
                assertEquals(Reply.integer(1), c.service(2).execute(MoveWorkload.argv("DEL", key)).get(20, TimeUnit.SECONDS));
            }
            long snapshotBytes = 0;
            for (int n = 0; n < 3; n++) {
                c.node(n).snapshot(P, Duration.ofSeconds(30));
                snapshotBytes = Math.max(snapshotBytes, Files.size(
                        c.node(n).stateMachine(P).getLatestSnapshot().getFiles().get(0).getPath()));
            }
            assertTrue(snapshotBytes > 4L * THROTTLE, "the snapshot (" + snapshotBytes + " bytes) takes seconds to send");
            MiniCluster.await(Duration.ofSeconds(20), () -> {
                try {
                    return c.node(1).division(P).getRaftLog().getStartIndex() > 1;
                } catch (IOException e) {
                    return false;
                }
            }, "the leader's log to be purged up to the snapshot");
            long checksumBefore = c.checksum(1, P);

            // The move starts; the new replica is killed while the snapshot streams in.
            c.node(3).hostReplica(P, c.peers(0, 1, 2), Duration.ofSeconds(30));
            long started = System.nanoTime();
            // On a thread of its own: Ratis's servers answer admin requests on the common pool, which
            // has a single worker on a 2-core machine.
            CompletableFuture<RaftNode.GroupState> move = new CompletableFuture<>();
            Thread mover = new Thread(() -> {
                try {
                    move.complete(c.node(2).changeReplicas(P, c.peers(1, 2, 3), Duration.ofSeconds(12)));
                } catch (Throwable e) {
                    move.completeExceptionally(e);
                }
            }, "mover");
            mover.start();
            MiniCluster.await(Duration.ofSeconds(30), () -> c.node(3).snapshotBytesReceived() >= THROTTLE,
                    "a second's worth of the snapshot to reach n3");
            long receivedBeforeStop = c.node(3).snapshotBytesReceived();
            assertTrue(receivedBeforeStop < snapshotBytes, "the throttle leaves time to stop n3 mid-transfer");
            assertEquals(0, c.node(3).stateMachine(P).snapshotsInstalled());

            // Bounded concurrency: n2 drives one move at a time, the next fails at once.
            IllegalStateException busy = assertThrows(IllegalStateException.class,
                    () -> c.node(2).changeReplicas(1, c.peers(1, 2, 3), Duration.ofSeconds(10)));
            assertTrue(busy.getMessage().contains(RaftConfig.MOVE_MAX_CONCURRENT), busy.getMessage());

            c.stop(3);
            ExecutionException failed = assertThrows(ExecutionException.class, () -> move.get(30, TimeUnit.SECONDS));
            long failedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertInstanceOf(IOException.class, failed.getCause());
            assertTrue(failed.getCause().getMessage().contains("partition " + P) && failed.getCause().getMessage().contains("did not complete"),
                    failed.getCause().getMessage());
            assertTrue(failedAfterMs < 20_000, "the move gave up within its timeout, took " + failedAfterMs + " ms");

            // Past every grace period (the leader's staging timeout, an election), nothing changed.
            Thread.sleep(STAGING_TIMEOUT_MS + 1000);
            RaftNode.GroupState unchanged = c.node(1).groupState(P, Duration.ofSeconds(10));
            assertTrue(unchanged.stable());
            assertEquals(Set.of("n0", "n1", "n2"), ReplicaMoveTest.ids(unchanged.voters()));
            c.awaitConverged(Duration.ofSeconds(20));
            for (int n = 0; n < 3; n++) {
                assertEquals(checksumBefore, c.checksum(n, P), "partition " + P + " on n" + n);
                assertTrue(Files.exists(ReplicaMoveTest.groupDir(c, n, P)));
            }
            // The old replicas cannot be dropped: they are still the voters.
            assertThrows(IllegalStateException.class, () -> c.node(0).dropReplica(P, Duration.ofSeconds(20)));

            // The destination comes back (its partial replica reopens from disk) and the move is retried.
            c.restart(3);
            assertTrue(c.node(3).hosts(P), "n3 reopened its replica");
            assertFalse(c.node(3).votes(P));
            c.node(3).hostReplica(P, c.peers(0, 1, 2), Duration.ofSeconds(30));
            long retried = System.nanoTime();
            RaftNode.GroupState moved = c.node(2).changeReplicas(P, c.peers(1, 2, 3), Duration.ofSeconds(90));
            long retryMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - retried);
            assertEquals(Set.of("n1", "n2", "n3"), ReplicaMoveTest.ids(moved.voters()));
            assertTrue(c.node(3).stateMachine(P).snapshotsInstalled() >= 1, "n3 was caught up by a snapshot");
            assertTrue(c.node(3).snapshotBytesReceived() >= snapshotBytes,
                    "n3 received the whole snapshot: " + c.node(3).snapshotBytesReceived() + " of " + snapshotBytes);
            // The throttle held: the snapshot took at least its size over the rate (minus the first chunk's burst).
            long floorMs = (snapshotBytes - THROTTLE / 4) * 1000 / THROTTLE;
            assertTrue(retryMs >= floorMs, "move took " + retryMs + " ms, the throttle allows no less than " + floorMs);

            assertTrue(c.node(0).dropReplica(P, Duration.ofSeconds(30)));
            c.setReplicas(P, 1, 2, 3);
            assertFalse(Files.exists(ReplicaMoveTest.groupDir(c, 0, P)));
            c.awaitConverged(Duration.ofSeconds(30));
            for (int n : List.of(1, 2, 3)) {
                assertEquals(checksumBefore, c.checksum(n, P), "partition " + P + " on n" + n);
            }
            for (Map.Entry<String, String> e : kept.entrySet()) {
                var r = c.engine(3).getRaw(P, e.getKey().getBytes(StandardCharsets.UTF_8));
                assertTrue(r != null && !r.tombstone() && e.getValue().equals(new String(r.value(), StandardCharsets.UTF_8)),
                        "n3 holds " + e.getKey());
            }
            for (String key : deleted) {
                var r = c.engine(3).getRaw(P, key.getBytes(StandardCharsets.UTF_8));
                assertTrue(r == null || r.tombstone(), "n3 resurrected " + key);
                assertEquals(Reply.Null.BULK, c.service(3).execute(MoveWorkload.argv("GET", key)).get(20, TimeUnit.SECONDS));
            }
            // n0 no longer hosts the partition but still serves it, through the new replicas.
            int sampled = 0;
            for (Map.Entry<String, String> e : kept.entrySet()) {
                if (sampled++ == 50) {
                    break;
                }
                assertTrue(MoveWorkload.matches(c.service(0).execute(MoveWorkload.argv("GET", e.getKey())).get(20, TimeUnit.SECONDS),
                        e.getValue()), "GET " + e.getKey() + " through n0");
            }
            System.out.printf("catch-up: snapshot %d bytes at %d B/s; first attempt failed after %d ms (n3 had %d bytes);"
                    + " retried move %d ms%n", snapshotBytes, THROTTLE, failedAfterMs, receivedBeforeStop, retryMs);
        }
    }
}
