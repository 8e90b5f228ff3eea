package io.cairn.resp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.clock.Clock;
import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.commands.DataCommands;
import io.cairn.commands.LocalCommandService;
import io.cairn.storage.SlotHash;
import io.cairn.storage.StorageEngines;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT next to a real redis-server running as a one-node
 * Redis Cluster that owns every slot, holding the same keys: the same counts and the same
 * errors, byte for byte; the same keys (GETKEYSINSLOT's order is each server's own: Redis keeps a
 * slot's keys in insertion order, Cairn in key order). redis-server comes with
 * scripts/install-deps.sh: without it this test fails rather than skips.
 */
@Timeout(60)
class ClusterSlotKeysReferenceTest {
    private static final int PARTITIONS = 16;

    @TempDir
    static Path dir;

    private static Process redis;
    private static int redisPort;
    private static RespServer cairn;
    private static LocalCommandService service;
    private static final List<String> KEYS = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            redisPort = s.getLocalPort();
        }
        redis = new ProcessBuilder("redis-server", "--port", String.valueOf(redisPort), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "", "--dir", dir.toString(),
                "--cluster-enabled", "yes", "--cluster-config-file", dir.resolve("nodes.conf").toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (RawClient c = new RawClient(redisPort)) {
                if (c.call("PING").equals("+PONG\r\n")) {
                    break;
                }
            } catch (IOException e) {
                if (System.nanoTime() > deadline || !redis.isAlive()) {
                    throw new IllegalStateException("redis-server did not start on port " + redisPort, e);
                }
                Thread.sleep(50);
            }
        }
        try (RawClient c = new RawClient(redisPort)) {
            assertEquals("+OK\r\n", c.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383"));
            while (!c.call("CLUSTER", "INFO").contains("cluster_state:ok")) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("redis-server's one-node cluster did not come up");
                }
                Thread.sleep(50);
            }
        }
        service = new LocalCommandService(StorageEngines.open("memory", null, Map.of()), PARTITIONS, Clock.SYSTEM,
                new HybridLogicalClock(Clock.SYSTEM, 500));
        int[] port = {0};
        ClusterView view = new SingleNodeClusterView(TestContext.NODE_ID, "127.0.0.1", () -> port[0], PARTITIONS);
        ServerContext context = new ServerContext() {
            @Override
            public String nodeId() {
                return TestContext.NODE_ID;
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
        };
        cairn = new RespServer(RespSettings.defaults().withPort(0), service, DataCommands.specs(), context);
        cairn.start();
        port[0] = cairn.port();

        for (int i = 0; i < 400; i++) {
            KEYS.add("key:" + i);
        }
        for (int i = 0; i < 60; i++) {
            KEYS.add("{user:42}:" + i);
        }
        KEYS.add("{}plain");
        KEYS.add("{user:42");
        KEYS.add("");
        for (int p : List.of(redisPort, cairn.port())) {
            try (RawClient c = new RawClient(p)) {
                for (String k : KEYS) {
                    if (!k.isEmpty()) {
                        assertEquals("+OK\r\n", c.call("SET", k, "v"));
                    }
                }
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (cairn != null) {
            cairn.close();
        }
        if (service != null) {
            service.close();
        }
        if (redis != null) {
            redis.destroy();
            if (!redis.waitFor(5, TimeUnit.SECONDS)) {
                redis.destroyForcibly();
            }
        }
    }

    private static String both(String... args) throws IOException {
        String expected;
        try (RawClient c = new RawClient(redisPort)) {
            expected = c.call(args);
        }
        String actual;
        try (RawClient c = new RawClient(cairn.port())) {
            actual = c.call(args);
        }
        assertEquals(expected, actual, String.join(" ", args));
        return actual;
    }

    private static int slot(String key) {
        return SlotHash.slot(key.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void countsMatchRedisForEverySlotWithKeysAndSomeWithout() throws IOException {
        Set<Integer> slots = new TreeSet<>();
        for (String k : KEYS) {
            if (!k.isEmpty()) {
                slots.add(slot(k));
            }
        }
        slots.addAll(List.of(0, 1, 16383));
        long total = 0;
        for (int s : slots) {
            String reply = both("CLUSTER", "COUNTKEYSINSLOT", String.valueOf(s));
            total += Long.parseLong(reply.substring(1, reply.length() - 2));
        }
        assertEquals(KEYS.size() - 1, total, "every key counted once in its slot");
        assertEquals(":60\r\n", both("CLUSTER", "COUNTKEYSINSLOT", String.valueOf(slot("{user:42}"))));
    }

    @Test
    void keysInSlotAreRedisKeys() throws IOException {
        for (String k : List.of("{user:42}:0", "key:7", "{}plain", "{user:42")) {
            String slot = String.valueOf(slot(k));
            Set<String> expected;
            Set<String> actual;
            try (RawClient r = new RawClient(redisPort); RawClient c = new RawClient(cairn.port())) {
                expected = bulks(r.call("CLUSTER", "GETKEYSINSLOT", slot, "1000"));
                actual = bulks(c.call("CLUSTER", "GETKEYSINSLOT", slot, "1000"));
                assertEquals(expected, actual, "slot " + slot);
                assertTrue(actual.contains(k));
                // fewer than the slot holds: that many of them
                Set<String> some = bulks(c.call("CLUSTER", "GETKEYSINSLOT", slot, "3"));
                assertEquals(Math.min(3, expected.size()), some.size());
                assertTrue(expected.containsAll(some));
                assertEquals(r.call("CLUSTER", "GETKEYSINSLOT", slot, "3").lines().count(),
                        c.call("CLUSTER", "GETKEYSINSLOT", slot, "3").lines().count());
            }
        }
        both("CLUSTER", "GETKEYSINSLOT", "0", "0");
        both("CLUSTER", "GETKEYSINSLOT", "16383", "10");
    }

    @Test
    void errorsMatchRedis() throws IOException {
        for (String[] args : List.of(
                new String[] {"CLUSTER", "COUNTKEYSINSLOT", "16384"},
                new String[] {"CLUSTER", "COUNTKEYSINSLOT", "-1"},
                new String[] {"CLUSTER", "COUNTKEYSINSLOT", "x"},
                new String[] {"CLUSTER", "COUNTKEYSINSLOT", "99999999999999999999"},
                new String[] {"CLUSTER", "COUNTKEYSINSLOT", " 1"},
                new String[] {"CLUSTER", "COUNTKEYSINSLOT"},
                new String[] {"CLUSTER", "COUNTKEYSINSLOT", "1", "2"},
                new String[] {"CLUSTER", "GETKEYSINSLOT", "1", "-1"},
                new String[] {"CLUSTER", "GETKEYSINSLOT", "16384", "1"},
                new String[] {"CLUSTER", "GETKEYSINSLOT", "-5", "-1"},
                new String[] {"CLUSTER", "GETKEYSINSLOT", "x", "1"},
                new String[] {"CLUSTER", "GETKEYSINSLOT", "1", "x"},
                new String[] {"CLUSTER", "GETKEYSINSLOT", "1"},
                new String[] {"cluster", "getkeysinslot", "1", "2", "3"})) {
            String reply = both(args);
            assertTrue(reply.startsWith("-"), reply);
        }
    }

    private static Set<String> bulks(String reply) {
        Set<String> out = new HashSet<>();
        Matcher m = Pattern.compile("\\$\\d+\r\n([^\r]*)\r\n").matcher(reply);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
