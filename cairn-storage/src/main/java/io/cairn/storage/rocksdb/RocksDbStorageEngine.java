package io.cairn.storage.rocksdb;

import io.cairn.storage.CorruptDataException;
import io.cairn.storage.EngineStats;
import io.cairn.storage.Record;
import io.cairn.storage.ScanResult;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageException;
import io.cairn.storage.StorageLimits;
import io.cairn.storage.WriteBatch;
import io.cairn.storage.codec.RecordCodec;
import io.cairn.storage.codec.SnapshotFile;
import io.cairn.storage.support.AtomicSlots;
import io.cairn.storage.support.Checks;
import io.cairn.storage.support.EngineSettings;
import io.cairn.storage.support.WriteGate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.EnvOptions;
import org.rocksdb.IngestExternalFileOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.SstFileWriter;
import org.rocksdb.WriteOptions;

/**
 * RocksDB backend. One column family; a stored key is {@code [2-byte big-endian partition][key]}
 * and a stored value is the {@link RecordCodec} form of the record.
 *
 * <p>Concurrency and atomicity:
 * <ul>
 *   <li>RocksDB has no compare-and-set, so every single-key writer (put, delete, CAS, purge) holds a
 *       striped lock chosen by (partition, key) around its read-check-write; batches take the
 *       stripes of all their keys in ascending order (no deadlock). CAS is therefore atomic
 *       against every writer of this engine instance.</li>
 *   <li>Batches are one RocksDB {@code WriteBatch}: atomic to readers and across a crash.</li>
 *   <li>Snapshots read under a RocksDB snapshot (point in time) and write the backend-neutral
 *       {@link SnapshotFile}. Restore merge-joins that file with the partition's current keys into
 *       one SST file (puts for the snapshot, point deletes for keys not in it) and ingests it: one
 *       version edit, so readers see the old range or the new one. An SST export/ingest was chosen
 *       over {@code Checkpoint} because a checkpoint copies the whole DB, not one partition; the
 *       neutral file format also lets a snapshot move between backends and is checksummed end to
 *       end. While a partition restores or drops, its writers wait on a per-partition gate.</li>
 *   <li>Every call holds a shared close gate so {@link #close()} never frees native handles under a
 *       running call; calls that start after close throw {@link IllegalStateException}.</li>
 * </ul>
 *
 * <p>Costs to know: stats are computed by iterating the range (exact, O(records)), since RocksDB
 * cannot count tombstones of our format without reading them; expiredKeys/purgeExpired walk the
 * partition's records in key order (there is no secondary expiry index), decoding only the
 * record header of each (the value is still copied out of RocksDB). A persistent expiry index (a second column family written in
 * the same WriteBatch) is the upgrade path if sweeps over large partitions become a cost.
 */
public final class RocksDbStorageEngine implements StorageEngine {
    public static final String NAME = "rocksdb";
    /** fsync the WAL on every write (default true: an acknowledged write survives power loss). */
    public static final String SYNC_WRITES = "rocksdb.sync-writes";
    /** Number of lock stripes serializing writers per key (power of two, default 1024). */
    public static final String LOCK_STRIPES = "rocksdb.lock-stripes";
    public static final List<String> OWN_KEYS = List.of(SYNC_WRITES, LOCK_STRIPES);
    public static final int DEFAULT_LOCK_STRIPES = 1024;
    private static final long DEFAULT_BLOCK_CACHE_BYTES = 64L << 20;
    private static final int LAST_PARTITION = MAX_PARTITIONS - 1;
    private static final int DROP_BATCH = 10_000;
    private static final String RESTORE_DIR = "restore-tmp";
    private static final ScanResult EMPTY_SCAN = new ScanResult(List.of(), null);

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final StorageLimits limits;
    private final int scanMaxSkipped;
    private final boolean syncWrites;
    private final ReentrantLock[] stripes;
    private final int stripeMask;
    private final AtomicReferenceArray<WriteGate> partitionGates = new AtomicReferenceArray<>(MAX_PARTITIONS);
    private final WriteGate closeGate = new WriteGate();
    private final AtomicLong restoreCounter = new AtomicLong();

    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final LRUCache blockCache;
    private final BloomFilter bloomFilter;
    private final ColumnFamilyHandle cf;
    private final RocksDB db;
    private final WriteOptions writeOptions;
    private volatile boolean closed;

    private RocksDbStorageEngine(Path dir, Map<String, String> settings) {
        if (dir == null) {
            throw new IllegalArgumentException("the rocksdb backend needs a data directory");
        }
        this.dir = dir;
        this.limits = EngineSettings.limits(settings);
        this.scanMaxSkipped = EngineSettings.scanMaxSkipped(settings);
        this.syncWrites = EngineSettings.boolSetting(settings, SYNC_WRITES, true);
        int stripeCount = EngineSettings.intSetting(settings, LOCK_STRIPES, DEFAULT_LOCK_STRIPES, 1, 1 << 20);
        if (Integer.bitCount(stripeCount) != 1) {
            throw new IllegalArgumentException(LOCK_STRIPES + " must be a power of two, got " + stripeCount);
        }
        this.stripes = new ReentrantLock[stripeCount];
        for (int i = 0; i < stripeCount; i++) {
            stripes[i] = new ReentrantLock();
        }
        this.stripeMask = stripeCount - 1;
        RocksDbOptions parsed = RocksDbOptions.parse(settings, OWN_KEYS);

        List<AutoCloseable> built = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            deleteRecursively(dir.resolve(RESTORE_DIR)); // leftovers of a crash during restore
            this.dbOptions = track(built, parsed.dbOptions());
            dbOptions.setCreateIfMissing(true);
            this.cfOptions = track(built, parsed.cfOptions());
            if (!parsed.cf.containsKey("compression")) {
                cfOptions.setCompressionType(CompressionType.LZ4_COMPRESSION);
            }
            if (!parsed.cf.containsKey("block_based_table_factory") && !parsed.cf.containsKey("table_factory")) {
                this.blockCache = track(built, new LRUCache(DEFAULT_BLOCK_CACHE_BYTES));
                this.bloomFilter = track(built, new BloomFilter(10, false));
                cfOptions.setTableFormatConfig(new BlockBasedTableConfig()
                        .setBlockCache(blockCache).setFilterPolicy(bloomFilter));
            } else {
                this.blockCache = null;
                this.bloomFilter = null;
            }
            this.writeOptions = track(built, new WriteOptions().setSync(syncWrites));
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            this.db = track(built, RocksDB.open(dbOptions, dir.toString(),
                    List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions)), handles));
            this.cf = handles.get(0);
        } catch (RocksDBException e) {
            closeAll(built);
            throw new StorageException("cannot open RocksDB in " + dir + ": " + e.getMessage(), e);
        } catch (IOException e) {
            closeAll(built);
            throw new UncheckedIOException("cannot prepare RocksDB directory " + dir, e);
        } catch (RuntimeException e) {
            closeAll(built);
            throw e;
        }
    }

    /**
     * Opens (creating if needed) a RocksDB engine in {@code dir}. Settings: the {@link StorageLimits}
     * keys, {@link EngineSettings#SCAN_MAX_SKIPPED}, {@link #SYNC_WRITES}, {@link #LOCK_STRIPES}, and
     * any other {@code rocksdb.<option>} passed to RocksDB's option parser.
     */
    public static RocksDbStorageEngine open(Path dir, Map<String, String> settings) {
        return new RocksDbStorageEngine(dir, settings == null ? Map.of() : settings);
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> built, T resource) {
        built.add(resource);
        return resource;
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception ignored) {
                // Already failing; release what we can.
            }
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public StorageLimits limits() {
        return limits;
    }

    public boolean syncWrites() {
        return syncWrites;
    }

    // ------------------------------------------------------------------ key layout

    static byte[] prefix(int partition) {
        return new byte[] {(byte) (partition >>> 8), (byte) partition};
    }

    static byte[] storedKey(int partition, byte[] key) {
        byte[] out = new byte[key.length + 2];
        out[0] = (byte) (partition >>> 8);
        out[1] = (byte) partition;
        System.arraycopy(key, 0, out, 2, key.length);
        return out;
    }

    private static byte[] userKey(byte[] stored) {
        return Arrays.copyOfRange(stored, 2, stored.length);
    }

    private static boolean inPartition(byte[] stored, int partition) {
        return stored.length >= 2 && stored[0] == (byte) (partition >>> 8) && stored[1] == (byte) partition;
    }

    /** The first stored key strictly after {@code afterKey} in the partition is >= this. */
    private static byte[] seekKey(int partition, byte[] afterKey) {
        if (afterKey == null) {
            return prefix(partition);
        }
        byte[] out = new byte[afterKey.length + 3];
        out[0] = (byte) (partition >>> 8);
        out[1] = (byte) partition;
        System.arraycopy(afterKey, 0, out, 2, afterKey.length);
        return out; // trailing 0x00: the smallest key greater than afterKey
    }

    // ------------------------------------------------------------------ guards

    /** Enters the close gate; every public call runs inside it. */
    private int enter() {
        if (closed) {
            throw closedException();
        }
        int token = closeGate.enter();
        if (closed) {
            closeGate.exit(token);
            throw closedException();
        }
        return token;
    }

    private static IllegalStateException closedException() {
        return new IllegalStateException("storage engine '" + NAME + "' is closed");
    }

    private WriteGate gate(int partition) {
        return AtomicSlots.getOrCreate(partitionGates, partition, WriteGate::new);
    }

    private int stripe(int partition, byte[] key) {
        int h = Arrays.hashCode(key) * 31 + partition;
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        return h & stripeMask;
    }

    private static StorageException failure(String what, RocksDBException e) {
        return new StorageException("rocksdb " + what + " failed: " + e.getMessage(), e);
    }

    // ------------------------------------------------------------------ point operations

    @Override
    public Record get(int partition, byte[] key, long nowMillis) {
        Record r = getRaw(partition, key);
        return r == null || r.isDeadAt(nowMillis) ? null : r;
    }

    @Override
    public Record getRaw(int partition, byte[] key) {
        Checks.partition(partition);
        limits.checkKey(key);
        int token = enter();
        try {
            byte[] raw = db.get(cf, storedKey(partition, key));
            return raw == null ? null : RecordCodec.decode(raw);
        } catch (RocksDBException e) {
            throw failure("get", e);
        } finally {
            closeGate.exit(token);
        }
    }

    @Override
    public void put(int partition, byte[] key, Record record) {
        Checks.partition(partition);
        limits.checkKey(key);
        Checks.record(limits, record);
        byte[] stored = storedKey(partition, key);
        byte[] value = RecordCodec.encode(record);
        withKeyLock(partition, key, "put", () -> {
            db.put(cf, writeOptions, stored, value);
            return null;
        });
    }

    @Override
    public void delete(int partition, byte[] key, long version) {
        Checks.version(version);
        put(partition, key, Record.tombstone(version));
    }

    @Override
    public boolean compareAndSet(int partition, byte[] key, long expectedVersion, Record newRecord) {
        Checks.partition(partition);
        limits.checkKey(key);
        Checks.expectedVersion(expectedVersion);
        Checks.record(limits, newRecord);
        byte[] stored = storedKey(partition, key);
        byte[] value = RecordCodec.encode(newRecord);
        return withKeyLock(partition, key, "compare-and-set", () -> {
            byte[] current = db.get(cf, stored);
            long currentVersion = current == null ? 0L : RecordCodec.version(current);
            if (currentVersion != expectedVersion) {
                return false;
            }
            db.put(cf, writeOptions, stored, value);
            return true;
        });
    }

    /** A RocksDB call made under {@link #withKeyLock}. */
    @FunctionalInterface
    private interface KeyedCall<T> {
        T run() throws RocksDBException;
    }

    /**
     * Runs {@code call} inside the close gate, the partition's snapshot gate and the key's lock
     * stripe: every single-key writer goes through here, which is what makes compare-and-set
     * atomic against all of them.
     */
    private <T> T withKeyLock(int partition, byte[] key, String op, KeyedCall<T> call) {
        int token = enter();
        try {
            WriteGate g = gate(partition);
            int pt = g.enter();
            ReentrantLock lock = stripes[stripe(partition, key)];
            lock.lock();
            try {
                return call.run();
            } catch (RocksDBException e) {
                throw failure(op, e);
            } finally {
                lock.unlock();
                g.exit(pt);
            }
        } finally {
            closeGate.exit(token);
        }
    }

    @Override
    public void write(WriteBatch batch) {
        Checks.batch(limits, batch);
        List<WriteBatch.Op> ops = batch.ops();
        if (ops.isEmpty()) {
            return;
        }
        int token = enter();
        try {
            int[] ids = ops.stream().mapToInt(WriteBatch.Op::partition).distinct().sorted().toArray();
            BitSet needed = new BitSet(stripes.length);
            try (org.rocksdb.WriteBatch wb = new org.rocksdb.WriteBatch()) {
                for (WriteBatch.Op op : ops) {
                    byte[] stored = storedKey(op.partition(), op.key());
                    if (op.record() == null) {
                        wb.delete(cf, stored);
                    } else {
                        wb.put(cf, stored, RecordCodec.encode(op.record()));
                    }
                    needed.set(stripe(op.partition(), op.key()));
                }
                WriteGate[] gates = new WriteGate[ids.length];
                int[] gateTokens = new int[ids.length];
                int entered = 0;
                List<ReentrantLock> held = new ArrayList<>(Math.min(needed.cardinality(), stripes.length));
                try {
                    for (int i = 0; i < ids.length; i++) {
                        gates[i] = gate(ids[i]);
                        gateTokens[i] = gates[i].enter();
                        entered++;
                    }
                    // Ascending stripe order: two batches can never wait on each other in a cycle.
                    for (int s = needed.nextSetBit(0); s >= 0; s = needed.nextSetBit(s + 1)) {
                        stripes[s].lock();
                        held.add(stripes[s]);
                    }
                    db.write(writeOptions, wb);
                } finally {
                    for (int i = held.size() - 1; i >= 0; i--) {
                        held.get(i).unlock();
                    }
                    for (int i = entered - 1; i >= 0; i--) {
                        gates[i].exit(gateTokens[i]);
                    }
                }
            }
        } catch (RocksDBException e) {
            throw failure("batch write", e);
        } finally {
            closeGate.exit(token);
        }
    }

    // ------------------------------------------------------------------ range reads

    /** Iterates one partition; the caller closes both returned resources (iterator first). */
    private RangeIterator range(int partition, Snapshot snapshot) {
        ReadOptions ro = new ReadOptions();
        // Both bounds: a seekToFirst() or a stray seek can then never leave the partition.
        Slice lower = new Slice(prefix(partition));
        ro.setIterateLowerBound(lower);
        Slice upper = null;
        if (partition < LAST_PARTITION) {
            upper = new Slice(prefix(partition + 1));
            ro.setIterateUpperBound(upper);
        }
        if (snapshot != null) {
            ro.setSnapshot(snapshot);
        }
        return new RangeIterator(db.newIterator(cf, ro), ro, lower, upper, partition);
    }

    private static final class RangeIterator implements AutoCloseable {
        final RocksIterator it;
        private final ReadOptions ro;
        private final Slice lower;
        private final Slice upper;
        private final int partition;

        RangeIterator(RocksIterator it, ReadOptions ro, Slice lower, Slice upper, int partition) {
            this.it = it;
            this.ro = ro;
            this.lower = lower;
            this.upper = upper;
            this.partition = partition;
        }

        boolean valid() {
            // The last partition has no upper bound slice; the prefix check covers it.
            return it.isValid() && (upper != null || inPartition(it.key(), partition));
        }

        void check() {
            try {
                it.status();
            } catch (RocksDBException e) {
                throw failure("iteration", e);
            }
        }

        @Override
        public void close() {
            it.close();
            ro.close();
            lower.close();
            if (upper != null) {
                upper.close();
            }
        }
    }

    @Override
    public ScanResult scan(int partition, byte[] afterKey, int limit, long nowMillis) {
        Checks.partition(partition);
        Checks.page(limit);
        int token = enter();
        // The iterator reads an implicit snapshot: one page never shows half a batch.
        try (RangeIterator r = range(partition, null)) {
            List<ScanResult.Entry> out = new ArrayList<>(Math.min(limit, 1024));
            int skipped = 0;
            r.it.seek(seekKey(partition, afterKey));
            while (r.valid()) {
                byte[] stored = r.it.key();
                assert inPartition(stored, partition) : "iterator left partition " + partition;
                byte[] value = r.it.value();
                if (RecordCodec.isDeadAt(value, nowMillis)) {
                    if (++skipped >= scanMaxSkipped) {
                        return new ScanResult(Collections.unmodifiableList(out), userKey(stored));
                    }
                } else {
                    out.add(new ScanResult.Entry(userKey(stored), RecordCodec.decode(value)));
                    if (out.size() == limit) {
                        r.it.next();
                        boolean more = r.valid();
                        r.check();
                        return new ScanResult(Collections.unmodifiableList(out), more ? userKey(stored) : null);
                    }
                }
                r.it.next();
            }
            r.check();
            return out.isEmpty() ? EMPTY_SCAN : new ScanResult(Collections.unmodifiableList(out), null);
        } finally {
            closeGate.exit(token);
        }
    }

    @Override
    public List<byte[]> expiredKeys(int partition, byte[] afterKey, int limit, long nowMillis) {
        Checks.partition(partition);
        Checks.page(limit);
        int token = enter();
        try (RangeIterator r = range(partition, null)) {
            List<byte[]> out = new ArrayList<>(Math.min(limit, 1024));
            for (r.it.seek(seekKey(partition, afterKey)); r.valid() && out.size() < limit; r.it.next()) {
                if (RecordCodec.isExpiredAt(r.it.value(), nowMillis)) {
                    out.add(userKey(r.it.key()));
                }
            }
            r.check();
            return out;
        } finally {
            closeGate.exit(token);
        }
    }

    @Override
    public int purgeExpired(int partition, long nowMillis, int limit) {
        Checks.partition(partition);
        Checks.page(limit);
        int token = enter();
        try {
            List<byte[]> candidates = new ArrayList<>();
            try (RangeIterator r = range(partition, null)) {
                for (r.it.seek(prefix(partition)); r.valid() && candidates.size() < limit; r.it.next()) {
                    if (RecordCodec.isExpiredAt(r.it.value(), nowMillis)) {
                        candidates.add(r.it.key());
                    }
                }
                r.check();
            }
            if (candidates.isEmpty()) {
                return 0;
            }
            BitSet needed = new BitSet(stripes.length);
            for (byte[] stored : candidates) {
                needed.set(stripe(partition, userKey(stored)));
            }
            WriteGate g = gate(partition);
            int pt = g.enter();
            List<ReentrantLock> held = new ArrayList<>();
            try (org.rocksdb.WriteBatch wb = new org.rocksdb.WriteBatch()) {
                for (int s = needed.nextSetBit(0); s >= 0; s = needed.nextSetBit(s + 1)) {
                    stripes[s].lock();
                    held.add(stripes[s]);
                }
                // Re-check under the locks: a writer may have refreshed a key since the scan.
                int removed = 0;
                List<byte[]> current = db.multiGetAsList(Collections.nCopies(candidates.size(), cf), candidates);
                for (int i = 0; i < candidates.size(); i++) {
                    byte[] v = current.get(i);
                    if (v != null && RecordCodec.isExpiredAt(v, nowMillis)) {
                        wb.delete(cf, candidates.get(i));
                        removed++;
                    }
                }
                if (removed > 0) {
                    db.write(writeOptions, wb);
                }
                return removed;
            } catch (RocksDBException e) {
                throw failure("purge", e);
            } finally {
                for (int i = held.size() - 1; i >= 0; i--) {
                    held.get(i).unlock();
                }
                g.exit(pt);
            }
        } finally {
            closeGate.exit(token);
        }
    }

    @Override
    public EngineStats stats(int partition) {
        Checks.partition(partition);
        int token = enter();
        try (RangeIterator r = range(partition, null)) {
            long[] acc = new long[3];
            for (r.it.seek(prefix(partition)); r.valid(); r.it.next()) {
                count(acc, r.it.key(), r.it.value());
            }
            r.check();
            return new EngineStats(acc[0], acc[1], acc[2]);
        } finally {
            closeGate.exit(token);
        }
    }

    @Override
    public EngineStats stats() {
        int token = enter();
        try (ReadOptions ro = new ReadOptions(); RocksIterator it = db.newIterator(cf, ro)) {
            long[] acc = new long[3];
            for (it.seekToFirst(); it.isValid(); it.next()) {
                count(acc, it.key(), it.value());
            }
            try {
                it.status();
            } catch (RocksDBException e) {
                throw failure("stats", e);
            }
            return new EngineStats(acc[0], acc[1], acc[2]);
        } finally {
            closeGate.exit(token);
        }
    }

    private static void count(long[] acc, byte[] stored, byte[] value) {
        if (RecordCodec.isTombstone(value)) {
            acc[1]++;
        } else {
            acc[0]++;
        }
        acc[2] += stored.length - 2 + RecordCodec.valueLength(value);
    }

    // ------------------------------------------------------------------ snapshots

    @Override
    public void snapshot(int partition, Path target) {
        Checks.partition(partition);
        int token = enter();
        Snapshot snap = db.getSnapshot();
        try (SnapshotFile.Writer writer = new SnapshotFile.Writer(target, partition);
             RangeIterator r = range(partition, snap)) {
            for (r.it.seek(prefix(partition)); r.valid(); r.it.next()) {
                writer.add(userKey(r.it.key()), r.it.value());
            }
            r.check();
            writer.commit();
        } finally {
            db.releaseSnapshot(snap);
            closeGate.exit(token);
        }
    }

    @Override
    public void restore(int partition, Path source) {
        Checks.partition(partition);
        int token = enter();
        try {
            Path work = dir.resolve(RESTORE_DIR);
            Path sst = work.resolve("restore-" + partition + "-" + restoreCounter.incrementAndGet() + ".sst");
            WriteGate g = gate(partition);
            g.closeExclusive();
            try {
                Files.createDirectories(work);
                boolean any = buildRestoreSst(partition, source, sst);
                if (any) {
                    try (IngestExternalFileOptions io = new IngestExternalFileOptions()
                            .setMoveFiles(true).setSnapshotConsistency(true).setAllowGlobalSeqNo(true)
                            .setAllowBlockingFlush(true)) {
                        db.ingestExternalFile(cf, List.of(sst.toString()), io);
                    }
                }
            } catch (RocksDBException e) {
                throw failure("restore of partition " + partition, e);
            } catch (IOException e) {
                throw new UncheckedIOException("restore of partition " + partition + " failed", e);
            } finally {
                g.open();
                try {
                    Files.deleteIfExists(sst);
                } catch (IOException ignored) {
                    // A leftover is removed on the next open.
                }
            }
        } finally {
            closeGate.exit(token);
        }
    }

    /**
     * Writes one SST that turns the partition's current contents into the snapshot's: a put for
     * every snapshot entry and a point delete for every current key the snapshot lacks. Returns
     * false if the file would be empty (nothing to do). Throws {@link CorruptDataException} before
     * anything is ingested if the snapshot fails validation.
     */
    private boolean buildRestoreSst(int partition, Path source, Path sst) throws RocksDBException {
        long entries = 0;
        try (SnapshotFile.Reader reader = new SnapshotFile.Reader(source, limits);
             RangeIterator current = range(partition, null);
             EnvOptions env = new EnvOptions();
             Options options = new Options(dbOptions, cfOptions);
             SstFileWriter writer = new SstFileWriter(env, options)) {
            writer.open(sst.toString());
            current.it.seek(prefix(partition));
            boolean haveSnap = reader.next();
            while (haveSnap || current.valid()) {
                int cmp;
                if (!haveSnap) {
                    cmp = -1;
                } else if (!current.valid()) {
                    cmp = 1;
                } else {
                    byte[] c = current.it.key();
                    cmp = Arrays.compareUnsigned(c, 2, c.length, reader.key(), 0, reader.key().length);
                }
                if (cmp < 0) {
                    assert inPartition(current.it.key(), partition) : "restore merge left the partition";
                    writer.delete(current.it.key());
                    current.it.next();
                } else {
                    byte[] record = reader.record();
                    Record decoded = RecordCodec.decode(record); // validates the record bytes
                    limits.checkValue(decoded.value());
                    writer.put(storedKey(partition, reader.key()), record);
                    if (cmp == 0) {
                        current.it.next();
                    }
                    haveSnap = reader.next();
                }
                entries++;
            }
            current.check();
            // reader.next() returned false: the checksum matched.
            if (entries > 0) {
                writer.finish();
            }
        }
        return entries > 0;
    }

    @Override
    public void dropPartition(int partition) {
        Checks.partition(partition);
        int token = enter();
        try {
            WriteGate g = gate(partition);
            g.closeExclusive();
            try {
                if (partition < LAST_PARTITION) {
                    db.deleteRange(cf, writeOptions, prefix(partition), prefix(partition + 1));
                } else {
                    dropLastPartition();
                }
            } catch (RocksDBException e) {
                throw failure("drop of partition " + partition, e);
            } finally {
                g.open();
            }
        } finally {
            closeGate.exit(token);
        }
    }

    /** The last partition has no finite upper key for deleteRange; delete it in bounded batches. */
    private void dropLastPartition() throws RocksDBException {
        for (;;) {
            List<byte[]> keys = new ArrayList<>();
            try (RangeIterator r = range(LAST_PARTITION, null)) {
                for (r.it.seek(prefix(LAST_PARTITION)); r.valid() && keys.size() < DROP_BATCH; r.it.next()) {
                    keys.add(r.it.key());
                }
                r.check();
            }
            if (keys.isEmpty()) {
                return;
            }
            try (org.rocksdb.WriteBatch wb = new org.rocksdb.WriteBatch()) {
                for (byte[] k : keys) {
                    wb.delete(cf, k);
                }
                db.write(writeOptions, wb);
            }
        }
    }

    @Override
    public void flush() {
        int token = enter();
        try {
            db.flushWal(true);
        } catch (RocksDBException e) {
            throw failure("flush", e);
        } finally {
            closeGate.exit(token);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        // Wait for running calls, then free native memory; calls waiting at the gate see 'closed'.
        closeGate.closeExclusive();
        try {
            try {
                db.flushWal(true);
            } catch (RocksDBException ignored) {
                // Closing anyway; with sync writes the WAL is already durable.
            }
            cf.close();
            db.close();
            writeOptions.close();
            cfOptions.close();
            dbOptions.close();
            if (blockCache != null) {
                blockCache.close();
            }
            if (bloomFilter != null) {
                bloomFilter.close();
            }
        } finally {
            closeGate.open();
        }
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
