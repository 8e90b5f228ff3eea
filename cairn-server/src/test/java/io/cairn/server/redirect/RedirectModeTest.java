package io.cairn.server.redirect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.resps.ClusterShardInfo;

/**
 * {@code cluster-mode redirect} on three real nodes over loopback, driven by Redis Cluster
 * clients: JedisCluster and Lettuce's RedisClusterClient route every key to its partition's
 * leader (following MOVED, also across leader transfers made while they run), {@code redis-cli
 * -c} follows MOVED, plain connections see MOVED / CROSSSLOT / READONLY as Redis Cluster
 * answers them.
 */
@Timeout(120)
class RedirectModeTest {
    @TempDir
    static Path dir;

    static RedirectCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = RedirectCluster.start(dir, Map.of());
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void leadersOnTheirPreferredNodes() throws InterruptedException {
        cluster.spreadLeaders();
        cluster.awaitLeaders(Duration.ofSeconds(30));
    }

    private static int port(int node) {
        return cluster.respPorts[node];
    }

    private static Jedis jedis(int node) {
        return new Jedis("127.0.0.1", port(node), 30_000);
    }

    private static JedisCluster jedisCluster() {
        return new JedisCluster(Set.of(new HostAndPort("127.0.0.1", port(0))),
                DefaultJedisClientConfig.builder().connectionTimeoutMillis(10_000).socketTimeoutMillis(15_000).build(), 5);
    }

    @Test
    void plainConnectionsGetMovedCrossslotAndReadonlyAsFromRedisCluster() throws Exception {
        int[] leaders = cluster.awaitLeaders(Duration.ofSeconds(30));
        int p = 0;
        int leader = leaders[p];
        int other = (leader + 1) % 3;
        String key = RedirectCluster.keyIn(p, "plain:");
        try (Jedis atLeader = jedis(leader); Jedis atOther = jedis(other)) {
            assertEquals("OK", atLeader.set(key, "v"));
            JedisMovedDataException moved = assertThrows(JedisMovedDataException.class, () -> atOther.get(key));
            assertEquals(RedirectCluster.slotOf(key), moved.getSlot());
            assertEquals(new HostAndPort("127.0.0.1", port(leader)), moved.getTargetNode());
            assertThrows(JedisMovedDataException.class, () -> atOther.set(key, "w"));
            // READONLY: this node holds a replica of every partition (3 nodes, 3 replicas): reads are
            // served from it, as a Redis replica serves them, once it has applied the write
            assertEquals("OK", atOther.readonly());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!"v".equals(atOther.get(key))) {
                assertTrue(System.nanoTime() < deadline, "the replica never applied the write");
                Thread.sleep(20);
            }
            assertThrows(JedisMovedDataException.class, () -> atOther.set(key, "w"));
            assertEquals("OK", atOther.readwrite());
            assertThrows(JedisMovedDataException.class, () -> atOther.get(key));

            // keys of two partitions in one command: CROSSSLOT wherever it is sent
            String elsewhere = RedirectCluster.keyIn(1, "plain:");
            for (Jedis j : List.of(atLeader, atOther)) {
                JedisDataException e = assertThrows(JedisDataException.class, () -> j.mset(key, "1", elsewhere, "2"));
                assertEquals("CROSSSLOT Keys in request don't hash to the same slot", e.getMessage());
            }
            assertEquals("v", atLeader.get(key));
        }
        // a transaction queued for another node: MOVED when queued, EXECABORT at EXEC
        try (Jedis atOther = jedis(other)) {
            redis.clients.jedis.Transaction tx = atOther.multi();
            tx.set(key, "x");
            JedisDataException e = assertThrows(JedisDataException.class, tx::exec);
            assertTrue(e.getMessage().startsWith("EXECABORT"), e.getMessage());
        }
        try (Jedis atLeader = jedis(leader)) {
            assertEquals("v", atLeader.get(key));
        }
    }

    @Test
    void clusterSlotsNameEachPartitionsLeaderThenItsReplicas() throws Exception {
        int[] leaders = cluster.awaitLeaders(Duration.ofSeconds(30));
        for (int node = 0; node < 3; node++) {
            try (Jedis j = jedis(node)) {
                List<Object> slots = j.clusterSlots();
                int covered = 0;
                for (Object o : slots) {
                    List<?> range = (List<?>) o;
                    long start = (Long) range.get(0);
                    long end = (Long) range.get(1);
                    covered += (int) (end - start + 1);
                    int p = RedirectCluster.partitionOf(keyInSlot((int) start));
                    int leaderPort = port(leaders[p]);
                    assertEquals((long) leaderPort, ((List<?>) range.get(2)).get(1), "primary of " + start + "-" + end);
                    assertEquals(5, range.size(), "leader and two replicas for " + start + "-" + end);
                    Set<Long> replicaPorts = new HashSet<>();
                    for (int r = 3; r < 5; r++) {
                        replicaPorts.add((Long) ((List<?>) range.get(r)).get(1));
                    }
                    assertFalse(replicaPorts.contains((long) leaderPort));
                    assertEquals(2, replicaPorts.size());
                }
                assertEquals(16384, covered);
                List<ClusterShardInfo> shards = j.clusterShards();
                assertFalse(shards.isEmpty());
                String info = j.clusterInfo();
                assertTrue(info.contains("cluster_state:ok"), info);
            }
        }
    }

    @Test
    void jedisClusterWorkloadOverAllSlots() {
        try (JedisCluster jc = jedisCluster()) {
            int n = 240;
            for (int i = 0; i < n; i++) {
                assertEquals("OK", jc.set("jw:" + i, "v" + i));
            }
            for (int i = 0; i < n; i++) {
                assertEquals("v" + i, jc.get("jw:" + i));
            }
            for (int round = 1; round <= 3; round++) {
                for (int i = 0; i < 40; i++) {
                    assertEquals(round, jc.incr("jc:" + i));
                }
            }
            for (int i = 0; i < n; i += 2) {
                assertEquals(1, jc.del("jw:" + i));
            }
            for (int i = 0; i < n; i++) {
                assertEquals(i % 2 == 0 ? null : "v" + i, jc.get("jw:" + i));
            }
            Set<Integer> slots = new HashSet<>();
            for (int i = 0; i < n; i++) {
                slots.add(RedirectCluster.slotOf("jw:" + i));
            }
            assertTrue(slots.size() > 200, "keys spread over the slots: " + slots.size());
            Set<Integer> partitions = new HashSet<>();
            slots.forEach(slot -> partitions.add(io.cairn.storage.SlotHash.partitionOfSlot(slot, RedirectCluster.PARTITIONS)));
            assertEquals(RedirectCluster.PARTITIONS, partitions.size(), "every partition, so every node, is used");
            // hash-tagged multi-key commands: one slot, one partition
            List<String> kv = new ArrayList<>();
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                kv.add("{jt}:" + i);
                kv.add("t" + i);
                keys.add("{jt}:" + i);
            }
            assertEquals("OK", jc.mset(kv.toArray(new String[0])));
            List<String> values = jc.mget(keys.toArray(new String[0]));
            for (int i = 0; i < 20; i++) {
                assertEquals("t" + i, values.get(i));
            }
            assertEquals(20, jc.del(keys.toArray(new String[0])));
        }
        // every node answered only for the partitions it leads: the values are where they belong
        for (int i = 1; i < 240; i += 2) {
            String key = "jw:" + i;
            int leader = cluster.leaderOf(RedirectCluster.partitionOf(key));
            try (Jedis j = jedis(leader)) {
                assertEquals("v" + i, j.get(key));
            }
        }
    }

    @Test
    void jedisClusterFollowsLeaderTransfersWithNoFailedCommand() throws Exception {
        long movedBefore = movedCount();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong ops = new AtomicLong();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        int workers = 2;
        List<Map<String, Long>> counters = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        try (JedisCluster jc = jedisCluster()) {
            for (int w = 0; w < workers; w++) {
                int id = w;
                Map<String, Long> expected = new HashMap<>();
                counters.add(expected);
                Thread t = new Thread(() -> {
                    long i = 0;
                    while (!stop.get()) {
                        String key = "tr:" + id + ":" + i;
                        String counter = "tc:" + id + ":" + (i % 16);
                        try {
                            assertEquals("OK", jc.set(key, "v" + i));
                            assertEquals("v" + i, jc.get(key));
                            long value = jc.incr(counter);
                            long want = expected.merge(counter, 1L, Long::sum);
                            assertEquals(want, value, counter);
                        } catch (Throwable e) {
                            failures.add(e);
                            return;
                        }
                        ops.incrementAndGet();
                        i++;
                    }
                }, "redirect-workload-" + w);
                threads.add(t);
                t.start();
            }
            int transfers = 0;
            for (int round = 0; round < 3 && failures.isEmpty(); round++) {
                awaitOps(ops, ops.get() + 50, failures);
                int busiest = busiestLeader();
                int moved = cluster.raft(busiest).stepDown(RedirectCluster.PARTITIONS, Duration.ofSeconds(10));
                transfers += moved;
                cluster.awaitLeaders(Duration.ofSeconds(30));
            }
            awaitOps(ops, ops.get() + 50, failures);
            stop.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(60));
                assertFalse(t.isAlive(), "workload thread stuck");
            }
            assertTrue(failures.isEmpty(), "failed commands: " + failures);
            assertTrue(transfers > 0, "leadership moved");
            for (Map<String, Long> expected : counters) {
                for (Map.Entry<String, Long> e : expected.entrySet()) {
                    assertEquals(String.valueOf(e.getValue()), jc.get(e.getKey()), e.getKey());
                }
            }
        } finally {
            stop.set(true);
        }
        assertTrue(movedCount() > movedBefore, "the clients were redirected after the transfers");
    }

    @Test
    void lettuceClusterClientWorkload() {
        RedisClusterClient client = RedisClusterClient.create(
                RedisURI.builder().withHost("127.0.0.1").withPort(port(1)).withTimeout(Duration.ofSeconds(15)).build());
        client.setOptions(ClusterClientOptions.builder().topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                .enableAllAdaptiveRefreshTriggers().build()).build());
        try (StatefulRedisClusterConnection<String, String> conn = client.connect()) {
            RedisAdvancedClusterCommands<String, String> sync = conn.sync();
            assertEquals(3, sync.getStatefulConnection().getPartitions().size());
            assertEquals("OK", sync.flushall());
            int n = 150;
            for (int i = 0; i < n; i++) {
                assertEquals("OK", sync.set("lw:" + i, "v" + i));
            }
            for (int i = 0; i < n; i++) {
                assertEquals("v" + i, sync.get("lw:" + i));
            }
            for (int i = 0; i < 50; i++) {
                assertEquals(1L, sync.incr("lc:" + i));
                assertEquals(2L, sync.incr("lc:" + i));
            }
            // MSET / MGET over many slots: Lettuce splits them by slot
            Map<String, String> many = new LinkedHashMap<>();
            for (int i = 0; i < 40; i++) {
                many.put("lm:" + i, "m" + i);
            }
            assertEquals("OK", sync.mset(many));
            List<KeyValue<String, String>> got = sync.mget(many.keySet().toArray(new String[0]));
            for (KeyValue<String, String> kv : got) {
                assertEquals(many.get(kv.getKey()), kv.getValue());
            }
            assertEquals("OK", sync.mset(Map.of("{lt}a", "1", "{lt}b", "2")));
            assertEquals(2L, sync.del("{lt}a", "{lt}b"));
            assertEquals(20L, sync.del(many.keySet().stream().limit(20).toArray(String[]::new)));
            assertNull(sync.get("lm:0"));

            // DBSIZE, KEYS and SCAN are answered per node for the partitions it leads, so the
            // client's sums and concatenations over the three primaries count each key once
            long total = n + 50 + 20;
            assertEquals(total, sync.dbsize());
            List<String> keys = sync.keys("*");
            assertEquals(total, keys.size());
            assertEquals(total, new HashSet<>(keys).size());
            List<String> scanned = new ArrayList<>();
            ScanIterator<String> it = ScanIterator.scan(sync);
            while (it.hasNext()) {
                scanned.add(it.next());
            }
            assertEquals(total, scanned.size());
            assertEquals(new HashSet<>(keys), new HashSet<>(scanned));
            assertEquals(Set.of("lw:7"), new HashSet<>(sync.keys("lw:7")));
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
        }
    }

    @Test
    void redisCliFollowsMoved() throws Exception {
        int[] leaders = cluster.awaitLeaders(Duration.ofSeconds(30));
        int p = 0;
        // Enter through a node that does not lead the partition (one node may lead them all right
        // after start, before leaders are balanced).
        int entry = (leaders[p] + 1) % 3;
        String key = RedirectCluster.keyIn(p, "cli:");
        assertEquals("OK", redisCli("-c", "-p", String.valueOf(port(entry)), "SET", key, "hello"));
        assertEquals("hello", redisCli("-c", "-p", String.valueOf(port(entry)), "GET", key));
        String plain = redisCli("-p", String.valueOf(port(entry)), "GET", key);
        // The leader may have moved since (the balancer): the redirect names whichever node leads now.
        String prefix = "MOVED " + RedirectCluster.slotOf(key) + " 127.0.0.1:";
        assertTrue(plain.startsWith(prefix), plain);
        int target = Integer.parseInt(plain.substring(prefix.length()));
        int node = java.util.stream.IntStream.range(0, 3).filter(n -> port(n) == target).findFirst()
                .orElseThrow(() -> new AssertionError("MOVED to a port no node has: " + plain));
        assertTrue(node != entry, "redirected to the node asked: " + plain);
        try (Jedis j = jedis(node)) {
            assertEquals("hello", j.get(key));
        }
    }

    @Test
    void countAndGetKeysInSlotOnEveryNode() {
        try (JedisCluster jc = jedisCluster()) {
            for (int i = 0; i < 30; i++) {
                jc.set("{slotkeys}" + i, "x");
            }
        }
        int slot = RedirectCluster.slotOf("{slotkeys}");
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 30; i++) {
            expected.add("{slotkeys}" + i);
        }
        for (int node = 0; node < 3; node++) {
            try (Jedis j = jedis(node)) {
                assertEquals(30, j.clusterCountKeysInSlot(slot));
                assertEquals(expected, new HashSet<>(j.clusterGetKeysInSlot(slot, 100)));
                assertEquals(7, j.clusterGetKeysInSlot(slot, 7).size());
                assertEquals(0, j.clusterCountKeysInSlot((slot + 1) % 16384));
            }
        }
    }

    private static String redisCli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("redis-cli timed out: " + cmd);
        }
        assertEquals(0, p.exitValue(), new String(out, StandardCharsets.UTF_8));
        return new String(out, StandardCharsets.UTF_8).strip();
    }

    /** MOVED replies sent by all nodes so far (INFO errorstats). */
    private static long movedCount() {
        long n = 0;
        for (int node = 0; node < 3; node++) {
            try (Jedis j = jedis(node)) {
                for (String line : j.info("errorstats").split("\r\n")) {
                    if (line.startsWith("errorstat_MOVED:count=")) {
                        n += Long.parseLong(line.substring("errorstat_MOVED:count=".length()));
                    }
                }
            }
        }
        return n;
    }

    private static int busiestLeader() throws InterruptedException {
        int[] leaders = cluster.awaitLeaders(Duration.ofSeconds(30));
        int[] led = new int[3];
        for (int l : leaders) {
            led[l]++;
        }
        int best = 0;
        for (int i = 1; i < 3; i++) {
            if (led[i] > led[best]) {
                best = i;
            }
        }
        assertNotEquals(0, led[best]);
        return best;
    }

    private static void awaitOps(AtomicLong ops, long target, List<Throwable> failures) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (ops.get() < target && failures.isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "workload made no progress: " + ops.get() + " of " + target);
            Thread.sleep(10);
        }
    }

    /** A key in {@code slot} (searching "s0", "s1", ...). */
    private static String keyInSlot(int slot) {
        for (int i = 0; ; i++) {
            if (RedirectCluster.slotOf("s" + i) == slot) {
                return "s" + i;
            }
        }
    }
}
