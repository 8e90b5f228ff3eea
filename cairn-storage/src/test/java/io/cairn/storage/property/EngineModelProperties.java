package io.cairn.storage.property;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.storage.EngineStats;
import io.cairn.storage.Record;
import io.cairn.storage.ScanResult;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.WriteBatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Model-based test: random operation sequences run against a backend and against a TreeMap per
 * partition (the model); after every step every key's raw record must agree, and scans, expiry
 * sweeps and stats must agree when exercised. Time is a manual counter.
 */
abstract class EngineModelProperties {
    static final int PARTITIONS = 2;
    /** Few, short keys so that operations collide; includes bytes that differ signed vs unsigned. */
    static final byte[][] KEYS = {
            {0x01}, {(byte) 0xFF}, {0x7F}, {(byte) 0x80}, {0x00}, {0x01, 0x00}, {0x01, (byte) 0xFF},
            {'a'}, {'a', 'b'}, {'b'}, {(byte) 0xFF, 0x00}, {(byte) 0x80, (byte) 0x80}};

    /** Opens a fresh engine in {@code dir}. */
    abstract StorageEngine open(Path dir);

    // ------------------------------------------------------------------ actions

    sealed interface Action permits Put, Delete, Cas, Batch, Advance, Scan, Expired, Purge, Snapshot, Restore, Drop, Stats {}

    record Put(int p, int key, byte[] value, int ttl) implements Action {
        @Override
        public String toString() {
            return "Put(p" + p + ", k" + key + ", " + value.length + "B" + (ttl > 0 ? ", ttl " + ttl : "") + ")";
        }
    }

    record Delete(int p, int key) implements Action {}

    /** expected: 0 = "nothing", 1 = the current version, 2 = a wrong version. */
    record Cas(int p, int key, int expected, byte[] value, int ttl) implements Action {
        @Override
        public String toString() {
            return "Cas(p" + p + ", k" + key + ", mode " + expected + ")";
        }
    }

    /** op kinds: 0 put, 1 delete (tombstone), 2 remove (physical). */
    record BatchOp(int kind, int p, int key, byte[] value, int ttl) {
        @Override
        public String toString() {
            return (kind == 0 ? "put" : kind == 1 ? "del" : "rm") + "(p" + p + ",k" + key + ")";
        }
    }

    record Batch(List<BatchOp> ops) implements Action {}

    record Advance(int millis) implements Action {}

    record Scan(int p, int pageSize) implements Action {}

    record Expired(int p, int limit) implements Action {}

    record Purge(int p, int limit) implements Action {}

    record Snapshot(int p) implements Action {}

    record Restore(int p) implements Action {}

    record Drop(int p) implements Action {}

    record Stats(int p) implements Action {}

    @Provide
    Arbitrary<List<Action>> actions() {
        Arbitrary<Integer> p = Arbitraries.integers().between(0, PARTITIONS - 1);
        Arbitrary<Integer> key = Arbitraries.integers().between(0, KEYS.length - 1);
        Arbitrary<byte[]> value = Arbitraries.bytes().array(byte[].class).ofMaxSize(6);
        Arbitrary<Integer> ttl = Arbitraries.frequencyOf(
                Tuple2Freq.<Integer>of(3, Arbitraries.just(0)), Tuple2Freq.<Integer>of(2, Arbitraries.integers().between(1, 3_000)));
        Arbitrary<Action> put = Combinators.combine(p, key, value, ttl).as(Put::new);
        Arbitrary<Action> delete = Combinators.combine(p, key).as(Delete::new);
        Arbitrary<Action> cas = Combinators.combine(p, key, Arbitraries.integers().between(0, 2), value, ttl).as(Cas::new);
        Arbitrary<BatchOp> batchOp = Combinators.combine(
                Arbitraries.integers().between(0, 2), p, key, value, ttl).as(BatchOp::new);
        Arbitrary<Action> batch = batchOp.list().ofMinSize(1).ofMaxSize(6).map(Batch::new);
        Arbitrary<Action> advance = Arbitraries.integers().between(0, 2_000).map(Advance::new);
        Arbitrary<Action> scan = Combinators.combine(p, Arbitraries.integers().between(1, 5)).as(Scan::new);
        Arbitrary<Action> expired = Combinators.combine(p, Arbitraries.integers().between(1, 4)).as(Expired::new);
        Arbitrary<Action> purge = Combinators.combine(p, Arbitraries.integers().between(1, 4)).as(Purge::new);
        Arbitrary<Action> snapshot = p.map(Snapshot::new);
        Arbitrary<Action> restore = p.map(Restore::new);
        Arbitrary<Action> drop = p.map(Drop::new);
        Arbitrary<Action> stats = p.map(Stats::new);
        return Arbitraries.frequencyOf(
                Tuple2Freq.<Action>of(10, put), Tuple2Freq.<Action>of(4, delete), Tuple2Freq.<Action>of(5, cas), Tuple2Freq.<Action>of(4, batch),
                Tuple2Freq.<Action>of(4, advance), Tuple2Freq.<Action>of(4, scan), Tuple2Freq.<Action>of(2, expired), Tuple2Freq.<Action>of(2, purge),
                Tuple2Freq.<Action>of(2, snapshot), Tuple2Freq.<Action>of(2, restore), Tuple2Freq.<Action>of(1, drop), Tuple2Freq.<Action>of(2, stats))
                .list().ofMinSize(1).ofMaxSize(50);
    }

    /** Shorthand for jqwik's frequency tuples. */
    static final class Tuple2Freq {
        static <T> net.jqwik.api.Tuple.Tuple2<Integer, Arbitrary<? extends T>> of(int weight, Arbitrary<? extends T> a) {
            return net.jqwik.api.Tuple.of(weight, a);
        }
    }

    // ------------------------------------------------------------------ the property

    @Property(tries = 200)
    void behavesLikeTheModel(@ForAll("actions") @Size(max = 50) List<Action> actions) throws IOException {
        Path dir = Files.createTempDirectory("cairn-model-");
        try (StorageEngine engine = open(dir.resolve("db"))) {
            new Run(engine, dir).execute(actions);
        } finally {
            deleteRecursively(dir);
        }
    }

    private static final class Run {
        final StorageEngine engine;
        final Path dir;
        @SuppressWarnings({"unchecked", "rawtypes"})
        final TreeMap<byte[], Record>[] model = new TreeMap[PARTITIONS];
        final Map<Integer, Saved> saved = new java.util.HashMap<>();
        long now = 1_000_000;
        long version = 0;
        int snapshots = 0;

        record Saved(Path dir, TreeMap<byte[], Record> contents) {}

        Run(StorageEngine engine, Path dir) {
            this.engine = engine;
            this.dir = dir;
            for (int i = 0; i < PARTITIONS; i++) {
                model[i] = newMap();
            }
        }

        static TreeMap<byte[], Record> newMap() {
            return new TreeMap<>(Arrays::compareUnsigned);
        }

        Record record(byte[] value, int ttl) {
            return Record.value(value, ++version, ttl == 0 ? Record.NO_EXPIRY : now + ttl);
        }

        void execute(List<Action> actions) {
            int step = 0;
            for (Action a : actions) {
                String where = "step " + step++ + " " + a + " at now=" + now;
                apply(a, where);
                checkAllKeys(where);
            }
        }

        void apply(Action action, String where) {
            switch (action) {
                case Put put -> {
                    Record r = record(put.value(), put.ttl());
                    engine.put(put.p(), KEYS[put.key()], r);
                    model[put.p()].put(KEYS[put.key()], r);
                }
                case Delete d -> {
                    long v = ++version;
                    engine.delete(d.p(), KEYS[d.key()], v);
                    model[d.p()].put(KEYS[d.key()], Record.tombstone(v));
                }
                case Cas cas -> {
                    Record current = model[cas.p()].get(KEYS[cas.key()]);
                    long currentVersion = current == null ? 0 : current.version();
                    long expected = switch (cas.expected()) {
                        case 0 -> 0;
                        case 1 -> currentVersion;
                        default -> currentVersion + 1_000_000;
                    };
                    Record r = record(cas.value(), cas.ttl());
                    boolean won = engine.compareAndSet(cas.p(), KEYS[cas.key()], expected, r);
                    assertEquals(expected == currentVersion, won, where + ": CAS outcome");
                    if (won) {
                        model[cas.p()].put(KEYS[cas.key()], r);
                    }
                }
                case Batch batch -> {
                    WriteBatch wb = new WriteBatch();
                    for (BatchOp op : batch.ops()) {
                        byte[] k = KEYS[op.key()];
                        switch (op.kind()) {
                            case 0 -> {
                                Record r = record(op.value(), op.ttl());
                                wb.put(op.p(), k, r);
                                model[op.p()].put(k, r);
                            }
                            case 1 -> {
                                long v = ++version;
                                wb.delete(op.p(), k, v);
                                model[op.p()].put(k, Record.tombstone(v));
                            }
                            default -> {
                                wb.remove(op.p(), k);
                                model[op.p()].remove(k);
                            }
                        }
                    }
                    engine.write(wb);
                }
                case Advance adv -> now += adv.millis();
                case Scan scan -> {
                    List<byte[]> expectedKeys = new ArrayList<>();
                    List<Record> expectedRecords = new ArrayList<>();
                    model[scan.p()].forEach((k, r) -> {
                        if (!r.isDeadAt(now)) {
                            expectedKeys.add(k);
                            expectedRecords.add(r);
                        }
                    });
                    List<ScanResult.Entry> got = new ArrayList<>();
                    byte[] cursor = null;
                    for (int pages = 0; ; pages++) {
                        assertTrue(pages <= KEYS.length + 1, where + ": scan did not finish");
                        ScanResult page = engine.scan(scan.p(), cursor, scan.pageSize(), now);
                        assertTrue(page.entries().size() <= scan.pageSize(), where + ": page over limit");
                        got.addAll(page.entries());
                        if (page.done()) {
                            break;
                        }
                        cursor = page.nextCursor();
                    }
                    assertEquals(hex(expectedKeys), hex(got.stream().map(ScanResult.Entry::key).toList()), where + ": scan keys");
                    assertEquals(expectedRecords, got.stream().map(ScanResult.Entry::record).toList(), where + ": scan records");
                }
                case Expired ex -> {
                    List<byte[]> expected = expiredInModel(ex.p()).stream().limit(ex.limit()).toList();
                    List<byte[]> got = engine.expiredKeys(ex.p(), null, ex.limit(), now);
                    assertEquals(hex(expected), hex(got), where + ": expiredKeys");
                    if (!got.isEmpty()) {
                        List<byte[]> rest = engine.expiredKeys(ex.p(), got.get(got.size() - 1), KEYS.length, now);
                        List<byte[]> expectedRest = expiredInModel(ex.p()).stream().skip(got.size()).toList();
                        assertEquals(hex(expectedRest), hex(rest), where + ": expiredKeys after cursor");
                    }
                }
                case Purge purge -> {
                    List<byte[]> expiredBefore = expiredInModel(purge.p());
                    int removed = engine.purgeExpired(purge.p(), now, purge.limit());
                    assertEquals(Math.min(purge.limit(), expiredBefore.size()), removed, where + ": purge count");
                    int gone = 0;
                    for (byte[] k : expiredBefore) {
                        if (engine.getRaw(purge.p(), k) == null) {
                            model[purge.p()].remove(k);
                            gone++;
                        }
                    }
                    assertEquals(removed, gone, where + ": purge removed other keys than it reported");
                }
                case Snapshot snap -> {
                    Path target = dir.resolve("snap-" + snapshots++);
                    engine.snapshot(snap.p(), target);
                    saved.put(snap.p(), new Saved(target, new TreeMap<>(model[snap.p()])));
                }
                case Restore restore -> {
                    Saved s = saved.get(restore.p());
                    if (s != null) {
                        engine.restore(restore.p(), s.dir());
                        model[restore.p()] = new TreeMap<>(s.contents());
                    }
                }
                case Drop drop -> {
                    engine.dropPartition(drop.p());
                    model[drop.p()] = newMap();
                }
                case Stats st -> {
                    long keys = 0;
                    long tombstones = 0;
                    long bytes = 0;
                    for (Map.Entry<byte[], Record> e : model[st.p()].entrySet()) {
                        if (e.getValue().tombstone()) {
                            tombstones++;
                        } else {
                            keys++;
                        }
                        bytes += e.getKey().length + e.getValue().value().length;
                    }
                    assertEquals(new EngineStats(keys, tombstones, bytes), engine.stats(st.p()), where + ": stats");
                }
            }
        }

        List<byte[]> expiredInModel(int p) {
            List<byte[]> out = new ArrayList<>();
            model[p].forEach((k, r) -> {
                if (!r.tombstone() && r.hasExpiry() && r.expireAtMillis() <= now) {
                    out.add(k);
                }
            });
            return out;
        }

        void checkAllKeys(String where) {
            for (int p = 0; p < PARTITIONS; p++) {
                for (byte[] k : KEYS) {
                    Record expected = model[p].get(k);
                    assertEquals(expected, engine.getRaw(p, k), where + ": getRaw p" + p + " " + HexFormat.of().formatHex(k));
                    Record live = expected == null || expected.isDeadAt(now) ? null : expected;
                    assertEquals(live, engine.get(p, k, now), where + ": get p" + p + " " + HexFormat.of().formatHex(k));
                }
            }
        }

        static List<String> hex(List<byte[]> keys) {
            return keys.stream().map(HexFormat.of()::formatHex).toList();
        }
    }

    static void deleteRecursively(Path path) {
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
