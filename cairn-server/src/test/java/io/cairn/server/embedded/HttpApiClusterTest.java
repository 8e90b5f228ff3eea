package io.cairn.server.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP/JSON API of {@code cairn server} on a real 3-node cluster (in-process nodes, real
 * Raft and HTTP over loopback): an execute request on one partition is atomic across nodes, one
 * spanning partitions is refused with nothing applied, and topology/readiness/metrics answer.
 */
@Timeout(180)
class HttpApiClusterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final List<CairnNode> nodes = new ArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        nodes.addAll(EmbeddedCluster.start(dir, Map.of("http.port", "0")));
    }

    @AfterEach
    void stop() {
        nodes.forEach(CairnNode::close);
        client.close();
    }

    private HttpResponse<String> post(int node, String path, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(uri(node, path)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return client.send(r, HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(int node, String path) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(uri(node, path)).timeout(Duration.ofSeconds(20)).GET().build();
        return client.send(r, HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(int node, String path) {
        int port = nodes.get(node).server().httpPort();
        assertTrue(port > 0, "node " + node + " serves HTTP");
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private JsonNode execute(int node, String commands) throws Exception {
        HttpResponse<String> r = post(node, "/v1/execute", "{\"commands\":" + commands + "}");
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("results");
    }

    @Test
    void executeIsAtomicAcrossNodesAndCrossPartitionRequestsAreRefused() throws Exception {
        JsonNode set = execute(0, "[{\"cmd_type\":\"set\",\"key\":\"{acct}:a\",\"value\":\"1000\"},"
                + "{\"cmd_type\":\"set\",\"key\":\"{acct}:b\",\"value\":\"0\"}]");
        assertEquals(2, set.size());

        // Transfers through every node at once; readers on every node see both keys in one request.
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<Integer>> work = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                int node = w;
                work.add(pool.submit(() -> {
                    int conflicts = 0;
                    for (int i = 0; i < 40; i++) {
                        // 409 CONFLICT promises nothing was applied and asks for a retry: do as a client would.
                        for (int attempt = 1; ; attempt++) {
                            HttpResponse<String> r = post(node, "/v1/execute", "{\"commands\":["
                                    + "{\"cmd_type\":\"incr\",\"key\":\"{acct}:a\",\"by\":-1},"
                                    + "{\"cmd_type\":\"incr\",\"key\":\"{acct}:b\",\"by\":1}]}");
                            if (r.statusCode() == 200) {
                                break;
                            }
                            assertEquals(409, r.statusCode(), r.body());
                            assertTrue(r.body().contains("CONFLICT"), r.body());
                            assertTrue(attempt < 10, "transfer still conflicting after " + attempt + " requests");
                            conflicts++;
                        }
                    }
                    return conflicts;
                }));
            }
            for (int r = 0; r < 3; r++) {
                int node = r;
                work.add(pool.submit(() -> {
                    int reads = 0;
                    for (int i = 0; i < 40; i++) {
                        JsonNode both = execute(node, "[{\"cmd_type\":\"get\",\"key\":\"{acct}:a\"},"
                                + "{\"cmd_type\":\"get\",\"key\":\"{acct}:b\"}]");
                        long sum = Long.parseLong(both.get(0).get("value").asText())
                                + Long.parseLong(both.get(1).get("value").asText());
                        assertEquals(1000, sum, "a reader on node " + node + " saw half a transfer: " + both);
                        reads++;
                    }
                    return reads;
                }));
            }
            int conflicts = 0;
            for (int w = 0; w < 3; w++) {
                conflicts += work.get(w).get();
            }
            for (Future<Integer> f : work) {
                f.get();
            }
            System.out.println("HttpApiClusterTest: 120 transfers through 3 nodes, " + conflicts + " answered 409 CONFLICT and retried");
        } finally {
            pool.shutdownNow();
        }
        JsonNode end = execute(2, "[{\"cmd_type\":\"get\",\"key\":\"{acct}:a\"},{\"cmd_type\":\"get\",\"key\":\"{acct}:b\"}]");
        assertEquals("880", end.get(0).get("value").asText());
        assertEquals("120", end.get(1).get("value").asText());

        // Two keys in different partitions (4 partitions: find a pair): 409, and nothing applied.
        String other = otherPartitionKey("x");
        HttpResponse<String> cross = post(1, "/v1/execute", "{\"commands\":[{\"cmd_type\":\"set\",\"key\":\"x\",\"value\":\"1\"},"
                + "{\"cmd_type\":\"set\",\"key\":\"" + other + "\",\"value\":\"2\"}]}");
        assertEquals(409, cross.statusCode(), cross.body());
        assertTrue(JSON.readTree(cross.body()).get("error").asText().startsWith("CROSSSLOT"), cross.body());
        assertEquals(404, get(0, "/v1/kv/x").statusCode(), "nothing of the refused request was applied");
        assertEquals(404, get(0, "/v1/kv/" + other).statusCode());

        HttpResponse<String> unknown = post(0, "/v1/execute", "{\"commands\":[{\"cmd_type\":\"frobnicate\",\"key\":\"k\"}]}");
        assertEquals(400, unknown.statusCode());
        assertEquals("unknown command", JSON.readTree(unknown.body()).get("error").asText());
    }

    @Test
    void kvTopologyReadinessAndMetrics() throws Exception {
        HttpRequest put = HttpRequest.newBuilder(uri(0, "/v1/kv/greeting")).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{\"value\":\"hello\"}"))
                .build();
        assertEquals(200, client.send(put, HttpResponse.BodyHandlers.ofString()).statusCode());
        for (int n = 0; n < 3; n++) {
            HttpResponse<String> r = get(n, "/v1/kv/greeting");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("hello", JSON.readTree(r.body()).get("value").asText());
        }

        JsonNode topology = JSON.readTree(get(1, "/v1/topology").body());
        assertEquals(3, topology.get("nodes").size(), topology.toString());
        assertEquals(4, topology.get("partitions").size(), topology.toString());
        assertEquals("ok", topology.get("state").asText());

        assertEquals(200, get(2, "/ready").statusCode());
        assertEquals(200, get(2, "/health").statusCode());
        HttpResponse<String> metrics = get(0, "/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("cairn_http_requests_seconds"), metrics.body());
    }

    /** A key whose slot maps to another of the 4 partitions than {@code key}'s. */
    private static String otherPartitionKey(String key) {
        int partition = partitionOf(key);
        for (int i = 0; i < 1000; i++) {
            String candidate = "y" + i;
            if (partitionOf(candidate) != partition) {
                return candidate;
            }
        }
        throw new AssertionError("no key in another partition");
    }

    private static int partitionOf(String key) {
        return io.cairn.storage.SlotHash.partitionOf(key.getBytes(java.nio.charset.StandardCharsets.UTF_8), 4);
    }
}
