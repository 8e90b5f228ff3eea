package io.cairn.bench.engine;

import io.cairn.storage.Record;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The choice behind the memory backend: point GET and overwrite on a ConcurrentSkipListMap with
 * an unsigned byte[] comparator versus a ConcurrentHashMap keyed by a hashing wrapper, 1M keys,
 * plus {@code harness}: the cost of only picking a key and touching its bytes (the floor every
 * structure pays in this benchmark).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@State(Scope.Benchmark)
public class StructureBenchmark {
    @Param({"chm", "skiplist"})
    public String structure;

    @Param({"uniform", "hot"})
    public String dist;

    /** Size of the {@code hot} working set. */
    @Param({"4096"})
    public int hotKeys;

    static final int KEYS = 1_000_000;

    /** Same shape as the memory backend's key wrapper. */
    static final class Key implements Comparable<Key> {
        final byte[] bytes;
        final int hash;

        Key(byte[] bytes) {
            this.bytes = bytes;
            this.hash = Arrays.hashCode(bytes);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && hash == k.hash && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public int compareTo(Key o) {
            return Arrays.compareUnsigned(bytes, o.bytes);
        }
    }

    ConcurrentHashMap<Key, Record> chm;
    ConcurrentSkipListMap<byte[], Record> skiplist;
    byte[][] keys;
    Record[] values;
    int range;

    @Setup(Level.Trial)
    public void setUp() {
        keys = new byte[KEYS][];
        values = new Record[1024];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < values.length; i++) {
            byte[] v = new byte[64];
            r.nextBytes(v);
            values[i] = Record.value(v, i + 1L);
        }
        if (structure.equals("chm")) {
            chm = new ConcurrentHashMap<>();
        } else {
            skiplist = new ConcurrentSkipListMap<>(Arrays::compareUnsigned);
        }
        for (int i = 0; i < KEYS; i++) {
            keys[i] = EngineBenchmark.key(i);
            if (chm != null) {
                chm.put(new Key(keys[i].clone()), values[i & 1023]);
            } else {
                skiplist.put(keys[i].clone(), values[i & 1023]);
            }
        }
        range = dist.equals("hot") ? hotKeys : KEYS;
    }

    @Benchmark
    public int harness(EngineBenchmark.Cursor c) {
        return keys[c.next(range)][15];
    }

    @Benchmark
    public Record get(EngineBenchmark.Cursor c) {
        byte[] k = keys[c.next(range)];
        return chm != null ? chm.get(new Key(k)) : skiplist.get(k);
    }

    @Benchmark
    public Record overwrite(EngineBenchmark.Cursor c) {
        int i = c.next(range);
        return chm != null ? chm.replace(new Key(keys[i]), values[i & 1023]) : skiplist.replace(keys[i], values[i & 1023]);
    }
}
