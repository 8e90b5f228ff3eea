package io.cairn.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The HTTP layer's meters (Prometheus names in parentheses):
 * <ul>
 *   <li>{@code cairn.http.requests} timer ({@code cairn_http_requests_seconds_count/_sum/_max}), tags
 *       {@code route} (the route template, or "none"), {@code method}, {@code status};</li>
 *   <li>{@code cairn.http.connections} gauge: open connections;</li>
 *   <li>{@code cairn.http.execute.retries} counter: optimistic execute attempts that found a key
 *       changed and started over (contention on incremented keys).</li>
 * </ul>
 * Tag values come from fixed sets (unknown methods become "OTHER"), so clients cannot grow the registry.
 */
final class HttpMetrics implements AutoCloseable {
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH");

    private final MeterRegistry registry;
    private final Counter executeRetries;
    private final List<Meter> owned = new ArrayList<>();

    /** @throws IllegalArgumentException if a running HTTP server already registered its meters here */
    HttpMetrics(MeterRegistry registry, Supplier<Number> openConnections) {
        if (registry.find("cairn.http.connections").gauge() != null) {
            // Micrometer would hand back the other server's gauge, and closing either server would remove it.
            throw new IllegalArgumentException("the meter registry already holds a running HttpServer's meters; "
                    + "give each HttpServer its own registry or close the other first");
        }
        this.registry = registry;
        this.executeRetries = Counter.builder("cairn.http.execute.retries")
                .description("Optimistic /v1/execute attempts restarted because an incremented key changed")
                .register(registry);
        owned.add(executeRetries);
        owned.add(Gauge.builder("cairn.http.connections", openConnections)
                .description("Open HTTP connections")
                .strongReference(true)
                .register(registry));
    }

    void request(HttpApi.Route route, String method, int status, long nanos) {
        Timer.builder("cairn.http.requests")
                .description("HTTP requests by route, method and status")
                .tag("route", route.template)
                .tag("method", METHODS.contains(method) ? method : "OTHER")
                .tag("status", Integer.toString(status))
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    Counter executeRetries() {
        return executeRetries;
    }

    /** Removes the gauge (it reads a closed server's state) and the counter; request timers stay for the scrape history. */
    @Override
    public void close() {
        for (Meter m : owned) {
            registry.remove(m);
        }
    }
}
