package io.cairn.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.cli.CairnCli;
import io.cairn.cli.process.ServerProcess;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import redis.clients.jedis.Jedis;

/**
 * {@code cairn bench} (in-process picocli call) against a real redis-server and a real single
 * Cairn node ({@code cairn server} child process): the load phase inserts exactly the records
 * asked for, each run does exactly the operations asked for, reads of loaded records hit, the
 * JSON parses and agrees with the server's own count, the HTML plot is written; bad options exit
 * 1 and an unreachable server exits 3.
 */
@Timeout(180)
class BenchCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RECORDS = 2_000;

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
        JsonNode json() throws IOException {
            return JSON.readTree(out);
        }
    }

    static Run bench(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> argv = new ArrayList<>(List.of("bench", "--progress", "off"));
        argv.addAll(List.of(args));
        int exit = new CommandLine(new CairnCli()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(argv.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    /** Load, then workloads c (reads), a at a fixed rate, e (scans + inserts), checked against the server. */
    private void exercise(int port) throws IOException {
        String p = String.valueOf(port);
        Run load = bench("--port", p, "--workload", "load", "--records", String.valueOf(RECORDS), "--clients", "4",
                "--pipeline", "16", "--value-size", "64", "-o", "json");
        assertEquals(0, load.exit(), load.err());
        JsonNode l = load.json();
        assertEquals(RECORDS, l.get("succeeded").asLong(), load.out());
        assertEquals(0, l.get("failed").asLong());
        assertEquals(RECORDS, l.get("byOperation").get("insert").get("succeeded").asLong());
        try (Jedis jedis = new Jedis("127.0.0.1", port)) {
            assertEquals(RECORDS, jedis.dbSize(), "the server holds exactly the loaded records");
            assertEquals(64, jedis.get("user000000000042").length());
        }

        Run c = bench("--port", p, "--workload", "c", "--records", String.valueOf(RECORDS), "--operations", "2000",
                "--clients", "4", "--pipeline", "8", "-o", "json");
        assertEquals(0, c.exit(), c.err());
        JsonNode cj = c.json();
        assertEquals(2000, cj.get("operations").asLong());
        assertEquals(2000, cj.get("readHits").asLong(), "every read of a loaded record hits");
        assertEquals(0, cj.get("readMisses").asLong());
        JsonNode lat = cj.get("latencyMs");
        assertTrue(lat.get("p50").asDouble() > 0 && lat.get("p50").asDouble() <= lat.get("p99").asDouble()
                && lat.get("p99").asDouble() <= lat.get("max").asDouble(), lat.toString());

        Path html = dir.resolve("a-" + port + ".html");
        Run a = bench("--port", p, "--workload", "a", "--records", String.valueOf(RECORDS), "--duration", "2s",
                "--rate", "500", "--clients", "2", "--html", html.toString());
        assertEquals(0, a.exit(), a.err());
        assertTrue(a.out().contains("rate 500/s") && a.out().contains("update") && a.out().contains("p99.9 ms"), a.out());
        String page = Files.readString(html);
        assertTrue(page.contains("<svg") && page.contains("<polyline"), "HTML plot written");

        Run e = bench("--port", p, "--workload", "e", "--records", String.valueOf(RECORDS), "--operations", "200",
                "--clients", "2", "--pipeline", "2", "-o", "json");
        assertEquals(0, e.exit(), e.err());
        JsonNode ej = e.json();
        assertEquals(200, ej.get("succeeded").asLong());
        long inserts = ej.get("byOperation").has("insert") ? ej.get("byOperation").get("insert").get("succeeded").asLong() : 0;
        assertEquals(0, ej.get("readMisses").asLong(), "scans read only records that exist");
        try (Jedis jedis = new Jedis("127.0.0.1", port)) {
            assertEquals(RECORDS + inserts, jedis.dbSize(), "inserts added new records after the loaded ones");
        }
    }

    @Test
    void againstRedisServer() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/redis-server")), "redis-server not installed");
        int port = ServerProcess.freePort();
        Process redis = new ProcessBuilder("/usr/bin/redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        try {
            awaitPort(port, redis);
            exercise(port);
        } finally {
            redis.destroy();
            if (!redis.waitFor(10, TimeUnit.SECONDS)) {
                redis.destroyForcibly();
            }
        }
    }

    @Test
    void againstACairnNode() throws Exception {
        try (ServerProcess cairn = ServerProcess.start()) {
            exercise(cairn.port);
        }
    }

    @Test
    void badOptionsExitOneAndNoServerExitsThree() throws Exception {
        Run bad = bench("--workload", "z");
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("unknown workload 'z'"), bad.err());
        Run noRecords = bench("--workload", "a", "--records", "0");
        assertEquals(1, noRecords.exit());
        assertTrue(noRecords.err().contains("--records"), noRecords.err());
        Run badDuration = bench("--duration", "soon");
        assertEquals(1, badDuration.exit());
        assertTrue(badDuration.err().contains("--duration"), badDuration.err());
        Run closed = bench("--port", String.valueOf(ServerProcess.freePort()), "--workload", "c", "--operations", "10",
                "--timeout-ms", "2000");
        assertEquals(3, closed.exit(), closed.err());
        assertTrue(closed.err().contains("cannot reach"), closed.err());
    }

    private static void awaitPort(int port, Process process) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                assertTrue(process.isAlive(), "redis-server exited");
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("redis-server did not start on port " + port);
    }
}
