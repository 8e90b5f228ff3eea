package io.cairn.http;

import java.util.Map;
import java.util.Objects;

/**
 * A response before it meets the wire: status, content type, body and extra headers. Handlers
 * produce these; {@link HttpRequestHandler} turns them into Netty responses.
 */
record HttpResult(int status, String contentType, byte[] body, Map<String, String> headers) {
    static final String JSON = "application/json";
    static final String OCTET_STREAM = "application/octet-stream";
    /** Prometheus's text exposition format 0.0.4, what {@code PrometheusMeterRegistry.scrape()} produces. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    HttpResult {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("HTTP status out of range: " + status);
        }
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        headers = Map.copyOf(headers);
    }

    static HttpResult json(int status, Object body) {
        return new HttpResult(status, JSON, Json.write(body), Map.of());
    }

    /** The error shape of every 4xx/5xx answer: {@code {"error":"message"}}. */
    static HttpResult error(int status, String message) {
        return json(status, Map.of("error", message));
    }

    static HttpResult bytes(int status, String contentType, byte[] body) {
        return new HttpResult(status, contentType, body, Map.of());
    }

    HttpResult withHeader(String name, String value) {
        java.util.HashMap<String, String> h = new java.util.HashMap<>(headers);
        h.put(name, value);
        return new HttpResult(status, contentType, body, h);
    }
}
