package io.cairn.api.kv;

import java.util.Map;

/**
 * A point-in-time view of whether a {@link KeyValue} can serve calls, for readiness probes and
 * dashboards. {@code details} holds human-readable facts (the node in use, unreachable seeds, the
 * last error); its keys are not a stable API.
 */
public record Health(Status status, Map<String, String> details) {
    public enum Status {
        /** Calls are being served normally. */
        UP,
        /** Calls are served, but with reduced redundancy (some nodes unreachable, a fail-over happened recently). */
        DEGRADED,
        /** Calls cannot be served right now. */
        DOWN
    }

    public Health {
        if (status == null) {
            throw new IllegalArgumentException("status is required");
        }
        details = details == null ? Map.of() : Map.copyOf(details);
    }
}
