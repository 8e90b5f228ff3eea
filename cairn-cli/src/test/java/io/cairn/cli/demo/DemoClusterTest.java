package io.cairn.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.cli.process.CliProcess;
import io.cairn.cli.process.CliProcess.Run;
import io.cairn.cli.process.ServerProcess;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, then what it tells the user to try: {@code cairn demo} as a real
 * process, and against its cluster the CLI (get, scan, stats, ping, topology, repl), the HTTP API
 * (/v1/kv, /v1/topology, /metrics), gRPC (KeyValue.Get, grpc.health.v1), a fourth node joining with {@code cairn join} and leaving with
 * {@code cairn leave --wait}; SIGTERM stops the demo with exit code 0.
 */
@Timeout(300)
class DemoClusterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CLI_LINE = Pattern.compile("cairn CLI: +\\./cairn get -p (\\d+) .*topology -p (\\d+) .*repl -p (\\d+)");
    private static final Pattern HTTP_LINE = Pattern.compile("HTTP/JSON: +curl -s localhost:(\\d+)/v1/kv/\\S+ +curl -s localhost:(\\d+)/v1/topology +curl -s localhost:(\\d+)/metrics");
    private static final Pattern GRPC_LINE = Pattern.compile("gRPC: +127\\.0\\.0\\.1:(\\d+) ");
    private static final Pattern JOIN_LINE = Pattern.compile("grow/shrink: +\\./cairn join (127\\.0\\.0\\.1:\\d+) ");

    @TempDir
    Path dir;

    @Test
    void theDemoClusterAnswersEveryClientTheReadmeNames() throws Exception {
        int base = ServerProcess.freePort();
        Process demo = new ProcessBuilder(CliProcess.command("demo", "--duration", "240", "--keys", "500", "--port",
                String.valueOf(base))).redirectErrorStream(true).start();
        List<String> output = new CopyOnWriteArrayList<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    output.add(line);
                }
            } catch (java.io.IOException ignored) {
                // the demo ended
            }
        });
        pump.setDaemon(true);
        pump.start();
        Process n4 = null;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
            while (output.stream().noneMatch(l -> l.startsWith("consistency:")) && System.nanoTime() < deadline) {
                assertTrue(demo.isAlive(), "the demo exited: " + output);
                Thread.sleep(200);
            }
            Matcher cli = find(output, CLI_LINE);
            Matcher http = find(output, HTTP_LINE);
            Matcher join = find(output, JOIN_LINE);
            Matcher grpc = find(output, GRPC_LINE);
            String port = cli.group(1);

            // The CLI against the demo's nodes.
            Run get = CliProcess.run(dir, null, "get", "-p", port, "demo:key:42", "-o", "json");
            assertEquals(0, get.exit(), get.toString());
            assertTrue(JSON.readTree(get.out()).get("found").asBoolean());
            assertEquals(0, CliProcess.run(dir, null, "put", "-p", cli.group(3), "readme:key", "hello").exit());
            assertEquals("hello\n", CliProcess.run(dir, null, "get", "-p", cli.group(2), "readme:key").out());
            JsonNode scan = JSON.readTree(CliProcess.run(dir, null, "scan", "-p", port, "--prefix", "demo:key:", "--limit", "5",
                    "-o", "json").out());
            assertEquals(5, scan.get("count").asInt());
            assertEquals(0, CliProcess.run(dir, null, "ping", "-p", port).exit());
            assertEquals(0, CliProcess.run(dir, null, "stats", "-p", port, "-o", "json").exit());
            Run topology = CliProcess.run(dir, null, "topology", "-p", cli.group(2), "-o", "json");
            assertEquals(0, topology.exit(), topology.toString());
            assertTrue(topology.out().contains("n3"), topology.out());
            Run repl = CliProcess.run(dir, "GET readme:key\nINCR readme:n\n", "repl", "-p", cli.group(3));
            assertEquals(List.of("hello", "1"), repl.out().lines().toList());

            // The HTTP API on each node.
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            HttpResponse<String> kv = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.group(1)
                    + "/v1/kv/readme:key")).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, kv.statusCode(), kv.body());
            assertTrue(kv.body().contains("hello"), kv.body());
            HttpResponse<String> topo = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.group(2)
                    + "/v1/topology")).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, topo.statusCode(), topo.body());
            HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.group(3)
                    + "/metrics")).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());

            // gRPC: the value written through RESP, and the standard health service.
            io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1",
                    Integer.parseInt(grpc.group(1))).usePlaintext().build();
            try {
                io.cairn.api.grpc.GetResponse got = io.cairn.api.grpc.KeyValueGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(20, TimeUnit.SECONDS).get(io.cairn.api.grpc.GetRequest.newBuilder()
                                .setKey(com.google.protobuf.ByteString.copyFromUtf8("readme:key")).build());
                assertTrue(got.getFound());
                assertEquals("hello", got.getValue().toStringUtf8());
                assertEquals(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING,
                        io.grpc.health.v1.HealthGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
                                .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance()).getStatus());
            } finally {
                channel.shutdownNow();
            }

            // A fourth node joins through n1's Raft address, takes replicas, and leaves again.
            int n4Resp = ServerProcess.freePort();
            int n4Raft = ServerProcess.freePort();
            n4 = new ProcessBuilder(CliProcess.command("join", join.group(1), "--node-id", "n4", "--raft-port",
                    String.valueOf(n4Raft), "--port", String.valueOf(n4Resp), "--data-dir", dir.resolve("n4").toString(),
                    "--set", "cluster.heartbeat-interval-ms=300", "--set", "cluster.controller.loop-interval-ms=300"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("n4.log").toFile()).start();
            // The joiner serves once it has read the map at an epoch after its own join; then rebalance.
            long joinDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            Run n4Ping = CliProcess.run(dir, null, "ping", "-p", String.valueOf(n4Resp));
            while (n4Ping.exit() != 0 && System.nanoTime() < joinDeadline && n4.isAlive()) {
                Thread.sleep(500);
                n4Ping = CliProcess.run(dir, null, "ping", "-p", String.valueOf(n4Resp));
            }
            assertEquals(0, n4Ping.exit(), "n4 serves after joining: " + n4Ping + " " + java.nio.file.Files.readString(dir.resolve("n4.log")));
            Run watch = CliProcess.run(dir, null, "rebalance", "-p", port, "--watch", "--timeout", "80");
            assertEquals(0, watch.exit(), "rebalance after the join: " + watch);
            Run viaN4 = CliProcess.run(dir, null, "get", "-p", String.valueOf(n4Resp), "readme:key");
            assertEquals("hello\n", viaN4.out(), viaN4.toString());
            Run topology4 = CliProcess.run(dir, null, "topology", "-p", port, "-o", "json");
            assertTrue(topology4.out().contains("\"n4\""), "n4 in the map: " + topology4.out());
            Run leave = CliProcess.run(dir, null, "leave", "-p", port, "--node", "n4", "--wait", "--timeout", "80");
            assertEquals(0, leave.exit(), "leave: " + leave);
            assertEquals("hello\n", CliProcess.run(dir, null, "get", "-p", port, "readme:key").out());
        } finally {
            if (n4 != null) {
                n4.destroy();
                n4.waitFor(30, TimeUnit.SECONDS);
                n4.destroyForcibly();
            }
            demo.destroy(); // SIGTERM
            boolean ended = demo.waitFor(60, TimeUnit.SECONDS);
            if (!ended) {
                demo.destroyForcibly();
            }
            assertTrue(ended, "the demo stops on SIGTERM");
        }
        pump.join(10_000); // the last lines (a stack trace, if any) may still be in the pipe
        assertEquals(0, demo.exitValue(), "SIGTERM ends the demo cleanly: " + output);
    }

    private static Matcher find(List<String> output, Pattern p) {
        for (String line : output) {
            Matcher m = p.matcher(line);
            if (m.find()) {
                return m;
            }
        }
        throw new AssertionError("the demo printed no line like " + p + ": " + output);
    }
}
