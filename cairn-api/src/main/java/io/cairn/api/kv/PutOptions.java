package io.cairn.api.kv;

import java.time.Duration;

/**
 * Options of a write that stores a value (put, compare-and-set).
 *
 * @param ttl  time to live of the stored value; {@code null} stores it without expiry (and, as a
 *             plain Redis SET does, removes any expiry the key had). Positive; sent in whole
 *             milliseconds, rounded up so a key never expires earlier than asked.
 * @param call consistency and timeout; {@code null} means the KeyValue's defaults
 */
public record PutOptions(Duration ttl, CallOptions call) {
    private static final PutOptions NONE = new PutOptions(null, null);

    public PutOptions {
        if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
            throw new IllegalArgumentException("ttl must be positive (or null for no expiry), got " + ttl);
        }
    }

    /** No expiry, the KeyValue's default call options. */
    public static PutOptions none() {
        return NONE;
    }

    /** Expire {@code ttl} after the write. */
    public static PutOptions ttl(Duration ttl) {
        return new PutOptions(ttl, null);
    }

    public PutOptions withTtl(Duration t) {
        return new PutOptions(t, call);
    }

    public PutOptions withCall(CallOptions c) {
        return new PutOptions(ttl, c);
    }
}
