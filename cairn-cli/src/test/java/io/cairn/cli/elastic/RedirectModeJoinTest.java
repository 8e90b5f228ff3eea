package io.cairn.cli.elastic;

import static io.cairn.cli.elastic.ElasticChecks.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.ClusterPipeline;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Issue: "JedisCluster and Lettuce cluster client run a workload against a 3-node cluster in
 * redirect mode while a 4th node joins; {@code redis-cli -c} follows MOVED." Real {@code cairn
 * server} processes: an elastic cluster (RF 3) with {@code cluster-mode=redirect}, so each node
 * answers {@code -MOVED} for keys whose partition another node leads. A JedisCluster (slot map
 * renewed on MOVED) and a Lettuce {@code RedisClusterClient} (adaptive refresh on MOVED and other
 * triggers, plus a periodic refresh) each run {@value #THREADS_PER_CLIENT} threads of SETs of
 * unique keys and GETs of keys they wrote while a fourth node joins, the planner moves replicas
 * onto it and the leader balancer hands it the leadership of the partitions it is the preferred
 * leader of.
 *
 * <p>Asserted: no GET of an acknowledged key ever returned anything but its value (an error is
 * acceptable during a move, a wrong or missing value never); failed commands at most {@value
 * #MAX_FAILED_PERCENT}% of each client's, each a transient cluster error (their kinds are
 * printed); every acknowledged write of either client reads back at the end through a fresh
 * JedisCluster and a fresh Lettuce client; both workload clients route the new node's slots (those
 * of the partitions it leads, per CLUSTER SLOTS) to it; the nodes answered MOVED meanwhile; and
 * {@code redis-cli -c} entering through a node that does not lead a key's partition follows the
 * MOVED for SET and GET.
 *
 * <p>Why {@value #PARTITIONS} partitions: with nodes n1..n4 the ring makes n4 the preferred
 * leader of 1 of 10 partitions, and of none of 8 (it would then lead nothing and own no slots in
 * redirect mode, where a node's slots are those of the partitions it leads).
 */
@Timeout(180)
class RedirectModeJoinTest {
    private static final int PARTITIONS = 10;
    private static final int RF = 3;
    private static final int THREADS_PER_CLIENT = 2;
    /**
     * Failed commands each client may see, in percent of its commands: a leader stepping down
     * or handing over makes a command wait up to {@code cluster-leader-wait-ms} and then fail with
     * {@code -CLUSTERDOWN}, and a client may give up after its redirect limit or time out.
     */
    private static final int MAX_FAILED_PERCENT = 2;
    /** A client command's bound (each client's socket / command timeout), well above the server's. */
    private static final Duration CLIENT_TIMEOUT = Duration.ofMillis(ElasticCluster.SOCKET_TIMEOUT_MS);
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration QUIET = Duration.ofSeconds(1);
    private static final int NEWCOMER = 3;

    @TempDir
    Path dir;

    /** What one cluster client can do; each workload thread uses its client from several threads (both are thread-safe). */
    interface KvClient {
        String set(String key, String value);

        String get(String key);
    }

    /**
     * A workload: {@value #THREADS_PER_CLIENT} threads SET unique keys {@code <prefix><thread>-<seq>}
     * and GET random keys they had acknowledged. Commands that fail are counted by kind (their
     * keys are left out of the checks: a failed SET may or may not have been applied); a GET
     * that returns anything but the acknowledged value is a violation.
     */
    static final class Workload {
        final String name;
        private final KvClient client;
        private final String prefix;
        final Map<String, String> acked = new ConcurrentHashMap<>();
        private final List<List<String>> ackedByThread = new ArrayList<>();
        final AtomicLong commands = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong ackedAfterJoin = new AtomicLong();
        final Map<String, Integer> failures = new ConcurrentSkipListMap<>();
        final Map<String, String> violations = new ConcurrentSkipListMap<>();
        private final List<Thread> threads = new ArrayList<>();
        private volatile boolean stop;
        volatile long joinNanos = Long.MAX_VALUE;

        Workload(String name, KvClient client, String prefix) {
            this.name = name;
            this.client = client;
            this.prefix = prefix;
        }

        void start() {
            for (int t = 0; t < THREADS_PER_CLIENT; t++) {
                List<String> mine = new CopyOnWriteArrayList<>();
                ackedByThread.add(mine);
                int id = t;
                Thread th = new Thread(() -> run(id, mine), name + "-" + t);
                th.setDaemon(true);
                threads.add(th);
                th.start();
            }
        }

        private void run(int id, List<String> mine) {
            for (long seq = 0; !stop; seq++) {
                String key = prefix + id + "-" + seq;
                String value = "v" + id + "-" + seq;
                commands.incrementAndGet();
                try {
                    String r = client.set(key, value);
                    if ("OK".equals(r)) {
                        acked.put(key, value);
                        mine.add(key);
                        if (System.nanoTime() > joinNanos) {
                            ackedAfterJoin.incrementAndGet();
                        }
                    } else {
                        violations.put(key, "SET -> " + r);
                    }
                } catch (RuntimeException e) {
                    fail(e);
                }
                if (mine.isEmpty()) {
                    continue;
                }
                String old = mine.get(ThreadLocalRandom.current().nextInt(mine.size()));
                commands.incrementAndGet();
                try {
                    String v = client.get(old);
                    if (!acked.get(old).equals(v)) {
                        violations.put(old, "GET -> " + v);
                    }
                } catch (RuntimeException e) {
                    fail(e);
                }
            }
        }

        private void fail(RuntimeException e) {
            failed.incrementAndGet();
            String m = e.getClass().getSimpleName() + ": " + e.getMessage();
            failures.merge(m.substring(0, Math.min(90, m.length())).replaceAll("[0-9]{3,}", "N"), 1, Integer::sum);
            try {
                Thread.sleep(10); // a partition without a leader: do not spin
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                stop = true;
            }
        }

        void stopAndJoin() throws InterruptedException {
            stop = true;
            for (Thread th : threads) {
                th.join(CLIENT_TIMEOUT.toMillis() * 3 + 5000);
                assertFalse(th.isAlive(), th.getName() + " did not stop");
            }
        }

        String figures() {
            return String.format("%s: commands=%d acked-writes=%d (after the join %d) failed=%d %s violations=%d", name,
                    commands.get(), acked.size(), ackedAfterJoin.get(), failed.get(), failures, violations.size());
        }
    }

    @Test
    void jedisClusterAndLettuceFollowAFourthNodeJoiningInRedirectModeAndRedisCliFollowsMoved() throws Exception {
        List<String> redirect = List.of("-s", "cluster-mode=redirect",
                // hand leaderships to the map's preferred leaders within a second instead of five
                "-s", "leader-balance-interval-ms=1000");
        try (ElasticCluster cluster = new ElasticCluster(dir, "RedirectModeJoinTest", 4, PARTITIONS, redirect)) {
            long t0 = System.nanoTime();
            cluster.formTogether(0, List.of(1, 2));
            ElasticCluster.Settled three = cluster.awaitBalanced(List.of(0, 1, 2), RF, QUIET, SETTLE_TIMEOUT);
            long formMs = ms(System.nanoTime() - t0);

            JedisCluster jedisCluster = jedisCluster(cluster);
            RedisClusterClient lettuce = lettuceClient(cluster);
            StatefulRedisClusterConnection<String, String> lettuceConn = lettuce.connect();
            try {
                awaitClusterWritable(jedisCluster, Duration.ofSeconds(60));
                long movedBefore = movedReplies(cluster, List.of(0, 1, 2));
                var lettuceSync = lettuceConn.sync();
                Workload jedisLoad = new Workload("JedisCluster", new KvClient() {
                    @Override
                    public String set(String key, String value) {
                        return jedisCluster.set(key, value);
                    }

                    @Override
                    public String get(String key) {
                        return jedisCluster.get(key);
                    }
                }, "j");
                Workload lettuceLoad = new Workload("Lettuce", new KvClient() {
                    @Override
                    public String set(String key, String value) {
                        return lettuceSync.set(key, value);
                    }

                    @Override
                    public String get(String key) {
                        return lettuceSync.get(key);
                    }
                }, "l");
                List<Workload> loads = List.of(jedisLoad, lettuceLoad);
                long loadStart = System.nanoTime();
                loads.forEach(Workload::start);
                Thread.sleep(2000);

                long join = System.nanoTime();
                loads.forEach(w -> w.joinNanos = join);
                cluster.join(NEWCOMER, 0);
                long joinedMs = ms(System.nanoTime() - join);
                List<Integer> all = List.of(0, 1, 2, 3);
                ElasticCluster.Settled four = cluster.awaitBalanced(all, RF, QUIET, SETTLE_TIMEOUT);
                long settledMs = ms(System.nanoTime() - join) - QUIET.toMillis();
                int moved = ElasticChecks.replicasAdded(three.layout(), four.layout());
                assertTrue(moved > 0, "no replica moved onto the newcomer: " + four.layout());

                // The leader balancer hands the newcomer the partitions it is the preferred leader of.
                LedSlots led = awaitSlotsLedBy(cluster, NEWCOMER, all, four.layout(), Duration.ofSeconds(30));
                Map<Integer, Integer> ledByNewcomer = led.ranges();
                System.out.printf("RedirectModeJoinTest: %s formed %d ms, join %d ms, settled %d ms, %s leads %s %d ms after"
                                + " the join; other views %s%n", cluster.names[NEWCOMER], formMs, joinedMs, settledMs,
                        cluster.names[NEWCOMER], ledByNewcomer, ms(System.nanoTime() - join), led.otherViews());
                long leadsMs = ms(System.nanoTime() - join);
                String newcomerId = myId(cluster, NEWCOMER);
                // Both clients route the newcomer's slots to it while they keep running (Jedis renews
                // its slot map on a MOVED, Lettuce on a MOVED or its periodic refresh).
                long routedJedis = awaitJedisRoutes(jedisCluster, ledByNewcomer, newcomerId, Duration.ofSeconds(30)) - join;
                long routedLettuce = awaitLettuceRoutes(lettuceConn, ledByNewcomer, cluster.respPorts[NEWCOMER],
                        Duration.ofSeconds(30)) - join;
                assertTrue(jedisCluster.getClusterNodes().containsKey("127.0.0.1:" + cluster.respPorts[NEWCOMER]),
                        () -> "JedisCluster's nodes lack the newcomer: " + jedisCluster.getClusterNodes().keySet());
                Thread.sleep(1000); // the clients keep working against the new layout
                for (Workload w : loads) {
                    w.stopAndJoin();
                }
                long loadMs = ms(System.nanoTime() - loadStart);
                long moved4 = movedReplies(cluster, all) - movedBefore;

                for (Workload w : loads) {
                    assertTrue(w.violations.isEmpty(), () -> w.name + ": acknowledged keys read back wrong: "
                            + ElasticChecks.first(w.violations));
                    assertTrue(w.acked.size() > 100 && w.ackedAfterJoin.get() > 0, w::figures);
                    assertTrue(w.failed.get() * 100 <= MAX_FAILED_PERCENT * w.commands.get(),
                            () -> "more than " + MAX_FAILED_PERCENT + "% failed: " + w.figures());
                    for (String kind : w.failures.keySet()) {
                        assertTrue(transientError(kind), () -> w.name + ": not a transient cluster error: " + kind
                                + " | " + w.figures());
                    }
                }
                assertTrue(moved4 > 0, "no MOVED reply during the join: the clients were never redirected");

                // Every acknowledged write, of either client, through fresh clients of both kinds.
                Map<String, String> expected = new TreeMap<>(jedisLoad.acked);
                expected.putAll(lettuceLoad.acked);
                Map<String, String> wrongJedis;
                try (JedisCluster fresh = jedisCluster(cluster)) {
                    wrongJedis = readBackJedis(fresh, expected);
                }
                assertTrue(wrongJedis.isEmpty(), () -> wrongJedis.size() + " of " + expected.size()
                        + " acknowledged writes wrong through a fresh JedisCluster: " + ElasticChecks.first(wrongJedis));
                Map<String, String> wrongLettuce = readBackLettuce(cluster, expected);
                assertTrue(wrongLettuce.isEmpty(), () -> wrongLettuce.size() + " of " + expected.size()
                        + " acknowledged writes wrong through a fresh Lettuce client: " + ElasticChecks.first(wrongLettuce));

                String cli = redisCliFollowsMoved(cluster, four.layout(), ledByNewcomer, jedisLoad.acked);

                System.out.printf("RedirectModeJoinTest summary: %s | %s | 3 nodes formed in %d ms (epoch %d) | join n4"
                                + " %d ms, settled %d ms (epoch %d->%d, replicas moved %d), n4 leads partitions %s %d ms after"
                                + " the join, routed there by JedisCluster %d ms and Lettuce %d ms after (views of nodes"
                                + " without a replica that disagree: %s) | MOVED replies %d | read back %d keys through"
                                + " fresh clients | %s | load %d ms%n",
                        jedisLoad.figures(), lettuceLoad.figures(), formMs, three.epoch(), joinedMs, settledMs,
                        three.epoch(), four.epoch(), moved, ledByNewcomer.keySet(), leadsMs, ms(routedJedis),
                        ms(routedLettuce), led.otherViews(), moved4, expected.size(), cli, loadMs);
                for (int n : all) {
                    System.out.printf("RedirectModeJoinTest: %s ERROR/exception lines: %s%n", cluster.names[n],
                            cluster.trouble(n));
                }
            } finally {
                lettuceConn.close();
                lettuce.shutdown(Duration.ZERO, Duration.ofSeconds(5));
                jedisCluster.close();
            }
        }
    }

    /** Errors a cluster client may see while replicas and leaders move; anything else is a bug. */
    private static boolean transientError(String kind) {
        return kind.contains("CLUSTERDOWN") || kind.contains("TIMEOUT") || kind.contains("TRYAGAIN")
                || kind.contains("MOVED") // a client that ran out of redirects while leadership moved
                || kind.startsWith("JedisConnectionException") || kind.startsWith("JedisClusterOperationException")
                || kind.startsWith("RedisCommandTimeoutException") || kind.startsWith("RedisConnectionException")
                // Lettuce, before its refresh: a MOVED to a node not yet in its view
                || kind.contains("not allowed. This partition is not known in the cluster view");
    }

    private static JedisCluster jedisCluster(ElasticCluster cluster) {
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(THREADS_PER_CLIENT + 2);
        pool.setMaxWait(CLIENT_TIMEOUT);
        // Slot map renewed on MOVED only (Jedis's default): the test shows it follows the join that way.
        return new JedisCluster(Set.of(new HostAndPort("127.0.0.1", cluster.respPorts[0])), ElasticCluster.clientConfig(),
                5, CLIENT_TIMEOUT.multipliedBy(2), pool);
    }

    private static RedisClusterClient lettuceClient(ElasticCluster cluster) {
        RedisClusterClient client = RedisClusterClient.create(RedisURI.builder().withHost("127.0.0.1")
                .withPort(cluster.respPorts[1]).withTimeout(CLIENT_TIMEOUT).build());
        client.setOptions(ClusterClientOptions.builder().topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                .enableAllAdaptiveRefreshTriggers()
                .adaptiveRefreshTriggersTimeout(Duration.ofMillis(500)) // default 30 s: too slow for a test
                .enablePeriodicRefresh(Duration.ofSeconds(2))
                .build()).build());
        return client;
    }

    /** SETs through the cluster client until 64 in a row are acknowledged (every partition has a leader). */
    private static void awaitClusterWritable(JedisCluster jc, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int inARow = 0;
        String last = "";
        for (int probe = 0; inARow < 64; probe++) {
            assertTrue(System.nanoTime() < deadline, "cluster not writable through JedisCluster: " + last);
            try {
                last = jc.set("probe:" + probe, "x");
                inARow = "OK".equals(last) ? inARow + 1 : 0;
            } catch (RuntimeException e) {
                inARow = 0;
                last = e.toString();
                Thread.sleep(100);
            }
        }
    }

    /** MOVED replies the nodes sent so far (INFO errorstats). */
    private static long movedReplies(ElasticCluster cluster, List<Integer> nodes) {
        long n = 0;
        for (int node : nodes) {
            try (Jedis j = cluster.connect(node)) {
                for (String line : j.info("errorstats").split("\r?\n")) {
                    if (line.startsWith("errorstat_MOVED:count=")) {
                        n += Long.parseLong(line.substring("errorstat_MOVED:count=".length()).trim());
                    }
                }
            }
        }
        return n;
    }

    private static String myId(ElasticCluster cluster, int node) {
        try (Jedis j = cluster.connect(node)) {
            return j.clusterMyId();
        }
    }

    /**
     * The slot ranges (first slot → last) of the partitions {@code node} leads, and what the nodes
     * that hold no replica of such a partition say about its leader where they say something else.
     */
    record LedSlots(Map<Integer, Integer> ranges, Map<String, String> otherViews) {}

    /**
     * Polls until {@code node}'s own CLUSTER SLOTS shows it as the primary of some slots (a Raft
     * leader knows it leads) and every node holding a replica of those partitions ({@code layout})
     * agrees (it learns the leader from the leader's heartbeats). A node holding no replica knows a
     * leader only from its Raft client's last answer, which in redirect mode nothing refreshes (it
     * forwards nothing): its view is recorded, not required to agree. Throws at the deadline.
     */
    private static LedSlots awaitSlotsLedBy(ElasticCluster cluster, int node, List<Integer> nodes,
                                            ElasticCluster.Layout layout, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (true) {
            String problem = null;
            Map<Integer, Integer> led = null;
            Map<String, String> otherViews = new TreeMap<>();
            try {
                led = primaryRanges(cluster, node, node);
                if (led.isEmpty()) {
                    problem = cluster.names[node] + " leads no slot";
                }
                for (int v : nodes) {
                    if (problem != null || v == node) {
                        continue;
                    }
                    Map<Integer, Integer> seen = primaryRanges(cluster, v, node);
                    for (var range : led.entrySet()) {
                        int p = cluster.partitionOfSlot(range.getKey());
                        boolean agrees = range.getValue().equals(seen.get(range.getKey()));
                        if (agrees) {
                            continue;
                        }
                        if (layout.replicas().get(p).contains(v)) {
                            problem = cluster.names[v] + " (a replica of partition " + p + ") does not show "
                                    + cluster.names[node] + " leading slots " + range;
                            break;
                        }
                        otherViews.put(cluster.names[v] + "/partition " + p, "shows another leader for slots " + range);
                    }
                }
            } catch (RuntimeException e) {
                problem = "CLUSTER SLOTS failed: " + e;
            }
            if (problem == null) {
                return new LedSlots(led, otherViews);
            }
            last = problem;
            if (System.nanoTime() > deadline) {
                throw new AssertionError(cluster.names[node] + " not shown leading slots within " + timeout.toSeconds()
                        + " s: " + last);
            }
            Thread.sleep(200);
        }
    }

    /** Slot ranges (first → last) that node {@code via}'s CLUSTER SLOTS gives to node {@code primary}. */
    private static Map<Integer, Integer> primaryRanges(ElasticCluster cluster, int via, int primary) {
        Map<Integer, Integer> out = new TreeMap<>();
        try (Jedis j = cluster.connect(via)) {
            for (Object o : j.clusterSlots()) {
                List<?> range = (List<?>) o;
                long port = (Long) ((List<?>) range.get(2)).get(1);
                if (port == cluster.respPorts[primary]) {
                    out.put(((Long) range.get(0)).intValue(), ((Long) range.get(1)).intValue());
                }
            }
        }
        return out;
    }

    /**
     * Polls until JedisCluster's connection for each of {@code slots}' first and last slot leads to
     * the node whose CLUSTER MYID is {@code nodeId}; returns the {@link System#nanoTime()} then.
     */
    private static long awaitJedisRoutes(JedisCluster jc, Map<Integer, Integer> slots, String nodeId, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (true) {
            boolean all = true;
            for (var range : slots.entrySet()) {
                for (int slot : List.of(range.getKey(), range.getValue())) {
                    try (Connection c = jc.getConnectionFromSlot(slot)) {
                        c.sendCommand(Protocol.Command.CLUSTER, "MYID");
                        String id = c.getBulkReply();
                        if (!nodeId.equals(id)) {
                            all = false;
                            last = "slot " + slot + " goes to node " + id;
                        }
                    } catch (RuntimeException e) {
                        all = false;
                        last = "slot " + slot + ": " + e;
                    }
                }
            }
            if (all) {
                return System.nanoTime();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("JedisCluster does not route slots " + slots + " to the newcomer " + nodeId
                        + " within " + timeout.toSeconds() + " s: " + last);
            }
            Thread.sleep(200);
        }
    }

    /** As {@link #awaitJedisRoutes}, from the Lettuce connection's view of the partitions. */
    private static long awaitLettuceRoutes(StatefulRedisClusterConnection<String, String> conn, Map<Integer, Integer> slots,
                                           int port, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (true) {
            boolean all = true;
            for (var range : slots.entrySet()) {
                for (int slot : List.of(range.getKey(), range.getValue())) {
                    RedisClusterNode owner = conn.getPartitions().getPartitionBySlot(slot);
                    if (owner == null || owner.getUri().getPort() != port) {
                        all = false;
                        last = "slot " + slot + " goes to " + (owner == null ? "nobody" : owner.getUri());
                    }
                }
            }
            if (all) {
                return System.nanoTime();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Lettuce does not route slots " + slots + " to port " + port + " within "
                        + timeout.toSeconds() + " s: " + last);
            }
            Thread.sleep(200);
        }
    }

    /**
     * Reads {@code expected} through a JedisCluster, pipelined per batch; keys whose pipelined read
     * failed (a leader change since the slot map was read) are read again one by one, which follows
     * MOVED. Returns the keys that did not show their value, with what was read.
     */
    private static Map<String, String> readBackJedis(JedisCluster jc, Map<String, String> expected) {
        Map<String, String> wrong = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(expected.keySet());
        for (int from = 0; from < keys.size(); from += 500) {
            List<String> batch = keys.subList(from, Math.min(keys.size(), from + 500));
            List<Response<String>> replies = new ArrayList<>(batch.size());
            try (ClusterPipeline p = jc.pipelined()) {
                for (String k : batch) {
                    replies.add(p.get(k));
                }
                p.sync();
            }
            for (int i = 0; i < batch.size(); i++) {
                String k = batch.get(i);
                String v;
                try {
                    v = replies.get(i).get();
                } catch (RuntimeException e) {
                    v = jc.get(k);
                }
                if (!expected.get(k).equals(v)) {
                    wrong.put(k, String.valueOf(v));
                }
            }
        }
        return wrong;
    }

    /** Reads {@code expected} through a fresh Lettuce cluster client, asynchronously in batches. */
    private static Map<String, String> readBackLettuce(ElasticCluster cluster, Map<String, String> expected) {
        Map<String, String> wrong = new LinkedHashMap<>();
        RedisClusterClient client = lettuceClient(cluster);
        try (StatefulRedisClusterConnection<String, String> conn = client.connect()) {
            RedisAdvancedClusterAsyncCommands<String, String> async = conn.async();
            List<String> keys = new ArrayList<>(expected.keySet());
            for (int from = 0; from < keys.size(); from += 500) {
                List<String> batch = keys.subList(from, Math.min(keys.size(), from + 500));
                List<RedisFuture<String>> replies = new ArrayList<>(batch.size());
                for (String k : batch) {
                    replies.add(async.get(k));
                }
                LettuceFutures.awaitAll(CLIENT_TIMEOUT, replies.toArray(new RedisFuture[0]));
                for (int i = 0; i < batch.size(); i++) {
                    String k = batch.get(i);
                    String v;
                    try {
                        v = replies.get(i).get(0, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        v = "error: " + e;
                    }
                    if (!expected.get(k).equals(v)) {
                        wrong.put(k, String.valueOf(v));
                    }
                }
            }
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
        }
        return wrong;
    }

    /**
     * {@code redis-cli -c} entering through a node that does not lead the partition of the
     * newcomer's first slot range (one holding no replica of it if there is one: its MOVED may
     * take two hops): SET and GET of a new key follow the MOVED (a plain GET through the same node
     * shows it), and a GET of a key a workload acknowledged in that partition returns its value.
     * Returns what was done, for the summary.
     */
    private static String redisCliFollowsMoved(ElasticCluster cluster, ElasticCluster.Layout layout,
                                               Map<Integer, Integer> ledByNewcomer, Map<String, String> acked)
            throws IOException, InterruptedException {
        int first = ledByNewcomer.keySet().iterator().next();
        int last = ledByNewcomer.get(first);
        List<Integer> replicas = layout.replicas().get(cluster.partitionOfSlot(first));
        int entry = java.util.stream.IntStream.range(0, 4).filter(n -> !replicas.contains(n)).findFirst()
                .orElse(replicas.get(replicas.size() - 1));
        String key = null;
        for (int i = 0; key == null; i++) {
            int slot = JedisClusterCRC16.getSlot("cli:" + i);
            if (slot >= first && slot <= last) {
                key = "cli:" + i;
            }
        }
        int entryPort = cluster.respPorts[entry];
        assertEquals("OK", redisCli(entryPort, "-c", "SET", key, "hello"));
        assertEquals("hello", redisCli(entryPort, "-c", "GET", key));
        String plain = redisCli(entryPort, "GET", key);
        String prefix = "MOVED " + JedisClusterCRC16.getSlot(key) + " 127.0.0.1:";
        assertTrue(plain.startsWith(prefix), () -> "a plain GET through " + cluster.names[entry] + ": " + plain);
        // The leader may have moved since (the balancer): the redirect names whichever node leads now.
        int target = Integer.parseInt(plain.substring(prefix.length()).trim());
        assertNotEquals(entryPort, target, "redirected to the node asked: " + plain);

        String ackedKey = acked.keySet().stream()
                .filter(k -> JedisClusterCRC16.getSlot(k) >= first && JedisClusterCRC16.getSlot(k) <= last)
                .findFirst().orElseThrow(() -> new AssertionError("no acknowledged key in slots " + first + "-" + last));
        assertEquals(acked.get(ackedKey), redisCli(entryPort, "-c", "GET", ackedKey), "redis-cli -c GET " + ackedKey);
        return "redis-cli -c via " + cluster.names[entry] + ": SET/GET " + key + " and GET " + ackedKey + " followed " + plain;
    }

    /** Runs the real redis-cli (Debian redis-tools) against 127.0.0.1:{@code port}; its output, stripped. */
    private static String redisCli(int port, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(port)));
        cmd.addAll(List.of(args));
        // Output to a file, so that a redis-cli that hangs cannot block a read: the wait below bounds it.
        Path out = java.nio.file.Files.createTempFile("redis-cli", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("redis-cli timed out: " + cmd);
            }
            String text = java.nio.file.Files.readString(out, StandardCharsets.UTF_8).strip();
            assertEquals(0, p.exitValue(), () -> cmd + " -> " + text);
            return text;
        } finally {
            java.nio.file.Files.deleteIfExists(out);
        }
    }
}
