package io.cairn.server.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.server.CairnServer;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;

/** Jedis, unmodified, against a real Cairn node over loopback. */
@Timeout(60)
class JedisClientTest {
    static CairnServer server;
    Jedis jedis;

    @BeforeAll
    static void start() throws InterruptedException {
        server = ServerFixture.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @BeforeEach
    void connect() {
        jedis = new Jedis("127.0.0.1", server.port());
        jedis.flushAll();
    }

    @Test
    void stringsRoundTrip() {
        assertEquals("PONG", jedis.ping());
        assertEquals("OK", jedis.set("k", "v"));
        assertEquals("v", jedis.get("k"));
        assertNull(jedis.get("missing"));
        assertNull(jedis.set("k", "other", SetParams.setParams().nx()));
        assertEquals("v", jedis.setGet("k", "w"));
        assertEquals(11, jedis.append("k", "0123456789"));
        assertEquals("0123", jedis.getrange("k", 1, 4));
        assertEquals(5, jedis.incrBy("n", 5));
        assertEquals(4, jedis.decr("n"));
        assertEquals(4.5, jedis.incrByFloat("n", 0.5));
        assertEquals(List.of("w0123456789", "4.5"), jedis.mget("k", "n"));
        assertEquals(2, jedis.del("k", "n", "missing"));
        JedisDataException e = assertThrows(JedisDataException.class, () -> {
            jedis.set("s", "abc");
            jedis.incr("s");
        });
        assertEquals("ERR value is not an integer or out of range", e.getMessage());
    }

    @Test
    void expiryIsVisibleThroughTtl() {
        jedis.setex("t", 100, "v");
        long ttl = jedis.ttl("t");
        assertTrue(ttl > 95 && ttl <= 100, "ttl " + ttl);
        assertEquals(1, jedis.persist("t"));
        assertEquals(-1, jedis.ttl("t"));
        assertEquals(-2, jedis.ttl("nothing"));
        jedis.psetex("gone", 1, "v");
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (jedis.exists("gone") && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(false, jedis.exists("gone"));
    }

    @Test
    void pipelineRepliesComeBackInOrder() {
        Pipeline p = jedis.pipelined();
        for (int i = 0; i < 1000; i++) {
            p.set("p" + i, String.valueOf(i));
        }
        List<Response<String>> gets = new java.util.ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            gets.add(p.get("p" + i));
        }
        p.sync();
        for (int i = 0; i < 1000; i++) {
            assertEquals(String.valueOf(i), gets.get(i).get());
        }
        assertEquals(1000, jedis.dbSize());
    }

    @Test
    void transactionsAndWatch() {
        jedis.set("balance", "10");
        Transaction t = jedis.multi();
        t.decrBy("balance", 3);
        t.incrBy("other", 3);
        assertEquals(List.of(7L, 3L), t.exec());

        jedis.watch("balance");
        try (Jedis other = new Jedis("127.0.0.1", server.port())) {
            other.set("balance", "0");
        }
        Transaction aborted = jedis.multi();
        aborted.set("balance", "100");
        assertNull(aborted.exec(), "EXEC must abort after a watched key changed");
        assertEquals("0", jedis.get("balance"));
    }

    @Test
    void scanVisitsEveryKeyOnce() {
        for (int i = 0; i < 500; i++) {
            jedis.set("scan:" + i, "x");
        }
        jedis.set("other", "x");
        Set<String> seen = new java.util.HashSet<>();
        String cursor = ScanParams.SCAN_POINTER_START;
        int calls = 0;
        do {
            ScanResult<String> page = jedis.scan(cursor, new ScanParams().match("scan:*").count(50));
            seen.addAll(page.getResult());
            cursor = page.getCursor();
            assertTrue(++calls < 1000, "scan did not terminate");
        } while (!cursor.equals("0"));
        assertEquals(500, seen.size());
    }

    @Test
    void clusterIntrospectionOnASingleNode() {
        assertEquals(12182, jedis.clusterKeySlot("foo"));
        assertTrue(jedis.clusterInfo().contains("cluster_state:ok"));
        assertTrue(jedis.clusterNodes().contains("0-16383"));
        assertEquals(server.nodeId(), jedis.clusterMyId());
    }
}
