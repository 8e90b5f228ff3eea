package io.cairn.server.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.server.CairnServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.ClientOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Lettuce, sync and async, RESP2 and RESP3, against a real Cairn node. */
@Timeout(60)
class LettuceClientTest {
    static CairnServer server;
    static RedisClient client;

    @BeforeAll
    static void start() throws InterruptedException {
        server = ServerFixture.start();
        client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(server.port())
                .withTimeout(Duration.ofSeconds(10)).build());
    }

    @AfterAll
    static void stop() {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        server.close();
    }

    @Test
    void syncCommandsOverResp3() {
        // Lettuce 6 negotiates RESP3 with HELLO by default.
        client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP3).build());
        try (StatefulRedisConnection<String, String> conn = client.connect()) {
            RedisCommands<String, String> sync = conn.sync();
            sync.flushall();
            assertEquals("OK", sync.set("a", "1"));
            assertEquals("1", sync.get("a"));
            assertEquals(2L, sync.incr("a"));
            assertNull(sync.get("nope"));
            assertEquals(1L, sync.exists("a"));
            assertEquals("string", sync.type("a"));
            assertTrue(sync.expire("a", 50));
            assertTrue(sync.ttl("a") > 0);
            assertEquals(List.of("2"), sync.mget("a").stream().map(kv -> kv.getValue()).toList());
        }
    }

    @Test
    void asyncCommandsOverResp2() throws Exception {
        client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP2).build());
        try (StatefulRedisConnection<String, String> conn = client.connect()) {
            RedisAsyncCommands<String, String> async = conn.async();
            List<RedisFuture<Long>> incrs = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                incrs.add(async.incr("async-counter"));
            }
            for (int i = 0; i < incrs.size(); i++) {
                assertEquals(i + 1L, incrs.get(i).get(10, TimeUnit.SECONDS), "replies must be in order");
            }
            assertEquals("2000", async.get("async-counter").get(10, TimeUnit.SECONDS));
        }
    }
}
