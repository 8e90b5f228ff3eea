package io.cairn.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.commands.tx.TxOp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes of the HTTP/JSON API and their handlers, independent of Netty's channel plumbing
 * (see {@link HttpRequestHandler}). Every answer other than a value read as raw bytes or the
 * metrics text is JSON; every 4xx/5xx body is {@code {"error":"message"}}.
 *
 * <table>
 *   <caption>Routes</caption>
 *   <tr><th>route</th><th>does</th></tr>
 *   <tr><td>POST /v1/execute</td><td>several commands atomically: {@link ExecuteRequest}, {@link ExecuteRunner}</td></tr>
 *   <tr><td>GET /v1/kv/{key}</td><td>the value: {@code {"value":"v"}} (or {@code value_base64}); raw bytes
 *       with {@code ?encoding=raw} or {@code Accept: application/octet-stream}; 404 if absent</td></tr>
 *   <tr><td>PUT /v1/kv/{key}</td><td>sets it: a JSON body {@code {"value":..., "ttl":..}} with Content-Type
 *       application/json, any other body is the value's raw bytes (TTL then in {@code ?ttl=} seconds or
 *       {@code ?ttl_ms=}); answers {@code {"ok":true}}</td></tr>
 *   <tr><td>DELETE /v1/kv/{key}</td><td>{@code {"deleted":true|false}}</td></tr>
 *   <tr><td>GET /v1/scan</td><td>{@code ?cursor=0&match=glob&count=10}: {@code {"cursor":"next","keys":[...]}};
 *       cursor "0" when done (Redis SCAN guarantees)</td></tr>
 *   <tr><td>GET /v1/topology</td><td>the server's topology hook as JSON</td></tr>
 *   <tr><td>GET /health</td><td>200 {@code {"status":"up"}} while the process serves; 503 while shutting down</td></tr>
 *   <tr><td>GET /ready</td><td>200 {@code {"ready":true}} or 503 {@code {"ready":false,"reason":...}} from the readiness hook</td></tr>
 *   <tr><td>GET /metrics</td><td>Prometheus text format</td></tr>
 * </table>
 * {@code {key}} is the rest of the path, percent-decoded to bytes (so any key is reachable: {@code %2F}
 * for '/', {@code %00} for a zero byte). HEAD is answered wherever GET is. An unknown path is 404, a
 * known path with another method 405 with {@code Allow}. Unknown query parameters are 400.
 */
final class HttpApi {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    static final String KV_PREFIX = "/v1/kv/";

    /** The routes as metric tags: a fixed set, so a client cannot grow the registry with odd paths. */
    enum Route {
        EXECUTE("/v1/execute", "POST"),
        KV("/v1/kv/{key}", "GET, HEAD, PUT, DELETE"),
        SCAN("/v1/scan", "GET, HEAD"),
        TOPOLOGY("/v1/topology", "GET, HEAD"),
        HEALTH("/health", "GET, HEAD"),
        READY("/ready", "GET, HEAD"),
        METRICS("/metrics", "GET, HEAD"),
        /** No route matched (404), or the request never reached routing (malformed, oversize). */
        NONE("none", "");

        final String template;
        final String allow;

        Route(String template, String allow) {
            this.template = template;
            this.allow = allow;
        }

        boolean allows(String method) {
            return this != NONE && List.of(allow.split(", ")).contains(method);
        }

        static Route of(String rawPath) {
            if (rawPath.startsWith(KV_PREFIX) || rawPath.equals("/v1/kv")) {
                return KV;
            }
            return switch (rawPath) {
                case "/v1/execute" -> EXECUTE;
                case "/v1/scan" -> SCAN;
                case "/v1/topology" -> TOPOLOGY;
                case "/health" -> HEALTH;
                case "/ready" -> READY;
                case "/metrics" -> METRICS;
                default -> NONE;
            };
        }
    }

    private static final Set<String> KV_GET_PARAMS = Set.of("encoding");
    private static final Set<String> KV_PUT_PARAMS = Set.of("ttl", "ttl_ms");
    private static final Set<String> KV_PUT_JSON_FIELDS = Set.of("value", "value_base64", "ttl", "ttl_ms");
    private static final Set<String> SCAN_PARAMS = Set.of("cursor", "match", "match_base64", "count", "encoding");

    private final CommandService service;
    private final HttpSettings settings;
    private final HttpEndpoints endpoints;
    private final BooleanSupplier shuttingDown;
    private final ExecuteRunner executeRunner;

    HttpApi(CommandService service, HttpSettings settings, HttpEndpoints endpoints, BooleanSupplier shuttingDown,
            ExecuteRunner executeRunner) {
        this.service = service;
        this.settings = settings;
        this.endpoints = endpoints;
        this.shuttingDown = shuttingDown;
        this.executeRunner = executeRunner;
    }

    /**
     * Answers one request. Validation failures complete the future with their 4xx answer; the
     * future itself fails only if the command service failed (see {@link ReplyErrors#failure}).
     */
    CompletableFuture<HttpResult> handle(ApiRequest request, Route route) {
        try {
            if (route == Route.NONE) {
                return done(HttpResult.error(404, "no such route: " + request.method() + " " + request.rawPath()));
            }
            if (!route.allows(request.method())) {
                return done(HttpResult.error(405, "method " + request.method() + " not allowed on " + route.template
                        + "; allowed: " + route.allow).withHeader("Allow", route.allow));
            }
            return switch (route) {
                case EXECUTE -> execute(request);
                case KV -> kv(request);
                case SCAN -> scan(request);
                case TOPOLOGY -> done(topology(request));
                case HEALTH -> done(health(request));
                case READY -> done(ready(request));
                case METRICS -> done(metrics(request));
                case NONE -> throw new AssertionError("handled above");
            };
        } catch (ApiException e) {
            return done(e.toResult());
        }
    }

    private CompletableFuture<HttpResult> execute(ApiRequest request) {
        request.allowOnly(Set.of());
        request.requireJsonBody();
        return executeRunner.run(ExecuteRequest.parse(request.body(), settings));
    }

    // ------------------------------------------------------------------------------------------------
    // /v1/kv/{key}

    private CompletableFuture<HttpResult> kv(ApiRequest request) {
        if (!request.rawPath().startsWith(KV_PREFIX)) {
            throw ApiException.badRequest("missing key: use " + KV_PREFIX + "{key}");
        }
        byte[] key = ExecuteRequest.checkKey(ApiRequest.percentDecode(request.rawPath().substring(KV_PREFIX.length())),
                "", settings);
        return switch (request.method()) {
            case "GET", "HEAD" -> kvGet(request, key);
            case "PUT" -> kvPut(request, key);
            case "DELETE" -> {
                request.allowOnly(Set.of());
                TxOp.Delete del = new TxOp.Delete(key);
                yield run(del.argv(), reply -> HttpResult.json(200, ExecuteRunner.json(del.result(reply), false)));
            }
            default -> throw new AssertionError("route allowed " + request.method());
        };
    }

    private CompletableFuture<HttpResult> kvGet(ApiRequest request, byte[] key) {
        request.allowOnly(KV_GET_PARAMS);
        String encoding = request.param("encoding");
        boolean raw = "raw".equals(encoding) || (encoding == null && request.acceptsOnlyOctetStream());
        boolean base64 = !raw && encoding != null && ExecuteRequest.parseEncoding(encoding, "query parameter 'encoding'");
        TxOp.Get get = new TxOp.Get(key);
        return run(get.argv(), reply -> {
            if (reply == Reply.Null.BULK) {
                return HttpResult.error(404, "no such key");
            }
            if (raw) {
                if (!(reply instanceof Reply.Bulk b)) {
                    throw new IllegalStateException("GET answered " + reply);
                }
                return HttpResult.bytes(200, HttpResult.OCTET_STREAM, b.value());
            }
            return HttpResult.json(200, ExecuteRunner.json(get.result(reply), base64));
        });
    }

    private CompletableFuture<HttpResult> kvPut(ApiRequest request, byte[] key) {
        byte[] value;
        long ttlMillis;
        if (request.hasJsonBody()) {
            request.allowOnly(Set.of()); // the TTL goes in the JSON body, with the value
            ObjectNode body = Json.parseObject(request.body());
            Json.rejectUnknownFields(body, KV_PUT_JSON_FIELDS, "");
            Object v = Json.bytesField(body, "value", "");
            if (!(v instanceof byte[] bytes)) {
                throw ApiException.badRequest(v == Json.Absent.NULL ? "'value' must not be null" : "missing field 'value'");
            }
            value = bytes;
            ttlMillis = ExecuteRequest.ttlMillis(body, ""); // one TTL rule for both APIs
        } else {
            request.allowOnly(KV_PUT_PARAMS);
            value = request.body();
            ttlMillis = ttlFromQuery(request);
        }
        ExecuteRequest.checkValue(value, "", settings);
        TxOp.Set set = new TxOp.Set(key, value, ttlMillis);
        return run(set.argv(), reply -> HttpResult.json(200, ExecuteRunner.json(set.result(reply), false)));
    }

    private static long ttlFromQuery(ApiRequest request) {
        String seconds = request.param("ttl");
        String millis = request.param("ttl_ms");
        if (seconds != null && millis != null) {
            throw ApiException.badRequest("give 'ttl' (seconds) or 'ttl_ms', not both");
        }
        if (seconds != null) {
            return ExecuteRequest.ttlOf(decimal(seconds, "'ttl'"), ExecuteRequest.MAX_TTL_SECONDS, "'ttl'") * 1000;
        }
        if (millis != null) {
            return ExecuteRequest.ttlOf(decimal(millis, "'ttl_ms'"), ExecuteRequest.MAX_TTL_MILLIS, "'ttl_ms'");
        }
        return 0;
    }

    private static long decimal(String text, String what) {
        if (text.isEmpty() || text.length() > 19 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw ApiException.badRequest(what + " must be a positive decimal integer, got '" + text + "'");
        }
        return Long.parseLong(text);
    }

    // ------------------------------------------------------------------------------------------------
    // /v1/scan

    private CompletableFuture<HttpResult> scan(ApiRequest request) {
        request.allowOnly(SCAN_PARAMS);
        String cursor = request.param("cursor");
        if (cursor == null) {
            cursor = "0";
        }
        if (cursor.isEmpty() || cursor.length() > 20 || !cursor.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw ApiException.badRequest("'cursor' must be a cursor returned by an earlier scan, or 0 to start");
        }
        try {
            Long.parseUnsignedLong(cursor);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("'cursor' is out of the unsigned 64-bit range");
        }
        String countText = request.param("count");
        long count = countText == null ? HttpSettings.SCAN_DEFAULT_COUNT : decimal(countText, "'count'");
        if (count < 1 || count > settings.scanMaxCount()) {
            throw ApiException.badRequest("'count' must be in 1.." + settings.scanMaxCount() + " ("
                    + HttpSettings.SCAN_MAX_COUNT + "), got " + count);
        }
        byte[] match = null;
        String matchText = request.param("match");
        String matchBase64 = request.param("match_base64");
        if (matchText != null && matchBase64 != null) {
            throw ApiException.badRequest("give 'match' or 'match_base64', not both");
        }
        if (matchText != null) {
            match = matchText.getBytes(StandardCharsets.UTF_8);
        } else if (matchBase64 != null) {
            try {
                match = Base64.getDecoder().decode(matchBase64);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("'match_base64' is not valid base64: " + e.getMessage());
            }
        }
        if (match != null && match.length > settings.maxKeyBytes()) {
            throw new ApiException(413, "'match' of " + match.length + " bytes exceeds the key limit of "
                    + settings.maxKeyBytes() + " bytes (" + HttpSettings.MAX_KEY_BYTES + ")");
        }
        String encoding = request.param("encoding");
        boolean base64 = encoding != null && ExecuteRequest.parseEncoding(encoding, "query parameter 'encoding'");
        List<byte[]> argv = new ArrayList<>(6);
        argv.add(ascii("SCAN"));
        argv.add(ascii(cursor));
        if (match != null) {
            argv.add(ascii("MATCH"));
            argv.add(match);
        }
        argv.add(ascii("COUNT"));
        argv.add(ascii(Long.toString(count)));
        return run(argv.toArray(byte[][]::new), reply -> scanResult(reply, base64));
    }

    private static HttpResult scanResult(Reply reply, boolean forceBase64) {
        if (!(reply instanceof Reply.Array a) || a.items().size() != 2
                || !(a.items().get(0) instanceof Reply.Bulk next) || !(a.items().get(1) instanceof Reply.Array keys)) {
            throw new IllegalStateException("SCAN answered " + reply);
        }
        List<byte[]> names = new ArrayList<>(keys.items().size());
        boolean base64 = forceBase64;
        for (Reply k : keys.items()) {
            if (!(k instanceof Reply.Bulk b)) {
                throw new IllegalStateException("SCAN listed " + k);
            }
            names.add(b.value());
            base64 |= !Json.isUtf8(b.value());
        }
        ObjectNode body = Json.object();
        body.put("cursor", next.utf8());
        // One encoding for the whole list, so a client reads either "keys" or "keys_base64", never a mix.
        ArrayNode list = body.putArray(base64 ? "keys" + Json.BASE64_SUFFIX : "keys");
        for (byte[] n : names) {
            list.add(base64 ? Base64.getEncoder().encodeToString(n) : new String(n, StandardCharsets.UTF_8));
        }
        return HttpResult.json(200, body);
    }

    // ------------------------------------------------------------------------------------------------
    // operational endpoints

    private HttpResult topology(ApiRequest request) {
        request.allowOnly(Set.of());
        Object topology;
        try {
            topology = endpoints.topology().get();
        } catch (RuntimeException e) {
            log.warn("topology hook failed", e);
            return HttpResult.error(500, "topology unavailable: " + e.getMessage());
        }
        return HttpResult.json(200, topology);
    }

    private HttpResult health(ApiRequest request) {
        request.allowOnly(Set.of());
        return shuttingDown.getAsBoolean()
                ? HttpResult.json(503, Map.of("status", "shutting down"))
                : HttpResult.json(200, Map.of("status", "up"));
    }

    private HttpResult ready(ApiRequest request) {
        request.allowOnly(Set.of());
        if (shuttingDown.getAsBoolean()) {
            return HttpResult.json(503, Map.of("ready", false, "reason", "shutting down"));
        }
        HttpEndpoints.Readiness r;
        try {
            r = endpoints.readiness().get();
        } catch (RuntimeException e) {
            log.warn("readiness hook failed", e);
            return HttpResult.json(503, Map.of("ready", false, "reason", "readiness check failed: " + e.getMessage()));
        }
        return r.ready()
                ? HttpResult.json(200, Map.of("ready", true))
                : HttpResult.json(503, Map.of("ready", false, "reason", r.reason()));
    }

    private HttpResult metrics(ApiRequest request) {
        request.allowOnly(Set.of());
        return HttpResult.bytes(200, HttpResult.PROMETHEUS_TEXT,
                endpoints.registry().scrape().getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------------------------------------

    /** One command through the service; error replies mapped by {@link ReplyErrors}, others by {@code ok}. */
    private CompletableFuture<HttpResult> run(byte[][] argv, java.util.function.Function<Reply, HttpResult> ok) {
        return service.execute(argv).handle((reply, error) -> {
            if (error != null) {
                return ReplyErrors.failure(error);
            }
            if (reply instanceof Reply.Error e) {
                return ReplyErrors.toResult(e);
            }
            return ExecuteRunner.internal(() -> ok.apply(reply));
        });
    }

    private static CompletableFuture<HttpResult> done(HttpResult result) {
        return CompletableFuture.completedFuture(result);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
