package io.cairn.raft.minicluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import io.cairn.api.consistency.ReadConsistency;
import io.cairn.api.consistency.WriteConsistency;
import io.cairn.api.service.CommandService;
import io.cairn.api.service.Session;
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

/**
 * One suite over an in-process mini cluster of real Ratis servers on loopback, run at several
 * cluster sizes by the subclasses (Ratis's own pattern): replication, failover, catch-up by
 * snapshot, and every consistency level.
 */
abstract class AbstractMiniClusterSuite {
    static final int PARTITIONS = 4;

    /** Nodes in the cluster; every node hosts every partition (RF = size). */
    abstract int size();

    MiniCluster cluster(Map<String, String> settings) throws Exception {
        return new MiniCluster(dir, size(), PARTITIONS, settings).start();
    }

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
        try (MiniCluster c = cluster(Map.of())) {
            c.awaitLeaders(Duration.ofSeconds(20));
            for (int i = 0; i < 60; i++) {
                assertEquals(Reply.OK, run(c.service(i % size()), "SET", "key" + i, "value" + i));
                for (int n = 0; n < size(); n++) {
                    // Linearizable: a read that starts after the write was acknowledged sees it, on any node.
                    assertEquals("value" + i, bulk(run(c.service(n), "GET", "key" + i)));
                }
            }

            // Concurrent increments from every node, all acknowledged, none lost or doubled.
            List<CompletableFuture<Reply>> incrs = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                incrs.add(c.service(i % size()).execute(argv("INCR", "counter")));
            }
            CompletableFuture.allOf(incrs.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            long max = incrs.stream().mapToLong(f -> ((Reply.Int) f.join()).value()).max().orElseThrow();
            assertEquals(300, max);
            assertEquals(300, incrs.stream().map(f -> ((Reply.Int) f.join()).value()).distinct().count());
            for (int n = 0; n < size(); n++) {
                assertEquals("300", bulk(run(c.service(n), "GET", "counter")));
            }

            // Routing: keys in two partitions are refused, hash tags keep them together.
            String a = keysIn(0, "a", 1).get(0), b = keysIn(1, "b", 1).get(0);
            assertEquals(ReplicatedCommandService.CROSSSLOT, run(c.service(0), "MSET", a, "1", b, "2"));
            assertEquals(Reply.OK, run(c.service(1), "MSET", "{t}x", "1", "{t}y", "2"));
            Reply mget = run(c.service(2), "MGET", "{t}x", "{t}y");
            assertEquals(List.of("1", "2"), ((Reply.Array) mget).items().stream().map(AbstractMiniClusterSuite::bulk).toList());
            // Errors come back as replies, unknown commands never reach Raft.
            assertInstanceOf(Reply.Error.class, run(c.service(0), "INCR", "{t}x", "extra"));
            assertInstanceOf(Reply.Error.class, run(c.service(0), "NOSUCHCOMMAND", "k"));
            // Keyless commands span the partitions: each group answers for its range.
            long dbsize = ((Reply.Int) run(c.service(0), "DBSIZE")).value();
            assertEquals(63, dbsize, "60 keys, a counter and two tagged keys");
            assertEquals(63, ((Reply.Array) run(c.service(1), "KEYS", "*")).items().size());
            java.util.Set<String> scanned = new java.util.HashSet<>();
            String cursor = "0";
            for (int calls = 0; calls < 1000; calls++) {
                Reply.Array page = (Reply.Array) run(c.service(calls % size()), "SCAN", cursor, "COUNT", "5");
                cursor = bulk(page.items().get(0));
                ((Reply.Array) page.items().get(1)).items().forEach(k -> scanned.add(bulk(k)));
                if (cursor.equals("0")) {
                    break;
                }
            }
            assertEquals(63, scanned.size());
            assertInstanceOf(Reply.Bulk.class, run(c.service(2), "RANDOMKEY"));

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
                assertEquals(Reply.OK, run(c.service(i % size()), "SET", "ttl" + i, "x", "PX", "150"));
            }
            assertEquals(Reply.Null.BULK, runAfter(c, 400, "GET", "ttl0"));
            MiniCluster.await(Duration.ofSeconds(10), () -> {
                for (int n = 0; n < size(); n++) {
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
            for (int n = 0; n < size(); n++) {
                purged += c.node(n).purgedByActiveExpiry();
            }
            assertEquals(20, purged);

            // Every replica holds the same data.
            c.awaitConverged(Duration.ofSeconds(20));
            for (int p = 0; p < PARTITIONS; p++) {
                long expected = c.checksum(0, p);
                for (int n = 1; n < size(); n++) {
                    assertEquals(expected, c.checksum(n, p), "partition " + p + " on node " + n);
                }
            }
            // Group commit happened: 300 concurrent INCRs went out in fewer entries than commands.
            int counterPartition = SlotHash.partitionOf("counter".getBytes(StandardCharsets.UTF_8), PARTITIONS);
            long batches = 0, commands = 0;
            for (int n = 0; n < size(); n++) {
                long[] s = c.node(n).writeBatchStats(counterPartition);
                batches += s[0];
                commands += s[1];
            }
            assertTrue(commands > batches, "expected batching, got " + commands + " commands in " + batches + " entries");

            // FLUSHALL goes through every partition's log: every replica ends empty.
            assertEquals(Reply.OK, run(c.service(1), "FLUSHALL"));
            for (int n = 0; n < size(); n++) {
                assertEquals(Reply.integer(0), run(c.service(n), "DBSIZE"));
            }
            c.awaitConverged(Duration.ofSeconds(20));
            for (int n = 0; n < size(); n++) {
                for (int p = 0; p < PARTITIONS; p++) {
                    assertEquals(0, c.engine(n).stats(p).keys(), "partition " + p + " on node " + n);
                }
            }
        }
    }

    @Test
    @Timeout(90)
    void leaderLossUnderWritesKeepsEveryAcknowledgedWrite() throws Exception {
        try (MiniCluster c = cluster(Map.of())) {
            c.awaitLeaders(Duration.ofSeconds(20));
            int partition = 0;
            int leader = c.leaderOf(partition);
            int[] survivors = java.util.stream.IntStream.range(0, size()).filter(n -> n != leader).toArray();
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
                        CommandService s = c.service(survivors[i % survivors.length]);
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
            assertTrue(newLeader >= 0 && newLeader != leader, "new leader " + newLeader);
            assertTrue(before > 0, "no writes before the leader was stopped");
            for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                for (int n : survivors) {
                    assertEquals(e.getValue(), bulk(c.service(n).execute(argv("GET", e.getKey())).get(20, TimeUnit.SECONDS)),
                            "acknowledged write of " + e.getKey() + " on node " + n);
                }
            }
            // The survivors hold identical replicas of every partition.
            c.awaitConverged(Duration.ofSeconds(20));
            for (int p = 0; p < PARTITIONS; p++) {
                for (int n : survivors) {
                    assertEquals(c.checksum(survivors[0], p), c.checksum(n, p), "partition " + p + " on node " + n);
                }
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
        try (MiniCluster c = cluster(settings)) {
            c.awaitLeaders(Duration.ofSeconds(20));
            int partition = 1;
            int follower = (c.leaderOf(partition) + 1) % size();
            for (int i = 0; i < 50; i++) {
                run(c.service(i % size()), "SET", "early" + i, "x");
            }
            c.awaitConverged(Duration.ofSeconds(20));
            long followerApplied = c.appliedIndex(follower, partition);
            c.stop(follower);
            int live = (follower + 1) % size();
            c.awaitLeaders(Duration.ofSeconds(20));

            List<CompletableFuture<Reply>> writes = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
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
            for (int n = 0; n < size(); n++) {
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
                for (int n = 0; n < size(); n++) {
                    assertEquals(expected, c.checksum(n, p), "partition " + p + " on node " + n);
                }
            }
            // And the restarted node serves linearizable reads and writes again.
            assertEquals("value-9999-" + "x".repeat(90), bulk(run(c.service(follower), "GET", "late9999")));
            assertEquals("1000", bulk(run(c.service(follower), "GET", "late-counter")));
            assertEquals(Reply.integer(1002), run(c.service(follower), "INCRBY", "late-counter", "2"));
            assertArrayEquals(new long[] {c.checksum(0, 2)}, new long[] {c.checksum(1, 2)});
        }
    }

    static Reply run(CommandService s, Session session, String... parts) throws Exception {
        return s.execute(argv(parts), session).get(20, TimeUnit.SECONDS);
    }

    @Test
    @Timeout(90)
    void everyReadLevelSeesWhatItPromises() throws Exception {
        // A lease lasts 0.7 x the minimum election timeout from the start of the round that renewed
        // it; with the suite's short 400 ms timeouts a loaded machine answers rounds slower than
        // that and no lease ever holds (safe, but nothing to test). Longer timeouts here.
        try (MiniCluster c = cluster(Map.of(RaftConfig.ELECTION_TIMEOUT_MIN_MS, "2000",
                RaftConfig.ELECTION_TIMEOUT_MAX_MS, "3000"))) {
            c.awaitLeaders(Duration.ofSeconds(20));
            int partition = SlotHash.partitionOf("rk".getBytes(StandardCharsets.UTF_8), PARTITIONS);
            int leader = c.leaderOf(partition);
            int follower = (leader + 1) % size();

            // FOLLOWER: one session writes through the leader's node and reads from a follower's replica;
            // the session's last-seen index makes the follower wait until it has applied that write.
            // Few rounds: with no further writes the follower learns the commit index only from the
            // next heartbeat (half the 2 s minimum election timeout here), so each round takes ~1 s.
            Session ryw = new Session(ReadConsistency.FOLLOWER, WriteConsistency.MAJORITY);
            for (int i = 0; i < 8; i++) {
                assertEquals(Reply.OK, run(c.service(leader), ryw, "SET", "rk", "v" + i));
                assertEquals("v" + i, bulk(run(c.service(follower), ryw, "GET", "rk")), "read-your-writes, round " + i);
            }
            assertTrue(ryw.lastSeen(partition) > 0, "the session saw a log index");

            // STALE: answered by the local replica; once replicas converge, every node has the value.
            c.awaitConverged(Duration.ofSeconds(20));
            Session stale = new Session(ReadConsistency.STALE, WriteConsistency.MAJORITY);
            for (int n = 0; n < size(); n++) {
                assertEquals("v7", bulk(run(c.service(n), stale, "GET", "rk")));
            }

            // LEASE: the leader's own writes renew its lease, and it then answers reads locally.
            Session lease = new Session(ReadConsistency.LEASE, WriteConsistency.MAJORITY);
            assertEquals(Reply.OK, run(c.service(leader), lease, "SET", "rk", "leased"));
            MiniCluster.await(Duration.ofSeconds(20), () -> {
                c.service(leader).execute(argv("SET", "rk", "leased"), lease).join();
                return c.node(leader).hasLease(partition);
            }, "the leader to hold a lease");
            long readsBefore = c.node(leader).readBatchStats(partition)[1];
            for (int i = 0; i < 20; i++) {
                assertEquals("leased", bulk(run(c.service(leader), lease, "GET", "rk")));
            }
            long readIndexRounds = c.node(leader).readBatchStats(partition)[1] - readsBefore;
            assertTrue(readIndexRounds < 20, "lease reads should mostly skip ReadIndex, took " + readIndexRounds);
            // A node that does not lead never holds the lease: its LEASE reads still go through ReadIndex.
            assertTrue(!c.node(follower).hasLease(partition));
            assertEquals("leased", bulk(run(c.service(follower), lease, "GET", "rk")));

            // After the leader goes, the new leader must earn its own lease; reads stay correct meanwhile.
            c.stop(leader);
            int reader = follower;
            assertEquals("leased", bulk(run(c.service(reader), lease, "GET", "rk")));
            assertEquals(Reply.OK, run(c.service(reader), lease, "SET", "rk", "after"));
            assertEquals("after", bulk(run(c.service(reader), lease, "GET", "rk")));
        }
    }

    @Test
    @Timeout(90)
    void writeAllWaitsForEveryReplicaWhileMajorityDoesNot() throws Exception {
        try (MiniCluster c = cluster(Map.of(MiniCluster.COMMAND_TIMEOUT_MS, "2500"))) {
            c.awaitLeaders(Duration.ofSeconds(20));
            Session all = new Session(ReadConsistency.LINEARIZABLE, WriteConsistency.ALL);
            assertEquals(Reply.OK, run(c.service(0), all, "SET", "wk", "1"));

            int down = size() - 1;
            c.stop(down);
            assertEquals(Reply.OK, run(c.service(0), "SET", "wk", "2"));
            Reply r = run(c.service(0), all, "SET", "wk", "3");
            assertInstanceOf(Reply.Error.class, r, "an ALL write cannot complete with a replica down");
            assertTrue(((Reply.Error) r).text().startsWith("TIMEOUT"), r.toString());

            c.restart(down);
            c.awaitLeaders(Duration.ofSeconds(20));
            MiniCluster.await(Duration.ofSeconds(30),
                    () -> Reply.OK.equals(c.service(0).execute(argv("SET", "wk", "4"), all).join()),
                    "ALL writes to complete once every replica is back");
            // An ALL write is committed on every replica when acknowledged: the restarted node applies it
            // right behind (apply is asynchronous to commit), so its STALE reads see it within moments.
            Session stale = new Session(ReadConsistency.STALE, WriteConsistency.MAJORITY);
            MiniCluster.await(Duration.ofSeconds(5),
                    () -> c.service(down).execute(argv("GET", "wk"), stale).join() instanceof Reply.Bulk b && b.utf8().equals("4"),
                    "the restarted replica to apply the ALL write");
        }
    }
}
