package io.cairn.api.kv;

import io.cairn.api.consistency.ReadConsistency;
import io.cairn.api.consistency.WriteConsistency;
import java.time.Duration;

/**
 * Per-call choices: how reads are served, when writes are acknowledged, and how long the caller
 * is willing to wait. Immutable; derive variants with the {@code withX} methods.
 *
 * <p>Durability is deliberately absent: it is a node-wide setting ({@code raft.durability}, see
 * {@link io.cairn.api.consistency.Durability}) because the Raft log's flush policy is fixed per
 * server and cannot vary per request.
 *
 * <p>Wherever a {@link KeyValue} method accepts options, {@code null} means "this KeyValue's
 * defaults" ({@link KeyValue#defaultCallOptions()}), so callers can pass through what they got.
 *
 * @param read    read consistency for reads (GET, SCAN, the gets of a batch)
 * @param write   write consistency for writes (put, delete, compare-and-set)
 * @param timeout the whole call's budget, including connecting and fail-over; positive
 */
public record CallOptions(ReadConsistency read, WriteConsistency write, Duration timeout) {
    /** Five seconds: long enough to ride out a Raft leader election, short enough to notice a dead cluster. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private static final CallOptions DEFAULTS =
            new CallOptions(ReadConsistency.LINEARIZABLE, WriteConsistency.MAJORITY, DEFAULT_TIMEOUT);

    public CallOptions {
        if (read == null) {
            throw new IllegalArgumentException("read consistency is required");
        }
        if (write == null) {
            throw new IllegalArgumentException("write consistency is required");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
    }

    /** Linearizable reads, majority writes, {@link #DEFAULT_TIMEOUT}: the server's own defaults. */
    public static CallOptions defaults() {
        return DEFAULTS;
    }

    public CallOptions withRead(ReadConsistency r) {
        return new CallOptions(r, write, timeout);
    }

    public CallOptions withWrite(WriteConsistency w) {
        return new CallOptions(read, w, timeout);
    }

    public CallOptions withTimeout(Duration t) {
        return new CallOptions(read, write, t);
    }
}
