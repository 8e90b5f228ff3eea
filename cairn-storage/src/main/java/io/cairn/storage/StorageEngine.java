package io.cairn.storage;

import java.nio.file.Path;
import java.util.List;

/**
 * The storage SPI. Keys live under a partition (0..{@link #MAX_PARTITIONS}-1) so that one
 * partition can be scanned, snapshotted, moved or dropped as a unit; backends store them under a
 * partition prefix or in a per-partition structure.
 *
 * <p>Time is always passed in ({@code nowMillis}), never read from a clock: the Raft state
 * machine applies commands with the leader's timestamp, and apply must be deterministic.
 *
 * <p>Thread safety: all methods may be called concurrently. Single-key operations and
 * {@link #write(WriteBatch)} are atomic. Writers that need read-modify-write atomicity across
 * calls (the command layer) serialize themselves; {@link #compareAndSet} is atomic on its own.
 *
 * <p>Keys and values are checked against {@link #limits()}; violations throw
 * {@link IllegalArgumentException} with a message naming the limit. Partition numbers out of
 * range throw {@link IllegalArgumentException} too. Calls after {@link #close()} throw
 * {@link IllegalStateException}.
 */
public interface StorageEngine extends AutoCloseable {
    /** Partition numbers are stored as two bytes. */
    int MAX_PARTITIONS = 65_536;

    /** Backend name, e.g. {@code memory} or {@code rocksdb}. */
    String name();

    StorageLimits limits();

    /** The live record for {@code key}: null if absent, a tombstone, or expired at {@code nowMillis}. */
    Record get(int partition, byte[] key, long nowMillis);

    /** Whatever is stored for {@code key}, tombstones and expired records included; null if nothing. */
    Record getRaw(int partition, byte[] key);

    void put(int partition, byte[] key, Record record);

    /** Writes a tombstone at {@code version} (the key reads as absent afterwards). */
    void delete(int partition, byte[] key, long version);

    /**
     * Atomically replaces the stored record if its version equals {@code expectedVersion} and
     * returns true; otherwise changes nothing and returns false. {@code expectedVersion == 0}
     * matches only "nothing stored at all". To replace a tombstone or an expired record, pass its
     * version as read with {@link #getRaw}.
     */
    boolean compareAndSet(int partition, byte[] key, long expectedVersion, Record newRecord);

    /** Applies every operation of the batch atomically (all or nothing, also across a crash). */
    void write(WriteBatch batch);

    /**
     * Live records of one partition in unsigned-byte key order, starting strictly after
     * {@code afterKey} (null = from the beginning), at most {@code limit} entries (1..100,000).
     * Tombstones and records expired at {@code nowMillis} are skipped.
     */
    ScanResult scan(int partition, byte[] afterKey, int limit, long nowMillis);

    /**
     * Keys of one partition whose records expired at or before {@code nowMillis}, in key order,
     * starting strictly after {@code afterKey}, at most {@code limit}. The caller decides how to
     * delete them (locally, or proposed through Raft so replicas stay identical).
     */
    List<byte[]> expiredKeys(int partition, byte[] afterKey, int limit, long nowMillis);

    /**
     * Local purge: removes up to {@code limit} records of one partition that expired at or before
     * {@code nowMillis} (physically, no tombstone). Returns how many were removed.
     */
    int purgeExpired(int partition, long nowMillis, int limit);

    EngineStats stats(int partition);

    EngineStats stats();

    /**
     * Writes a consistent point-in-time copy of one partition into {@code dir} (created if absent,
     * must be empty). Writes concurrent with the snapshot are either wholly in it or wholly not.
     */
    void snapshot(int partition, Path dir);

    /**
     * Replaces the partition's entire contents with the snapshot in {@code dir} (written by
     * {@link #snapshot} of the same backend). Atomic to readers: they see the old range or the new.
     */
    void restore(int partition, Path dir);

    /** Removes every record of the partition. */
    void dropPartition(int partition);

    /** Flushes buffered writes to durable storage (no-op for memory). */
    void flush();

    /** Idempotent. */
    @Override
    void close();
}
