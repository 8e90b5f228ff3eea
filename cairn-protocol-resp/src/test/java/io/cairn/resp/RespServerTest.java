package io.cairn.resp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cairn.api.reply.Reply;
import io.cairn.commands.DataCommands;
import io.cairn.api.service.CommandService;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A real RespServer on 127.0.0.1, an ephemeral port, real sockets and redis-cli. */
@Timeout(60)
class RespServerTest {
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private RespServer start(RespSettings settings, CommandService service) throws InterruptedException {
        int[] port = {0};
        RespServer server = new RespServer(settings.withPort(0), service, DataCommands.specs(),
                new TestContext("127.0.0.1", () -> port[0]));
        cleanup.add(server);
        server.start();
        port[0] = server.port();
        return server;
    }

    private RespServer start() throws InterruptedException {
        return start(RespSettings.defaults(), new InMemoryService());
    }

    private RawClient connect(RespServer server) throws IOException {
        RawClient c = new RawClient(server.port());
        cleanup.add(c);
        return c;
    }

    private static void await(BooleanSupplier condition, long millis, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void servesOverARealSocket() throws Exception {
        RespServer server = start();
        assertTrue(server.port() > 0);
        RawClient c = connect(server);
        assertEquals("+PONG\r\n", c.call("PING"));
        c.send("SET a 1\r\nINCR a\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
        assertEquals("+OK\r\n", c.readReply());
        assertEquals(":2\r\n", c.readReply());
        assertEquals("$1\r\n2\r\n", c.readReply());
        assertTrue(c.call("HELLO", "3").startsWith("%7\r\n"));
        assertEquals("_\r\n", c.call("GET", "nope"));
        assertEquals("+OK\r\n", c.call("QUIT"));
        assertTrue(c.closedByPeer());
    }

    @Test
    void tenThousandPipelinedCommandsComeBackInOrder() throws Exception {
        RespServer server = start();
        RawClient c = connect(server);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < 10_000; i++) {
            b.writeBytes(Wire.command("SET", "k" + i, "v" + i));
            b.writeBytes(Wire.command("GET", "k" + i));
        }
        Thread writer = new Thread(() -> {
            try {
                c.send(b.toByteArray());
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        writer.start();
        for (int i = 0; i < 10_000; i++) {
            assertEquals("+OK\r\n", c.readReply());
            String v = "v" + i;
            assertEquals("$" + v.length() + "\r\n" + v + "\r\n", c.readReply());
        }
        writer.join(10_000);
    }

    @Test
    void redisCliWorks() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/redis-cli")), "redis-cli not installed");
        RespServer server = start();
        String port = String.valueOf(server.port());
        assertEquals("PONG", run(null, "redis-cli", "-p", port, "PING").trim());
        assertEquals("OK", run(null, "redis-cli", "-p", port, "SET", "greeting", "hello world").trim());
        assertEquals("hello world", run(null, "redis-cli", "-p", port, "GET", "greeting").trim());
        String docs = run(null, "redis-cli", "-p", port, "COMMAND", "DOCS", "get");
        assertTrue(docs.contains("Get the value of a key"), docs);

        StringBuilder pipe = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            pipe.append(new String(Wire.command("SET", "p" + i, "x"), StandardCharsets.UTF_8));
        }
        String piped = run(pipe.toString().getBytes(StandardCharsets.UTF_8), "redis-cli", "-p", port, "--pipe");
        assertTrue(piped.contains("errors: 0, replies: 5000"), piped);
        assertEquals("5001", run(null, "redis-cli", "-p", port, "DBSIZE").trim());
    }

    /** Drives an interactive redis-cli in a pseudo-terminal, answering its cursor-position queries. */
    private static final String PTY_DRIVER = String.join("\n",
            "import os, pty, sys, time, select",
            "pid, fd = pty.fork()",
            "if pid == 0:",
            "    os.execvp('redis-cli', ['redis-cli', '-p', sys.argv[1]])",
            "out = b''",
            "def pump(t):",
            "    global out",
            "    end = time.time() + t",
            "    while time.time() < end:",
            "        r, _, _ = select.select([fd], [], [], 0.05)",
            "        if r:",
            "            try:",
            "                d = os.read(fd, 65536)",
            "            except OSError:",
            "                return",
            "            out += d",
            "            if b'\\x1b[6n' in d:",
            "                os.write(fd, b'\\x1b[24;80R')",
            "pump(1.5)",
            "os.write(fd, b'PING\\r')",
            "pump(1.0)",
            "os.write(fd, b'exit\\r')",
            "pump(0.5)",
            "os.kill(pid, 9)",
            "sys.stdout.write(out.decode('utf-8', 'replace'))");

    @Test
    void interactiveRedisCliStartsUpWithCommandDocs() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/redis-cli")), "redis-cli not installed");
        assumeTrue(onPath("python3"), "python3 (for a pseudo-terminal) not installed");
        RespServer server = start();
        String out = run(null, "python3", "-c", PTY_DRIVER, String.valueOf(server.port()));
        assertTrue(out.contains("PONG"), out);
        RawClient c = connect(server);
        String stats = c.call("INFO", "commandstats");
        assertTrue(stats.contains("cmdstat_command|docs:calls=1,"), "redis-cli loaded its help: " + stats);
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private static String run(byte[] stdin, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Process p = pb.start();
        try (var os = p.getOutputStream()) {
            if (stdin != null) {
                os.write(stdin);
            }
        }
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", command));
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void slowReaderIsDisconnectedAndTheServerStaysHealthy() throws Exception {
        RespSettings settings = RespSettings.defaults().withLimits(100, 512 * 1024 * 1024, 1024 * 1024, 1L << 30,
                1024 * 1024);
        RespServer server = start(settings, new InMemoryService());
        RawClient healthy = connect(server);
        assertEquals("+OK\r\n", healthy.call("SET", "big", "x".repeat(100_000)));

        RawClient slow = connect(server);
        slow.socket.setReceiveBufferSize(4096);
        assertEquals("+PONG\r\n", slow.call("PING")); // registered on the server before we count clients
        ByteArrayOutputStream gets = new ByteArrayOutputStream();
        for (int i = 0; i < 2000; i++) {
            gets.writeBytes(Wire.command("GET", "big"));
        }
        // Never read: 2000 x 100 KB of replies cannot fit in a 1 MiB output buffer.
        Thread writer = new Thread(() -> {
            try {
                slow.send(gets.toByteArray());
            } catch (IOException expected) {
                // the server may close while we are still writing
            }
        });
        writer.start();
        await(() -> server.connectedClients() == 1, 10_000, "the slow reader to be disconnected");
        writer.join(10_000);
        assertEquals("+PONG\r\n", healthy.call("PING"));
        assertTrue(healthy.call("INFO", "clients").contains("connected_clients:1\r\n"));
        RawClient fresh = connect(server);
        assertEquals("+PONG\r\n", fresh.call("PING"));
    }

    @Test
    void maxClientsRefusesExtraConnections() throws Exception {
        RespServer server = start(RespSettings.defaults().withLimits(2, 1 << 20, 1 << 20, 1 << 30, 1 << 28),
                new InMemoryService());
        RawClient a = connect(server);
        RawClient b = connect(server);
        assertEquals("+PONG\r\n", a.call("PING"));
        assertEquals("+PONG\r\n", b.call("PING"));
        RawClient c = connect(server);
        assertEquals("-ERR max number of clients reached\r\n", c.readReply());
        assertTrue(c.closedByPeer());
        a.close();
        await(() -> server.connectedClients() == 1, 5000, "the closed client to leave");
        RawClient d = connect(server);
        assertEquals("+PONG\r\n", d.call("PING"));
    }

    @Test
    void oversizedInputClosesOnlyThatConnection() throws Exception {
        RespServer server = start(RespSettings.defaults().withLimits(100, 1000, 5, 1L << 30, 1 << 28),
                new InMemoryService());
        RawClient other = connect(server);
        RawClient bulk = connect(server);
        bulk.send("*2\r\n$4\r\nECHO\r\n$1001\r\n");
        assertEquals("-ERR Protocol error: invalid bulk length\r\n", bulk.readReply());
        assertTrue(bulk.closedByPeer());
        RawClient multi = connect(server);
        multi.send("*6\r\n");
        assertEquals("-ERR Protocol error: invalid multibulk length\r\n", multi.readReply());
        assertTrue(multi.closedByPeer());
        RawClient garbage = connect(server);
        garbage.send(new byte[] {'*', 1, 2, 3, '\r', '\n'});
        assertEquals("-ERR Protocol error: invalid multibulk length\r\n", garbage.readReply());
        assertTrue(garbage.closedByPeer());
        assertEquals("+PONG\r\n", other.call("PING"));
    }

    @Test
    void idleClientsAreClosedAfterTheTimeout() throws Exception {
        RespServer server = start(RespSettings.defaults().withIdleTimeoutSeconds(1), new InMemoryService());
        RawClient idle = new RawClient(server.port(), 4000);
        cleanup.add(idle);
        assertEquals("+PONG\r\n", idle.call("PING"));
        long t0 = System.nanoTime();
        assertTrue(idle.closedByPeer(), "closed within 4 s");
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(waited >= 900, "not before the timeout: " + waited + " ms");
    }

    @Test
    void closeLetsInFlightRepliesFlush() throws Exception {
        ManualService manual = new ManualService();
        RespServer server = start(RespSettings.defaults(), manual);
        RawClient c = connect(server);
        c.send(Wire.command("GET", "k"));
        await(() -> manual.calls.size() == 1, 5000, "the command to reach the service");
        Thread closer = new Thread(server::close);
        closer.start();
        Thread.sleep(200);
        assertTrue(closer.isAlive(), "close waits for the in-flight reply");
        manual.calls.get(0).future().complete(Reply.bulk("late but delivered"));
        assertEquals("$18\r\nlate but delivered\r\n", c.readReply());
        assertTrue(c.closedByPeer());
        closer.join(5000);
        assertFalse(closer.isAlive());
        server.close(); // idempotent
        assertThrows(IOException.class, () -> new RawClient(server.port()).close(), "no longer accepting");
    }

    @Test
    void closeIsBoundedWhenAReplyNeverComes() throws Exception {
        ManualService manual = new ManualService();
        RespSettings settings = new RespSettings("127.0.0.1", 0, 100, 1 << 20, 1 << 20, 1L << 30, 1L << 28, 0, true,
                null, 1, 1000, 100, 1);
        RespServer server = start(settings, manual);
        RawClient c = connect(server);
        c.send(Wire.command("GET", "k"));
        await(() -> manual.calls.size() == 1, 5000, "the command to reach the service");
        long t0 = System.nanoTime();
        server.close();
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(took < 4000, "close took " + took + " ms");
        assertTrue(c.closedByPeer());
        manual.calls.get(0).future().complete(Reply.OK); // a late completion after shutdown is harmless
    }

    @Test
    void bindFailureIsReported() throws Exception {
        RespServer first = start();
        RespServer second = new RespServer(RespSettings.defaults().withPort(first.port()), new InMemoryService(),
                DataCommands.specs(), new TestContext());
        cleanup.add(second);
        IllegalStateException e = assertThrows(IllegalStateException.class, second::start);
        assertTrue(e.getMessage().contains("cannot listen on 127.0.0.1:" + first.port()), e.getMessage());
    }

    @Test
    void dataSpecsMayNotShadowProtocolCommands() {
        var shadow = new io.cairn.api.command.CommandSpec("ping", -1, java.util.Set.of(), 0, 0, 0, "connection",
                "x", "1.0.0", List.of());
        assertThrows(IllegalArgumentException.class, () -> new RespServer(RespSettings.defaults(),
                new InMemoryService(), List.of(shadow), new TestContext()));
    }

    @Test
    void asyncServiceCompletingOnOtherThreads() throws Exception {
        InMemoryService model = new InMemoryService();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        cleanup.add(pool::shutdownNow);
        java.util.Random jitter = new java.util.Random(1);
        CommandService async = new InMemoryService() {
            @Override
            public CompletableFuture<Reply> execute(byte[][] argv) {
                // Apply in submission order (as a log would), complete after a random delay on another thread.
                Reply r;
                synchronized (model) {
                    r = model.apply(argv);
                }
                long delay;
                synchronized (jitter) {
                    delay = jitter.nextInt(3);
                }
                return CompletableFuture.supplyAsync(() -> r,
                        CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS, pool));
            }
        };
        RespServer server = start(RespSettings.defaults(), async);
        RawClient c = connect(server);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < 2000; i++) {
            b.writeBytes(Wire.command("INCR", "counter"));
        }
        c.send(b.toByteArray());
        for (int i = 1; i <= 2000; i++) {
            assertEquals(":" + i + "\r\n", c.readReply());
        }
    }
}
