package io.cairn.storage.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.storage.CorruptDataException;
import io.cairn.storage.EngineStats;
import io.cairn.storage.Record;
import io.cairn.storage.ScanResult;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageLimits;
import io.cairn.storage.WriteBatch;
import io.cairn.storage.codec.SnapshotFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour every {@link StorageEngine} backend must have. Subclasses only say how to open one;
 * every assertion is shared.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class StorageEngineContract {
    protected static final int P = 3;
    protected static final long NOW = 1_000_000L;

    @TempDir
    protected Path tmp;
    protected StorageEngine engine;
    private final List<StorageEngine> opened = new ArrayList<>();
    private int dirs;

    /** Opens a new engine in {@code dir} (ignored by backends without files). */
    protected abstract StorageEngine openEngine(Path dir, Map<String, String> settings);

    protected final StorageEngine open(Map<String, String> settings) {
        StorageEngine e = openEngine(tmp.resolve("engine-" + dirs++), settings);
        opened.add(e);
        return e;
    }

    protected final Path freshDir(String name) {
        return tmp.resolve(name + "-" + dirs++);
    }

    @BeforeEach
    void openDefault() {
        engine = open(Map.of());
    }

    @AfterEach
    void closeAll() {
        for (StorageEngine e : opened) {
            e.close();
        }
    }

    protected static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected static byte[] bytes(int... unsigned) {
        byte[] out = new byte[unsigned.length];
        for (int i = 0; i < unsigned.length; i++) {
            out[i] = (byte) unsigned[i];
        }
        return out;
    }

    protected static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    protected static List<String> keysOf(List<ScanResult.Entry> entries) {
        List<String> out = new ArrayList<>();
        for (ScanResult.Entry e : entries) {
            out.add(s(e.key()));
        }
        return out;
    }

    /** Reads a whole partition page by page. */
    protected static List<ScanResult.Entry> scanAll(StorageEngine e, int partition, int pageSize, long now) {
        List<ScanResult.Entry> all = new ArrayList<>();
        byte[] cursor = null;
        for (int pages = 0; pages < 1_000_000; pages++) {
            ScanResult page = e.scan(partition, cursor, pageSize, now);
            assertTrue(page.entries().size() <= pageSize, "page larger than limit");
            all.addAll(page.entries());
            if (page.done()) {
                return all;
            }
            cursor = page.nextCursor();
        }
        throw new AssertionError("scan did not terminate");
    }

    // ---------------------------------------------------------------- point operations

    @Test
    void putGetDeleteAndTombstones() {
        assertNull(engine.get(P, b("k"), NOW));
        assertNull(engine.getRaw(P, b("k")));

        engine.put(P, b("k"), Record.value(b("v1"), 10));
        assertEquals(Record.value(b("v1"), 10), engine.get(P, b("k"), NOW));
        engine.put(P, b("k"), Record.value(b("v2"), 11));
        assertEquals(Record.value(b("v2"), 11), engine.get(P, b("k"), NOW));

        engine.delete(P, b("k"), 12);
        assertNull(engine.get(P, b("k"), NOW), "a tombstone reads as absent");
        assertEquals(Record.tombstone(12), engine.getRaw(P, b("k")), "getRaw shows the tombstone and its version");

        engine.put(P, b("k"), Record.value(b("v3"), 13));
        assertArrayEquals(b("v3"), engine.get(P, b("k"), NOW).value());
        assertNull(engine.get(P + 1, b("k"), NOW), "partitions are separate key spaces");
    }

    @Test
    void emptyValuesAndBinaryKeysRoundTrip() {
        byte[] key = bytes(0x00, 0xFF, 0x80, 0x7F);
        engine.put(P, key, Record.value(new byte[0], 5));
        Record r = engine.get(P, key, NOW);
        assertNotNull(r);
        assertEquals(0, r.value().length);
        byte[] big = new byte[100_000];
        new Random(1).nextBytes(big);
        engine.put(P, b("big"), Record.value(big, 6));
        assertArrayEquals(big, engine.get(P, b("big"), NOW).value());
    }

    @Test
    void callerMutatingItsKeyArrayDoesNotCorruptTheEngine() {
        byte[] key = b("aaa");
        engine.put(P, key, Record.value(b("v"), 1));
        key[0] = 'z';
        assertNotNull(engine.get(P, b("aaa"), NOW));
        assertNull(engine.get(P, b("zaa"), NOW));
        assertEquals(List.of("aaa"), keysOf(scanAll(engine, P, 10, NOW)));
    }

    @Test
    void lazyExpiryAtTheGivenNow() {
        engine.put(P, b("ttl"), Record.value(b("v"), 1, 5_000));
        assertNotNull(engine.get(P, b("ttl"), 4_999));
        assertNull(engine.get(P, b("ttl"), 5_000), "expired at exactly expireAt");
        assertNull(engine.get(P, b("ttl"), 9_999));
        assertEquals(Record.value(b("v"), 1, 5_000), engine.getRaw(P, b("ttl")), "getRaw still sees it");
        assertNotNull(engine.get(P, b("ttl"), 4_000), "time is an argument: earlier now sees it again");
    }

    // ---------------------------------------------------------------- compare-and-set

    @Test
    void compareAndSetSemantics() {
        assertFalse(engine.compareAndSet(P, b("k"), 7, Record.value(b("x"), 8)), "nothing stored, expected 7");
        assertNull(engine.getRaw(P, b("k")));
        assertTrue(engine.compareAndSet(P, b("k"), 0, Record.value(b("a"), 10)), "expected 0 = nothing stored");
        assertFalse(engine.compareAndSet(P, b("k"), 0, Record.value(b("b"), 11)), "expected 0 fails once stored");
        assertFalse(engine.compareAndSet(P, b("k"), 9, Record.value(b("b"), 11)));
        assertArrayEquals(b("a"), engine.get(P, b("k"), NOW).value());
        assertTrue(engine.compareAndSet(P, b("k"), 10, Record.value(b("b"), 11)));
        assertEquals(Record.value(b("b"), 11), engine.get(P, b("k"), NOW));

        engine.delete(P, b("k"), 20);
        assertFalse(engine.compareAndSet(P, b("k"), 0, Record.value(b("c"), 21)), "a tombstone is not 'nothing'");
        assertTrue(engine.compareAndSet(P, b("k"), 20, Record.value(b("c"), 21)), "replace a tombstone by its version");
        assertArrayEquals(b("c"), engine.get(P, b("k"), NOW).value());

        engine.put(P, b("e"), Record.value(b("old"), 30, 100));
        assertNull(engine.get(P, b("e"), 200));
        assertFalse(engine.compareAndSet(P, b("e"), 0, Record.value(b("new"), 31)), "expired is still stored");
        assertTrue(engine.compareAndSet(P, b("e"), 30, Record.value(b("new"), 31)));
        assertArrayEquals(b("new"), engine.get(P, b("e"), 200).value());

        assertTrue(engine.compareAndSet(P, b("t"), 0, Record.tombstone(40)), "CAS can write a tombstone");
        assertEquals(Record.tombstone(40), engine.getRaw(P, b("t")));
        assertThrows(IllegalArgumentException.class, () -> engine.compareAndSet(P, b("k"), -1, Record.value(b("x"), 1)));
    }

    @Test
    void concurrentCompareAndSetHasExactlyOneWinner() throws Exception {
        int threads = 4;
        int rounds = 40;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < rounds; round++) {
                byte[] key = b("cas-" + round);
                long base = 0;
                if (round % 2 == 1) {
                    engine.put(P, key, Record.value(b("base"), 5));
                    base = 5;
                }
                long expected = base;
                CyclicBarrier start = new CyclicBarrier(threads);
                List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int me = t;
                    results.add(pool.submit(() -> {
                        start.await(10, TimeUnit.SECONDS);
                        return engine.compareAndSet(P, key, expected, Record.value(b("t" + me), 100 + me));
                    }));
                }
                int wins = 0;
                int winner = -1;
                for (int t = 0; t < threads; t++) {
                    if (results.get(t).get(10, TimeUnit.SECONDS)) {
                        wins++;
                        winner = t;
                    }
                }
                assertEquals(1, wins, "exactly one CAS wins in round " + round);
                assertEquals(Record.value(b("t" + winner), 100 + winner), engine.get(P, key, NOW));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void compareAndSetIsAtomicAgainstConcurrentIncrements() throws Exception {
        // Each thread increments a counter with read + CAS retry; lost updates would show as a
        // final count below threads * perThread.
        int threads = 3;
        int perThread = 150;
        byte[] key = b("counter");
        AtomicLong versions = new AtomicLong(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        for (int attempt = 0; ; attempt++) {
                            assertTrue(attempt < 100_000, "CAS retry loop did not converge");
                            Record cur = engine.getRaw(P, key);
                            long n = cur == null ? 0 : Long.parseLong(s(cur.value()));
                            long v = cur == null ? 0 : cur.version();
                            if (engine.compareAndSet(P, key, v, Record.value(b(Long.toString(n + 1)), versions.incrementAndGet()))) {
                                break;
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(Long.toString(threads * perThread), s(engine.get(P, key, NOW).value()));
    }

    // ---------------------------------------------------------------- batches

    @Test
    void batchAppliesInOrderAndLaterOpsWin() {
        engine.put(P, b("gone"), Record.value(b("x"), 1));
        engine.put(P + 1, b("other"), Record.value(b("x"), 1));
        WriteBatch batch = new WriteBatch()
                .put(P, b("a"), Record.value(b("1"), 2))
                .put(P, b("a"), Record.value(b("2"), 3))
                .put(P, b("d"), Record.value(b("x"), 2))
                .delete(P, b("d"), 4)
                .remove(P, b("gone"))
                .put(P + 1, b("other"), Record.value(b("y"), 5))
                .delete(P, b("r"), 6)
                .put(P, b("r"), Record.value(b("back"), 7));
        engine.write(batch);
        assertEquals(Record.value(b("2"), 3), engine.get(P, b("a"), NOW));
        assertEquals(Record.tombstone(4), engine.getRaw(P, b("d")));
        assertNull(engine.getRaw(P, b("gone")), "remove drops the key physically");
        assertEquals(Record.value(b("y"), 5), engine.get(P + 1, b("other"), NOW));
        assertEquals(Record.value(b("back"), 7), engine.get(P, b("r"), NOW));
        engine.write(new WriteBatch()); // empty batch is a no-op
        assertEquals(new EngineStats(2, 1, 2 + 1 + 1 + 4), engine.stats(P));
    }

    @Test
    void invalidBatchAppliesNothing() {
        StorageEngine small = open(Map.of(StorageLimits.MAX_KEY_BYTES, "8"));
        WriteBatch bad = new WriteBatch()
                .put(P, b("ok"), Record.value(b("v"), 1))
                .put(P, b("much-too-long-key"), Record.value(b("v"), 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> small.write(bad));
        assertTrue(e.getMessage().contains(StorageLimits.MAX_KEY_BYTES), e.getMessage());
        assertNull(small.getRaw(P, b("ok")), "no op of a rejected batch is applied");
        WriteBatch badPartition = new WriteBatch().put(P, b("ok"), Record.value(b("v"), 1))
                .put(StorageEngine.MAX_PARTITIONS, b("x"), Record.value(b("v"), 1));
        assertThrows(IllegalArgumentException.class, () -> small.write(badPartition));
        assertNull(small.getRaw(P, b("ok")));
    }

    @Test
    void scansNeverSeeHalfABatch() throws Exception {
        byte[][] keys = {b("m1"), b("m2"), b("m3"), b("m4")};
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (long i = 1; !stop.get() && i < 5_000_000; i++) {
                    WriteBatch batch = new WriteBatch();
                    for (byte[] k : keys) {
                        batch.put(P, k, Record.value(b(Long.toString(i)), i));
                    }
                    engine.write(batch);
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        writer.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(700);
            int checked = 0;
            while (System.nanoTime() < deadline) {
                ScanResult page = engine.scan(P, null, 100, NOW);
                if (page.entries().isEmpty()) {
                    continue;
                }
                assertEquals(keys.length, page.entries().size());
                long v = page.entries().get(0).record().version();
                for (ScanResult.Entry e : page.entries()) {
                    assertEquals(v, e.record().version(), "scan saw a partial batch: " + keysAndVersions(page));
                }
                checked++;
            }
            assertTrue(checked > 10, "too few scans ran: " + checked);
        } finally {
            stop.set(true);
            writer.join(10_000);
        }
        assertNull(failure.get());
    }

    private static String keysAndVersions(ScanResult page) {
        StringBuilder sb = new StringBuilder();
        for (ScanResult.Entry e : page.entries()) {
            sb.append(s(e.key())).append('@').append(e.record().version()).append(' ');
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- scans

    @Test
    void scanIsOrderedUnsignedAndPagesWithCursor() {
        List<byte[]> keys = new ArrayList<>(List.of(
                bytes(0x01), bytes(0xFF), bytes(0x7F), bytes(0x80), bytes(0x01, 0x00), bytes(0x00),
                bytes(0xFF, 0xFF), bytes(0x80, 0x01), b("a"), b("ab"), b("b")));
        List<byte[]> shuffled = new ArrayList<>(keys);
        Collections.shuffle(shuffled, new Random(42));
        long v = 1;
        for (byte[] k : shuffled) {
            engine.put(P, k, Record.value(k, v++));
        }
        engine.put(P - 1, b("zz-other-partition"), Record.value(b("x"), 1));
        engine.put(P + 1, bytes(0x00), Record.value(b("x"), 1));
        keys.sort(Arrays::compareUnsigned);

        for (int pageSize : new int[] {1, 2, 3, 5, 11, 100}) {
            List<ScanResult.Entry> all = scanAll(engine, P, pageSize, NOW);
            assertEquals(keys.size(), all.size(), "page size " + pageSize);
            for (int i = 0; i < keys.size(); i++) {
                assertArrayEquals(keys.get(i), all.get(i).key(), "position " + i + " with page size " + pageSize);
                assertArrayEquals(keys.get(i), all.get(i).record().value());
            }
        }
        ScanResult first = engine.scan(P, null, 3, NOW);
        assertEquals(3, first.entries().size());
        assertFalse(first.done());
        ScanResult exact = engine.scan(P, null, keys.size(), NOW);
        assertTrue(exact.done(), "a page that reaches the end has no cursor");
        ScanResult after = engine.scan(P, bytes(0x01), 2, NOW);
        assertArrayEquals(bytes(0x01, 0x00), after.entries().get(0).key(), "strictly after the cursor");
        ScanResult afterMissing = engine.scan(P, bytes(0x7F, 0x00), 1, NOW);
        assertArrayEquals(bytes(0x80), afterMissing.entries().get(0).key(), "cursor need not exist");
        assertTrue(engine.scan(P, bytes(0xFF, 0xFF), 10, NOW).entries().isEmpty());
        assertTrue(engine.scan(P + 7, null, 10, NOW).done(), "empty partition");
    }

    @Test
    void scanSkipsTombstonesAndExpired() {
        engine.put(P, b("a"), Record.value(b("1"), 1));
        engine.put(P, b("b"), Record.value(b("2"), 1, 500));
        engine.put(P, b("c"), Record.value(b("3"), 1));
        engine.delete(P, b("c"), 2);
        engine.put(P, b("d"), Record.value(b("4"), 1, 2_000));
        assertEquals(List.of("a", "b", "d"), keysOf(scanAll(engine, P, 10, 100)));
        assertEquals(List.of("a", "d"), keysOf(scanAll(engine, P, 1, 500)));
        assertEquals(List.of("a"), keysOf(scanAll(engine, P, 1, 2_000)));
    }

    @Test
    void scanPageSkippingManyDeadRecordsReturnsEarlyWithCursor() {
        StorageEngine e = open(Map.of("storage.scan-max-skipped", "10"));
        for (int i = 0; i < 50; i++) {
            e.delete(P, b(String.format("d%03d", i)), 1);
        }
        e.put(P, b("z"), Record.value(b("live"), 1));
        ScanResult first = e.scan(P, null, 5, NOW);
        assertTrue(first.entries().isEmpty());
        assertFalse(first.done(), "bounded work per page, but not the end");
        assertEquals(List.of("z"), keysOf(scanAll(e, P, 5, NOW)));
    }

    @Test
    void scanRejectsBadLimits() {
        assertThrows(IllegalArgumentException.class, () -> engine.scan(P, null, 0, NOW));
        assertThrows(IllegalArgumentException.class, () -> engine.scan(P, null, 100_001, NOW));
        assertDoesNotThrow(() -> engine.scan(P, null, 100_000, NOW));
    }

    // ---------------------------------------------------------------- expiry sweeps

    @Test
    void expiredKeysAndPurgeInBoundedBatches() {
        for (int i = 0; i < 10; i++) {
            engine.put(P, b("e" + i), Record.value(b("v"), 1, 100));
        }
        for (int i = 0; i < 5; i++) {
            engine.put(P, b("l" + i), Record.value(b("v"), 1, 500));
        }
        for (int i = 0; i < 3; i++) {
            engine.put(P, b("n" + i), Record.value(b("v"), 1));
        }
        engine.put(P, b("e9"), Record.value(b("v"), 2)); // expiry removed by overwrite
        engine.put(P + 1, b("e0"), Record.value(b("v"), 1, 100)); // other partition
        engine.delete(P, b("tomb"), 3);

        List<String> seen = new ArrayList<>();
        byte[] cursor = null;
        for (int round = 0; round < 10; round++) {
            List<byte[]> page = engine.expiredKeys(P, cursor, 4, 200);
            assertTrue(page.size() <= 4);
            if (page.isEmpty()) {
                break;
            }
            page.forEach(k -> seen.add(s(k)));
            cursor = page.get(page.size() - 1);
        }
        assertEquals(List.of("e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8"), seen);
        assertEquals(14, engine.expiredKeys(P, null, 100, 500).size(), "at or before now");
        assertEquals(0, engine.expiredKeys(P, null, 100, 99).size());

        assertEquals(4, engine.purgeExpired(P, 200, 4));
        assertEquals(4, engine.purgeExpired(P, 200, 4));
        assertEquals(1, engine.purgeExpired(P, 200, 4));
        assertEquals(0, engine.purgeExpired(P, 200, 4));
        assertNull(engine.getRaw(P, b("e0")), "purge removes physically");
        assertNotNull(engine.getRaw(P, b("e9")));
        assertNotNull(engine.getRaw(P, b("l0")));
        assertNotNull(engine.getRaw(P + 1, b("e0")), "purge stays in its partition");
        assertEquals(new EngineStats(5 + 3 + 1, 1, 9 * 3 + 4), engine.stats(P));
        assertEquals(5, engine.purgeExpired(P, 10_000, 100));
        assertEquals(Record.tombstone(3), engine.getRaw(P, b("tomb")), "tombstones never expire");
    }

    // ---------------------------------------------------------------- stats

    @Test
    void statsCountKeysTombstonesAndBytes() {
        assertEquals(new EngineStats(0, 0, 0), engine.stats(P));
        engine.put(P, b("k1"), Record.value(b("12345"), 1));
        engine.put(P, b("k2"), Record.value(b("1"), 1, 50));
        engine.put(P + 1, b("x"), Record.value(b("12"), 1));
        assertEquals(new EngineStats(2, 0, 2 + 5 + 2 + 1), engine.stats(P));
        engine.put(P, b("k1"), Record.value(b("123"), 2));
        assertEquals(new EngineStats(2, 0, 2 + 3 + 2 + 1), engine.stats(P));
        engine.delete(P, b("k1"), 3);
        assertEquals(new EngineStats(1, 1, 2 + 2 + 1), engine.stats(P));
        engine.write(new WriteBatch().remove(P, b("k1")));
        assertEquals(new EngineStats(1, 0, 2 + 1), engine.stats(P));
        assertEquals(new EngineStats(2, 0, 3 + 1 + 2), engine.stats());
        assertEquals(new EngineStats(1, 0, 3), engine.stats(P), "expired-but-unpurged still counted");
    }

    // ---------------------------------------------------------------- snapshots

    private void fill(StorageEngine e, int partition) {
        e.put(partition, b("a"), Record.value(b("1"), 1));
        e.put(partition, b("b"), Record.value(b("2"), 2, 2 * NOW));
        e.delete(partition, b("c"), 3);
        e.put(partition, bytes(0xFF), Record.value(b("ff"), 4));
        e.put(partition, bytes(0x01), Record.value(new byte[0], 5));
    }

    private static Map<String, Record> rawContents(StorageEngine e, int partition, List<String> keys) {
        Map<String, Record> out = new HashMap<>();
        for (String k : keys) {
            Record r = e.getRaw(partition, k.getBytes(StandardCharsets.ISO_8859_1));
            if (r != null) {
                out.put(k, r);
            }
        }
        return out;
    }

    private static final List<String> FILL_KEYS = List.of("a", "b", "c", "\u00ff", "\u0001", "new");

    @Test
    void snapshotThenRestoreRollsBackThePartition() {
        fill(engine, P);
        engine.put(P + 1, b("neighbour"), Record.value(b("n"), 1));
        Map<String, Record> before = rawContents(engine, P, FILL_KEYS);
        assertEquals(5, before.size());
        EngineStats statsBefore = engine.stats(P);

        Path snap = freshDir("snap");
        engine.snapshot(P, snap);
        assertTrue(Files.exists(snap.resolve(SnapshotFile.FILE_NAME)));

        engine.put(P, b("a"), Record.value(b("changed"), 10));
        engine.put(P, b("new"), Record.value(b("n"), 11));
        engine.write(new WriteBatch().remove(P, b("c")));
        engine.put(P + 1, b("neighbour"), Record.value(b("n2"), 12));

        engine.restore(P, snap);
        assertEquals(before, rawContents(engine, P, FILL_KEYS));
        assertEquals(statsBefore, engine.stats(P));
        assertEquals(List.of("\u0001", "a", "b", "\u00ff"), scanAll(engine, P, 2, NOW).stream()
                .map(x -> new String(x.key(), StandardCharsets.ISO_8859_1)).toList());
        assertEquals(Record.value(b("n2"), 12), engine.get(P + 1, b("neighbour"), NOW), "other partitions untouched");
        assertEquals(List.of("b"), engine.expiredKeys(P, null, 10, 2 * NOW).stream().map(StorageEngineContract::s).toList(),
                "expiry survives the snapshot");

        // Restoring twice from the same directory works (the snapshot is not consumed).
        engine.restore(P, snap);
        assertEquals(before, rawContents(engine, P, FILL_KEYS));
    }

    @Test
    void restoreIntoAFreshEngineAndAnotherPartition() {
        fill(engine, P);
        Path snap = freshDir("snap");
        engine.snapshot(P, snap);
        StorageEngine fresh = open(Map.of());
        fresh.put(P, b("stale"), Record.value(b("x"), 1));
        fresh.restore(P, snap);
        assertEquals(rawContents(engine, P, FILL_KEYS), rawContents(fresh, P, FILL_KEYS));
        assertNull(fresh.getRaw(P, b("stale")), "restore replaces the whole partition");
        fresh.restore(P + 5, snap);
        assertEquals(rawContents(engine, P, FILL_KEYS), rawContents(fresh, P + 5, FILL_KEYS));
    }

    @Test
    void snapshotOfEmptyPartitionRestoresToEmpty() {
        Path snap = freshDir("snap");
        engine.snapshot(40, snap);
        engine.put(40, b("x"), Record.value(b("y"), 1));
        engine.restore(40, snap);
        assertNull(engine.getRaw(40, b("x")));
        assertEquals(new EngineStats(0, 0, 0), engine.stats(40));
    }

    @Test
    void snapshotNeedsAnEmptyDirectory() throws IOException {
        Path dir = freshDir("busy");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("junk"), "x");
        assertThrows(IllegalArgumentException.class, () -> engine.snapshot(P, dir));
        assertThrows(IllegalArgumentException.class, () -> engine.restore(P, freshDir("missing")));
    }

    @Test
    void corruptSnapshotIsRejectedAndThePartitionKept() throws IOException {
        fill(engine, P);
        Path snap = freshDir("snap");
        engine.snapshot(P, snap);
        Path file = snap.resolve(SnapshotFile.FILE_NAME);
        byte[] good = Files.readAllBytes(file);
        engine.put(P, b("after"), Record.value(b("x"), 9));
        Map<String, Record> current = rawContents(engine, P, List.of("a", "b", "c", "after"));

        // Flip one bit in the middle of the data.
        byte[] flipped = good.clone();
        flipped[good.length / 2] ^= 0x10;
        Files.write(file, flipped);
        CorruptDataException e = assertThrows(CorruptDataException.class, () -> engine.restore(P, snap));
        assertTrue(e.getMessage().contains("corrupt snapshot"), e.getMessage());
        assertEquals(current, rawContents(engine, P, List.of("a", "b", "c", "after")), "partition unchanged");

        // Truncated.
        Files.write(file, Arrays.copyOf(good, good.length - 3));
        assertThrows(CorruptDataException.class, () -> engine.restore(P, snap));
        // Wrong magic.
        byte[] magic = good.clone();
        magic[0] = 'X';
        Files.write(file, magic);
        assertThrows(CorruptDataException.class, () -> engine.restore(P, snap));
        // Trailing garbage.
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        Files.write(file, longer);
        assertThrows(CorruptDataException.class, () -> engine.restore(P, snap));
        assertEquals(current, rawContents(engine, P, List.of("a", "b", "c", "after")));

        Files.write(file, good);
        engine.restore(P, snap);
        assertNull(engine.getRaw(P, b("after")));
    }

    /**
     * A writer runs steps 0, 1, 2, ... while snapshots are taken. Step i writes k_i, and:
     * i%3==1 first compare-and-sets "cas" to i; i%3==2 is one batch that puts k_i, x_i, y_i and
     * "counter"=i, physically removes x_(i-3) and tombstones y_(i-3). Each snapshot must equal the
     * state after some prefix of m steps, m read off the k_i; everything else must match m.
     */
    @Test
    void snapshotWithConcurrentWriterIsAPrefixOfTheWrites() throws Exception {
        int maxSteps = 400_000;
        AtomicInteger written = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                long casVersion = 0;
                for (int i = 0; i < maxSteps && !stop.get(); i++) {
                    long v = i + 1;
                    if (i % 3 == 2) {
                        WriteBatch batch = new WriteBatch()
                                .put(P, key(i), Record.value(b("batch"), v))
                                .put(P, b("x" + i), Record.value(b("x"), v))
                                .put(P, b("y" + i), Record.value(b("y"), v))
                                .put(P, b("counter"), Record.value(b(Integer.toString(i)), v));
                        if (i >= 3) {
                            batch.remove(P, b("x" + (i - 3))).delete(P, b("y" + (i - 3)), v);
                        }
                        engine.write(batch);
                    } else {
                        // CAS first: k_i present then implies CAS i happened (k_i marks the prefix).
                        if (i % 3 == 1) {
                            assertTrue(engine.compareAndSet(P, b("cas"), casVersion, Record.value(b(Integer.toString(i)), v)));
                            casVersion = v;
                        }
                        engine.put(P, key(i), Record.value(b("single"), v));
                    }
                    written.set(i + 1);
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        writer.start();
        List<Path> snaps = new ArrayList<>();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (written.get() < 2_000 && writer.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            for (int s = 0; s < 3; s++) {
                Path snap = freshDir("snap");
                engine.snapshot(P, snap);
                snaps.add(snap);
                Thread.sleep(5);
            }
        } finally {
            stop.set(true);
            writer.join(30_000);
        }
        assertNull(failure.get());
        int total = written.get();
        boolean overlapped = false;
        for (Path snap : snaps) {
            StorageEngine fresh = open(Map.of());
            fresh.restore(P, snap);
            Map<String, Record> live = new HashMap<>();
            for (ScanResult.Entry e : scanAll(fresh, P, 100_000, NOW)) {
                live.put(s(e.key()), e.record());
            }
            java.util.BitSet steps = new java.util.BitSet();
            live.keySet().stream().filter(k -> k.startsWith("k")).forEach(k -> steps.set(Integer.parseInt(k.substring(1))));
            int m = steps.nextClearBit(0);
            assertEquals(m, steps.cardinality(), "snapshot holds step " + steps.length() + " but not step " + m);
            assertTrue(m >= 2_000, "snapshot taken after step 2000 has only " + m);
            int lastBatch = m >= 3 ? ((m - 1) - ((m - 1) % 3 + 1) % 3) : -1; // largest j < m with j%3==2
            int lastCas = m >= 2 ? ((m - 1) % 3 == 1 ? m - 1 : (m - 1) % 3 == 2 ? m - 2 : m - 3) : -1;
            assertEquals(2, lastBatch % 3);
            assertEquals(Integer.toString(lastBatch), s(live.get("counter").value()), "counter vs prefix " + m);
            // Step m may have done its CAS but not yet written k_m.
            int casSeen = Integer.parseInt(s(live.get("cas").value()));
            assertTrue(casSeen == lastCas || (m % 3 == 1 && casSeen == m), "cas " + casSeen + " vs prefix " + m);
            long expectedX = 0;
            long expectedTombstones = 0;
            for (int j = 2; j < total; j += 3) {
                boolean xPresent = j < m && m <= j + 3;
                assertEquals(xPresent, live.containsKey("x" + j), "x" + j + " with prefix " + m);
                assertEquals(j < m && m <= j + 3, live.containsKey("y" + j), "y" + j + " with prefix " + m);
                expectedX += xPresent ? 1 : 0;
                expectedTombstones += j + 3 < m ? 1 : 0;
            }
            for (int j = Math.max(2, m - 12 - (m % 3)); j < Math.min(total, m + 12); j += 3) {
                if (j % 3 == 2) {
                    Record y = fresh.getRaw(P, b("y" + j));
                    if (j + 3 < m) {
                        assertEquals(Record.tombstone(j + 4), y, "y" + j + " should be a tombstone at prefix " + m);
                    } else if (j >= m) {
                        assertNull(y, "y" + j + " written after the prefix " + m);
                    }
                }
            }
            assertEquals(m + 2 + 2 * expectedX, fresh.stats(P).keys());
            assertEquals(expectedTombstones, fresh.stats(P).tombstones());
            overlapped |= m < total;
        }
        assertTrue(overlapped, "no snapshot overlapped the writes (" + total + " steps): the test proved nothing");
    }

    private static byte[] key(int i) {
        return b(String.format("k%08d", i));
    }

    @Test
    void restoreIsAtomicToReaders() throws Exception {
        StorageEngine source = open(Map.of());
        for (int i = 0; i < 40; i++) {
            source.put(P, b("a" + i), Record.value(b("A"), 1));
        }
        Path snapA = freshDir("a");
        source.snapshot(P, snapA);
        source.dropPartition(P);
        for (int i = 0; i < 25; i++) {
            source.put(P, b("b" + i), Record.value(b("B"), 2));
        }
        Path snapB = freshDir("b");
        source.snapshot(P, snapB);

        engine.restore(P, snapA);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger restores = new AtomicInteger();
        Thread restorer = new Thread(() -> {
            try {
                for (int i = 0; !stop.get() && i < 200; i++) {
                    engine.restore(P, i % 2 == 0 ? snapB : snapA);
                    restores.incrementAndGet();
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        restorer.start();
        try {
            // Read while at least a few restores happen, however slow the machine (bounded: 20 s).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline && restorer.isAlive() && restores.get() < 10) {
                ScanResult page = engine.scan(P, null, 1_000, NOW);
                int n = page.entries().size();
                assertTrue(n == 40 || n == 25, "reader saw a mix of old and new partition: " + n + " entries");
                char c = (char) page.entries().get(0).key()[0];
                for (ScanResult.Entry e : page.entries()) {
                    assertEquals(c, (char) e.key()[0], "mixed contents");
                }
            }
        } finally {
            stop.set(true);
            restorer.join(20_000);
        }
        assertNull(failure.get());
        assertTrue(restores.get() > 2, "restores ran: " + restores.get());
    }

    // ---------------------------------------------------------------- partitions

    @Test
    void dropPartitionOnlyDropsThatPartition() {
        fill(engine, P);
        fill(engine, P + 1);
        engine.dropPartition(P);
        assertTrue(rawContents(engine, P, FILL_KEYS).isEmpty());
        assertEquals(new EngineStats(0, 0, 0), engine.stats(P));
        assertEquals(5, rawContents(engine, P + 1, FILL_KEYS).size());
        assertEquals(4, scanAll(engine, P + 1, 10, NOW).size());
        engine.put(P, b("again"), Record.value(b("v"), 1));
        assertNotNull(engine.get(P, b("again"), NOW));
        engine.dropPartition(999); // never used: fine
    }

    @Test
    void extremePartitionNumbers() {
        int last = StorageEngine.MAX_PARTITIONS - 1;
        engine.put(0, b("k"), Record.value(b("zero"), 1));
        engine.put(last, b("k"), Record.value(b("last"), 1));
        assertArrayEquals(b("zero"), engine.get(0, b("k"), NOW).value());
        assertArrayEquals(b("last"), engine.get(last, b("k"), NOW).value());
        assertEquals(1, scanAll(engine, last, 10, NOW).size());
        engine.dropPartition(last);
        assertNull(engine.getRaw(last, b("k")));
        assertNotNull(engine.getRaw(0, b("k")));
        assertThrows(IllegalArgumentException.class, () -> engine.get(-1, b("k"), NOW));
        assertThrows(IllegalArgumentException.class, () -> engine.put(StorageEngine.MAX_PARTITIONS, b("k"), Record.value(b("v"), 1)));
        assertThrows(IllegalArgumentException.class, () -> engine.scan(-1, null, 1, NOW));
    }

    // ---------------------------------------------------------------- limits and lifecycle

    @Test
    void limitsAreEnforcedWithClearMessages() {
        StorageEngine small = open(Map.of(StorageLimits.MAX_KEY_BYTES, "8", StorageLimits.MAX_VALUE_BYTES, "16"));
        assertEquals(new StorageLimits(8, 16), small.limits());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> small.put(P, new byte[0], Record.value(b("v"), 1)));
        assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> small.put(P, null, Record.value(b("v"), 1)));
        assertThrows(IllegalArgumentException.class, () -> small.get(P, new byte[0], NOW));

        small.put(P, new byte[8], Record.value(new byte[16], 1)); // at the limits: fine
        IllegalArgumentException longKey = assertThrows(IllegalArgumentException.class,
                () -> small.put(P, new byte[9], Record.value(b("v"), 1)));
        assertTrue(longKey.getMessage().contains(StorageLimits.MAX_KEY_BYTES), longKey.getMessage());
        IllegalArgumentException bigValue = assertThrows(IllegalArgumentException.class,
                () -> small.put(P, b("k"), Record.value(new byte[17], 1)));
        assertTrue(bigValue.getMessage().contains(StorageLimits.MAX_VALUE_BYTES), bigValue.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> small.compareAndSet(P, b("k"), 0, Record.value(new byte[17], 1)));
        assertThrows(IllegalArgumentException.class, () -> small.getRaw(P, new byte[9]));
        assertThrows(IllegalArgumentException.class, () -> small.put(P, b("k"), null));
        assertNull(small.getRaw(P, b("k")), "rejected writes left nothing behind");
        assertThrows(IllegalArgumentException.class, () -> open(Map.of(StorageLimits.MAX_KEY_BYTES, "lots")));
        assertThrows(IllegalArgumentException.class, () -> open(Map.of(StorageLimits.MAX_KEY_BYTES, "0")));
    }

    @Test
    void closedEngineThrowsAndCloseIsIdempotent() {
        StorageEngine e = open(Map.of());
        e.put(P, b("k"), Record.value(b("v"), 1));
        e.close();
        e.close();
        assertThrows(IllegalStateException.class, () -> e.get(P, b("k"), NOW));
        assertThrows(IllegalStateException.class, () -> e.getRaw(P, b("k")));
        assertThrows(IllegalStateException.class, () -> e.put(P, b("k"), Record.value(b("v"), 2)));
        assertThrows(IllegalStateException.class, () -> e.delete(P, b("k"), 2));
        assertThrows(IllegalStateException.class, () -> e.compareAndSet(P, b("k"), 1, Record.value(b("v"), 2)));
        assertThrows(IllegalStateException.class, () -> e.write(new WriteBatch().remove(P, b("k"))));
        assertThrows(IllegalStateException.class, () -> e.scan(P, null, 10, NOW));
        assertThrows(IllegalStateException.class, () -> e.expiredKeys(P, null, 10, NOW));
        assertThrows(IllegalStateException.class, () -> e.purgeExpired(P, NOW, 10));
        assertThrows(IllegalStateException.class, () -> e.stats(P));
        assertThrows(IllegalStateException.class, e::stats);
        assertThrows(IllegalStateException.class, () -> e.snapshot(P, freshDir("s")));
        assertThrows(IllegalStateException.class, () -> e.restore(P, freshDir("s")));
        assertThrows(IllegalStateException.class, () -> e.dropPartition(P));
        assertThrows(IllegalStateException.class, e::flush);
    }

    @Test
    void closeWhileOtherThreadsWorkNeverCrashes() throws Exception {
        StorageEngine e = open(Map.of());
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        CountDownLatch running = new CountDownLatch(2);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int me = t;
            Thread th = new Thread(() -> {
                running.countDown();
                for (long i = 1; i < 10_000_000; i++) {
                    try {
                        byte[] k = b("k" + (i % 100));
                        e.put(P, k, Record.value(b("v"), i));
                        e.get(P, k, NOW);
                        if (i % 50 == 0) {
                            e.scan(P, null, 10, NOW);
                        }
                    } catch (IllegalStateException closed) {
                        return; // the only acceptable failure
                    } catch (Throwable other) {
                        unexpected.set(other);
                        return;
                    }
                }
                unexpected.compareAndSet(null, new AssertionError("thread " + me + " never saw the close"));
            });
            threads.add(th);
            th.start();
        }
        assertTrue(running.await(10, TimeUnit.SECONDS));
        Thread.sleep(50);
        e.close();
        for (Thread th : threads) {
            th.join(20_000);
            assertFalse(th.isAlive());
        }
        assertNull(unexpected.get());
    }

    @Test
    void flushIsCallable() {
        engine.put(P, b("k"), Record.value(b("v"), 1));
        engine.flush();
        assertNotNull(engine.get(P, b("k"), NOW));
    }
}
