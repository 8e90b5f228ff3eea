package io.cairn.storage;

import java.util.Arrays;

/**
 * What the engine stores under a key: the value, the HLC version that wrote it, an optional
 * absolute expiry, and whether it is a tombstone (a delete that keeps its version so that
 * WATCH, compare-and-set and replication can tell "deleted at v" from "never written").
 *
 * @param value          the value bytes; empty for a tombstone. Never null.
 * @param version        HLC timestamp of the write; positive.
 * @param expireAtMillis absolute expiry in epoch milliseconds, or {@link #NO_EXPIRY}.
 * @param tombstone      true if this records a delete.
 */
public record Record(byte[] value, long version, long expireAtMillis, boolean tombstone) {
    public static final long NO_EXPIRY = 0L;
    private static final byte[] EMPTY = new byte[0];

    public Record {
        if (value == null) {
            throw new IllegalArgumentException("record value must not be null");
        }
        if (version <= 0) {
            throw new IllegalArgumentException("record version must be positive, got " + version);
        }
        if (expireAtMillis < 0) {
            throw new IllegalArgumentException("expireAtMillis must be >= 0, got " + expireAtMillis);
        }
        if (tombstone && (value.length != 0 || expireAtMillis != NO_EXPIRY)) {
            throw new IllegalArgumentException("a tombstone carries no value and no expiry");
        }
    }

    public static Record value(byte[] value, long version) {
        return new Record(value, version, NO_EXPIRY, false);
    }

    public static Record value(byte[] value, long version, long expireAtMillis) {
        return new Record(value, version, expireAtMillis, false);
    }

    public static Record tombstone(long version) {
        return new Record(EMPTY, version, NO_EXPIRY, true);
    }

    public boolean hasExpiry() {
        return expireAtMillis != NO_EXPIRY;
    }

    /** True if a read at {@code nowMillis} must not see this record (deleted or expired). */
    public boolean isDeadAt(long nowMillis) {
        return tombstone || (expireAtMillis != NO_EXPIRY && expireAtMillis <= nowMillis);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Record r && version == r.version && expireAtMillis == r.expireAtMillis
                && tombstone == r.tombstone && Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(version) * 31 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return tombstone ? "Tombstone(v=" + version + ")"
                : "Record(" + value.length + " bytes, v=" + version
                        + (hasExpiry() ? ", expireAt=" + expireAtMillis : "") + ")";
    }
}
