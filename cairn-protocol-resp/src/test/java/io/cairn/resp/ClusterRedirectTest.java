package io.cairn.resp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.clock.Clock;
import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.commands.LocalCommandService;
import io.cairn.storage.SlotHash;
import io.cairn.storage.StorageEngines;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Redirect mode's decisions on an EmbeddedChannel: node 0 of a three-node, four-partition
 * cluster ({@link FakeClusterView}), a real single-node command service behind it. Which node
 * leads what is set by each test.
 */
class ClusterRedirectTest {
    private static final int P = 4;

    private final FakeClusterView view = new FakeClusterView(P, 0);
    private final LocalCommandService service = new LocalCommandService(
            StorageEngines.open("memory", null, Map.of()), P, Clock.SYSTEM, new HybridLogicalClock(Clock.SYSTEM, 500));
    private Wire w = wire(ClusterModeSettings.DEFAULTS.withMode(ClusterModeSettings.Mode.REDIRECT));

    /** Partition 0 and 2 led here (node 0), 1 by node 1, 3 by node 2. */
    ClusterRedirectTest() {
        view.lead(0, 0);
        view.lead(1, 1);
        view.lead(2, 0);
        view.lead(3, 2);
    }

    @AfterEach
    void close() {
        service.close();
    }

    private Wire wire(ClusterModeSettings settings) {
        return new Wire(Wire.runtime(Wire.settings(), service, new Context(view, settings)));
    }

    private static int slot(String key) {
        return SlotHash.slot(key.getBytes(StandardCharsets.UTF_8));
    }

    private static String moved(String key, int node) {
        return "-MOVED " + slot(key) + " 127.0.0.1:" + FakeClusterView.port(node) + "\r\n";
    }

    private static String bulk(String s) {
        return "$" + s.length() + "\r\n" + s + "\r\n";
    }

    @Test
    void keysLedHereAreServedOthersAreMovedToTheirLeader() {
        String here = view.keyIn(0, "a");
        String alsoHere = view.keyIn(2, "b");
        String atNode1 = view.keyIn(1, "c");
        String atNode2 = view.keyIn(3, "d");
        assertEquals("+OK\r\n", w.cmd("SET", here, "1"));
        assertEquals("+OK\r\n", w.cmd("SET", alsoHere, "2"));
        assertEquals(bulk("1"), w.cmd("GET", here));
        assertEquals(moved(atNode1, 1), w.cmd("SET", atNode1, "x"));
        assertEquals(moved(atNode1, 1), w.cmd("GET", atNode1));
        assertEquals(moved(atNode2, 2), w.cmd("INCR", atNode2));
        // the slot in MOVED is the key's, as CLUSTER KEYSLOT computes it
        assertEquals(":" + slot(atNode2) + "\r\n", w.cmd("CLUSTER", "KEYSLOT", atNode2));
        // as in Redis, a redirected command is a rejected call, not a failed one
        String stats = w.cmd("INFO", "commandstats");
        assertTrue(stats.contains("cmdstat_get:calls=1,"), stats);
        assertTrue(stats.contains("rejected_calls=1,failed_calls=0"), stats);
        // nothing was written for refused commands
        view.lead(1, 0);
        assertEquals("$-1\r\n", w.cmd("GET", atNode1));
    }

    @Test
    void proxyModeServesEveryKey() {
        Wire proxy = wire(ClusterModeSettings.DEFAULTS);
        String atNode1 = view.keyIn(1, "c");
        assertEquals("+OK\r\n", proxy.cmd("SET", atNode1, "x"));
        assertEquals(bulk("x"), proxy.cmd("GET", atNode1));
    }

    @Test
    void multiKeyCommandsAcrossPartitionsGetCrossslot() {
        String p0 = view.keyIn(0, "a");
        String p2 = view.keyIn(2, "b");
        assertEquals("-CROSSSLOT Keys in request don't hash to the same slot\r\n", w.cmd("MSET", p0, "1", p2, "2"));
        assertEquals("-CROSSSLOT Keys in request don't hash to the same slot\r\n", w.cmd("DEL", p0, p2));
        assertEquals("*2\r\n$-1\r\n$-1\r\n", w.cmd("MGET", p0, p0));
        // hash tags keep keys in one slot
        assertEquals("+OK\r\n", w.cmd("MSET", "{" + p0 + "}x", "1", "{" + p0 + "}y", "2"));
        // different slots of one partition: one Raft group, served together
        String p0other = view.keyIn(0, "z");
        assertTrue(slot(p0other) != slot(p0));
        assertEquals("+OK\r\n", w.cmd("MSET", p0, "1", p0other, "2"));
        // keys of another node's partition: MOVED for the first key's slot
        String p1 = view.keyIn(1, "c");
        String p1other = view.keyIn(1, "q");
        assertEquals(moved(p1, 1), w.cmd("MSET", p1, "1", p1other, "2"));
    }

    @Test
    void readonlyServesReadsOfHostedPartitionsAndMovesWrites() {
        String atNode1 = view.keyIn(1, "c");
        view.lead(1, 0);
        assertEquals("+OK\r\n", w.cmd("SET", atNode1, "v"));
        view.lead(1, 1);
        assertEquals(moved(atNode1, 1), w.cmd("GET", atNode1));
        assertEquals("+OK\r\n", w.cmd("READONLY"));
        assertEquals(bulk("v"), w.cmd("GET", atNode1));
        assertEquals(":1\r\n", w.cmd("EXISTS", atNode1));
        assertEquals(moved(atNode1, 1), w.cmd("SET", atNode1, "w"));
        assertEquals(moved(atNode1, 1), w.cmd("DEL", atNode1));
        // a partition this node holds no copy of: MOVED even for reads
        view.hosted.remove(1);
        assertEquals(moved(atNode1, 1), w.cmd("GET", atNode1));
        view.hosted.add(1);
        assertEquals("+OK\r\n", w.cmd("READWRITE"));
        assertEquals(moved(atNode1, 1), w.cmd("GET", atNode1));
    }

    @Test
    void waitsForALeaderThenServesInOrder() {
        String key = view.keyIn(1, "c");
        String other = view.keyIn(0, "a");
        view.lead(1, -1);
        w.ch.freezeTime();
        // SET waits for partition 1's leader; the GETs behind it, even the one of a partition led
        // here, wait their turn, so the connection's commands reach the service in order.
        String out = w.pipeline(new String[] {"SET", key, "v1"}, new String[] {"GET", key},
                new String[] {"GET", other}, new String[] {"PING"});
        assertEquals("", out);
        w.ch.advanceTimeBy(50, TimeUnit.MILLISECONDS);
        assertEquals("", w.output());
        view.lead(1, 0);
        w.ch.advanceTimeBy(RespConnection.LEADER_POLL_MILLIS, TimeUnit.MILLISECONDS);
        assertEquals("+OK\r\n" + bulk("v1") + "$-1\r\n+PONG\r\n", w.output());
        // once the wait is over, commands are routed at once again
        assertEquals(bulk("v1"), w.cmd("GET", key));
    }

    @Test
    void aLeaderThatAppearsElsewhereIsAMove() {
        String key = view.keyIn(3, "d");
        view.lead(3, -1);
        w.ch.freezeTime();
        assertEquals("", w.cmd("GET", key));
        view.lead(3, 2);
        w.ch.advanceTimeBy(RespConnection.LEADER_POLL_MILLIS, TimeUnit.MILLISECONDS);
        assertEquals(moved(key, 2), w.output());
    }

    @Test
    void noLeaderWithinTheWaitIsClusterdown() {
        Wire shortWait = wire(new ClusterModeSettings(ClusterModeSettings.Mode.REDIRECT, 100, 1000, 1_000_000));
        String key = view.keyIn(1, "c");
        view.lead(1, -1);
        shortWait.ch.freezeTime();
        assertEquals("", shortWait.cmd("GET", key));
        shortWait.ch.advanceTimeBy(90, TimeUnit.MILLISECONDS);
        assertEquals("", shortWait.output());
        shortWait.ch.advanceTimeBy(20, TimeUnit.MILLISECONDS);
        assertEquals("-CLUSTERDOWN The cluster is down\r\n", shortWait.output());
        // READONLY reads need no leader: this node's copy answers
        assertEquals("+OK\r\n", shortWait.cmd("READONLY"));
        assertEquals("$-1\r\n", shortWait.cmd("GET", key));
        // with no wait at all, at once
        Wire noWait = wire(new ClusterModeSettings(ClusterModeSettings.Mode.REDIRECT, 0, 1000, 1_000_000));
        assertEquals("-CLUSTERDOWN The cluster is down\r\n", noWait.cmd("SET", key, "x"));
    }

    @Test
    void transactionsAreRoutedAsInRedisCluster() {
        String here = view.keyIn(0, "a");
        String here2 = view.keyIn(2, "b");
        String atNode1 = view.keyIn(1, "c");
        // all keys here: runs
        assertEquals("+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n:1\r\n",
                w.pipeline(new String[] {"MULTI"}, new String[] {"SET", here, "0"}, new String[] {"INCR", here},
                        new String[] {"EXEC"}));
        // a command for another node is refused with MOVED when queued, and dooms the transaction
        assertEquals("+OK\r\n+QUEUED\r\n" + moved(atNode1, 1)
                        + "-EXECABORT Transaction discarded because of previous errors.\r\n",
                w.pipeline(new String[] {"MULTI"}, new String[] {"INCR", here}, new String[] {"SET", atNode1, "x"},
                        new String[] {"EXEC"}));
        assertEquals(bulk("1"), w.cmd("GET", here));
        // commands of two partitions, each led here: CROSSSLOT at EXEC, nothing runs
        assertEquals("+OK\r\n+QUEUED\r\n+QUEUED\r\n-CROSSSLOT Keys in request don't hash to the same slot\r\n",
                w.pipeline(new String[] {"MULTI"}, new String[] {"INCR", here}, new String[] {"INCR", here2},
                        new String[] {"EXEC"}));
        assertEquals(bulk("1"), w.cmd("GET", here));
        assertEquals("-ERR EXEC without MULTI\r\n", w.cmd("EXEC"));
        // leadership moved between queueing and EXEC: MOVED at EXEC
        assertEquals("+OK\r\n+QUEUED\r\n", w.pipeline(new String[] {"MULTI"}, new String[] {"INCR", here}));
        view.lead(0, 2);
        assertEquals(moved(here, 2), w.cmd("EXEC"));
        assertEquals("-ERR EXEC without MULTI\r\n", w.cmd("EXEC"));
        view.lead(0, 0);
        assertEquals(bulk("1"), w.cmd("GET", here));
    }

    @Test
    void watchIsRoutedLikeARead() {
        String here = view.keyIn(0, "a");
        String here2 = view.keyIn(2, "b");
        String atNode1 = view.keyIn(1, "c");
        assertEquals(moved(atNode1, 1), w.cmd("WATCH", atNode1));
        assertEquals("-CROSSSLOT Keys in request don't hash to the same slot\r\n", w.cmd("WATCH", here, here2));
        assertEquals("+OK\r\n", w.cmd("WATCH", here));
        // a watched key in another partition than the transaction's commands: CROSSSLOT at EXEC
        assertEquals("+OK\r\n+QUEUED\r\n-CROSSSLOT Keys in request don't hash to the same slot\r\n",
                w.pipeline(new String[] {"MULTI"}, new String[] {"SET", here2, "x"}, new String[] {"EXEC"}));
        assertEquals("+OK\r\n", w.cmd("WATCH", here));
        assertEquals("+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n",
                w.pipeline(new String[] {"MULTI"}, new String[] {"SET", here, "x"}, new String[] {"EXEC"}));
    }

    @Test
    void keylessCommandsAnswerForThePartitionsLedHere() {
        Set<String> mine = new HashSet<>();
        Set<String> all = new HashSet<>();
        Wire proxy = wire(ClusterModeSettings.DEFAULTS);
        for (int i = 0; i < 200; i++) {
            String k = "key:" + i;
            assertEquals("+OK\r\n", proxy.cmd("SET", k, "v"));
            all.add(k);
            int p = view.partitionOfSlot(slot(k));
            if (p == 0 || p == 2) {
                mine.add(k);
            }
        }
        // proxy mode: the whole cluster's keys
        assertEquals(":200\r\n", proxy.cmd("DBSIZE"));
        assertEquals(all, keysOf(proxy.cmd("KEYS", "*")));
        // redirect mode: this node's (DBSIZE counts its copies of the partitions it leads)
        view.localKeys[0] = 7;
        view.localKeys[1] = 1000;
        view.localKeys[2] = 5;
        assertEquals(":12\r\n", w.cmd("DBSIZE"));
        assertEquals(mine, keysOf(w.cmd("KEYS", "*")));
        assertEquals(mine.stream().filter(k -> k.endsWith("1")).collect(java.util.stream.Collectors.toSet()),
                keysOf(w.cmd("KEYS", "*1")));
        // SCAN walks partitions 0 and 2 only, each key once, whatever COUNT is
        for (String count : List.of("1", "7", "1000")) {
            List<String> scanned = new ArrayList<>();
            String cursor = "0";
            int calls = 0;
            do {
                String reply = w.cmd("SCAN", cursor, "COUNT", count);
                Matcher m = Pattern.compile("^\\*2\r\n\\$\\d+\r\n(\\d+)\r\n").matcher(reply);
                assertTrue(m.find(), reply);
                cursor = m.group(1);
                scanned.addAll(keysOf(reply.substring(m.end())).stream().toList());
                assertTrue(++calls < 1000, "SCAN must finish");
            } while (!cursor.equals("0"));
            assertEquals(mine.size(), scanned.size(), "each key once with COUNT " + count);
            assertEquals(mine, new HashSet<>(scanned));
        }
        // a cursor naming a partition led elsewhere now moves on to the next one led here
        String reply = w.cmd("SCAN", "1", "COUNT", "1000");
        assertTrue(reply.startsWith("*2\r\n$1\r\n0\r\n"), reply);
        assertTrue(keysOf(reply.substring("*2\r\n$1\r\n0\r\n".length())).stream().allMatch(k -> view.partitionOfSlot(slot(k)) == 2), reply);
        // this node leads everything: the same answers as proxy mode
        view.lead(1, 0);
        view.lead(3, 0);
        assertEquals(":200\r\n", w.cmd("DBSIZE"));
        assertEquals(all, keysOf(w.cmd("KEYS", "*")));
    }

    @Test
    void countAndGetKeysInSlot() {
        String tag = "{user1000}";
        int slot = slot(tag);
        Set<String> expected = new HashSet<>();
        Wire proxy = wire(ClusterModeSettings.DEFAULTS);
        for (int i = 0; i < 25; i++) {
            assertEquals("+OK\r\n", proxy.cmd("SET", tag + i, "v"));
            expected.add(tag + i);
            assertEquals("+OK\r\n", proxy.cmd("SET", "other" + i, "v"));
        }
        long others = 0;
        for (int i = 0; i < 25; i++) {
            others += slot("other" + i) == slot ? 1 : 0;
        }
        assertEquals(0, others, "no other key shares the slot");
        assertEquals(":25\r\n", w.cmd("CLUSTER", "COUNTKEYSINSLOT", String.valueOf(slot)));
        assertEquals(expected, keysOf(w.cmd("CLUSTER", "GETKEYSINSLOT", String.valueOf(slot), "100")));
        assertEquals(10, keysOf(w.cmd("CLUSTER", "GETKEYSINSLOT", String.valueOf(slot), "10")).size());
        assertEquals("*0\r\n", w.cmd("CLUSTER", "GETKEYSINSLOT", String.valueOf(slot), "0"));
        assertEquals(":0\r\n", w.cmd("CLUSTER", "COUNTKEYSINSLOT", String.valueOf((slot + 1) % 16384)));
        // a slot led by another node is still counted: every node can read every partition
        String atNode1 = view.keyIn(1, "c");
        assertEquals("+OK\r\n", proxy.cmd("SET", atNode1, "v"));
        assertEquals(":1\r\n", w.cmd("CLUSTER", "COUNTKEYSINSLOT", String.valueOf(slot(atNode1))));
        // small pages and a bound on the keys one walk examines
        Wire paged = wire(new ClusterModeSettings(ClusterModeSettings.Mode.REDIRECT, 100, 3, 1_000_000));
        assertEquals(":25\r\n", paged.cmd("CLUSTER", "COUNTKEYSINSLOT", String.valueOf(slot)));
        Wire bounded = wire(new ClusterModeSettings(ClusterModeSettings.Mode.REDIRECT, 100, 3, 5));
        assertEquals("-ERR more than 5 keys to examine (cluster-scan-max-keys)\r\n",
                bounded.cmd("CLUSTER", "COUNTKEYSINSLOT", String.valueOf(slot)));
        // Redis's argument errors
        assertEquals("-ERR Invalid slot\r\n", w.cmd("CLUSTER", "COUNTKEYSINSLOT", "16384"));
        assertEquals("-ERR Invalid slot\r\n", w.cmd("CLUSTER", "COUNTKEYSINSLOT", "-1"));
        assertEquals("-ERR value is not an integer or out of range\r\n", w.cmd("CLUSTER", "COUNTKEYSINSLOT", "x"));
        assertEquals("-ERR Invalid slot or number of keys\r\n", w.cmd("CLUSTER", "GETKEYSINSLOT", "1", "-1"));
        assertEquals("-ERR value is not an integer or out of range\r\n", w.cmd("CLUSTER", "GETKEYSINSLOT", "1", "y"));
        assertEquals("-ERR wrong number of arguments for 'cluster|getkeysinslot' command\r\n",
                w.cmd("CLUSTER", "GETKEYSINSLOT", "1"));
    }

    @Test
    void clusterCommandsNameLeadersAndListReplicas() {
        String slots = w.cmd("CLUSTER", "SLOTS");
        // four ranges: 0 (node 0, then 1 and 2 replicas), 1 (node 1), 2 (node 0), 3 (node 2)
        assertTrue(slots.startsWith("*4\r\n*5\r\n:0\r\n:4095\r\n*4\r\n$9\r\n127.0.0.1\r\n:7001\r\n"), slots);
        assertTrue(slots.contains("*5\r\n:4096\r\n:8191\r\n*4\r\n$9\r\n127.0.0.1\r\n:7002\r\n"), slots);
        String nodes = w.cmd("CLUSTER", "NODES");
        assertTrue(nodes.contains(FakeClusterView.IDS.get(0) + " 127.0.0.1:7001@17001 myself,master - 0 0 0 connected"
                + " 0-4095 8192-12287\n"), nodes);
        assertTrue(nodes.contains(" connected 4096-8191\n"), nodes);
        String shards = w.cmd("CLUSTER", "SHARDS");
        assertTrue(shards.startsWith("*3\r\n"), "node 0 leads two ranges with the same replicas: one shard; " + shards);
        assertTrue(w.cmd("CLUSTER", "INFO").contains("cluster_state:ok\r\ncluster_slots_assigned:16384\r\n"
                + "cluster_slots_ok:16384\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:0\r\n"));
        view.lead(3, -1);
        String info = w.cmd("CLUSTER", "INFO");
        assertTrue(info.contains("cluster_state:fail\r\ncluster_slots_assigned:16384\r\n"
                + "cluster_slots_ok:12288\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:4096\r\n"), info);
        // no leader known: the preferred leader (node 0 for partition 3) is advertised, and as node 0
        // also leads partition 2 with the same other replicas, the two show as one range
        String slots2 = w.cmd("CLUSTER", "SLOTS");
        assertTrue(slots2.startsWith("*3\r\n"), slots2);
        assertTrue(slots2.contains("*5\r\n:8192\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:7001\r\n"), slots2);
    }

    /** The bulk strings of a reply, as a set (order aside). */
    private static Set<String> keysOf(String reply) {
        Set<String> out = new HashSet<>();
        Matcher m = Pattern.compile("\\$\\d+\r\n([^\r]*)\r\n").matcher(reply);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** A context with the fake view and the given cluster mode. */
    private static final class Context implements ServerContext {
        private final ClusterView view;
        private final ClusterModeSettings settings;

        Context(ClusterView view, ClusterModeSettings settings) {
            this.view = view;
            this.settings = settings;
        }

        @Override
        public String nodeId() {
            return view.myId();
        }

        @Override
        public String version() {
            return "7.2.0";
        }

        @Override
        public Map<String, String> config() {
            return Map.of();
        }

        @Override
        public void requestShutdown() {}

        @Override
        public ClusterView cluster() {
            return view;
        }

        @Override
        public ClusterModeSettings clusterMode() {
            return settings;
        }
    }
}
