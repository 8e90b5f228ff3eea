package io.cairn.grpc;

import java.util.List;
import static io.cairn.api.config.SettingValues.checkRange;
import static io.cairn.api.config.SettingValues.intOf;
import static io.cairn.api.config.SettingValues.longOf;

import java.util.Map;

/**
 * Settings of the gRPC front end, read from the server's string configuration ({@code grpc.*}
 * keys, see {@link #from}). Every limit of the front end is here.
 *
 * <table>
 *   <caption>Configuration keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@value #BIND}</td><td>127.0.0.1</td><td>address to listen on</td></tr>
 *   <tr><td>{@value #PORT}</td><td>8381</td><td>port to listen on; 0 picks a free one</td></tr>
 *   <tr><td>{@value #MAX_MESSAGE_BYTES}</td><td>8 MiB</td><td>largest request message; larger is refused by gRPC
 *       with RESOURCE_EXHAUSTED before it is parsed</td></tr>
 *   <tr><td>{@value #MAX_KEY_BYTES}</td><td>65536</td><td>one key (capped at {@code storage.max-key-bytes});
 *       longer is INVALID_ARGUMENT</td></tr>
 *   <tr><td>{@value #MAX_VALUE_BYTES}</td><td>4 MiB</td><td>one value written or compared (capped at
 *       {@code storage.max-value-bytes}); larger is INVALID_ARGUMENT</td></tr>
 *   <tr><td>{@value #MAX_OPERATIONS}</td><td>1000</td><td>operations plus conditions of one Batch or Execute</td></tr>
 *   <tr><td>{@value #MAX_SCAN_LIMIT}</td><td>10000</td><td>most entries one Scan call streams (its {@code limit}
 *       and the default when the request gives none)</td></tr>
 *   <tr><td>{@value #SCAN_MAX_PAGE_SIZE}</td><td>1000</td><td>most keys examined per Scan step (one streamed message);
 *       the request's {@code page_size} defaults to {@value #SCAN_DEFAULT_PAGE_SIZE}</td></tr>
 *   <tr><td>{@value #EXECUTE_MAX_ATTEMPTS}</td><td>32</td><td>optimistic attempts of an Execute (or a versioned Get)
 *       whose watched keys keep changing; then ABORTED</td></tr>
 *   <tr><td>{@value #REQUEST_TIMEOUT_MS}</td><td>30000</td><td>longest wait for the service's answer when the call
 *       has no earlier gRPC deadline; then DEADLINE_EXCEEDED</td></tr>
 *   <tr><td>{@value #MAX_IN_FLIGHT_CALLS}</td><td>4096</td><td>calls being served at once over all connections;
 *       more are refused with RESOURCE_EXHAUSTED</td></tr>
 *   <tr><td>{@value #MAX_CALLS_PER_CONNECTION}</td><td>1024</td><td>concurrent calls (HTTP/2 streams) per connection</td></tr>
 *   <tr><td>{@value #MAX_CONNECTION_IDLE_SECONDS}</td><td>300</td><td>a connection without calls for this long is
 *       closed (GOAWAY); 0 never</td></tr>
 *   <tr><td>{@value #RETRY_DELAY_HINT_MS}</td><td>500</td><td>the RetryInfo delay sent with UNAVAILABLE, ABORTED and
 *       RESOURCE_EXHAUSTED</td></tr>
 *   <tr><td>{@value #HEALTH_POLL_MS}</td><td>1000</td><td>how often the readiness hook is polled for grpc.health.v1</td></tr>
 *   <tr><td>{@value #SHUTDOWN_TIMEOUT_SECONDS}</td><td>5</td><td>how long close() lets calls in flight finish</td></tr>
 * </table>
 */
public record GrpcSettings(
        String bind,
        int port,
        int maxMessageBytes,
        int maxKeyBytes,
        int maxValueBytes,
        int maxOperations,
        int maxScanLimit,
        int scanMaxPageSize,
        int executeMaxAttempts,
        long requestTimeoutMillis,
        int maxInFlightCalls,
        int maxCallsPerConnection,
        int maxConnectionIdleSeconds,
        long retryDelayHintMillis,
        long healthPollMillis,
        int shutdownTimeoutSeconds) {

    public static final String BIND = "grpc.bind";
    public static final String PORT = "grpc.port";
    public static final String MAX_MESSAGE_BYTES = "grpc.max-message-bytes";
    public static final String MAX_KEY_BYTES = "grpc.max-key-bytes";
    public static final String MAX_VALUE_BYTES = "grpc.max-value-bytes";
    public static final String MAX_OPERATIONS = "grpc.max-operations-per-request";
    public static final String MAX_SCAN_LIMIT = "grpc.max-scan-limit";
    public static final String SCAN_MAX_PAGE_SIZE = "grpc.scan.max-page-size";
    public static final String EXECUTE_MAX_ATTEMPTS = "grpc.execute.max-attempts";
    public static final String REQUEST_TIMEOUT_MS = "grpc.request-timeout-ms";
    public static final String MAX_IN_FLIGHT_CALLS = "grpc.max-in-flight-calls";
    public static final String MAX_CALLS_PER_CONNECTION = "grpc.max-calls-per-connection";
    public static final String MAX_CONNECTION_IDLE_SECONDS = "grpc.max-connection-idle-seconds";
    public static final String RETRY_DELAY_HINT_MS = "grpc.retry-delay-hint-ms";
    public static final String HEALTH_POLL_MS = "grpc.health-poll-ms";
    public static final String SHUTDOWN_TIMEOUT_SECONDS = "grpc.shutdown-timeout-seconds";

    /** Every key above, for a server that refuses unknown configuration keys. */
    public static final List<String> KEYS = List.of(BIND, PORT, MAX_MESSAGE_BYTES, MAX_KEY_BYTES, MAX_VALUE_BYTES,
            MAX_OPERATIONS, MAX_SCAN_LIMIT, SCAN_MAX_PAGE_SIZE, EXECUTE_MAX_ATTEMPTS, REQUEST_TIMEOUT_MS,
            MAX_IN_FLIGHT_CALLS, MAX_CALLS_PER_CONNECTION, MAX_CONNECTION_IDLE_SECONDS, RETRY_DELAY_HINT_MS,
            HEALTH_POLL_MS, SHUTDOWN_TIMEOUT_SECONDS);

    /** Keys examined per Scan step when the request gives no {@code page_size}. */
    public static final int SCAN_DEFAULT_PAGE_SIZE = 100;

    public static final GrpcSettings DEFAULTS = new GrpcSettings("127.0.0.1", 8381, 8 * 1024 * 1024, 64 * 1024,
            4 * 1024 * 1024, 1000, 10_000, 1000, 32, 30_000, 4096, 1024, 300, 500, 1000, 5);

    public GrpcSettings {
        if (bind == null || bind.isBlank()) {
            throw new IllegalArgumentException(BIND + " must not be empty");
        }
        checkRange(PORT, port, 0, 65535);
        checkRange(MAX_MESSAGE_BYTES, maxMessageBytes, 1024, Integer.MAX_VALUE);
        checkRange(MAX_KEY_BYTES, maxKeyBytes, 1, Integer.MAX_VALUE);
        checkRange(MAX_VALUE_BYTES, maxValueBytes, 1, Integer.MAX_VALUE);
        checkRange(MAX_OPERATIONS, maxOperations, 1, 1_000_000);
        checkRange(MAX_SCAN_LIMIT, maxScanLimit, 1, 100_000_000);
        // The engine's SCAN caps COUNT at scan.max-count (default 1000); larger pages would only be split there.
        checkRange(SCAN_MAX_PAGE_SIZE, scanMaxPageSize, 1, 100_000);
        checkRange(EXECUTE_MAX_ATTEMPTS, executeMaxAttempts, 1, 1000);
        checkRange(REQUEST_TIMEOUT_MS, requestTimeoutMillis, 1, 24L * 3600 * 1000);
        checkRange(MAX_IN_FLIGHT_CALLS, maxInFlightCalls, 1, 10_000_000);
        checkRange(MAX_CALLS_PER_CONNECTION, maxCallsPerConnection, 1, 1_000_000);
        checkRange(MAX_CONNECTION_IDLE_SECONDS, maxConnectionIdleSeconds, 0, Integer.MAX_VALUE);
        checkRange(RETRY_DELAY_HINT_MS, retryDelayHintMillis, 0, 3_600_000);
        checkRange(HEALTH_POLL_MS, healthPollMillis, 10, 3_600_000);
        checkRange(SHUTDOWN_TIMEOUT_SECONDS, shutdownTimeoutSeconds, 0, 3600);
    }

    /** Reads the keys above from string settings (other keys are ignored); missing keys keep their defaults. */
    public static GrpcSettings from(Map<String, String> settings) {
        GrpcSettings d = DEFAULTS;
        String bind = settings.get(BIND);
        return new GrpcSettings(
                bind == null ? d.bind : bind.trim(),
                intOf(settings, PORT, d.port),
                intOf(settings, MAX_MESSAGE_BYTES, d.maxMessageBytes),
                intOf(settings, MAX_KEY_BYTES, d.maxKeyBytes),
                intOf(settings, MAX_VALUE_BYTES, d.maxValueBytes),
                intOf(settings, MAX_OPERATIONS, d.maxOperations),
                intOf(settings, MAX_SCAN_LIMIT, d.maxScanLimit),
                intOf(settings, SCAN_MAX_PAGE_SIZE, d.scanMaxPageSize),
                intOf(settings, EXECUTE_MAX_ATTEMPTS, d.executeMaxAttempts),
                longOf(settings, REQUEST_TIMEOUT_MS, d.requestTimeoutMillis),
                intOf(settings, MAX_IN_FLIGHT_CALLS, d.maxInFlightCalls),
                intOf(settings, MAX_CALLS_PER_CONNECTION, d.maxCallsPerConnection),
                intOf(settings, MAX_CONNECTION_IDLE_SECONDS, d.maxConnectionIdleSeconds),
                longOf(settings, RETRY_DELAY_HINT_MS, d.retryDelayHintMillis),
                longOf(settings, HEALTH_POLL_MS, d.healthPollMillis),
                intOf(settings, SHUTDOWN_TIMEOUT_SECONDS, d.shutdownTimeoutSeconds));
    }

    /**
     * These settings with the key and value limits lowered to the storage engine's, so a request this
     * layer accepts is never refused by the engine halfway through an atomic request.
     */
    public GrpcSettings cappedAt(int storageMaxKeyBytes, long storageMaxValueBytes) {
        return new GrpcSettings(bind, port, maxMessageBytes, Math.min(maxKeyBytes, storageMaxKeyBytes),
                (int) Math.min(maxValueBytes, storageMaxValueBytes), maxOperations, maxScanLimit, scanMaxPageSize,
                executeMaxAttempts, requestTimeoutMillis, maxInFlightCalls, maxCallsPerConnection,
                maxConnectionIdleSeconds, retryDelayHintMillis, healthPollMillis, shutdownTimeoutSeconds);
    }

    /** A copy listening on {@code bind:port}. */
    public GrpcSettings withAddress(String bind, int port) {
        return new GrpcSettings(bind, port, maxMessageBytes, maxKeyBytes, maxValueBytes, maxOperations, maxScanLimit,
                scanMaxPageSize, executeMaxAttempts, requestTimeoutMillis, maxInFlightCalls, maxCallsPerConnection,
                maxConnectionIdleSeconds, retryDelayHintMillis, healthPollMillis, shutdownTimeoutSeconds);
    }
}
