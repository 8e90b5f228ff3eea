package io.cairn.http;

import static io.cairn.http.TestNode.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.api.reply.Reply;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** /v1/kv, /v1/scan, /v1/topology, /health, /ready, /metrics, 404 and 405, over real HTTP. */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RoutesEndToEndTest {
    private TestNode node;

    @BeforeAll
    void start() throws InterruptedException {
        node = new TestNode();
    }

    @AfterAll
    void stop() {
        node.close();
    }

    private static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    private HttpResponse<byte[]> put(String path, String contentType, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(node.uri(path)).PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return node.send(b);
    }

    private HttpResponse<byte[]> delete(String path) {
        return node.send(HttpRequest.newBuilder(node.uri(path)).DELETE());
    }

    // ---------------------------------------------------------------------------------------------- kv

    @Test
    void kvPutGetDeleteWithJson() {
        HttpResponse<byte[]> r = put("/v1/kv/greeting", "application/json", "{\"value\":\"hello\"}".getBytes());
        assertEquals(200, r.statusCode(), text(r));
        assertEquals(json("{\"ok\":true}"), json(r));
        assertEquals(json("{\"value\":\"hello\"}"), json(node.get("/v1/kv/greeting")));
        assertEquals(json("{\"value_base64\":\"aGVsbG8=\"}"), json(node.get("/v1/kv/greeting?encoding=base64")));
        assertEquals(json("{\"deleted\":true}"), json(delete("/v1/kv/greeting")));
        assertEquals(json("{\"deleted\":false}"), json(delete("/v1/kv/greeting")));
        r = node.get("/v1/kv/greeting");
        assertEquals(404, r.statusCode());
        assertEquals(json("{\"error\":\"no such key\"}"), json(r));
    }

    @Test
    void kvIsBinarySafeWithOctetStreamAndPercentEncodedKeys() {
        byte[] value = new byte[256];
        for (int i = 0; i < 256; i++) {
            value[i] = (byte) (255 - i);
        }
        // Key bytes: 'k', 0x00, '/', 0xFF, ' ' — all reachable through percent-encoding.
        String path = "/v1/kv/k%00%2F%FF%20";
        HttpResponse<byte[]> r = put(path, "application/octet-stream", value);
        assertEquals(200, r.statusCode(), text(r));
        assertArrayEquals(value, ((Reply.Bulk) node.local.execute(new byte[][] {"GET".getBytes(),
                {'k', 0, '/', (byte) 0xFF, ' '}}).join()).value());
        HttpResponse<byte[]> raw = node.get(path + "?encoding=raw");
        assertEquals("application/octet-stream", raw.headers().firstValue("content-type").orElse(""));
        assertArrayEquals(value, raw.body());
        HttpResponse<byte[]> accept = node.send(HttpRequest.newBuilder(node.uri(path))
                .header("Accept", "application/octet-stream").GET());
        assertArrayEquals(value, accept.body());
        // Not UTF-8: JSON answers carry base64 rather than a lossy string.
        assertEquals(json("{\"value_base64\":\"" + Base64.getEncoder().encodeToString(value) + "\"}"),
                json(node.get(path)));
        // A raw body with no Content-Type at all is the value too.
        r = put("/v1/kv/plain", null, "no content type".getBytes());
        assertEquals(200, r.statusCode(), text(r));
        assertEquals(json("{\"value\":\"no content type\"}"), json(node.get("/v1/kv/plain")));
        // A key that exists only as one of several path forms: '+' is a plus in a path.
        put("/v1/kv/a+b", "text/plain", "plus".getBytes());
        assertEquals("plus", ((Reply.Bulk) node.direct("GET", "a+b")).utf8());
    }

    @Test
    void kvPutTtlFromQueryOrJsonBody() {
        assertEquals(200, put("/v1/kv/t1?ttl=30", "application/octet-stream", "x".getBytes()).statusCode());
        long pttl = ((Reply.Int) node.direct("PTTL", "t1")).value();
        assertTrue(pttl > 25_000 && pttl <= 30_000, "ttl in seconds: " + pttl);
        assertEquals(200, put("/v1/kv/t2?ttl_ms=5000", "application/octet-stream", "x".getBytes()).statusCode());
        pttl = ((Reply.Int) node.direct("PTTL", "t2")).value();
        assertTrue(pttl > 0 && pttl <= 5000, "ttl_ms: " + pttl);
        assertEquals(200, put("/v1/kv/t3", "application/json", "{\"value_base64\":\"AAE=\",\"ttl_ms\":7000}"
                .getBytes()).statusCode());
        pttl = ((Reply.Int) node.direct("PTTL", "t3")).value();
        assertTrue(pttl > 0 && pttl <= 7000, "ttl_ms in JSON: " + pttl);
        assertArrayEquals(new byte[] {0, 1}, ((Reply.Bulk) node.direct("GET", "t3")).value());
        // A later PUT without TTL makes the key persistent (SET semantics).
        put("/v1/kv/t3", "application/octet-stream", "y".getBytes());
        assertEquals(-1, ((Reply.Int) node.direct("PTTL", "t3")).value());
    }

    @Test
    void kvErrors() {
        record Case(HttpResponse<byte[]> response, int status, String error) {}
        List<Case> cases = List.of(
                new Case(node.get("/v1/kv/"), 400, "the key must not be empty"),
                new Case(node.get("/v1/kv"), 400, "missing key: use /v1/kv/{key}"),
                new Case(node.get("/v1/kv/" + "k".repeat(1025)), 413,
                        "key of 1025 bytes exceeds the limit of 1024 bytes (http.max-key-bytes)"),
                new Case(node.get("/v1/kv/a?encoding=hex"), 400,
                        "query parameter 'encoding' must be \"utf8\" or \"base64\", got \"hex\""),
                new Case(node.get("/v1/kv/a?foo=1"), 400, "unknown query parameter 'foo'"),
                new Case(node.get("/v1/kv/a?encoding=raw&encoding=base64"), 400,
                        "query parameter 'encoding' given 2 times"),
                new Case(put("/v1/kv/a?ttl=0", "text/plain", "v".getBytes()), 400, "'ttl' must be in 1..9007199254740, got 0"),
                new Case(put("/v1/kv/a?ttl=-3", "text/plain", "v".getBytes()), 400,
                        "'ttl' must be a positive decimal integer, got '-3'"),
                new Case(put("/v1/kv/a?ttl=1&ttl_ms=1", "text/plain", "v".getBytes()), 400,
                        "give 'ttl' (seconds) or 'ttl_ms', not both"),
                new Case(put("/v1/kv/a?ttl=5", "application/json", "{\"value\":\"v\"}".getBytes()), 400,
                        "unknown query parameter 'ttl'"),
                new Case(put("/v1/kv/a", "application/json", "{\"value\":\"v\",\"ttl\":\"x\"}".getBytes()), 400,
                        "'ttl' must be an integer, got a string"),
                new Case(put("/v1/kv/a", "application/json", "{\"valu\":\"v\"}".getBytes()), 400, "unknown field 'valu'"),
                new Case(put("/v1/kv/a", "application/json", "{}".getBytes()), 400, "missing field 'value'"),
                new Case(put("/v1/kv/a", "application/json", "{\"value\":null}".getBytes()), 400, "'value' must not be null"),
                new Case(put("/v1/kv/a", "application/json", "not json".getBytes()), 400, null),
                new Case(put("/v1/kv/a", "application/octet-stream", new byte[16 * 1024 + 1]), 413,
                        "value of 16385 bytes exceeds the limit of 16384 bytes (http.max-value-bytes)"),
                new Case(delete("/v1/kv/a?x=1"), 400, "unknown query parameter 'x'"));
        for (Case c : cases) {
            assertEquals(c.status, c.response.statusCode(), text(c.response));
            JsonNode body = json(c.response);
            assertEquals(1, body.size(), body.toString());
            if (c.error != null) {
                assertEquals(c.error, body.get("error").textValue());
            }
        }
        assertEquals(Reply.Null.BULK, node.direct("GET", "a"), "no refused PUT wrote anything");
        for (String malformed : List.of("/v1/kv/a%zz", "/v1/kv/a%2", "/v1/kv/a%")) {
            TestNode.RawResponse r = node.rawGet(malformed);
            assertEquals(400, r.status(), r.toString());
            assertEquals(json("{\"error\":\"malformed percent-encoding in the path\"}"), json(r.body()));
        }
    }

    // ---------------------------------------------------------------------------------------------- scan

    @Test
    void scanWalksEveryKeyOnceWithCursorMatchAndCount() {
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            node.direct("SET", "scan:" + i, "v");
            expected.add("scan:" + i);
        }
        node.direct("SET", "other:1", "v");
        Set<String> seen = new HashSet<>();
        String cursor = "0";
        int calls = 0;
        do {
            HttpResponse<byte[]> r = node.get("/v1/scan?cursor=" + cursor + "&match=scan:*&count=7");
            assertEquals(200, r.statusCode(), text(r));
            JsonNode body = json(r);
            cursor = body.get("cursor").textValue();
            body.get("keys").forEach(k -> seen.add(k.textValue()));
            assertTrue(++calls < 1000, "scan terminates");
        } while (!cursor.equals("0"));
        assertEquals(expected, seen);
    }

    @Test
    void scanListsNonUtf8KeysInBase64AndValidatesItsParameters() {
        byte[] key = {'z', 'b', (byte) 0xFE};
        node.local.execute(new byte[][] {"SET".getBytes(), key, "v".getBytes()}).join();
        String cursor = "0";
        Set<String> base64Keys = new HashSet<>();
        do {
            JsonNode body = json(node.get("/v1/scan?cursor=" + cursor + "&match_base64="
                    + Base64.getEncoder().encodeToString("zb*".getBytes()) + "&count=100"));
            cursor = body.get("cursor").textValue();
            if (body.has("keys_base64")) {
                assertFalse(body.has("keys"), "one encoding per answer");
                body.get("keys_base64").forEach(k -> base64Keys.add(k.textValue()));
            }
        } while (!cursor.equals("0"));
        assertEquals(Set.of(Base64.getEncoder().encodeToString(key)), base64Keys);

        Map<String, String> errors = Map.of(
                "/v1/scan?cursor=abc", "'cursor' must be a cursor returned by an earlier scan, or 0 to start",
                "/v1/scan?cursor=18446744073709551616", "'cursor' is out of the unsigned 64-bit range",
                "/v1/scan?count=0", "'count' must be in 1..100 (http.scan.max-count), got 0",
                "/v1/scan?count=101", "'count' must be in 1..100 (http.scan.max-count), got 101",
                "/v1/scan?match=a&match_base64=YQ==", "give 'match' or 'match_base64', not both",
                "/v1/scan?limit=5", "unknown query parameter 'limit'");
        errors.forEach((path, error) -> {
            HttpResponse<byte[]> r = node.get(path);
            assertEquals(400, r.statusCode(), path + " " + text(r));
            assertEquals(error, json(r).get("error").textValue(), path);
        });
        TestNode.RawResponse malformed = node.rawGet("/v1/scan?match=%zz");
        assertEquals(400, malformed.status(), malformed.toString());
        assertTrue(json(malformed.body()).get("error").textValue().startsWith("malformed query string: "), malformed.body());
    }

    // ---------------------------------------------------------------------------------------------- operations

    @Test
    void healthReadyAndTopologyUseTheHooks() {
        HttpResponse<byte[]> health = node.get("/health");
        assertEquals(200, health.statusCode());
        assertEquals(json("{\"status\":\"up\"}"), json(health));

        assertEquals(json("{\"ready\":true}"), json(node.get("/ready")));
        node.readiness.set(HttpEndpoints.Readiness.notReady("partition 3 has no leader"));
        HttpResponse<byte[]> ready = node.get("/ready");
        assertEquals(503, ready.statusCode());
        assertEquals(json("{\"ready\":false,\"reason\":\"partition 3 has no leader\"}"), json(ready));
        node.readiness.set(HttpEndpoints.Readiness.READY);
        assertEquals(200, node.get("/ready").statusCode());

        record Partition(int id, List<String> replicas, String leader) {}
        node.topology.set(Map.of("partitions", List.of(new Partition(0, List.of("n1", "n2"), "n1"))));
        assertEquals(json("{\"partitions\":[{\"id\":0,\"replicas\":[\"n1\",\"n2\"],\"leader\":\"n1\"}]}"),
                json(node.get("/v1/topology")));
        node.topology.set(Map.of("mode", "test"));

        HttpResponse<byte[]> head = node.send(HttpRequest.newBuilder(node.uri("/health"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(200, head.statusCode());
        assertEquals(0, head.body().length);
        assertEquals(String.valueOf("{\"status\":\"up\"}".length()), head.headers().firstValue("content-length").orElse(""));
    }

    @Test
    void metricsArePrometheusTextWithPerRouteAndStatusTimers() {
        node.get("/health");
        node.get("/no/such/route");
        node.execute("{\"commands\":[{\"cmd_type\":\"get\",\"key\":\"m\"}]}");
        HttpResponse<byte[]> r = node.get("/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain; version=0.0.4"));
        String text = text(r);
        for (String series : List.of(
                "cairn_http_requests_seconds_count\\{method=\"GET\",route=\"/health\",status=\"200\"} [1-9]",
                "cairn_http_requests_seconds_count\\{method=\"GET\",route=\"none\",status=\"404\"} [1-9]",
                "cairn_http_requests_seconds_count\\{method=\"POST\",route=\"/v1/execute\",status=\"200\"} [1-9]",
                "cairn_http_connections [1-9]",
                "cairn_http_execute_retries_total ")) {
            assertTrue(Pattern.compile(series).matcher(text).find(), series + " in\n" + text);
        }
    }

    @Test
    void unknownRoutesAre404AndWrongMethods405WithAllow() {
        HttpResponse<byte[]> r = node.get("/v2/anything");
        assertEquals(404, r.statusCode());
        assertEquals(json("{\"error\":\"no such route: GET /v2/anything\"}"), json(r));
        r = node.get("/v1/execute");
        assertEquals(405, r.statusCode());
        assertEquals("POST", r.headers().firstValue("allow").orElse(""));
        assertEquals(json("{\"error\":\"method GET not allowed on /v1/execute; allowed: POST\"}"), json(r));
        r = node.send(HttpRequest.newBuilder(node.uri("/v1/kv/a")).POST(HttpRequest.BodyPublishers.ofString("x")));
        assertEquals(405, r.statusCode());
        assertEquals("GET, HEAD, PUT, DELETE", r.headers().firstValue("allow").orElse(""));
        r = node.send(HttpRequest.newBuilder(node.uri("/metrics")).DELETE());
        assertEquals(405, r.statusCode());
        r = node.send(HttpRequest.newBuilder(node.uri("/health")).method("BREW", HttpRequest.BodyPublishers.noBody()));
        assertEquals(405, r.statusCode());
        // ... and the odd method did not become a metric tag of its own.
        assertTrue(text(node.get("/metrics")).contains("method=\"OTHER\""));
    }
}
