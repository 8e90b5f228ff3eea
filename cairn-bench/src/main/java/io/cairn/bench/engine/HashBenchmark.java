package io.cairn.bench.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class HashBenchmark {
    static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    byte[][] keys = new byte[64][];
    int idx;

    @Setup
    public void setUp() {
        for (int i = 0; i < keys.length; i++) {
            keys[i] = EngineBenchmark.key(i);
        }
    }

    byte[] next() {
        idx = (idx + 1) & 63;
        return keys[idx];
    }

    @Benchmark
    public int baseline() {
        return next()[3];
    }

    @Benchmark
    public int arraysHashCode() {
        return Arrays.hashCode(next());
    }

    @Benchmark
    public int varHandle() {
        byte[] b = next();
        long h = 0x1234 ^ (b.length * 0x9E3779B97F4A7C15L);
        int i = 0;
        for (; i + 8 <= b.length; i += 8) {
            h = (h ^ (long) LONGS.get(b, i)) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        for (; i < b.length; i++) {
            h = (h ^ (b[i] & 0xFF)) * 0x94D049BB133111EBL;
        }
        h ^= h >>> 29;
        return (int) (h ^ (h >>> 32));
    }

    @Benchmark
    public int manualLongs() {
        byte[] b = next();
        long h = 0x1234 ^ (b.length * 0x9E3779B97F4A7C15L);
        int i = 0;
        for (; i + 8 <= b.length; i += 8) {
            long v = (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24
                    | (b[i + 4] & 0xFFL) << 32 | (b[i + 5] & 0xFFL) << 40 | (b[i + 6] & 0xFFL) << 48 | (b[i + 7] & 0xFFL) << 56;
            h = (h ^ v) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        for (; i < b.length; i++) {
            h = (h ^ (b[i] & 0xFF)) * 0x94D049BB133111EBL;
        }
        h ^= h >>> 29;
        return (int) (h ^ (h >>> 32));
    }

    @Benchmark
    public int loop31() {
        byte[] b = next();
        int h = 1;
        for (byte x : b) {
            h = 31 * h + x;
        }
        return h;
    }
}
