package io.cairn.commands;

import io.cairn.storage.Record;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageLimits;
import io.cairn.storage.WriteBatch;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The writes of one command, or of one MULTI/EXEC block, buffered over the engine and committed
 * as one {@link WriteBatch}: atomic for concurrent readers and across a crash, and the natural
 * shape of one Raft log entry later. Reads see the buffered writes first (read-your-writes inside
 * EXEC). Not thread-safe: one Tx belongs to one call.
 */
final class Tx {
    private final StorageEngine engine;
    private final StorageLimits limits;
    final long nowMillis;
    /** {@link CommandExecutor#engineTime} of {@link #nowMillis}: what liveness checks and engine scans use. */
    final long engineNow;
    final long version;
    /** Pending final state per key; a tombstone record means "delete". Null until the first write. */
    private Map<PartitionKey, Record> pending;
    /** A FLUSHALL is pending: the engine's current contents are gone for readers of this Tx. */
    private boolean flushPending;
    private int flushFrom;
    private int flushTo = -1;
    /**
     * -1, or the one partition keyless commands (KEYS, SCAN, DBSIZE, RANDOMKEY, FLUSHALL) see: in a
     * cluster each partition's Raft group runs them over its own range only.
     */
    int onlyPartition = -1;

    Tx(StorageEngine engine, long nowMillis, long version) {
        this.engine = engine;
        this.limits = engine.limits();
        this.nowMillis = nowMillis;
        this.engineNow = CommandExecutor.engineTime(nowMillis);
        this.version = version;
    }

    /** Whatever is stored (tombstones and expired records included), pending writes first; null if nothing. */
    Record raw(int partition, byte[] key) {
        if (pending != null) {
            Record r = pending.get(new PartitionKey(partition, key));
            if (r != null) {
                return r;
            }
        }
        if (flushPending || !storable(key)) {
            return null;
        }
        return engine.getRaw(partition, key);
    }

    /** The record a read at {@link #nowMillis} sees: null if absent, deleted or expired. */
    Record live(int partition, byte[] key) {
        Record r = raw(partition, key);
        return r == null || r.isDeadAt(engineNow) ? null : r;
    }

    /** A key the engine could hold. Keys it could never hold are simply absent for readers. */
    boolean storable(byte[] key) {
        return key.length > 0 && key.length <= limits.maxKeyBytes();
    }

    void put(int partition, byte[] key, byte[] value, long expireAtMillis) {
        assert version > 0 : "writes need a positive HLC version, got " + version;
        assert storable(key) && value.length <= limits.maxValueBytes() : "caller validates sizes first";
        if (expireAtMillis != Record.NO_EXPIRY && expireAtMillis <= nowMillis) {
            // Redis's checkAlreadyExpired: a write whose expiry is already past deletes the key
            // instead of storing a record nobody can read (and DBSIZE would still count).
            delete(partition, key);
            return;
        }
        buffer(partition, key, Record.value(value, version, expireAtMillis));
    }

    /**
     * Writes a new value under the expiry of a live record it replaces (INCR, APPEND, SETRANGE,
     * SET KEEPTTL, RENAME, COPY). Redis keeps such a key alive through the millisecond of its expiry
     * ({@code now > expireAt} kills it) and never re-checks the carried-over expiry, so unlike
     * {@link #put} an expiry equal to now is kept, not turned into a delete.
     */
    void putKeepingExpiry(int partition, byte[] key, byte[] value, long liveExpireAtMillis) {
        assert liveExpireAtMillis == Record.NO_EXPIRY || liveExpireAtMillis >= nowMillis
                : "the replaced record was live: expiry " + liveExpireAtMillis + " < now " + nowMillis;
        assert version > 0 : "writes need a positive HLC version, got " + version;
        assert storable(key) && value.length <= limits.maxValueBytes() : "caller validates sizes first";
        buffer(partition, key, Record.value(value, version, liveExpireAtMillis));
    }

    void delete(int partition, byte[] key) {
        assert version > 0 : "writes need a positive HLC version, got " + version;
        buffer(partition, key, Record.tombstone(version));
    }

    private void buffer(int partition, byte[] key, Record record) {
        assert record.version() == version : "every write of one command/EXEC carries the same version";
        if (pending == null) {
            pending = new LinkedHashMap<>();
        }
        pending.put(new PartitionKey(partition, key), record);
    }

    /** Every key of every partition goes; later writes of this Tx land on the empty keyspace. */
    void flushAll(int partitions) {
        assert version > 0 : "writes need a positive HLC version, got " + version;
        if (pending != null) {
            pending.clear();
        }
        flushPending = true;
        flushFrom = onlyPartition >= 0 ? onlyPartition : 0;
        flushTo = onlyPartition >= 0 ? onlyPartition : partitions - 1;
    }

    /** The partitions the last committed flush emptied: {@code [from, to]}, empty if {@code to < from}. */
    int flushedFrom() {
        return flushFrom;
    }

    int flushedTo() {
        return flushTo;
    }

    boolean hasPendingWrites() {
        return flushPending || (pending != null && !pending.isEmpty());
    }

    /**
     * Applies everything buffered so far. Commands that iterate the keyspace (KEYS, SCAN, DBSIZE,
     * RANDOMKEY) call this first inside EXEC so the engine's own iteration sees earlier writes.
     *
     * @return true if a FLUSHALL was applied (the caller records the removal)
     */
    boolean commit() {
        boolean flushed = flushPending;
        if (flushPending) {
            for (int p = flushFrom; p <= flushTo; p++) {
                engine.dropPartition(p);
            }
            flushPending = false;
        }
        if (pending == null || pending.isEmpty()) {
            return flushed;
        }
        if (pending.size() == 1) {
            Map.Entry<PartitionKey, Record> e = pending.entrySet().iterator().next();
            engine.put(e.getKey().partition, e.getKey().key, e.getValue());
        } else {
            // WriteBatch has a hard size cap; a block beyond it is split (still isolated by the
            // caller's lock, but no longer crash-atomic as one unit).
            WriteBatch batch = new WriteBatch();
            for (Map.Entry<PartitionKey, Record> e : pending.entrySet()) {
                if (batch.size() == WriteBatch.MAX_OPERATIONS) {
                    engine.write(batch);
                    batch = new WriteBatch();
                }
                batch.put(e.getKey().partition, e.getKey().key, e.getValue());
            }
            engine.write(batch);
        }
        pending.clear();
        return flushed;
    }

    /** A key within a partition, compared by content. */
    record PartitionKey(int partition, byte[] key) {
        @Override
        public boolean equals(Object o) {
            return o instanceof PartitionKey k && k.partition == partition && Arrays.equals(k.key, key);
        }

        @Override
        public int hashCode() {
            return 31 * partition + Arrays.hashCode(key);
        }
    }
}
