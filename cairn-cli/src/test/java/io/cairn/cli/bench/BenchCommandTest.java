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
 * 1 and an unreachable server exits 3. With {@code --target grpc} the same against the node's
 * gRPC port ({@code grpc.port}): every workload's operations done, reads of loaded records hit, no
 * errors, and what the gRPC load wrote is what RESP reads.
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

    /**
     * Load over gRPC, then workloads c (reads), a (reads and updates, pipelined), f
     * (read-modify-writes) and e (scans and inserts) over gRPC, and a short duration run, checked
     * against the node through RESP.
     */
    @Test
    void grpcTargetAgainstACairnNode() throws Exception {
        int grpcPort = ServerProcess.freePort();
        try (ServerProcess cairn = ServerProcess.start("--set", "grpc.port=" + grpcPort)) {
            String g = String.valueOf(grpcPort);
            String records = String.valueOf(RECORDS);
            Run load = bench("--target", "grpc", "--port", g, "--workload", "load", "--records", records, "--clients", "4",
                    "--pipeline", "16", "--value-size", "64", "-o", "json");
            assertEquals(0, load.exit(), load.err());
            JsonNode l = load.json();
            assertEquals("grpc://127.0.0.1:" + grpcPort, l.get("target").asText(), load.out());
            assertEquals(RECORDS, l.get("succeeded").asLong(), load.out());
            assertEquals(0, l.get("failed").asLong(), load.out());
            try (Jedis jedis = new Jedis("127.0.0.1", cairn.port)) {
                assertEquals(RECORDS, jedis.dbSize(), "the gRPC load wrote exactly the records");
                assertEquals(64, jedis.get("user000000000042").length());
            }

            Run c = bench("--target", "grpc", "--port", g, "--workload", "c", "--records", records, "--operations", "2000",
                    "--clients", "4", "--pipeline", "8", "-o", "json");
            assertEquals(0, c.exit(), c.err());
            JsonNode cj = c.json();
            assertEquals(2000, cj.get("succeeded").asLong(), c.out());
            assertEquals(0, cj.get("failed").asLong(), c.out());
            assertEquals(2000, cj.get("readHits").asLong(), "every read of a loaded record hits");
            assertEquals(0, cj.get("readMisses").asLong());
            JsonNode lat = cj.get("latencyMs");
            assertTrue(lat.get("p50").asDouble() > 0 && lat.get("p50").asDouble() <= lat.get("p99").asDouble()
                    && lat.get("p99").asDouble() <= lat.get("max").asDouble(), lat.toString());

            for (String workload : List.of("a", "f")) {
                Run r = bench("--target", "grpc", "--port", g, "--workload", workload, "--records", records,
                        "--operations", "2000", "--clients", "2", "--pipeline", "16", "-o", "json");
                assertEquals(0, r.exit(), r.err());
                JsonNode j = r.json();
                assertEquals(2000, j.get("succeeded").asLong(), r.out());
                assertEquals(0, j.get("failed").asLong(), r.out());
                assertEquals(0, j.get("readMisses").asLong(), r.out());
                String writes = workload.equals("a") ? "update" : "read-modify-write";
                assertTrue(j.get("byOperation").get(writes).get("succeeded").asLong() > 0, r.out());
            }

            Run e = bench("--target", "grpc", "--port", g, "--workload", "e", "--records", records, "--operations", "200",
                    "--clients", "2", "--pipeline", "2", "-o", "json");
            assertEquals(0, e.exit(), e.err());
            JsonNode ej = e.json();
            assertEquals(200, ej.get("succeeded").asLong(), e.out());
            assertEquals(0, ej.get("failed").asLong(), e.out());
            assertTrue(ej.get("byOperation").get("scan").get("succeeded").asLong() > 0, e.out());
            assertEquals(0, ej.get("readMisses").asLong(), "scans read only records that exist");
            long inserts = ej.get("byOperation").has("insert") ? ej.get("byOperation").get("insert").get("succeeded").asLong() : 0;
            try (Jedis jedis = new Jedis("127.0.0.1", cairn.port)) {
                assertEquals(RECORDS + inserts, jedis.dbSize(), "inserts added new records after the loaded ones");
            }

            // A duration run after an unmeasured warm-up: only the measured run is reported.
            Run timed = bench("--target", "grpc", "--hosts", "127.0.0.1:" + g, "--workload", "b", "--records", records,
                    "--warmup", "3s", "--duration", "2s", "--clients", "2", "--pipeline", "4", "-o", "json");
            assertEquals(0, timed.exit(), timed.err());
            JsonNode tj = timed.json();
            assertEquals("grpc://127.0.0.1:" + grpcPort, tj.get("target").asText());
            assertEquals("duration reached", tj.get("stopReason").asText());
            double elapsed = tj.get("elapsedSeconds").asDouble();
            assertTrue(elapsed >= 2.0 && elapsed < 5.0, "the 2 s run, without the 3 s warm-up: " + elapsed);
            assertTrue(tj.get("succeeded").asLong() > 0, timed.out());
            assertEquals(0, tj.get("failed").asLong(), timed.out());
            assertEquals(0, tj.get("readMisses").asLong(), timed.out());

            // The RESP port is not a gRPC port: the probe says so and the run does not start.
            Run wrongPort = bench("--target", "grpc", "--port", String.valueOf(cairn.port), "--workload", "c",
                    "--records", records, "--operations", "10", "--timeout-ms", "3000");
            assertEquals(3, wrongPort.exit(), wrongPort.err());
            assertTrue(wrongPort.err().contains("127.0.0.1:" + cairn.port), wrongPort.err());
        }
    }

    @Test
    void badTargetCombinationsExitOne() throws Exception {
        Run unknown = bench("--target", "http", "--workload", "c", "--operations", "10");
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().contains("--target must be resp or grpc, got 'http'"), unknown.err());
        Run password = bench("--target", "grpc", "--password", "secret", "--workload", "c", "--operations", "10");
        assertEquals(1, password.exit());
        assertTrue(password.err().contains("--password") && password.err().contains("gRPC"), password.err());
        Run respMaxCalls = bench("--grpc-max-calls", "64", "--workload", "c", "--operations", "10");
        assertEquals(1, respMaxCalls.exit());
        assertTrue(respMaxCalls.err().contains("--grpc-max-calls applies to --target grpc only"), respMaxCalls.err());
        Run window = bench("--target", "grpc", "--pipeline", "32", "--grpc-max-calls", "16", "--workload", "c", "--operations", "10");
        assertEquals(1, window.exit());
        assertTrue(window.err().contains("--grpc-max-calls 16 is below --pipeline 32"), window.err());
        Run range = bench("--target", "grpc", "--grpc-max-calls", "0", "--workload", "c", "--operations", "10");
        assertEquals(1, range.exit());
        assertTrue(range.err().contains("--grpc-max-calls must be in 1.."), range.err());
        Run warmLoad = bench("--workload", "load", "--warmup", "1s");
        assertEquals(1, warmLoad.exit());
        assertTrue(warmLoad.err().contains("--warmup is for workloads a..f"), warmLoad.err());
        Run badWarmup = bench("--workload", "c", "--warmup", "soon");
        assertEquals(1, badWarmup.exit());
        assertTrue(badWarmup.err().contains("--warmup must be a positive time"), badWarmup.err());
        Run closed = bench("--target", "grpc", "--port", String.valueOf(ServerProcess.freePort()), "--workload", "c",
                "--operations", "10", "--timeout-ms", "2000");
        assertEquals(3, closed.exit(), closed.err());
        assertTrue(closed.err().contains("cannot reach") && closed.err().contains("UNAVAILABLE"), closed.err());
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
