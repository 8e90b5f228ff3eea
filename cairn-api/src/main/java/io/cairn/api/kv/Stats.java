package io.cairn.api.kv;

import java.util.Map;

/**
 * Cumulative counters since the {@link KeyValue} was created, for metrics export. Cheap to take;
 * each field is read independently, so the set is not an atomic snapshot.
 *
 * @param calls    calls started (a batch counts once)
 * @param failures calls that completed with an exception
 * @param retries  extra attempts made on another node (or a fresh connection) after a failure
 * @param timeouts calls that failed with {@link CairnTimeoutException}
 * @param inFlight calls started and not yet completed
 * @param details  implementation-specific counters (connections opened, fail-overs, ...)
 */
public record Stats(long calls, long failures, long retries, long timeouts, long inFlight, Map<String, Long> details) {
    public Stats {
        details = details == null ? Map.of() : Map.copyOf(details);
    }
}
