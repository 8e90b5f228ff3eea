package io.cairn.resp;

import io.cairn.commands.GlobMatcher;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The live values of the RESP settings: start from {@link RespSettings}, changed by
 * {@code CONFIG SET}. Fields are volatile because every event loop reads them and CONFIG SET
 * runs on whichever loop the admin's connection is on; a change applies from the next check.
 */
final class RuntimeConfig {
    final String bind;
    final int ioThreads;
    final int maxQueuedCommands;
    final int maxInflightPerClient;
    final int shutdownTimeoutSeconds;
    volatile int port;
    volatile int maxClients;
    volatile int maxBulkBytes;
    volatile int maxMultibulkLength;
    volatile long queryBufferLimitBytes;
    volatile long outputBufferLimitBytes;
    volatile int idleTimeoutSeconds;
    volatile boolean protectedMode;
    volatile String requirePass;

    /** Redis keys whose value is a fact of Cairn, answered so Redis tools find what they look for. */
    private static final Map<String, String> COMPAT = Map.of(
            "save", "", // no RDB snapshots: durability comes from the storage engine / Raft log
            "appendonly", "no", // no AOF, same reason
            "databases", "1",
            "cluster-enabled", "yes");

    /** Keys CONFIG SET may change; this layer's other keys ({@link #own()}) need a restart. */
    private static final List<String> SETTABLE = List.of(RespSettings.MAXCLIENTS, RespSettings.TIMEOUT,
            RespSettings.PROTO_MAX_BULK_LEN, RespSettings.MAX_MULTIBULK_LEN, RespSettings.CLIENT_QUERY_BUFFER_LIMIT,
            RespSettings.CLIENT_OUTPUT_BUFFER_LIMIT, RespSettings.PROTECTED_MODE, RespSettings.REQUIREPASS);

    RuntimeConfig(RespSettings s) {
        bind = s.bind();
        port = s.port();
        ioThreads = s.ioThreads();
        maxQueuedCommands = s.maxQueuedCommands();
        maxInflightPerClient = s.maxInflightPerClient();
        shutdownTimeoutSeconds = s.shutdownTimeoutSeconds();
        maxClients = s.maxClients();
        maxBulkBytes = s.maxBulkBytes();
        maxMultibulkLength = s.maxMultibulkLength();
        queryBufferLimitBytes = s.queryBufferLimitBytes();
        outputBufferLimitBytes = s.outputBufferLimitBytes();
        idleTimeoutSeconds = s.idleTimeoutSeconds();
        protectedMode = s.protectedMode();
        requirePass = s.requirePass();
    }

    /** This layer's keys with their live values, in a stable order. */
    private Map<String, String> own() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(RespSettings.BIND, bind);
        m.put(RespSettings.PORT, String.valueOf(port));
        m.put(RespSettings.MAXCLIENTS, String.valueOf(maxClients));
        m.put(RespSettings.TIMEOUT, String.valueOf(idleTimeoutSeconds));
        m.put(RespSettings.PROTO_MAX_BULK_LEN, String.valueOf(maxBulkBytes));
        m.put(RespSettings.MAX_MULTIBULK_LEN, String.valueOf(maxMultibulkLength));
        m.put(RespSettings.CLIENT_QUERY_BUFFER_LIMIT, String.valueOf(queryBufferLimitBytes));
        m.put(RespSettings.CLIENT_OUTPUT_BUFFER_LIMIT, String.valueOf(outputBufferLimitBytes));
        m.put(RespSettings.PROTECTED_MODE, protectedMode ? "yes" : "no");
        // Like the server's printed configuration, never echo the password itself.
        m.put(RespSettings.REQUIREPASS, requirePass == null ? "" : "********");
        m.put(RespSettings.IO_THREADS, String.valueOf(ioThreads));
        m.put(RespSettings.MULTI_MAX_QUEUED, String.valueOf(maxQueuedCommands));
        m.put(RespSettings.CLIENT_MAX_INFLIGHT, String.valueOf(maxInflightPerClient));
        m.put(RespSettings.SHUTDOWN_TIMEOUT, String.valueOf(shutdownTimeoutSeconds));
        return m;
    }

    /** Every key CONFIG GET knows: the node's configuration, overridden by this layer's live values. */
    Map<String, String> all(Map<String, String> nodeConfig) {
        Map<String, String> m = new TreeMap<>(COMPAT);
        if (nodeConfig != null) {
            nodeConfig.forEach((k, v) -> m.put(k.toLowerCase(Locale.ROOT), v == null ? "" : v));
        }
        m.putAll(own());
        return m;
    }

    /**
     * CONFIG GET: every key matching any of the patterns (Redis: a name without glob characters is
     * an exact, case-insensitive lookup; patterns match case-insensitively), each once.
     */
    Map<String, String> get(List<byte[]> patterns, Map<String, String> nodeConfig) {
        Map<String, String> all = all(nodeConfig);
        Map<String, String> out = new LinkedHashMap<>();
        for (byte[] p : patterns) {
            String pattern = new String(p, StandardCharsets.UTF_8);
            if (pattern.indexOf('*') < 0 && pattern.indexOf('?') < 0 && pattern.indexOf('[') < 0) {
                String key = pattern.toLowerCase(Locale.ROOT);
                String v = all.get(key);
                if (v != null) {
                    out.putIfAbsent(key, v);
                }
                continue;
            }
            for (Map.Entry<String, String> e : all.entrySet()) {
                if (GlobMatcher.matches(p, e.getKey().getBytes(StandardCharsets.UTF_8), true)) {
                    out.putIfAbsent(e.getKey(), e.getValue());
                }
            }
        }
        return out;
    }

    /**
     * CONFIG SET name value [name value ...], all or nothing. Returns null on success, otherwise
     * Redis's error text (without the "ERR " prefix).
     */
    synchronized String set(List<byte[]> args, Map<String, String> nodeConfig) {
        Map<String, String> known = all(nodeConfig);
        Map<String, String> changes = new LinkedHashMap<>();
        String invalid = null;
        String error = null;
        String errorArg = null;
        for (int i = 0; i + 1 < args.size(); i += 2) {
            String name = new String(args.get(i), StandardCharsets.UTF_8);
            String key = name.toLowerCase(Locale.ROOT);
            if (!known.containsKey(key)) {
                if (invalid == null) {
                    invalid = name;
                }
                continue;
            }
            if (invalid != null || error != null) {
                continue;
            }
            if (!SETTABLE.contains(key)) {
                error = "can't set immutable config";
                errorArg = name;
            } else if (changes.containsKey(key)) {
                error = "duplicate parameter";
                errorArg = name;
            } else {
                changes.put(key, new String(args.get(i + 1), StandardCharsets.UTF_8));
            }
        }
        if (invalid != null) {
            return "Unknown option or number of arguments for CONFIG SET - '" + invalid + "'";
        }
        if (error != null) {
            return "CONFIG SET failed (possibly related to argument '" + errorArg + "') - " + error;
        }
        // Validate everything before applying anything.
        Map<String, Object> parsed = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : changes.entrySet()) {
            Object value;
            try {
                value = parse(e.getKey(), e.getValue());
            } catch (IllegalArgumentException ex) {
                return "CONFIG SET failed (possibly related to argument '" + e.getKey() + "') - " + ex.getMessage();
            }
            parsed.put(e.getKey(), value);
        }
        parsed.forEach(this::apply);
        return null;
    }

    private static Object parse(String key, String value) {
        return switch (key) {
            case RespSettings.MAXCLIENTS -> (int) integer(value, 1, Integer.MAX_VALUE);
            case RespSettings.TIMEOUT -> (int) integer(value, 0, Integer.MAX_VALUE);
            case RespSettings.MAX_MULTIBULK_LEN -> (int) integer(value, 1, Integer.MAX_VALUE);
            case RespSettings.PROTO_MAX_BULK_LEN -> (int) memory(value, 1024 * 1024, RespSettings.MAX_BULK_LIMIT);
            case RespSettings.CLIENT_QUERY_BUFFER_LIMIT -> memory(value, 1024 * 1024, Long.MAX_VALUE);
            case RespSettings.CLIENT_OUTPUT_BUFFER_LIMIT -> memory(value, 16 * 1024, Long.MAX_VALUE);
            case RespSettings.PROTECTED_MODE -> yesNo(value);
            case RespSettings.REQUIREPASS -> value;
            default -> throw new IllegalStateException("not settable: " + key);
        };
    }

    private void apply(String key, Object value) {
        switch (key) {
            case RespSettings.MAXCLIENTS -> maxClients = (Integer) value;
            case RespSettings.TIMEOUT -> idleTimeoutSeconds = (Integer) value;
            case RespSettings.MAX_MULTIBULK_LEN -> maxMultibulkLength = (Integer) value;
            case RespSettings.PROTO_MAX_BULK_LEN -> maxBulkBytes = (Integer) value;
            case RespSettings.CLIENT_QUERY_BUFFER_LIMIT -> queryBufferLimitBytes = (Long) value;
            case RespSettings.CLIENT_OUTPUT_BUFFER_LIMIT -> outputBufferLimitBytes = (Long) value;
            case RespSettings.PROTECTED_MODE -> protectedMode = (Boolean) value;
            case RespSettings.REQUIREPASS -> requirePass = ((String) value).isEmpty() ? null : (String) value;
            default -> throw new IllegalStateException("not settable: " + key);
        }
    }

    private static long integer(String value, long min, long max) {
        long v = RespNumbers.parseLong(value.getBytes(StandardCharsets.UTF_8));
        if (v == RespNumbers.INVALID) {
            throw new IllegalArgumentException("argument couldn't be parsed into an integer");
        }
        return bounded(v, min, max);
    }

    /** Redis's memtoull: a number with an optional k/kb/m/mb/g/gb suffix (case-insensitive). */
    static long memory(String value, long min, long max) {
        String v = value.toLowerCase(Locale.ROOT);
        long mul = 1;
        String digits = v;
        String[][] units = {{"kb", "1024"}, {"mb", "1048576"}, {"gb", "1073741824"}, {"k", "1000"},
                {"m", "1000000"}, {"g", "1000000000"}, {"b", "1"}};
        for (String[] u : units) {
            if (v.endsWith(u[0])) {
                mul = Long.parseLong(u[1]);
                digits = v.substring(0, v.length() - u[0].length());
                break;
            }
        }
        if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit) || digits.length() > 19) {
            throw new IllegalArgumentException("argument must be a memory value");
        }
        long n;
        try {
            n = Math.multiplyExact(Long.parseLong(digits), mul);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("argument must be a memory value");
        }
        return bounded(n, min, max);
    }

    private static long bounded(long v, long min, long max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException("argument must be between " + min + " and " + max + " inclusive");
        }
        return v;
    }

    private static boolean yesNo(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "yes" -> true;
            case "no" -> false;
            default -> throw new IllegalArgumentException("argument must be 'yes' or 'no'");
        };
    }
}
