package io.cairn.storage.support;

import io.cairn.storage.Record;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageLimits;
import io.cairn.storage.WriteBatch;

/** Argument checks shared by the backends, so both reject bad input with the same messages. */
public final class Checks {
    /** Upper bound of a scan / expiredKeys page, per the SPI. */
    public static final int MAX_PAGE = 100_000;

    private Checks() {}

    public static void partition(int partition) {
        if (partition < 0 || partition >= StorageEngine.MAX_PARTITIONS) {
            throw new IllegalArgumentException("partition must be in 0.." + (StorageEngine.MAX_PARTITIONS - 1)
                    + ", got " + partition);
        }
    }

    public static void page(int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit must be in 1.." + MAX_PAGE + ", got " + limit);
        }
    }

    public static void positive(int limit, String what) {
        if (limit < 1) {
            throw new IllegalArgumentException(what + " must be positive, got " + limit);
        }
    }

    public static void record(StorageLimits limits, Record record) {
        if (record == null) {
            throw new IllegalArgumentException("record must not be null");
        }
        limits.checkValue(record.value());
    }

    public static void version(long version) {
        if (version <= 0) {
            throw new IllegalArgumentException("version must be positive, got " + version);
        }
    }

    public static void expectedVersion(long expectedVersion) {
        if (expectedVersion < 0) {
            throw new IllegalArgumentException("expectedVersion must be >= 0 (0 = nothing stored), got " + expectedVersion);
        }
    }

    /** Validates every operation before any is applied, so a bad op cannot leave half a batch. */
    public static void batch(StorageLimits limits, WriteBatch batch) {
        if (batch == null) {
            throw new IllegalArgumentException("batch must not be null");
        }
        for (WriteBatch.Op op : batch.ops()) {
            partition(op.partition());
            limits.checkKey(op.key());
            if (op.record() != null) {
                limits.checkValue(op.record().value());
            }
        }
    }
}
