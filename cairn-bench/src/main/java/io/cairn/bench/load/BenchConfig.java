package io.cairn.bench.load;

import java.nio.file.Path;

/**
 * One run's settings, checked on construction (an {@link IllegalArgumentException} names the bad
 * option). Limits: clients 1..{@value #MAX_CLIENTS}, pipeline 1..{@value #MAX_PIPELINE}, value size
 * 1..{@value #MAX_VALUE_SIZE} bytes, key size {@value #MIN_KEY_SIZE}..{@value #MAX_KEY_SIZE} bytes,
 * report interval {@value #MIN_REPORT_INTERVAL_MS}..{@value #MAX_REPORT_INTERVAL_MS} ms.
 *
 * @param workload the operation mix
 * @param distribution the key distribution, or null for the workload's default
 * @param records records that exist before the run (run workloads), or to insert (load)
 * @param operations operations to run in total; 0 for "until {@code durationMillis}" (load: 0 means every record)
 * @param durationMillis how long to run at most; 0 for "until {@code operations}"
 * @param clients concurrent connections, one thread each
 * @param pipeline operations in flight per connection
 * @param valueSize bytes per written value
 * @param keySize bytes per key ("user" and the zero-padded record number)
 * @param rate operations per second over all clients (fixed-rate, latency from the intended start); 0 for as fast as possible
 * @param partitions Cairn's partition count, to measure write gaps per partition; 0 for one group
 * @param reportIntervalMillis timeline and progress interval
 * @param maxTimelinePoints timeline points kept (later intervals still count in the totals)
 * @param seed random seed (operation mix, keys, values)
 * @param stopFile when this file appears the run stops early (checked every report interval); null for none
 */
public record BenchConfig(Workload workload, Distribution distribution, long records, long operations, long durationMillis,
                          int clients, int pipeline, int valueSize, int keySize, double rate, int partitions,
                          long reportIntervalMillis, int maxTimelinePoints, long seed, Path stopFile) {
    public static final int MAX_CLIENTS = 1024;
    public static final int MAX_PIPELINE = 1024;
    public static final int MAX_VALUE_SIZE = 16 << 20;
    public static final int MIN_KEY_SIZE = 8;
    public static final int MAX_KEY_SIZE = 1024;
    public static final long MIN_REPORT_INTERVAL_MS = 100;
    public static final long MAX_REPORT_INTERVAL_MS = 60_000;
    /** Cairn's partition count is at most the slot count. */
    public static final int MAX_PARTITIONS = 16_384;

    public BenchConfig {
        check(workload != null, "a workload is needed");
        check(records >= 0, "--records must be >= 0");
        check(operations >= 0, "--operations must be >= 0");
        check(durationMillis >= 0, "--duration must be >= 0");
        check(workload.isLoad() ? records > 0 || operations > 0 : operations > 0 || durationMillis > 0,
                workload.isLoad() ? "the load phase needs --records > 0" : "give --operations or --duration");
        check(workload.isLoad() || records > 0, "workload " + workload.name() + " reads existing records: --records must be > 0 (load them first with --workload load)");
        check(clients >= 1 && clients <= MAX_CLIENTS, "--clients must be in 1.." + MAX_CLIENTS);
        check(pipeline >= 1 && pipeline <= MAX_PIPELINE, "--pipeline must be in 1.." + MAX_PIPELINE);
        check(valueSize >= 1 && valueSize <= MAX_VALUE_SIZE, "--value-size must be in 1.." + MAX_VALUE_SIZE);
        check(keySize >= MIN_KEY_SIZE && keySize <= MAX_KEY_SIZE, "--key-size must be in " + MIN_KEY_SIZE + ".." + MAX_KEY_SIZE);
        check(rate >= 0 && !Double.isNaN(rate) && !Double.isInfinite(rate), "--rate must be >= 0");
        check(partitions >= 0 && partitions <= MAX_PARTITIONS, "--partitions must be in 0.." + MAX_PARTITIONS);
        check(reportIntervalMillis >= MIN_REPORT_INTERVAL_MS && reportIntervalMillis <= MAX_REPORT_INTERVAL_MS,
                "--report-interval-ms must be in " + MIN_REPORT_INTERVAL_MS + ".." + MAX_REPORT_INTERVAL_MS);
        check(maxTimelinePoints >= 1, "maxTimelinePoints must be >= 1");
        KeyFormat format = new KeyFormat(keySize);
        check(records <= format.capacity(), "--key-size " + keySize + " holds at most " + format.capacity() + " records");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The distribution in effect. */
    public Distribution effectiveDistribution() {
        return distribution != null ? distribution : workload.defaultDistribution();
    }

    /** Operations this run does at most: the load phase inserts every record once unless told fewer. */
    public long operationBudget() {
        if (workload.isLoad()) {
            return operations > 0 ? Math.min(operations, records > 0 ? records : operations) : records;
        }
        return operations; // 0: no budget, the duration ends the run
    }
}
