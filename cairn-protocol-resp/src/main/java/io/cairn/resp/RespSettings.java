package io.cairn.resp;

import java.util.Objects;

/**
 * Startup settings of the RESP front end. Every limit has the config key it is known by in
 * {@code CONFIG GET}/{@code CONFIG SET} and in the server's configuration file; the keys that
 * make sense to change on a running server ({@link RespServer} documents which) can be changed
 * with {@code CONFIG SET} and take effect for the next command or connection.
 *
 * @param bind                  address to listen on ({@link #BIND})
 * @param port                  TCP port; 0 picks an ephemeral port ({@link #PORT})
 * @param maxClients            connections beyond this are refused ({@link #MAXCLIENTS})
 * @param maxBulkBytes          largest bulk string a client may send ({@link #PROTO_MAX_BULK_LEN})
 * @param maxMultibulkLength    most arguments in one command ({@link #MAX_MULTIBULK_LEN})
 * @param queryBufferLimitBytes unparsed input one connection may buffer ({@link #CLIENT_QUERY_BUFFER_LIMIT})
 * @param outputBufferLimitBytes replies one connection may leave unread before it is disconnected
 *                              ({@link #CLIENT_OUTPUT_BUFFER_LIMIT}; Redis's "normal" class hard limit)
 * @param idleTimeoutSeconds    idle connections are closed after this; 0 = never ({@link #TIMEOUT})
 * @param protectedMode         refuse non-loopback clients while no password is set ({@link #PROTECTED_MODE})
 * @param requirePass           password of the default user; null = none ({@link #REQUIREPASS})
 * @param ioThreads             event-loop threads; 0 = one per core ({@link #IO_THREADS})
 * @param maxQueuedCommands     most commands queued in one MULTI, and most keys one connection
 *                              may WATCH ({@link #MULTI_MAX_QUEUED})
 * @param maxInflightPerClient  replies one connection may have waiting on the command service
 *                              before the server stops reading from it ({@link #CLIENT_MAX_INFLIGHT})
 * @param shutdownTimeoutSeconds how long {@link RespServer#close()} waits for in-flight replies
 *                              to flush before it closes connections anyway ({@link #SHUTDOWN_TIMEOUT})
 */
public record RespSettings(String bind, int port, int maxClients, int maxBulkBytes, int maxMultibulkLength,
                           long queryBufferLimitBytes, long outputBufferLimitBytes, int idleTimeoutSeconds,
                           boolean protectedMode, String requirePass, int ioThreads,
                           int maxQueuedCommands, int maxInflightPerClient, int shutdownTimeoutSeconds) {

    public static final String BIND = "bind";
    public static final String PORT = "port";
    public static final String MAXCLIENTS = "maxclients";
    public static final String PROTO_MAX_BULK_LEN = "proto-max-bulk-len";
    public static final String MAX_MULTIBULK_LEN = "max-multibulk-len";
    public static final String CLIENT_QUERY_BUFFER_LIMIT = "client-query-buffer-limit";
    public static final String CLIENT_OUTPUT_BUFFER_LIMIT = "client-output-buffer-limit";
    public static final String TIMEOUT = "timeout";
    public static final String PROTECTED_MODE = "protected-mode";
    public static final String REQUIREPASS = "requirepass";
    public static final String IO_THREADS = "io-threads";
    public static final String MULTI_MAX_QUEUED = "multi-max-queued";
    public static final String CLIENT_MAX_INFLIGHT = "client-max-inflight";
    public static final String SHUTDOWN_TIMEOUT = "shutdown-timeout";

    /** Largest byte[] the JVM reliably allocates, minus room for the framing around a bulk. */
    public static final int MAX_BULK_LIMIT = Integer.MAX_VALUE - 1024;

    public static final int DEFAULT_MAX_QUEUED_COMMANDS = 100_000;
    public static final int DEFAULT_MAX_INFLIGHT_PER_CLIENT = 4096;
    public static final int DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 5;

    public RespSettings {
        Objects.requireNonNull(bind, "bind");
        if (bind.isBlank()) {
            throw new IllegalArgumentException(BIND + " must not be blank");
        }
        check(PORT, port, 0, 65535);
        check(MAXCLIENTS, maxClients, 1, Integer.MAX_VALUE);
        check(PROTO_MAX_BULK_LEN, maxBulkBytes, 1, MAX_BULK_LIMIT);
        check(MAX_MULTIBULK_LEN, maxMultibulkLength, 1, Integer.MAX_VALUE);
        check(CLIENT_QUERY_BUFFER_LIMIT, queryBufferLimitBytes, 1, Long.MAX_VALUE);
        check(CLIENT_OUTPUT_BUFFER_LIMIT, outputBufferLimitBytes, 1, Long.MAX_VALUE);
        check(TIMEOUT, idleTimeoutSeconds, 0, Integer.MAX_VALUE);
        check(IO_THREADS, ioThreads, 0, 1024);
        check(MULTI_MAX_QUEUED, maxQueuedCommands, 1, Integer.MAX_VALUE);
        check(CLIENT_MAX_INFLIGHT, maxInflightPerClient, 1, Integer.MAX_VALUE);
        check(SHUTDOWN_TIMEOUT, shutdownTimeoutSeconds, 0, 3600);
        if (requirePass != null && requirePass.isEmpty()) {
            requirePass = null; // Redis: an empty requirepass means "no password"
        }
    }

    /** The settings the lead's configuration knows, with defaults for the per-connection queue limits. */
    public RespSettings(String bind, int port, int maxClients, int maxBulkBytes, int maxMultibulkLength,
                        long queryBufferLimitBytes, long outputBufferLimitBytes, int idleTimeoutSeconds,
                        boolean protectedMode, String requirePass, int ioThreads) {
        this(bind, port, maxClients, maxBulkBytes, maxMultibulkLength, queryBufferLimitBytes, outputBufferLimitBytes,
                idleTimeoutSeconds, protectedMode, requirePass, ioThreads, DEFAULT_MAX_QUEUED_COMMANDS,
                DEFAULT_MAX_INFLIGHT_PER_CLIENT, DEFAULT_SHUTDOWN_TIMEOUT_SECONDS);
    }

    /**
     * Redis-like defaults: 127.0.0.1:6380, 10000 clients, 512 MiB bulk strings, 1 Mi arguments per
     * command, 1 GiB query buffer, 256 MiB unread output, no idle timeout, protected mode on, no
     * password, one event loop per core.
     */
    public static RespSettings defaults() {
        return new RespSettings("127.0.0.1", 6380, 10_000, 512 * 1024 * 1024, 1024 * 1024,
                1024L * 1024 * 1024, 256L * 1024 * 1024, 0, true, null, 0);
    }

    public RespSettings withPort(int newPort) {
        return new RespSettings(bind, newPort, maxClients, maxBulkBytes, maxMultibulkLength, queryBufferLimitBytes,
                outputBufferLimitBytes, idleTimeoutSeconds, protectedMode, requirePass, ioThreads, maxQueuedCommands,
                maxInflightPerClient, shutdownTimeoutSeconds);
    }

    public RespSettings withRequirePass(String password) {
        return new RespSettings(bind, port, maxClients, maxBulkBytes, maxMultibulkLength, queryBufferLimitBytes,
                outputBufferLimitBytes, idleTimeoutSeconds, protectedMode, password, ioThreads, maxQueuedCommands,
                maxInflightPerClient, shutdownTimeoutSeconds);
    }

    public RespSettings withLimits(int newMaxClients, int newMaxBulkBytes, int newMaxMultibulkLength,
                                   long newQueryBufferLimit, long newOutputBufferLimit) {
        return new RespSettings(bind, port, newMaxClients, newMaxBulkBytes, newMaxMultibulkLength, newQueryBufferLimit,
                newOutputBufferLimit, idleTimeoutSeconds, protectedMode, requirePass, ioThreads, maxQueuedCommands,
                maxInflightPerClient, shutdownTimeoutSeconds);
    }

    public RespSettings withIdleTimeoutSeconds(int seconds) {
        return new RespSettings(bind, port, maxClients, maxBulkBytes, maxMultibulkLength, queryBufferLimitBytes,
                outputBufferLimitBytes, seconds, protectedMode, requirePass, ioThreads, maxQueuedCommands,
                maxInflightPerClient, shutdownTimeoutSeconds);
    }

    public RespSettings withQueueLimits(int newMaxQueuedCommands, int newMaxInflightPerClient) {
        return new RespSettings(bind, port, maxClients, maxBulkBytes, maxMultibulkLength, queryBufferLimitBytes,
                outputBufferLimitBytes, idleTimeoutSeconds, protectedMode, requirePass, ioThreads, newMaxQueuedCommands,
                newMaxInflightPerClient, shutdownTimeoutSeconds);
    }

    private static void check(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", got " + value);
        }
    }
}
