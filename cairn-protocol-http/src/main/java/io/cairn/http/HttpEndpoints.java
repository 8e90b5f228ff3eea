package io.cairn.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What the hosting server supplies to the HTTP front end beyond the {@link io.cairn.api.service.CommandService}:
 *
 * @param readiness answers {@code GET /ready}: e.g. "every partition this node serves has a leader".
 *                  Called on an event loop for each request, so it must be quick and must not block.
 * @param topology  answers {@code GET /v1/topology}: any object Jackson can serialize (records, maps,
 *                  lists, strings, numbers). Same threading rule as {@code readiness}.
 * @param registry  where the HTTP layer registers its meters and what {@code GET /metrics} scrapes; the
 *                  server registers its own meters (Raft, storage, JVM) in the same registry.
 */
public record HttpEndpoints(Supplier<Readiness> readiness, Supplier<?> topology, PrometheusMeterRegistry registry) {

    public HttpEndpoints {
        Objects.requireNonNull(readiness, "readiness");
        Objects.requireNonNull(topology, "topology");
        Objects.requireNonNull(registry, "registry");
    }

    /**
     * The answer of a readiness check.
     *
     * @param reason why the node is not ready (shown in the 503 body); ignored when ready
     */
    public record Readiness(boolean ready, String reason) {
        public static final Readiness READY = new Readiness(true, null);

        public static Readiness notReady(String reason) {
            return new Readiness(false, Objects.requireNonNull(reason, "reason"));
        }
    }
}
