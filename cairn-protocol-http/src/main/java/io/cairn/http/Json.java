package io.cairn.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Set;

/**
 * JSON in and out, and the API's rule for bytes in JSON.
 *
 * <p>Bytes: a JSON string is Unicode, a Cairn key or value is bytes. A field {@code name} carries
 * the UTF-8 encoding of its string; the field {@code name_base64} carries any bytes as standard
 * base64 (RFC 4648 with padding). In requests either form is accepted (not both). In responses a
 * value is written as {@code name} when it is valid UTF-8 and base64 was not asked for, else as
 * {@code name_base64}: bytes are never altered by a lossy decoding.
 *
 * <p>Parsing is strict: duplicate object keys, trailing content after the document, comments and
 * other non-standard JSON are errors (400), and so are fields the API does not know (a typo like
 * {@code tll} must not silently drop a TTL).
 */
final class Json {
    static final String BASE64_SUFFIX = "_base64";

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_SINGLE_QUOTES,
                    JsonReadFeature.ALLOW_TRAILING_COMMA, JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {}

    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getName() + ": "
                    + e.getOriginalMessage(), e);
        }
    }

    /** The body as a JSON object; 400 if it is empty, not JSON, or not an object. */
    static ObjectNode parseObject(byte[] body) {
        if (body.length == 0) {
            throw ApiException.badRequest("request body is empty; expected a JSON object");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (JacksonException e) {
            throw ApiException.badRequest("malformed JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("malformed JSON: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest("expected a JSON object, got " + (node == null ? "nothing" : kind(node)));
        }
        return (ObjectNode) node;
    }

    /** 400 if {@code object} has a field not in {@code allowed}; {@code where} prefixes the message. */
    static void rejectUnknownFields(ObjectNode object, Set<String> allowed, String where) {
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                throw ApiException.badRequest(where + "unknown field '" + name + "'");
            }
        }
    }

    /**
     * The bytes of field {@code name} given as {@code name} (UTF-8 string) or {@code name_base64};
     * {@link Absent#MISSING} if neither is present, {@link Absent#NULL} if the one present is JSON null.
     */
    static Object bytesField(ObjectNode object, String name, String where) {
        JsonNode plain = object.get(name);
        JsonNode base64 = object.get(name + BASE64_SUFFIX);
        if (plain != null && base64 != null) {
            throw ApiException.badRequest(where + "give '" + name + "' or '" + name + BASE64_SUFFIX + "', not both");
        }
        if (plain == null && base64 == null) {
            return Absent.MISSING;
        }
        JsonNode node = plain != null ? plain : base64;
        String field = plain != null ? name : name + BASE64_SUFFIX;
        if (node.isNull()) {
            return Absent.NULL;
        }
        if (!node.isTextual()) {
            throw ApiException.badRequest(where + "'" + field + "' must be a string, got " + kind(node));
        }
        if (plain != null) {
            return node.textValue().getBytes(StandardCharsets.UTF_8);
        }
        try {
            return Base64.getDecoder().decode(node.textValue());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(where + "'" + field + "' is not valid base64: " + e.getMessage());
        }
    }

    /** Why {@link #bytesField} found no bytes. */
    enum Absent { MISSING, NULL }

    /** Puts {@code bytes} as {@code name} (valid UTF-8, base64 not forced) or {@code name_base64}; null as JSON null under {@code name}. */
    static void putBytes(ObjectNode object, String name, byte[] bytes, boolean forceBase64) {
        if (bytes == null) {
            object.putNull(name);
        } else if (!forceBase64 && isUtf8(bytes)) {
            object.put(name, new String(bytes, StandardCharsets.UTF_8));
        } else {
            object.put(name + BASE64_SUFFIX, Base64.getEncoder().encodeToString(bytes));
        }
    }

    static boolean isUtf8(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return strictUtf8(bytes); // the common ASCII case skips the decoder entirely
            }
        }
        return true;
    }

    private static boolean strictUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** A JSON node's kind for error messages: "a number", "an array", ... */
    static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL, MISSING -> "null";
            case BINARY -> "binary data";
        };
    }

    static ObjectNode object() {
        return NODES.objectNode();
    }
}
