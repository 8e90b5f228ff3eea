package io.cairn.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.storage.SlotHash;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver against an in-memory target (a unit test: the RESP target is exercised against real
 * servers in cairn-cli's BenchCommandTest): operation counts, hits after a load, the fixed rate,
 * coordinated-omission-corrected latency through a stall, failures and reconnects, write gaps per
 * partition, the stop file, and the reports.
 */
@Timeout(60)
class LoadDriverTest {
    /** A key-value map behind the Target interface, with injectable stalls and failures. */
    static final class MemoryTarget implements Target {
        final ConcurrentHashMap<ByteBuffer, byte[]> data = new ConcurrentHashMap<>();
        final AtomicInteger connects = new AtomicInteger();
        /** nanoTime until which every batch first sleeps (a server pause). */
        final AtomicLong stallUntil = new AtomicLong();
        /** nanoTime until which writes to partition {@link #failPartition} of {@link #partitions} get an error reply. */
        final AtomicLong failWritesUntil = new AtomicLong();
        volatile int failPartition = -1;
        volatile int partitions = 1;
        /** Connections to drop (each throws once, mid-batch). */
        final AtomicInteger dropsLeft = new AtomicInteger();

        @Override
        public String describe() {
            return "memory";
        }

        @Override
        public void probe() { }

        @Override
        public Connection connect(int client, int attempt) {
            connects.incrementAndGet();
            return new Connection() {
                @Override
                public void execute(List<Operation> batch, Completion completion) throws TargetException {
                    long stall = stallUntil.get() - System.nanoTime();
                    if (stall > 0) {
                        try {
                            Thread.sleep(stall / 1_000_000, (int) (stall % 1_000_000));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    for (int i = 0; i < batch.size(); i++) {
                        if (i == batch.size() / 2 && dropsLeft.getAndUpdate(d -> Math.max(0, d - 1)) > 0) {
                            throw new TargetException("dropped", null);
                        }
                        Operation op = batch.get(i);
                        if (op.type().isWrite() && System.nanoTime() < failWritesUntil.get()
                                && SlotHash.partitionOf(op.keys()[0], partitions) == failPartition) {
                            completion.completed(i, "TRYAGAIN no leader", false, System.nanoTime());
                            continue;
                        }
                        boolean found = true;
                        for (byte[] k : op.keys()) {
                            if (op.value() != null) {
                                data.put(ByteBuffer.wrap(k), op.value());
                            } else {
                                found &= data.containsKey(ByteBuffer.wrap(k));
                            }
                        }
                        completion.completed(i, null, found, System.nanoTime());
                    }
                }

                @Override
                public String address() {
                    return "memory";
                }

                @Override
                public void close() { }
            };
        }
    }

    private static BenchConfig config(String workload, long records, long operations, long durationMs, int clients,
                                      int pipeline, double rate, int partitions, Path stopFile) {
        return new BenchConfig(Workload.named(workload), null, records, operations, durationMs, clients, pipeline, 32, 16,
                rate, partitions, 100, 10_000, 5, stopFile);
    }

    @Test
    void loadThenRunDoesExactlyTheRequestedOperationsAndEveryReadHits() throws Exception {
        MemoryTarget target = new MemoryTarget();
        LoadDriver.Result load = new LoadDriver(config("load", 5_000, 0, 0, 4, 8, 0, 0, null), target).run(null);
        assertEquals(5_000, load.stats().succeeded(OperationType.INSERT));
        assertEquals(5_000, target.data.size(), "each record inserted exactly once");
        for (String w : List.of("a", "b", "c", "e", "f")) {
            LoadDriver.Result run = new LoadDriver(config(w, 5_000, 3_000, 0, 3, 4, 0, 0, null), target).run(null);
            BenchStats s = run.stats();
            assertEquals(3_000, s.totalSucceeded(), w);
            assertEquals(0, s.totalFailed(), w);
            assertEquals(0, s.misses(), "workload " + w + ": every read is of a loaded record");
            assertEquals(s.succeeded(OperationType.READ) + s.succeeded(OperationType.SCAN), s.hits(), w);
            assertEquals(3_000, s.total().getTotalCount(), "one latency per operation");
        }
        // d inserts past the loaded records and reads the latest ones: reads never miss an unfinished insert.
        LoadDriver.Result d = new LoadDriver(config("d", 5_000, 20_000, 0, 4, 8, 0, 0, null), target).run(null);
        assertEquals(0, d.stats().misses());
        assertEquals(5_000 + d.stats().succeeded(OperationType.INSERT), target.data.size());
        assertTrue(d.stats().succeeded(OperationType.INSERT) > 500, "about 5% of 20000 are inserts");
    }

    @Test
    void fixedRateHoldsTheRateAndChargesAStallToEveryOperationItDelayed() throws Exception {
        MemoryTarget target = new MemoryTarget();
        new LoadDriver(config("load", 1_000, 0, 0, 2, 16, 0, 0, null), target).run(null);
        target.stallUntil.set(0);
        long stallAt = System.nanoTime() + 500_000_000L;
        Thread staller = new Thread(() -> {
            while (System.nanoTime() < stallAt) {
                Thread.onSpinWait();
            }
            target.stallUntil.set(System.nanoTime() + 300_000_000L);
        });
        staller.start();
        LoadDriver.Result r = new LoadDriver(config("a", 1_000, 0, 2_000, 2, 4, 1_000, 0, null), target).run(null);
        staller.join();
        long ops = r.stats().totalSucceeded();
        // 2 s at 1000/s: the schedule is by intended start times, so the count is the rate's (a late client catches up).
        assertTrue(ops >= 1_400 && ops <= 2_050, "ops " + ops);
        // The 300 ms stall delayed ~300 operations' intended starts, not only the 2 that were in flight.
        long delayed = r.stats().total().getCountBetweenValues(100_000_000L, Long.MAX_VALUE);
        assertTrue(delayed >= 150, "only " + delayed + " operations were charged >= 100 ms");
        assertTrue(r.stats().total().getMaxValue() >= 250_000_000L, "max " + r.stats().total().getMaxValue());
    }

    @Test
    void failuresAreCountedClientsReconnectAndWriteGapsArePerPartition() throws Exception {
        MemoryTarget target = new MemoryTarget();
        new LoadDriver(config("load", 2_000, 0, 0, 2, 8, 0, 0, null), target).run(null);
        target.partitions = 8;
        target.failPartition = 3;
        target.dropsLeft.set(2);
        long failFrom = System.nanoTime() + 400_000_000L;
        Thread failer = new Thread(() -> {
            while (System.nanoTime() < failFrom) {
                Thread.onSpinWait();
            }
            target.failWritesUntil.set(System.nanoTime() + 600_000_000L);
        });
        failer.start();
        int connectsBefore = target.connects.get();
        LoadDriver.Result r = new LoadDriver(config("a", 2_000, 0, 1_800, 2, 4, 2_000, 8, null), target).run(null);
        failer.join();
        BenchStats s = r.stats();
        assertTrue(s.errors().containsKey("TRYAGAIN"), "errors " + s.errors().keySet());
        assertTrue(s.errors().containsKey("CONNECTION"), "errors " + s.errors().keySet());
        assertEquals(s.totalFailed(), s.errors().values().stream().mapToLong(k -> k.count.get()).sum());
        assertEquals(4, target.connects.get() - connectsBefore, "2 clients + 2 reconnects after the drops");
        BenchStats.WriteGaps gaps = s.writeGaps();
        assertEquals(3, gaps.maxGapGroup(), "the partition whose writes failed has the longest gap");
        assertTrue(gaps.maxGapNanos() >= 550_000_000L, "gap " + gaps.maxGapNanos());
        assertTrue(gaps.maxGapNanos() < 1_200_000_000L, "gap " + gaps.maxGapNanos());

        JsonNode json = BenchReport.json(r);
        assertEquals(3, json.get("maxWriteGap").get("group").asInt());
        JsonNode byGroup = json.get("maxWriteGap").get("byGroupMs");
        assertEquals(8, byGroup.size());
        for (int g = 0; g < 8; g++) {
            if (g != 3) {
                assertTrue(byGroup.get(g).asDouble() < byGroup.get(3).asDouble(), "partition " + g + ": " + byGroup);
            }
        }
        assertEquals(s.totalFailed(), json.get("failed").asLong());
        // A point per 100 ms for 1.8 s; a starved reporter (loaded machine) merges late intervals into fewer.
        assertTrue(json.get("timeline").size() >= 5, "timeline " + json.get("timeline").size());
        StringWriter table = new StringWriter();
        BenchReport.table(r, new PrintWriter(table));
        assertTrue(table.toString().contains("partition 3 of 8"), table.toString());
        String html = BenchReport.html(r);
        assertTrue(html.contains("<polyline") && html.contains("p99"), "html has the plots");
    }

    @Test
    void aStopFileEndsTheRunEarly(@TempDir Path dir) throws Exception {
        MemoryTarget target = new MemoryTarget();
        new LoadDriver(config("load", 100, 0, 0, 1, 1, 0, 0, null), target).run(null);
        Path stop = dir.resolve("stop");
        Thread stopper = new Thread(() -> {
            try {
                Thread.sleep(500);
                Files.createFile(stop);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        stopper.start();
        long start = System.nanoTime();
        LoadDriver.Result r = new LoadDriver(config("c", 100, 0, 30_000, 1, 1, 500, 0, stop), target).run(null);
        stopper.join();
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "stopped long before the 30 s duration");
        assertTrue(r.stopReason().contains("stop file"), r.stopReason());
        assertTrue(r.stats().totalSucceeded() > 100, "ran until the file appeared");
    }
}
