package io.cairn.cli.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Real {@code cairn server} processes driven by the real redis-cli. */
@Timeout(180)
class ServerProcessTest {
    @TempDir
    Path dir;

    @Test
    void redisCliWorksEndToEndIncludingPipeMassInsertion() throws Exception {
        try (ServerProcess server = ServerProcess.start()) {
            int port = server.port;
            assertEquals("PONG", RedisCli.run(port, "PING"));
            assertEquals("OK", RedisCli.run(port, "SET", "greeting", "hello world"));
            assertEquals("hello world", RedisCli.run(port, "GET", "greeting"));
            assertEquals("1", RedisCli.run(port, "INCR", "c"));
            // redis-cli's output is stripped here, so Redis's trailing space after the last argument is gone.
            assertEquals("ERR unknown command 'FOO', with args beginning with: 'bar'",
                    RedisCli.run(port, "FOO", "bar").replaceFirst("^\\(error\\) ", ""));
            assertEquals("12182", RedisCli.run(port, "CLUSTER", "KEYSLOT", "foo"));

            // --pipe: raw RESP mass insertion, as the Redis docs describe.
            StringBuilder resp = new StringBuilder();
            int n = 20_000;
            for (int i = 0; i < n; i++) {
                String k = "mass:" + i;
                String v = "v" + i;
                resp.append("*3\r\n$3\r\nSET\r\n$").append(k.length()).append("\r\n").append(k)
                        .append("\r\n$").append(v.length()).append("\r\n").append(v).append("\r\n");
            }
            RedisCli.Result pipe = RedisCli.run(port, resp.toString().getBytes(StandardCharsets.UTF_8), "--pipe");
            assertEquals(0, pipe.exit(), pipe.out());
            assertTrue(pipe.out().contains("errors: 0, replies: " + n), pipe.out());
            assertEquals("v19999", RedisCli.run(port, "GET", "mass:19999"));
            assertEquals(String.valueOf(n + 2), RedisCli.run(port, "DBSIZE"));
        }
    }

    @Test
    void sigtermShutsDownGracefullyWithExitZero() throws Exception {
        try (ServerProcess server = ServerProcess.start()) {
            assertEquals("OK", RedisCli.run(server.port, "SET", "k", "v"));
            server.sigterm();
            assertEquals(0, server.awaitExit(), String.join("\n", server.output));
            assertTrue(server.output.stream().anyMatch(l -> l.contains("stopped")), server.output.toString());
        }
    }

    @Test
    void shutdownCommandExitsZero() throws Exception {
        try (ServerProcess server = ServerProcess.start()) {
            RedisCli.run(server.port, "SHUTDOWN");
            assertEquals(0, server.awaitExit(), String.join("\n", server.output));
        }
    }

    @Test
    void rocksDbDataAndTtlsSurviveARestartAndAKill9() throws Exception {
        Path data = dir.resolve("node");
        String[] args = {"--storage", "rocksdb", "--data-dir", data.toString(), "--node-id", "n1"};
        int port;
        try (ServerProcess first = ServerProcess.start(args)) {
            port = first.port;
            assertEquals("OK", RedisCli.run(port, "SET", "durable", "yes"));
            assertEquals("OK", RedisCli.run(port, "SET", "expiring", "soon", "EX", "1000"));
            assertEquals("OK", RedisCli.run(port, "SET", "short", "x", "PX", "300"));
            first.sigterm();
            assertEquals(0, first.awaitExit());
        }
        Thread.sleep(400); // "short" expires while the node is down
        try (ServerProcess second = ServerProcess.start(port, args)) {
            assertEquals("yes", RedisCli.run(port, "GET", "durable"));
            long ttl = Long.parseLong(RedisCli.run(port, "TTL", "expiring"));
            assertTrue(ttl > 900 && ttl <= 1000, "TTL after restart: " + ttl);
            assertEquals("", RedisCli.run(port, "GET", "short"));
            // Acknowledged writes survive kill -9 too (sync writes are the default).
            StringBuilder sets = new StringBuilder();
            for (int i = 0; i <= 20; i++) {
                sets.append("SET k9:").append(i).append(" v").append(i).append('\n');
            }
            RedisCli.Result acked = RedisCli.run(port, sets.toString().getBytes(StandardCharsets.UTF_8));
            assertEquals(21, acked.out().lines().filter("OK"::equals).count(), acked.out());
            second.sigkill();
            second.awaitExit();
        }
        try (ServerProcess third = ServerProcess.start(port, args)) {
            for (int i = 0; i <= 20; i++) {
                assertEquals("v" + i, RedisCli.run(port, "GET", "k9:" + i));
            }
            assertEquals("yes", RedisCli.run(port, "GET", "durable"));
        }
    }
}
