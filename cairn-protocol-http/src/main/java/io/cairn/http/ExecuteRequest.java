package io.cairn.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.commands.tx.TxOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A parsed and fully validated {@code POST /v1/execute} body. Everything that can be checked
 * without reading data is checked here, before any command runs, so a refused request has applied
 * nothing:
 * <pre>
 * {"commands":[{"cmd_type":"set","key":"foo","value":"bar","ttl":60},
 *              {"cmd_type":"get","key":"foo"}],
 *  "encoding":"utf8"}
 * </pre>
 * <ul>
 *   <li>{@code cmd_type}: get, set, delete, incr, cas (any letter case); anything else is 400
 *       {@code {"error":"unknown command"}}.</li>
 *   <li>{@code key} / {@code key_base64}: required, 1..{@value HttpSettings#MAX_KEY_BYTES} bytes.</li>
 *   <li>{@code value} / {@code value_base64} (set, cas): required, at most {@value HttpSettings#MAX_VALUE_BYTES} bytes.</li>
 *   <li>{@code ttl} (seconds) or {@code ttl_ms} (set, cas): optional, a JSON integer in
 *       1..{@value #MAX_TTL_SECONDS} / 1..{@value #MAX_TTL_MILLIS} (the JSON-safe integer range); not both.
 *       As with Redis SET, the written key gets exactly this expiry: none if no TTL is given.</li>
 *   <li>{@code by} (incr): optional JSON integer in the signed 64-bit range, default 1.</li>
 *   <li>{@code expected} / {@code expected_base64} (cas): required; {@code null} means "the key must be absent".</li>
 *   <li>{@code encoding} (top level): {@code "utf8"} (default) or {@code "base64"}, which forces
 *       {@code value_base64} in every result.</li>
 * </ul>
 * Statuses: malformed or invalid input 400, a key, value or command count over its limit 413.
 */
record ExecuteRequest(List<TxOp> commands, boolean base64) {
    /** 2^53 - 1: the largest integer every JSON implementation represents exactly. */
    static final long MAX_TTL_MILLIS = TxOp.MAX_TTL_MILLIS;
    static final long MAX_TTL_SECONDS = MAX_TTL_MILLIS / 1000;
    static final String UNKNOWN_COMMAND = "unknown command";

    private static final Set<String> TOP_LEVEL = Set.of("commands", "encoding");
    private static final Set<String> GET_FIELDS = Set.of("cmd_type", "key", "key_base64");
    private static final Set<String> DELETE_FIELDS = GET_FIELDS;
    private static final Set<String> SET_FIELDS = Set.of("cmd_type", "key", "key_base64", "value", "value_base64",
            "ttl", "ttl_ms");
    private static final Set<String> INCR_FIELDS = Set.of("cmd_type", "key", "key_base64", "by");
    private static final Set<String> CAS_FIELDS = Set.of("cmd_type", "key", "key_base64", "value", "value_base64",
            "expected", "expected_base64", "ttl", "ttl_ms");

    ExecuteRequest {
        commands = List.copyOf(commands);
        if (commands.isEmpty()) {
            throw new IllegalArgumentException("an execute request has at least one command");
        }
    }

    /** True if at least one command writes. */
    boolean hasWrites() {
        return commands.stream().anyMatch(TxOp::isWrite);
    }

    static ExecuteRequest parse(byte[] body, HttpSettings settings) {
        ObjectNode root = Json.parseObject(body);
        Json.rejectUnknownFields(root, TOP_LEVEL, "");
        boolean base64 = parseEncoding(root.get("encoding"), "'encoding'");
        JsonNode list = root.get("commands");
        if (list == null || list.isNull()) {
            throw ApiException.badRequest("missing field 'commands'");
        }
        if (!list.isArray()) {
            throw ApiException.badRequest("'commands' must be an array, got " + Json.kind(list));
        }
        if (list.isEmpty()) {
            throw ApiException.badRequest("'commands' must hold at least one command");
        }
        if (list.size() > settings.maxCommands()) {
            throw new ApiException(413, list.size() + " commands exceed the limit of " + settings.maxCommands()
                    + " per request (" + HttpSettings.MAX_COMMANDS + ")");
        }
        List<TxOp> commands = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            commands.add(parseCommand(list.get(i), "commands[" + i + "]: ", settings));
        }
        return new ExecuteRequest(commands, base64);
    }

    /** {@code "utf8"} (or absent) → false, {@code "base64"} → true, anything else 400. */
    static boolean parseEncoding(JsonNode node, String what) {
        if (node == null || node.isNull()) {
            return false;
        }
        if (node.isTextual()) {
            return parseEncoding(node.textValue(), what);
        }
        throw ApiException.badRequest(what + " must be \"utf8\" or \"base64\", got " + Json.kind(node));
    }

    static boolean parseEncoding(String text, String what) {
        return switch (text) {
            case "utf8", "utf-8" -> false;
            case "base64" -> true;
            default -> throw ApiException.badRequest(what + " must be \"utf8\" or \"base64\", got \"" + text + "\"");
        };
    }

    private static TxOp parseCommand(JsonNode node, String where, HttpSettings settings) {
        if (!node.isObject()) {
            throw ApiException.badRequest(where + "a command must be a JSON object, got " + Json.kind(node));
        }
        ObjectNode c = (ObjectNode) node;
        JsonNode type = c.get("cmd_type");
        if (type == null || type.isNull()) {
            throw ApiException.badRequest(where + "missing field 'cmd_type'");
        }
        if (!type.isTextual()) {
            throw ApiException.badRequest(where + "'cmd_type' must be a string, got " + Json.kind(type));
        }
        return switch (type.textValue().toLowerCase(Locale.ROOT)) {
            case "get" -> {
                Json.rejectUnknownFields(c, GET_FIELDS, where);
                yield new TxOp.Get(key(c, where, settings));
            }
            case "delete" -> {
                Json.rejectUnknownFields(c, DELETE_FIELDS, where);
                yield new TxOp.Delete(key(c, where, settings));
            }
            case "set" -> {
                Json.rejectUnknownFields(c, SET_FIELDS, where);
                yield new TxOp.Set(key(c, where, settings), value(c, "value", where, settings),
                        ttlMillis(c, where));
            }
            case "incr" -> {
                Json.rejectUnknownFields(c, INCR_FIELDS, where);
                yield new TxOp.Incr(key(c, where, settings), by(c.get("by"), where));
            }
            case "cas" -> {
                Json.rejectUnknownFields(c, CAS_FIELDS, where);
                byte[] key = key(c, where, settings);
                Object expected = Json.bytesField(c, "expected", where);
                if (expected == Json.Absent.MISSING) {
                    throw ApiException.badRequest(where + "missing field 'expected' (null: the key must be absent)");
                }
                yield new TxOp.Cas(key, expected == Json.Absent.NULL ? null : (byte[]) expected,
                        value(c, "value", where, settings), ttlMillis(c, where));
            }
            // Exactly this body, as the API promises: clients match on it.
            default -> throw ApiException.badRequest(UNKNOWN_COMMAND);
        };
    }

    static byte[] key(ObjectNode c, String where, HttpSettings settings) {
        Object k = Json.bytesField(c, "key", where);
        if (!(k instanceof byte[] key)) {
            throw ApiException.badRequest(where + "missing field 'key'");
        }
        return checkKey(key, where, settings);
    }

    static byte[] checkKey(byte[] key, String where, HttpSettings settings) {
        if (key.length == 0) {
            throw ApiException.badRequest(where + "the key must not be empty");
        }
        if (key.length > settings.maxKeyBytes()) {
            throw new ApiException(413, where + "key of " + key.length + " bytes exceeds the limit of "
                    + settings.maxKeyBytes() + " bytes (" + HttpSettings.MAX_KEY_BYTES + ")");
        }
        return key;
    }

    private static byte[] value(ObjectNode c, String name, String where, HttpSettings settings) {
        Object v = Json.bytesField(c, name, where);
        if (!(v instanceof byte[] value)) {
            throw ApiException.badRequest(where + (v == Json.Absent.NULL ? "'" + name + "' must not be null"
                    : "missing field '" + name + "'"));
        }
        return checkValue(value, where, settings);
    }

    static byte[] checkValue(byte[] value, String where, HttpSettings settings) {
        if (value.length > settings.maxValueBytes()) {
            throw new ApiException(413, where + "value of " + value.length + " bytes exceeds the limit of "
                    + settings.maxValueBytes() + " bytes (" + HttpSettings.MAX_VALUE_BYTES + ")");
        }
        return value;
    }

    /** {@code ttl} (seconds) or {@code ttl_ms} as milliseconds; 0 when neither is given. */
    static long ttlMillis(ObjectNode c, String where) {
        JsonNode seconds = c.get("ttl");
        JsonNode millis = c.get("ttl_ms");
        if (seconds != null && !seconds.isNull() && millis != null && !millis.isNull()) {
            throw ApiException.badRequest(where + "give 'ttl' (seconds) or 'ttl_ms', not both");
        }
        if (seconds != null && !seconds.isNull()) {
            return ttlOf(integer(seconds, where + "'ttl'"), MAX_TTL_SECONDS, where + "'ttl'") * 1000;
        }
        if (millis != null && !millis.isNull()) {
            return ttlOf(integer(millis, where + "'ttl_ms'"), MAX_TTL_MILLIS, where + "'ttl_ms'");
        }
        return 0;
    }

    static long ttlOf(long ttl, long max, String what) {
        if (ttl < 1 || ttl > max) {
            throw ApiException.badRequest(what + " must be in 1.." + max + ", got " + ttl);
        }
        return ttl;
    }

    private static long by(JsonNode node, String where) {
        return node == null || node.isNull() ? 1 : integer(node, where + "'by'");
    }

    /** A JSON integer in the signed 64-bit range; 400 for fractions, strings, overflow. */
    private static long integer(JsonNode node, String what) {
        if (!node.isIntegralNumber()) {
            throw ApiException.badRequest(what + " must be an integer, got " + Json.kind(node)
                    + (node.isNumber() ? " with a fraction or exponent" : ""));
        }
        if (!node.canConvertToLong()) {
            throw ApiException.badRequest(what + " is out of the 64-bit integer range");
        }
        return node.longValue();
    }
}
