package io.cairn.bench.engine;

import io.cairn.storage.support.WriteGate;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the snapshot-consistency guard costs a writer: enter + exit of the memory backend's
 * striped {@link WriteGate} versus a ReentrantReadWriteLock read lock and a StampedLock read lock
 * (the shared side of a per-partition lock), with 1 and 2 writer threads on the same partition.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class GateBenchmark {
    @Param({"none", "writegate", "rwlock", "stamped"})
    public String gate;

    final WriteGate writeGate = new WriteGate();
    final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    final StampedLock stamped = new StampedLock();

    @State(Scope.Thread)
    public static class Work {
        long counter;
    }

    long guarded(Work w) {
        switch (gate) {
            case "writegate" -> {
                int t = writeGate.enter();
                try {
                    return ++w.counter;
                } finally {
                    writeGate.exit(t);
                }
            }
            case "rwlock" -> {
                rw.readLock().lock();
                try {
                    return ++w.counter;
                } finally {
                    rw.readLock().unlock();
                }
            }
            case "stamped" -> {
                long s = stamped.readLock();
                try {
                    return ++w.counter;
                } finally {
                    stamped.unlockRead(s);
                }
            }
            default -> {
                return ++w.counter;
            }
        }
    }

    @Benchmark
    @Threads(1)
    public long enterExit1(Work w) {
        return guarded(w);
    }

    @Benchmark
    @Threads(2)
    public long enterExit2(Work w) {
        return guarded(w);
    }
}
