package io.cairn.http;

import static io.cairn.http.TestNode.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.api.reply.Reply;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** POST /v1/execute over real HTTP against a real single-node service: results, atomicity rules, every error path. */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExecuteEndToEndTest {
    private TestNode node;

    @BeforeAll
    void start() throws InterruptedException {
        node = new TestNode();
    }

    @AfterAll
    void stop() {
        node.close();
    }

    private void assertAnswer(String request, int status, String expectedJson) {
        HttpResponse<byte[]> r = node.execute(request);
        assertEquals(status, r.statusCode(), () -> new String(r.body(), StandardCharsets.UTF_8));
        assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
        assertEquals(json(expectedJson), json(r));
    }

    @Test
    void theIssuesExampleSetsThenGets() {
        assertAnswer("""
                {"commands":[{"cmd_type":"set","key":"foo","value":"bar"},{"cmd_type":"get","key":"foo"}]}""",
                200, """
                {"results":[{"ok":true},{"value":"bar"}]}""");
    }

    @Test
    void everyCommandHasItsResultShape() {
        assertAnswer("""
                {"commands":[
                  {"cmd_type":"get","key":"shape:a"},
                  {"cmd_type":"set","key":"shape:a","value":"1"},
                  {"cmd_type":"incr","key":"shape:a"},
                  {"cmd_type":"incr","key":"shape:a","by":-10},
                  {"cmd_type":"get","key":"shape:a"},
                  {"cmd_type":"delete","key":"shape:a"},
                  {"cmd_type":"delete","key":"shape:a"},
                  {"cmd_type":"incr","key":"shape:n","by":5}
                ]}""", 200, """
                {"results":[{"value":null},{"ok":true},{"value":2},{"value":-8},{"value":"-8"},
                            {"deleted":true},{"deleted":false},{"value":5}]}""");
        assertEquals(new Reply.Bulk("5".getBytes()).utf8(), ((Reply.Bulk) node.direct("GET", "shape:n")).utf8());
    }

    @Test
    void casSwapsOnlyOnTheExpectedValue() {
        node.direct("SET", "cas:k", "v1");
        assertAnswer("""
                {"commands":[{"cmd_type":"cas","key":"cas:k","expected":"v1","value":"v2"}]}""",
                200, """
                {"results":[{"swapped":true}]}""");
        assertAnswer("""
                {"commands":[{"cmd_type":"cas","key":"cas:k","expected":"v1","value":"v3"}]}""",
                200, """
                {"results":[{"swapped":false,"value":"v2"}]}""");
        assertEquals("v2", ((Reply.Bulk) node.direct("GET", "cas:k")).utf8());
        // expected null: only if absent
        assertAnswer("""
                {"commands":[{"cmd_type":"cas","key":"cas:k","expected":null,"value":"v4"},
                             {"cmd_type":"cas","key":"cas:absent","expected":null,"value":"new"},
                             {"cmd_type":"cas","key":"cas:absent2","expected":"x","value":"new"}]}""",
                200, """
                {"results":[{"swapped":false,"value":"v2"},{"swapped":true},{"swapped":false,"value":null}]}""");
        assertEquals("new", ((Reply.Bulk) node.direct("GET", "cas:absent")).utf8());
        assertEquals(Reply.Null.BULK, node.direct("GET", "cas:absent2"));
    }

    @Test
    void casWithTtlAndBinaryValues() {
        byte[] old = {0, (byte) 0xFF, 10, 13};
        byte[] next = {(byte) 0xC3, 0x28};
        String b64old = Base64.getEncoder().encodeToString(old);
        String b64next = Base64.getEncoder().encodeToString(next);
        assertAnswer("{\"commands\":[{\"cmd_type\":\"set\",\"key\":\"casbin\",\"value_base64\":\"" + b64old + "\"},"
                + "{\"cmd_type\":\"cas\",\"key\":\"casbin\",\"expected_base64\":\"" + b64old + "\",\"value_base64\":\""
                + b64next + "\",\"ttl\":100},{\"cmd_type\":\"get\",\"key\":\"casbin\"}]}",
                200, "{\"results\":[{\"ok\":true},{\"swapped\":true},{\"value_base64\":\"" + b64next + "\"}]}");
        long pttl = ((Reply.Int) node.direct("PTTL", "casbin")).value();
        assertTrue(pttl > 90_000 && pttl <= 100_000, "cas set the ttl: " + pttl);
    }

    @Test
    void binaryKeysAndValuesRoundTripAndBase64CanBeForced() {
        byte[] key = {'b', 0, (byte) 0x80, '/'};
        byte[] value = new byte[256];
        for (int i = 0; i < 256; i++) {
            value[i] = (byte) i;
        }
        String k = Base64.getEncoder().encodeToString(key);
        String v = Base64.getEncoder().encodeToString(value);
        assertAnswer("{\"commands\":[{\"cmd_type\":\"set\",\"key_base64\":\"" + k + "\",\"value_base64\":\"" + v + "\"},"
                + "{\"cmd_type\":\"get\",\"key_base64\":\"" + k + "\"}]}",
                200, "{\"results\":[{\"ok\":true},{\"value_base64\":\"" + v + "\"}]}");
        // Valid UTF-8 comes back as text unless base64 is asked for.
        assertAnswer("""
                {"commands":[{"cmd_type":"set","key":"utf","value":"héllo ✓"},{"cmd_type":"get","key":"utf"}]}""",
                200, """
                {"results":[{"ok":true},{"value":"héllo ✓"}]}""");
        assertAnswer("""
                {"encoding":"base64","commands":[{"cmd_type":"get","key":"utf"}]}""",
                200, "{\"results\":[{\"value_base64\":\""
                        + Base64.getEncoder().encodeToString("héllo ✓".getBytes(StandardCharsets.UTF_8)) + "\"}]}");
    }

    @Test
    void ttlIsAppliedAndExpiryIsVisible() throws InterruptedException {
        assertAnswer("""
                {"commands":[{"cmd_type":"set","key":"ttl:s","value":"x","ttl":50},
                             {"cmd_type":"set","key":"ttl:ms","value":"y","ttl_ms":300}]}""",
                200, """
                {"results":[{"ok":true},{"ok":true}]}""");
        long seconds = ((Reply.Int) node.direct("PTTL", "ttl:s")).value();
        assertTrue(seconds > 45_000 && seconds <= 50_000, "ttl is in seconds: " + seconds);
        assertAnswer("""
                {"commands":[{"cmd_type":"get","key":"ttl:ms"}]}""", 200, """
                {"results":[{"value":"y"}]}""");
        long deadline = System.nanoTime() + 10_000_000_000L;
        JsonNode last;
        do {
            Thread.sleep(50);
            last = json(node.execute("""
                    {"commands":[{"cmd_type":"get","key":"ttl:ms"}]}"""));
        } while (!last.at("/results/0/value").isNull() && System.nanoTime() < deadline);
        assertEquals(json("""
                {"results":[{"value":null}]}"""), last, "the key expired");
    }

    @Test
    void incrOfANonIntegerAppliesNothingAndSays409() {
        node.direct("SET", "bad:n", "abc");
        HttpResponse<byte[]> r = node.execute("""
                {"commands":[{"cmd_type":"set","key":"bad:other","value":"written?"},
                             {"cmd_type":"incr","key":"bad:ok"},
                             {"cmd_type":"incr","key":"bad:n"}]}""");
        assertEquals(409, r.statusCode());
        assertEquals(json("""
                {"error":"commands[2]: ERR value is not an integer or out of range (nothing was applied)"}"""), json(r));
        assertEquals(Reply.Null.BULK, node.direct("GET", "bad:other"));
        assertEquals(Reply.Null.BULK, node.direct("GET", "bad:ok"));
        // A value the request itself makes non-numeric counts too.
        r = node.execute("""
                {"commands":[{"cmd_type":"set","key":"bad:m","value":"1"},
                             {"cmd_type":"set","key":"bad:m","value":"x1"},
                             {"cmd_type":"incr","key":"bad:m"}]}""");
        assertEquals(409, r.statusCode());
        assertEquals(Reply.Null.BULK, node.direct("GET", "bad:m"));
        // Overflow, made by an earlier incr of the same request.
        node.direct("SET", "bad:big", Long.toString(Long.MAX_VALUE - 5));
        r = node.execute("""
                {"commands":[{"cmd_type":"incr","key":"bad:big","by":5},{"cmd_type":"incr","key":"bad:big"}]}""");
        assertEquals(409, r.statusCode());
        assertEquals(json("""
                {"error":"commands[1]: ERR increment or decrement would overflow (nothing was applied)"}"""), json(r));
        assertEquals(Long.toString(Long.MAX_VALUE - 5), ((Reply.Bulk) node.direct("GET", "bad:big")).utf8());
        // A lone incr (no other write) fails alone: 409 all the same.
        r = node.execute("""
                {"commands":[{"cmd_type":"get","key":"bad:n"},{"cmd_type":"incr","key":"bad:n"}]}""");
        assertEquals(409, r.statusCode());
        assertEquals("commands[1]: ERR value is not an integer or out of range (nothing was applied)",
                json(r).get("error").textValue());
    }

    @Test
    void aSetThatMakesAValueNumericLetsTheIncrRun() {
        node.direct("SET", "fix:n", "abc");
        assertAnswer("""
                {"commands":[{"cmd_type":"set","key":"fix:n","value":"41"},{"cmd_type":"incr","key":"fix:n"},
                             {"cmd_type":"cas","key":"fix:n","expected":"42","value":"100"},
                             {"cmd_type":"incr","key":"fix:n","by":-1}]}""",
                200, """
                {"results":[{"ok":true},{"value":42},{"swapped":true},{"value":99}]}""");
    }

    /** Each: request body, status, exact error text. Nothing of any of them may be applied. */
    static Stream<Arguments> invalidRequests() {
        String set = "{\"cmd_type\":\"set\",\"key\":\"untouched\",\"value\":\"oops\"}";
        return Stream.of(
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"frobnicate\",\"key\":\"a\"}]}", 400,
                        "unknown command"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"\",\"key\":\"a\"}]}", 400, "unknown command"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"GET\",\"key\":\"a\",\"value\":\"v\"}]}", 400,
                        "commands[1]: unknown field 'value'"),
                Arguments.of("{\"commands\":[" + set, 400, null),
                Arguments.of("{\"commands\":[" + set + "]} trailing", 400, null),
                Arguments.of("{\"commands\":[" + set + "],\"commands\":[]}", 400, null),
                Arguments.of("[" + set + "]", 400, "expected a JSON object, got an array"),
                Arguments.of("", 400, "request body is empty; expected a JSON object"),
                Arguments.of("{}", 400, "missing field 'commands'"),
                Arguments.of("{\"commands\":{}}", 400, "'commands' must be an array, got an object"),
                Arguments.of("{\"commands\":[]}", 400, "'commands' must hold at least one command"),
                Arguments.of("{\"commands\":[" + set + "],\"extra\":1}", 400, "unknown field 'extra'"),
                Arguments.of("{\"commands\":[" + set + ",42]}", 400,
                        "commands[1]: a command must be a JSON object, got a number"),
                Arguments.of("{\"commands\":[" + set + ",{\"key\":\"a\"}]}", 400, "commands[1]: missing field 'cmd_type'"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":7}]}", 400,
                        "commands[1]: 'cmd_type' must be a string, got a number"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"get\"}]}", 400, "commands[1]: missing field 'key'"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"get\",\"key\":1}]}", 400,
                        "commands[1]: 'key' must be a string, got a number"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"get\",\"key\":\"\"}]}", 400,
                        "commands[1]: the key must not be empty"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"get\",\"key\":\"a\",\"key_base64\":\"YQ==\"}]}",
                        400, "commands[1]: give 'key' or 'key_base64', not both"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"get\",\"key_base64\":\"%%%\"}]}", 400, null),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"set\",\"key\":\"a\"}]}", 400,
                        "commands[1]: missing field 'value'"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"set\",\"key\":\"a\",\"value\":null}]}", 400,
                        "commands[1]: 'value' must not be null"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"set\",\"key\":\"a\",\"value\":5}]}", 400,
                        "commands[1]: 'value' must be a string, got a number"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"set\",\"key\":\"a\",\"value\":\"v\",\"tll\":5}]}",
                        400, "commands[1]: unknown field 'tll'"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"set\",\"key\":\"a\",\"value\":\"v\",\"ttl\":-1}]}",
                        400, "commands[1]: 'ttl' must be in 1..9007199254740, got -1"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"set\",\"key\":\"a\",\"value\":\"v\",\"ttl\":0}]}",
                        400, "commands[1]: 'ttl' must be in 1..9007199254740, got 0"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"set\",\"key\":\"a\",\"value\":\"v\",\"ttl_ms\":-5}]}",
                        400, "commands[1]: 'ttl_ms' must be in 1..9007199254740991, got -5"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"set\",\"key\":\"a\",\"value\":\"v\",\"ttl\":1.5}]}",
                        400, "commands[1]: 'ttl' must be an integer, got a number with a fraction or exponent"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"set\",\"key\":\"a\",\"value\":\"v\",\"ttl\":\"5\"}]}",
                        400, "commands[1]: 'ttl' must be an integer, got a string"),
                Arguments.of("{\"commands\":[" + set
                                + ",{\"cmd_type\":\"set\",\"key\":\"a\",\"value\":\"v\",\"ttl\":5,\"ttl_ms\":5}]}",
                        400, "commands[1]: give 'ttl' (seconds) or 'ttl_ms', not both"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"incr\",\"key\":\"a\",\"by\":0.5}]}", 400,
                        "commands[1]: 'by' must be an integer, got a number with a fraction or exponent"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"incr\",\"key\":\"a\",\"by\":99999999999999999999}]}",
                        400, "commands[1]: 'by' is out of the 64-bit integer range"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"cas\",\"key\":\"a\",\"value\":\"v\"}]}", 400,
                        "commands[1]: missing field 'expected' (null: the key must be absent)"),
                Arguments.of("{\"commands\":[" + set + "],\"encoding\":\"hex\"}", 400,
                        "'encoding' must be \"utf8\" or \"base64\", got \"hex\""),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"get\",\"key\":\"" + "k".repeat(1025) + "\"}]}",
                        413, "commands[1]: key of 1025 bytes exceeds the limit of 1024 bytes (http.max-key-bytes)"),
                Arguments.of("{\"commands\":[" + set + ",{\"cmd_type\":\"set\",\"key\":\"a\",\"value\":\""
                                + "v".repeat(16 * 1024 + 1) + "\"}]}", 413,
                        "commands[1]: value of 16385 bytes exceeds the limit of 16384 bytes (http.max-value-bytes)"),
                Arguments.of("{\"commands\":[" + (set + ",").repeat(50) + set + "]}", 413,
                        "51 commands exceed the limit of 50 per request (http.max-commands-per-request)"));
    }

    @ParameterizedTest
    @MethodSource("invalidRequests")
    void invalidRequestsAreRefusedWholeWithAJsonError(String body, int status, String error) {
        HttpResponse<byte[]> r = node.execute(body);
        assertEquals(status, r.statusCode(), () -> new String(r.body(), StandardCharsets.UTF_8));
        JsonNode answer = json(r);
        assertEquals(1, answer.size(), "only an error field: " + answer);
        assertTrue(answer.get("error").isTextual(), answer.toString());
        if (error != null) {
            assertEquals(error, answer.get("error").textValue());
        }
        assertEquals(Reply.Null.BULK, node.direct("GET", "untouched"), "nothing of a refused request is applied");
        // The server is unaffected.
        assertAnswer("{\"commands\":[{\"cmd_type\":\"get\",\"key\":\"untouched\"}]}", 200,
                "{\"results\":[{\"value\":null}]}");
    }

    @Test
    void unknownCommandIsExactlyTheDocumentedBody() {
        HttpResponse<byte[]> r = node.execute("""
                {"commands":[{"cmd_type":"flushall"}]}""");
        assertEquals(400, r.statusCode());
        assertEquals("{\"error\":\"unknown command\"}", new String(r.body(), StandardCharsets.UTF_8));
    }

    @Test
    void aNonJsonContentTypeIs415() {
        HttpResponse<byte[]> r = node.send(HttpRequest.newBuilder(node.uri("/v1/execute"))
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"commands\":[{\"cmd_type\":\"get\",\"key\":\"a\"}]}")));
        assertEquals(415, r.statusCode());
        assertEquals(json("{\"error\":\"Content-Type must be application/json, got text/plain\"}"), json(r));
        // No Content-Type at all is accepted (curl --data-binary without -H).
        r = node.send(HttpRequest.newBuilder(node.uri("/v1/execute"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"commands\":[{\"cmd_type\":\"get\",\"key\":\"a\"}]}")));
        assertEquals(200, r.statusCode());
    }

    @Test
    void aBodyOverTheLimitIs413JsonAndTheServerCarriesOn() {
        String huge = "{\"commands\":[{\"cmd_type\":\"set\",\"key\":\"untouched\",\"value\":\"" + "x".repeat(70 * 1024)
                + "\"}]}";
        HttpResponse<byte[]> r = node.execute(huge);
        assertEquals(413, r.statusCode());
        assertEquals(json("{\"error\":\"request body exceeds the limit of 65536 bytes (http.max-body-bytes)\"}"),
                json(r));
        assertEquals(Reply.Null.BULK, node.direct("GET", "untouched"));
        assertAnswer("{\"commands\":[{\"cmd_type\":\"get\",\"key\":\"untouched\"}]}", 200,
                "{\"results\":[{\"value\":null}]}");
    }

    @Test
    void theDefaultJavaClientWithItsH2cUpgradeOfferIsServedOverHttp11() {
        java.net.http.HttpClient h2 = java.net.http.HttpClient.newHttpClient(); // offers "Upgrade: h2c"
        try {
            HttpResponse<String> r = h2.send(HttpRequest.newBuilder(node.uri("/v1/execute"))
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"commands\":[{\"cmd_type\":\"set\",\"key\":\"h2c\",\"value\":\"ok\"}]}"))
                            .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertEquals(java.net.http.HttpClient.Version.HTTP_1_1, r.version());
            assertEquals(json("{\"results\":[{\"ok\":true}]}"), json(r.body()));
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            h2.close();
        }
    }
}
