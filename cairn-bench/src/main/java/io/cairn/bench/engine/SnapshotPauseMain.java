package io.cairn.bench.engine;

import io.cairn.storage.Record;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import io.cairn.storage.WriteBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * What a memory-backend snapshot costs concurrent writers: preloads one partition with N keys
 * (16-byte keys, 64-byte values), runs a writer overwriting random keys, and reports the writer's
 * latency distribution without and with snapshots running, plus the snapshot duration.
 * Usage: {@code SnapshotPauseMain [keys=1000000] [snapshots=3]}.
 */
public final class SnapshotPauseMain {
    private SnapshotPauseMain() {}

    public static void main(String[] args) throws Exception {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int snapshots = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        try (StorageEngine engine = StorageEngines.open("memory", null, Map.of())) {
            byte[][] k = new byte[keys][];
            Record value = Record.value(new byte[64], 1);
            WriteBatch batch = new WriteBatch();
            for (int i = 0; i < keys; i++) {
                k[i] = EngineBenchmark.key(i);
                batch.put(0, k[i], value);
                if (batch.size() == 1_000 || i == keys - 1) {
                    engine.write(batch);
                    batch = new WriteBatch();
                }
            }
            Histogram quiet = measure(engine, k, value, () -> sleep(2_000));
            Path tmp = Files.createTempDirectory("cairn-snap-");
            long[] durations = new long[snapshots];
            try {
                Histogram busy = measure(engine, k, value, () -> {
                    for (int s = 0; s < snapshots; s++) {
                        long t0 = System.nanoTime();
                        engine.snapshot(0, tmp.resolve("s" + s));
                        durations[s] = System.nanoTime() - t0;
                    }
                });
                print("writer, no snapshot", quiet);
                print("writer, during snapshots", busy);
                for (int s = 0; s < snapshots; s++) {
                    System.out.printf("snapshot %d of %,d keys: %,d ms%n", s, keys, durations[s] / 1_000_000);
                }
            } finally {
                try (Stream<Path> walk = Files.walk(tmp)) {
                    for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
        }
    }

    private static Histogram measure(StorageEngine engine, byte[][] k, Record value, Runnable during) throws InterruptedException {
        Histogram h = new Histogram(60_000_000_000L, 3);
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            long seed = 88172645463325252L;
            while (!stop.get()) {
                seed ^= seed << 13;
                seed ^= seed >>> 7;
                seed ^= seed << 17;
                int i = (int) ((seed >>> 33) % k.length);
                long t0 = System.nanoTime();
                engine.put(0, k[i], value);
                h.recordValue(System.nanoTime() - t0);
            }
        });
        writer.start();
        sleep(500); // warm-up
        h.reset();
        during.run();
        stop.set(true);
        writer.join();
        return h;
    }

    private static void print(String what, Histogram h) {
        System.out.printf("%-26s ops %,10d  p50 %,8d ns  p99 %,10d ns  p99.99 %,12d ns  max %,12d ns%n", what,
                h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(99),
                h.getValueAtPercentile(99.99), h.getMaxValue());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

}
