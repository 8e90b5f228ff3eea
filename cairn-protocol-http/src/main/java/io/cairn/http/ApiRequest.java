package io.cairn.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One HTTP request as the API sees it, detached from Netty's reference-counted buffers (the body
 * is copied once; it is at most {@value HttpSettings#MAX_BODY_BYTES} bytes).
 *
 * @param method  upper-case method name
 * @param rawPath the path as sent, still percent-encoded (keys are decoded from it as bytes)
 * @param query   decoded query parameters
 */
record ApiRequest(String method, String rawPath, Map<String, List<String>> query, HttpHeaders headers, byte[] body) {

    /** The single value of query parameter {@code name}, or null; 400 if it is repeated. */
    String param(String name) {
        List<String> values = query.get(name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw ApiException.badRequest("query parameter '" + name + "' given " + values.size() + " times");
        }
        return values.get(0);
    }

    /** 400 if the query has a parameter outside {@code allowed}. */
    void allowOnly(Set<String> allowed) {
        for (String name : query.keySet()) {
            if (!allowed.contains(name)) {
                throw ApiException.badRequest("unknown query parameter '" + name + "'");
            }
        }
    }

    /** The media type of Content-Type without parameters, lower case; null if there is none. */
    String mediaType() {
        String ct = headers.get(HttpHeaderNames.CONTENT_TYPE);
        if (ct == null || ct.isBlank()) {
            return null;
        }
        int semicolon = ct.indexOf(';');
        return (semicolon < 0 ? ct : ct.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    /** True for {@code application/json} and {@code application/*+json}. */
    boolean hasJsonBody() {
        String type = mediaType();
        return type != null && (type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json")));
    }

    /** 415 unless the body is JSON or has no Content-Type (curl -d sends form encoding; tolerated only when absent). */
    void requireJsonBody() {
        String type = mediaType();
        if (type != null && !hasJsonBody()) {
            throw new ApiException(415, "Content-Type must be application/json, got " + type);
        }
    }

    /** True if the Accept header asks for raw bytes and not for JSON. */
    boolean acceptsOnlyOctetStream() {
        String accept = headers.get(HttpHeaderNames.ACCEPT);
        if (accept == null) {
            return false;
        }
        String a = accept.toLowerCase(Locale.ROOT);
        return a.contains(HttpResult.OCTET_STREAM) && !a.contains("json") && !a.contains("*/*");
    }

    /**
     * Percent-decodes a path segment into bytes (not into a String: keys are binary). '+' stays '+'
     * (form encoding applies to queries, not paths); a malformed escape is 400.
     */
    static byte[] percentDecode(String raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char ch = raw.charAt(i);
            if (ch == '%') {
                if (i + 2 >= raw.length()) {
                    throw ApiException.badRequest("malformed percent-encoding in the path");
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw ApiException.badRequest("malformed percent-encoding in the path");
                }
                out.write((hi << 4) | lo);
                i += 2;
            } else if (ch > 0x20 && ch < 0x7F) {
                out.write(ch);
            } else {
                // RFC 3986 allows only visible ASCII in a URL; anything else must come percent-encoded.
                throw ApiException.badRequest("the path holds a character that must be percent-encoded");
            }
        }
        return out.toByteArray();
    }
}
