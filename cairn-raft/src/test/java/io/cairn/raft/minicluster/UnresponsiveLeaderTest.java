package io.cairn.raft.minicluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.raft.RaftConfig;
import io.cairn.storage.SlotHash;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A partition's leader stops answering without closing its connections (what SIGSTOP, a long GC
 * pause or a frozen VM look like to its peers; see {@link MiniCluster#pause}). Its followers elect
 * a new leader within an election timeout, and writes proposed through the other nodes must follow
 * it within about that time, not wait for the old leader to come back.
 *
 * <p>Before the fix, each node's Ratis client waited out its whole RPC timeout (3 s, as long as
 * the command timeout) on the silent leader, then blocked ~3 s more on one of Ratis's shared timer
 * threads closing the gRPC channel to it, and only then retried elsewhere: writes stalled for 6 s
 * or the whole pause.
 */
class UnresponsiveLeaderTest {
    private static final int PARTITIONS = 2;
    /**
     * Far longer than an election (400-800 ms timeouts here, ~1-1.5 s measured on a loaded 2-core
     * machine), so that following the election and waiting out one attempt cannot be confused.
     */
    private static final long ATTEMPT_TIMEOUT_MS = 5000;
    private static final long COMMAND_TIMEOUT_MS = 8000;
    private static final long PAUSE_MS = 8500;

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void writesThroughTheOtherNodesFollowTheNewLeaderWhileTheOldOneIsSilent() throws Exception {
        Map<String, String> settings = Map.of(RaftConfig.CLIENT_ATTEMPT_TIMEOUT_MS, Long.toString(ATTEMPT_TIMEOUT_MS),
                MiniCluster.COMMAND_TIMEOUT_MS, Long.toString(COMMAND_TIMEOUT_MS));
        try (MiniCluster c = new MiniCluster(dir, 3, PARTITIONS, settings).withFreezableNodes().start()) {
            CommandService outsider = c.addClientOnlyNode("c0");
            c.awaitLeaders(Duration.ofSeconds(20));
            int p = 0;
            int old = c.leaderOf(p);
            int busy = (old + 1) % 3; // writes all along
            int idle = (old + 2) % 3; // writes once, after its replica learned of the new leader
            List<String> keys = keysIn(p, 1000);
            // Every node's client has reached the leader: they all point at it when it goes silent.
            assertEquals(Reply.OK, run(c.service(busy), "SET", keys.get(0), "warm"));
            assertEquals(Reply.OK, run(c.service(idle), "SET", keys.get(1), "warm"));
            assertEquals(Reply.OK, run(outsider, "SET", keys.get(2), "warm"));

            Map<String, String> acknowledged = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            long pausedAt = System.nanoTime();
            c.pause(old);
            try {
                Writer busyWriter = new Writer(c.service(busy), keys.subList(10, 500), acknowledged, stop, pausedAt);
                Writer outsiderWriter = new Writer(outsider, keys.subList(500, 990), acknowledged, stop, pausedAt);
                busyWriter.start();
                outsiderWriter.start();

                MiniCluster.await(Duration.ofSeconds(10), () -> {
                    String leader = c.node(idle).leaderOf(p);
                    return leader != null && !leader.equals(c.node(old).nodeId());
                }, "the idle node's replica to learn of a new leader");
                long learnedMs = ms(System.nanoTime() - pausedAt);
                Thread.sleep(200);
                long sent = System.nanoTime();
                assertEquals(Reply.OK, run(c.service(idle), "SET", keys.get(3), "idle"));
                long idleWriteMs = ms(System.nanoTime() - sent);
                acknowledged.put(keys.get(3), "idle");

                Thread.sleep(Math.max(0, PAUSE_MS - ms(System.nanoTime() - pausedAt)));
                stop.set(true);
                busyWriter.join(COMMAND_TIMEOUT_MS + 2000);
                outsiderWriter.join(COMMAND_TIMEOUT_MS + 2000);
                System.out.printf("UnresponsiveLeaderTest: n%d paused; n%d's replica knew the new leader after %d ms;"
                                + " first acknowledged write after the pause: n%d %d ms (%d acked, %d failed),"
                                + " client-only node %d ms (%d acked, %d failed); n%d's first write after the change %d ms%n",
                        old, idle, learnedMs, busy, busyWriter.firstOkMs.get(), busyWriter.acked.get(),
                        busyWriter.failed.get(), outsiderWriter.firstOkMs.get(), outsiderWriter.acked.get(),
                        outsiderWriter.failed.get(), idle, idleWriteMs);

                // A node with a replica follows the election: its writes were in flight to the old
                // leader when it went silent, and resume without waiting out an attempt timeout.
                long busyFirstMs = busyWriter.firstOkMs.get();
                assertTrue(busyFirstMs >= 0 && busyFirstMs < Math.min(learnedMs + 1500, ATTEMPT_TIMEOUT_MS - 1000),
                        "first acknowledged write through n" + busy + " " + busyFirstMs + " ms after the pause, the new"
                                + " leader was known after " + learnedMs + " ms");
                // A client idle during the change goes straight to the new leader.
                assertTrue(idleWriteMs < ATTEMPT_TIMEOUT_MS / 2, "write through n" + idle + " took " + idleWriteMs + " ms");
                // Without a replica, Ratis's client moves on after one attempt timeout, and no longer
                // spends 3 s more closing its connection to the silent server before it retries.
                assertTrue(outsiderWriter.firstOkMs.get() >= 0 && outsiderWriter.firstOkMs.get() < ATTEMPT_TIMEOUT_MS + 1500,
                        "first acknowledged write through the client-only node " + outsiderWriter.firstOkMs.get()
                                + " ms after the pause");
                assertTrue(busyWriter.acked.get() >= 20 && outsiderWriter.acked.get() >= 10,
                        "writes kept flowing: " + busyWriter.acked.get() + " and " + outsiderWriter.acked.get());
            } finally {
                stop.set(true);
                c.resume(old);
            }

            // The old leader is back as a follower: every acknowledged write is there, through every node.
            c.awaitLeaders(Duration.ofSeconds(20));
            for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                for (int n = 0; n < 3; n++) {
                    Reply r = run(c.service(n), "GET", e.getKey());
                    assertInstanceOf(Reply.Bulk.class, r, () -> e.getKey() + " -> " + r);
                    assertEquals(e.getValue(), ((Reply.Bulk) r).utf8(), e.getKey());
                }
            }
        }
    }

    /** Writes one key after another (each key once) until stopped; notes when the first was acknowledged. */
    private static final class Writer extends Thread {
        private final CommandService service;
        private final List<String> keys;
        private final Map<String, String> acknowledged;
        private final AtomicBoolean stop;
        private final long since;
        final AtomicLong firstOkMs = new AtomicLong(-1);
        final AtomicLong acked = new AtomicLong();
        final AtomicLong failed = new AtomicLong();

        Writer(CommandService service, List<String> keys, Map<String, String> acknowledged, AtomicBoolean stop, long since) {
            this.service = service;
            this.keys = keys;
            this.acknowledged = acknowledged;
            this.stop = stop;
            this.since = since;
            setDaemon(true);
        }

        @Override
        public void run() {
            for (String key : keys) {
                if (stop.get()) {
                    return;
                }
                String value = "v-" + key;
                try {
                    Reply r = UnresponsiveLeaderTest.run(service, "SET", key, value);
                    if (Reply.OK.equals(r)) {
                        acknowledged.put(key, value);
                        acked.incrementAndGet();
                        firstOkMs.compareAndSet(-1, ms(System.nanoTime() - since));
                    } else {
                        failed.incrementAndGet(); // -TIMEOUT: outcome unknown, not checked
                    }
                } catch (Exception e) {
                    failed.incrementAndGet();
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private static Reply run(CommandService s, String... parts) throws Exception {
        byte[][] argv = new byte[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            argv[i] = parts[i].getBytes(StandardCharsets.UTF_8);
        }
        return s.execute(argv).get(COMMAND_TIMEOUT_MS + 5000, TimeUnit.MILLISECONDS);
    }

    private static List<String> keysIn(int p, int n) {
        List<String> keys = new java.util.ArrayList<>();
        for (int i = 0; keys.size() < n; i++) {
            String k = "k" + i;
            if (SlotHash.partitionOf(k.getBytes(StandardCharsets.UTF_8), PARTITIONS) == p) {
                keys.add(k);
            }
        }
        return keys;
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
