package io.cairn.bench.engine;

import io.cairn.storage.Record;
import io.cairn.storage.SlotHash;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import io.cairn.storage.WriteBatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Point GET and SET (overwrite of an existing key) on a preloaded engine: 16-byte keys, 64-byte
 * values, keys chosen at random, spread over 16 partitions by
 * slot hash (see {@link #dist}). {@code backend}: {@code memory}, {@code rocksdb} (WAL written, not fsynced per write)
 * or {@code rocksdb-sync} (fsync per write, the production default).
 *
 * <p>Thread counts are separate methods ({@code get1}/{@code get2}...) so one JMH run covers both.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class EngineBenchmark {
    static final int KEY_BYTES = 16;
    static final int VALUE_BYTES = 64;
    static final int PARTITIONS = 16;
    static final int VALUE_POOL = 1024;
    static final int PRELOAD_BATCH = 1_000;

    @Param({"memory", "rocksdb"})
    public String backend;

    @Param({"1000000"})
    public int keys;

    /**
     * {@code uniform}: any of the {@code keys} keys (working set far beyond the CPU caches, so a
     * GET pays several DRAM misses); {@code hot}: the first {@value #HOT_KEYS} keys only (working
     * set in cache: the engine's own CPU cost).
     */
    @Param({"uniform"})
    public String dist;

    static final int HOT_KEYS = 4_096;
    int range;

    StorageEngine engine;
    byte[][] keyBytes;
    int[] partitions;
    Record[] values;
    Path dir;

    static byte[] key(int i) {
        byte[] k = String.format("key:%012d", i).getBytes(StandardCharsets.US_ASCII);
        if (k.length != KEY_BYTES) {
            throw new IllegalStateException("key length " + k.length);
        }
        return k;
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Map<String, String> settings = new HashMap<>();
        String name = backend;
        if (backend.equals("rocksdb") || backend.equals("rocksdb-sync")) {
            name = "rocksdb";
            dir = Files.createTempDirectory("cairn-bench-");
            settings.put("rocksdb.sync-writes", Boolean.toString(backend.equals("rocksdb-sync")));
        }
        engine = StorageEngines.open(name, dir, settings);
        keyBytes = new byte[keys][];
        partitions = new int[keys];
        SplittableRandom random = new SplittableRandom(42);
        values = new Record[VALUE_POOL];
        for (int i = 0; i < VALUE_POOL; i++) {
            byte[] v = new byte[VALUE_BYTES];
            for (int j = 0; j < VALUE_BYTES; j++) {
                v[j] = (byte) ('a' + random.nextInt(26));
            }
            values[i] = Record.value(v, i + 1L);
        }
        WriteBatch batch = new WriteBatch();
        for (int i = 0; i < keys; i++) {
            keyBytes[i] = key(i);
            partitions[i] = SlotHash.partitionOf(keyBytes[i], PARTITIONS);
            batch.put(partitions[i], keyBytes[i], values[i % VALUE_POOL]);
            if (batch.size() == PRELOAD_BATCH || i == keys - 1) {
                engine.write(batch);
                batch = new WriteBatch();
            }
        }
        engine.flush();
        range = switch (dist) {
            case "uniform" -> keys;
            case "hot" -> Math.min(HOT_KEYS, keys);
            default -> throw new IllegalArgumentException("dist must be uniform or hot, got " + dist);
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        engine.close();
        if (dir != null) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
    }

    /** Per-thread random stream, so threads do not share a generator. */
    @State(Scope.Thread)
    public static class Cursor {
        long seed;

        @Setup(Level.Trial)
        public void setUp() {
            seed = new SplittableRandom().nextLong() | 1;
        }

        /** xorshift64: cheap enough not to dominate a 50 ns operation. */
        int next(int bound) {
            long x = seed;
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            seed = x;
            return (int) ((x >>> 33) % bound);
        }
    }

    Record doGet(Cursor c) {
        int i = c.next(range);
        return engine.get(partitions[i], keyBytes[i], 0L);
    }

    void doSet(Cursor c) {
        int i = c.next(range);
        engine.put(partitions[i], keyBytes[i], values[i & (VALUE_POOL - 1)]);
    }

    @Benchmark
    @Threads(1)
    public Record get1(Cursor c) {
        return doGet(c);
    }

    @Benchmark
    @Threads(2)
    public Record get2(Cursor c) {
        return doGet(c);
    }

    @Benchmark
    @Threads(1)
    public void set1(Cursor c) {
        doSet(c);
    }

    @Benchmark
    @Threads(2)
    public void set2(Cursor c) {
        doSet(c);
    }
}
