package io.cairn.http;

import static io.cairn.api.config.SettingValues.checkRange;
import static io.cairn.api.config.SettingValues.intOf;
import static io.cairn.api.config.SettingValues.longOf;

import java.util.Map;

/**
 * Settings of the HTTP/JSON front end, each with its configuration key. Every limit bounds memory
 * or work that one client can make the server spend:
 *
 * <table>
 *   <caption>HTTP settings</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@value #BIND}</td><td>127.0.0.1</td><td>listen address</td></tr>
 *   <tr><td>{@value #PORT}</td><td>8380</td><td>listen port; 0 picks a free one</td></tr>
 *   <tr><td>{@value #IO_THREADS}</td><td>0</td><td>event loops; 0 = one per core</td></tr>
 *   <tr><td>{@value #MAX_CONNECTIONS}</td><td>1024</td><td>open connections; more are answered 503 and closed</td></tr>
 *   <tr><td>{@value #MAX_BODY_BYTES}</td><td>4 MiB</td><td>request body (aggregated); larger gets 413</td></tr>
 *   <tr><td>{@value #MAX_INITIAL_LINE_BYTES}</td><td>8192</td><td>request line (method, URL, version); longer gets 414</td></tr>
 *   <tr><td>{@value #MAX_HEADER_BYTES}</td><td>8192</td><td>all request headers together; larger gets 431</td></tr>
 *   <tr><td>{@value #MAX_PIPELINED_REQUESTS}</td><td>16</td><td>requests of one connection decoded but not yet
 *       answered (HTTP/1.1 pipelining); past it the connection is closed after the next response</td></tr>
 *   <tr><td>{@value #MAX_COMMANDS}</td><td>1000</td><td>commands in one {@code POST /v1/execute}</td></tr>
 *   <tr><td>{@value #MAX_KEY_BYTES}</td><td>65536</td><td>one key (the server caps it at {@code storage.max-key-bytes})</td></tr>
 *   <tr><td>{@value #MAX_VALUE_BYTES}</td><td>4 MiB</td><td>one value written (capped at {@code storage.max-value-bytes})</td></tr>
 *   <tr><td>{@value #SCAN_MAX_COUNT}</td><td>1000</td><td>largest {@code count} of {@code GET /v1/scan}</td></tr>
 *   <tr><td>{@value #EXECUTE_MAX_ATTEMPTS}</td><td>32</td><td>optimistic attempts of an execute request that needs
 *       its incr pre-check (see {@link ExecuteRunner}); after them 409</td></tr>
 *   <tr><td>{@value #REQUEST_TIMEOUT_MS}</td><td>30000</td><td>longest wait for the service's answer; then 504</td></tr>
 *   <tr><td>{@value #IDLE_TIMEOUT_SECONDS}</td><td>300</td><td>an idle connection (nothing read or written) is
 *       closed after it; 0 never</td></tr>
 *   <tr><td>{@value #SHUTDOWN_TIMEOUT_SECONDS}</td><td>5</td><td>how long close() lets in-flight requests finish</td></tr>
 * </table>
 */
public record HttpSettings(
        String bind,
        int port,
        int ioThreads,
        int maxConnections,
        int maxBodyBytes,
        int maxInitialLineBytes,
        int maxHeaderBytes,
        int maxPipelinedRequests,
        int maxCommands,
        int maxKeyBytes,
        int maxValueBytes,
        int scanMaxCount,
        int executeMaxAttempts,
        long requestTimeoutMillis,
        int idleTimeoutSeconds,
        int shutdownTimeoutSeconds) {

    public static final String BIND = "http.bind";
    public static final String PORT = "http.port";
    public static final String IO_THREADS = "http.io-threads";
    public static final String MAX_CONNECTIONS = "http.max-connections";
    public static final String MAX_BODY_BYTES = "http.max-body-bytes";
    public static final String MAX_INITIAL_LINE_BYTES = "http.max-initial-line-bytes";
    public static final String MAX_HEADER_BYTES = "http.max-header-bytes";
    public static final String MAX_PIPELINED_REQUESTS = "http.max-pipelined-requests";
    public static final String MAX_COMMANDS = "http.max-commands-per-request";
    public static final String MAX_KEY_BYTES = "http.max-key-bytes";
    public static final String MAX_VALUE_BYTES = "http.max-value-bytes";
    public static final String SCAN_MAX_COUNT = "http.scan.max-count";
    public static final String EXECUTE_MAX_ATTEMPTS = "http.execute.max-attempts";
    public static final String REQUEST_TIMEOUT_MS = "http.request-timeout-ms";
    public static final String IDLE_TIMEOUT_SECONDS = "http.idle-timeout-seconds";
    public static final String SHUTDOWN_TIMEOUT_SECONDS = "http.shutdown-timeout-seconds";

    /** Every key above, for a server that refuses unknown configuration keys. */
    public static final java.util.List<String> KEYS = java.util.List.of(BIND, PORT, IO_THREADS, MAX_CONNECTIONS,
            MAX_BODY_BYTES, MAX_INITIAL_LINE_BYTES, MAX_HEADER_BYTES, MAX_PIPELINED_REQUESTS, MAX_COMMANDS,
            MAX_KEY_BYTES, MAX_VALUE_BYTES, SCAN_MAX_COUNT, EXECUTE_MAX_ATTEMPTS, REQUEST_TIMEOUT_MS,
            IDLE_TIMEOUT_SECONDS, SHUTDOWN_TIMEOUT_SECONDS);

    /** Default count of {@code GET /v1/scan} without {@code count}, Redis's SCAN default. */
    public static final int SCAN_DEFAULT_COUNT = 10;

    public static final HttpSettings DEFAULTS = new HttpSettings("127.0.0.1", 8380, 0, 1024, 4 * 1024 * 1024,
            8192, 8192, 16, 1000, 64 * 1024, 4 * 1024 * 1024, 1000, 32, 30_000, 300, 5);

    public HttpSettings {
        if (bind == null || bind.isBlank()) {
            throw new IllegalArgumentException(BIND + " must not be empty");
        }
        checkRange(PORT, port, 0, 65535);
        checkRange(IO_THREADS, ioThreads, 0, 1024);
        checkRange(MAX_CONNECTIONS, maxConnections, 1, 1_000_000);
        checkRange(MAX_BODY_BYTES, maxBodyBytes, 1024, Integer.MAX_VALUE);
        checkRange(MAX_INITIAL_LINE_BYTES, maxInitialLineBytes, 256, 1 << 20);
        checkRange(MAX_HEADER_BYTES, maxHeaderBytes, 256, 1 << 20);
        checkRange(MAX_PIPELINED_REQUESTS, maxPipelinedRequests, 1, 1024);
        checkRange(MAX_COMMANDS, maxCommands, 1, 1_000_000);
        checkRange(MAX_KEY_BYTES, maxKeyBytes, 1, Integer.MAX_VALUE);
        checkRange(MAX_VALUE_BYTES, maxValueBytes, 1, Integer.MAX_VALUE);
        checkRange(SCAN_MAX_COUNT, scanMaxCount, 1, 1_000_000);
        checkRange(EXECUTE_MAX_ATTEMPTS, executeMaxAttempts, 1, 1000);
        if (requestTimeoutMillis < 1) {
            throw new IllegalArgumentException(REQUEST_TIMEOUT_MS + " must be positive, got " + requestTimeoutMillis);
        }
        checkRange(IDLE_TIMEOUT_SECONDS, idleTimeoutSeconds, 0, Integer.MAX_VALUE);
        checkRange(SHUTDOWN_TIMEOUT_SECONDS, shutdownTimeoutSeconds, 0, 3600);
    }

    /** Reads the keys above from string settings (other keys are ignored); missing keys keep their defaults. */
    public static HttpSettings from(Map<String, String> settings) {
        HttpSettings d = DEFAULTS;
        String bind = settings.get(BIND);
        return new HttpSettings(
                bind == null ? d.bind : bind.trim(),
                intOf(settings, PORT, d.port),
                intOf(settings, IO_THREADS, d.ioThreads),
                intOf(settings, MAX_CONNECTIONS, d.maxConnections),
                intOf(settings, MAX_BODY_BYTES, d.maxBodyBytes),
                intOf(settings, MAX_INITIAL_LINE_BYTES, d.maxInitialLineBytes),
                intOf(settings, MAX_HEADER_BYTES, d.maxHeaderBytes),
                intOf(settings, MAX_PIPELINED_REQUESTS, d.maxPipelinedRequests),
                intOf(settings, MAX_COMMANDS, d.maxCommands),
                intOf(settings, MAX_KEY_BYTES, d.maxKeyBytes),
                intOf(settings, MAX_VALUE_BYTES, d.maxValueBytes),
                intOf(settings, SCAN_MAX_COUNT, d.scanMaxCount),
                intOf(settings, EXECUTE_MAX_ATTEMPTS, d.executeMaxAttempts),
                longOf(settings, REQUEST_TIMEOUT_MS, d.requestTimeoutMillis),
                intOf(settings, IDLE_TIMEOUT_SECONDS, d.idleTimeoutSeconds),
                intOf(settings, SHUTDOWN_TIMEOUT_SECONDS, d.shutdownTimeoutSeconds));
    }

    /**
     * These settings with the key and value limits lowered to the storage engine's, so that a
     * request the HTTP layer accepts is never refused by the engine halfway through an execute
     * request (which would break its all-or-nothing promise; see {@link ExecuteRunner}).
     */
    public HttpSettings cappedAt(int storageMaxKeyBytes, long storageMaxValueBytes) {
        return new HttpSettings(bind, port, ioThreads, maxConnections, maxBodyBytes, maxInitialLineBytes,
                maxHeaderBytes, maxPipelinedRequests, maxCommands, Math.min(maxKeyBytes, storageMaxKeyBytes),
                (int) Math.min(maxValueBytes, storageMaxValueBytes), scanMaxCount, executeMaxAttempts,
                requestTimeoutMillis, idleTimeoutSeconds, shutdownTimeoutSeconds);
    }

    /** A copy listening on {@code bind:port}. */
    public HttpSettings withAddress(String bind, int port) {
        return new HttpSettings(bind, port, ioThreads, maxConnections, maxBodyBytes, maxInitialLineBytes,
                maxHeaderBytes, maxPipelinedRequests, maxCommands, maxKeyBytes, maxValueBytes, scanMaxCount,
                executeMaxAttempts, requestTimeoutMillis, idleTimeoutSeconds, shutdownTimeoutSeconds);
    }

    /** A copy waiting at most {@code millis} for the service's answer. */
    public HttpSettings withRequestTimeout(long millis) {
        return new HttpSettings(bind, port, ioThreads, maxConnections, maxBodyBytes, maxInitialLineBytes,
                maxHeaderBytes, maxPipelinedRequests, maxCommands, maxKeyBytes, maxValueBytes, scanMaxCount,
                executeMaxAttempts, millis, idleTimeoutSeconds, shutdownTimeoutSeconds);
    }
}
