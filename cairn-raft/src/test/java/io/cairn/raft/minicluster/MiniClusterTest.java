package io.cairn.raft.minicluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.raft.RaftConfig;
import io.cairn.raft.ReplicatedCommandService;
import io.cairn.storage.SlotHash;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class MiniClusterTest {
    private static final int PARTITIONS = 4;

    @TempDir
    Path dir;

    static byte[][] argv(String... parts) {
        byte[][] a = new byte[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            a[i] = parts[i].getBytes(StandardCharsets.UTF_8);
        }
        return a;
    }

    static Reply run(CommandService s, String... parts) throws Exception {
        return s.execute(argv(parts)).get(20, TimeUnit.SECONDS);
    }

    static Reply runAfter(MiniCluster c, long sleepMillis, String... parts) throws Exception {
        Thread.sleep(sleepMillis);
        return run(c.service(0), parts);
    }

    static String bulk(Reply r) {
        assertInstanceOf(Reply.Bulk.class, r, () -> "expected a bulk reply, got " + r);
        return ((Reply.Bulk) r).utf8();
    }

    /** Keys whose partition is {@code p}. */
    static List<String> keysIn(int p, String prefix, int n) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; keys.size() < n; i++) {
            String k = prefix + i;
            if (SlotHash.partitionOf(k.getBytes(StandardCharsets.UTF_8), PARTITIONS) == p) {
                keys.add(k);
            }
        }
        return keys;
    }

    @Test
    @Timeout(60)
    void writesThroughAnyNodeAreReadableThroughEveryNode() throws Exception {
        try (MiniCluster c = new MiniCluster(dir, 3, PARTITIONS, Map.of()).start()) {
            c.awaitLeaders(Duration.ofSeconds(20));
            for (int i = 0; i < 60; i++) {
                assertEquals(Reply.OK, run(c.service(i % 3), "SET", "key" + i, "value" + i));
                for (int n = 0; n < 3; n++) {
                    // Linearizable: a read that starts after the write was acknowledged sees it, on any node.
                    assertEquals("value" + i, bulk(run(c.service(n), "GET", "key" + i)));
                }
            }

            // Concurrent increments from every node, all acknowledged, none lost or doubled.
            List<CompletableFuture<Reply>> incrs = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                incrs.add(c.service(i % 3).execute(argv("INCR", "counter")));
            }
            CompletableFuture.allOf(incrs.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            long max = incrs.stream().mapToLong(f -> ((Reply.Int) f.join()).value()).max().orElseThrow();
            assertEquals(300, max);
            assertEquals(300, incrs.stream().map(f -> ((Reply.Int) f.join()).value()).distinct().count());
            for (int n = 0; n < 3; n++) {
                assertEquals("300", bulk(run(c.service(n), "GET", "counter")));
            }

            // Routing: keys in two partitions are refused, hash tags keep them together.
            String a = keysIn(0, "a", 1).get(0), b = keysIn(1, "b", 1).get(0);
            assertEquals(ReplicatedCommandService.CROSSSLOT, run(c.service(0), "MSET", a, "1", b, "2"));
            assertEquals(Reply.OK, run(c.service(1), "MSET", "{t}x", "1", "{t}y", "2"));
            Reply mget = run(c.service(2), "MGET", "{t}x", "{t}y");
            assertEquals(List.of("1", "2"), ((Reply.Array) mget).items().stream().map(MiniClusterTest::bulk).toList());
            // Errors come back as replies, unknown commands never reach Raft.
            assertInstanceOf(Reply.Error.class, run(c.service(0), "INCR", "{t}x", "extra"));
            assertInstanceOf(Reply.Error.class, run(c.service(0), "NOSUCHCOMMAND", "k"));
            assertInstanceOf(Reply.Error.class, run(c.service(0), "DBSIZE"));

            // WATCH/EXEC through different nodes: a write in between aborts the block.
            byte[] w = "{t}x".getBytes(StandardCharsets.UTF_8);
            long token = c.service(0).watchToken(w).get(10, TimeUnit.SECONDS);
            Reply ok = c.service(1).exec(List.of(argv("INCR", "{t}x"), argv("GET", "{t}y")),
                    List.of(new CommandService.Watch(w, token))).get(10, TimeUnit.SECONDS);
            assertEquals(Reply.integer(2), ((Reply.Array) ok).items().get(0));
            Reply aborted = c.service(2).exec(List.<byte[][]>of(argv("INCR", "{t}x")),
                    List.of(new CommandService.Watch(w, token))).get(10, TimeUnit.SECONDS);
            assertEquals(Reply.Null.ARRAY, aborted);
            assertEquals("2", bulk(run(c.service(0), "GET", "{t}x")));

            // Active expiry is replicated: the leader proposes purges and every replica drops the records.
            for (int i = 0; i < 20; i++) {
                assertEquals(Reply.OK, run(c.service(i % 3), "SET", "ttl" + i, "x", "PX", "150"));
            }
            assertEquals(Reply.Null.BULK, runAfter(c, 400, "GET", "ttl0"));
            MiniCluster.await(Duration.ofSeconds(10), () -> {
                for (int n = 0; n < 3; n++) {
                    for (int i = 0; i < 20; i++) {
                        byte[] k = ("ttl" + i).getBytes(StandardCharsets.UTF_8);
                        if (c.engine(n).getRaw(SlotHash.partitionOf(k, PARTITIONS), k) != null) {
                            return false;
                        }
                    }
                }
                return true;
            }, "expired records to be purged on every replica");
            long purged = 0;
            for (int n = 0; n < 3; n++) {
                purged += c.node(n).purgedByActiveExpiry();
            }
            assertEquals(20, purged);

            // Every replica holds the same data.
            c.awaitConverged(Duration.ofSeconds(20));
            for (int p = 0; p < PARTITIONS; p++) {
                long expected = c.checksum(0, p);
                for (int n = 1; n < 3; n++) {
                    assertEquals(expected, c.checksum(n, p), "partition " + p + " on node " + n);
                }
            }
            // Group commit happened: 300 concurrent INCRs went out in fewer entries than commands.
            int counterPartition = SlotHash.partitionOf("counter".getBytes(StandardCharsets.UTF_8), PARTITIONS);
            long batches = 0, commands = 0;
            for (int n = 0; n < 3; n++) {
                long[] s = c.node(n).writeBatchStats(counterPartition);
                batches += s[0];
                commands += s[1];
            }
            assertTrue(commands > batches, "expected batching, got " + commands + " commands in " + batches + " entries");
        }
    }

    @Test
    @Timeout(90)
    void leaderLossUnderWritesKeepsEveryAcknowledgedWrite() throws Exception {
        try (MiniCluster c = new MiniCluster(dir, 3, PARTITIONS, Map.of()).start()) {
            c.awaitLeaders(Duration.ofSeconds(20));
            int partition = 0;
            int leader = c.leaderOf(partition);
            int[] survivors = {(leader + 1) % 3, (leader + 2) % 3};
            Map<String, String> acknowledged = new ConcurrentHashMap<>();
            AtomicInteger failures = new AtomicInteger();
            AtomicInteger ackedAfterStop = new AtomicInteger();
            AtomicBoolean stopped = new AtomicBoolean();
            AtomicBoolean done = new AtomicBoolean();
            List<String> keys = keysIn(partition, "fk", 100_000);
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int id = t;
                Thread writer = new Thread(() -> {
                    for (int i = id; !done.get() && i < keys.size(); i += 4) {
                        String key = keys.get(i), value = "v" + i;
                        // Writers sit on the surviving nodes; the leader's node disappears under them.
                        CommandService s = c.service(survivors[i % 2]);
                        try {
                            Reply r = s.execute(argv("SET", key, value)).get(30, TimeUnit.SECONDS);
                            if (Reply.OK.equals(r)) {
                                acknowledged.put(key, value);
                                if (stopped.get()) {
                                    ackedAfterStop.incrementAndGet();
                                }
                            } else {
                                failures.incrementAndGet();
                            }
                        } catch (Exception e) {
                            failures.incrementAndGet();
                        }
                    }
                }, "writer-" + t);
                writer.start();
                writers.add(writer);
            }
            Thread.sleep(700);
            int before = acknowledged.size();
            c.stop(leader);
            stopped.set(true);
            MiniCluster.await(Duration.ofSeconds(20), () -> ackedAfterStop.get() >= 200, "writes after the failover");
            done.set(true);
            for (Thread w : writers) {
                w.join(40_000);
            }
            int newLeader = c.leaderOf(partition);
            assertTrue(newLeader == survivors[0] || newLeader == survivors[1], "new leader " + newLeader);
            assertTrue(before > 0, "no writes before the leader was stopped");
            for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                for (int n : survivors) {
                    assertEquals(e.getValue(), bulk(c.service(n).execute(argv("GET", e.getKey())).get(20, TimeUnit.SECONDS)),
                            "acknowledged write of " + e.getKey() + " on node " + n);
                }
            }
            // The two survivors hold identical replicas of every partition.
            MiniCluster.await(Duration.ofSeconds(20), () -> {
                try {
                    for (int p = 0; p < PARTITIONS; p++) {
                        if (c.appliedIndex(survivors[0], p) != c.appliedIndex(survivors[1], p)) {
                            return false;
                        }
                    }
                    return true;
                } catch (Exception e) {
                    return false;
                }
            }, "survivors to converge");
            for (int p = 0; p < PARTITIONS; p++) {
                assertEquals(c.checksum(survivors[0], p), c.checksum(survivors[1], p), "partition " + p);
            }
            System.out.printf("failover: %d writes acknowledged (%d before the stop, %d after), %d failed%n",
                    acknowledged.size(), before, ackedAfterStop.get(), failures.get());
        }
    }

    @Test
    @Timeout(90)
    void restartedFollowerCatchesUpBySnapshotInstall() throws Exception {
        Map<String, String> settings = Map.of(
                RaftConfig.SEGMENT_SIZE_MAX_BYTES, Integer.toString(16 * 1024),
                RaftConfig.SEGMENT_CACHE_BYTES, Integer.toString(1 << 20),
                RaftConfig.PURGE_GAP, "1",
                RaftConfig.PURGE_UP_TO_SNAPSHOT, "true");
        try (MiniCluster c = new MiniCluster(dir, 3, PARTITIONS, settings).start()) {
            c.awaitLeaders(Duration.ofSeconds(20));
            int partition = 1;
            int follower = (c.leaderOf(partition) + 1) % 3;
            for (int i = 0; i < 50; i++) {
                run(c.service(i % 3), "SET", "early" + i, "x");
            }
            c.awaitConverged(Duration.ofSeconds(20));
            long followerApplied = c.appliedIndex(follower, partition);
            c.stop(follower);
            int live = (follower + 1) % 3;
            c.awaitLeaders(Duration.ofSeconds(20));

            List<CompletableFuture<Reply>> writes = new ArrayList<>();
            for (int i = 0; i < 4000; i++) {
                // ~100-byte values so the log spans many 16 KiB segments, which purging drops whole.
                writes.add(c.service(live).execute(argv("SET", "late" + i, "value-" + i + "-" + "x".repeat(90))));
                if (writes.size() == 256) {
                    CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
                    writes.clear();
                }
            }
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            List<CompletableFuture<Reply>> incrs = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                incrs.add(c.service(live).execute(argv("INCRBY", "late-counter", "2")));
            }
            CompletableFuture.allOf(incrs.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            // Snapshot every partition on both live replicas; the log before it is purged.
            for (int n = 0; n < 3; n++) {
                if (c.isUp(n)) {
                    for (int p = 0; p < PARTITIONS; p++) {
                        long index = c.node(n).snapshot(p, Duration.ofSeconds(20));
                        if (p == partition) {
                            assertTrue(index > followerApplied, "snapshot at " + index + " on node " + n);
                            assertEquals(index, c.node(n).stateMachine(p).getLatestSnapshot().getIndex());
                        }
                    }
                }
            }
            int leader = c.leaderOf(partition);
            MiniCluster.await(Duration.ofSeconds(20), () -> {
                try {
                    // The entries after the follower's last applied index are gone: only a snapshot can catch it up.
                    return c.node(leader).division(partition).getRaftLog().getStartIndex() > followerApplied + 1;
                } catch (Exception e) {
                    return false;
                }
            }, "the leader's log to be purged");

            c.restart(follower);
            c.awaitConverged(Duration.ofSeconds(40));
            assertTrue(c.node(follower).stateMachine(partition).snapshotsLoaded() >= 1,
                    "the restarted follower should have installed a snapshot");
            for (int p = 0; p < PARTITIONS; p++) {
                long expected = c.checksum(leader, p);
                for (int n = 0; n < 3; n++) {
                    assertEquals(expected, c.checksum(n, p), "partition " + p + " on node " + n);
                }
            }
            // And the restarted node serves linearizable reads and writes again.
            assertEquals("value-3999-" + "x".repeat(90), bulk(run(c.service(follower), "GET", "late3999")));
            assertEquals("1000", bulk(run(c.service(follower), "GET", "late-counter")));
            assertEquals(Reply.integer(1002), run(c.service(follower), "INCRBY", "late-counter", "2"));
            assertArrayEquals(new long[] {c.checksum(0, 2)}, new long[] {c.checksum(1, 2)});
        }
    }
}
