package io.cairn.bench.load;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What a run measured, recorded concurrently by the clients and sampled by one reporter thread:
 * per operation kind an HdrHistogram {@link Recorder} of successful latencies (nanoseconds, 3
 * significant digits), counts of successes, failures, read hits and misses; error replies grouped
 * by their code (first word) with one sample text each (at most {@value #MAX_ERROR_KINDS} codes);
 * the longest gap between successful writes per write-gap group; and, at every {@link #sample},
 * one timeline point (at most {@code maxTimelinePoints}; later samples still feed the totals).
 */
public final class BenchStats {
    static final int MAX_ERROR_KINDS = 32;

    private final Map<OperationType, Recorder> recorders = new EnumMap<>(OperationType.class);
    private final Map<OperationType, Histogram> totals = new EnumMap<>(OperationType.class);
    private final Map<OperationType, LongAdder> succeeded = new EnumMap<>(OperationType.class);
    private final Map<OperationType, LongAdder> failed = new EnumMap<>(OperationType.class);
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final Map<String, ErrorKind> errors = new LinkedHashMap<>();
    private final WriteGaps writeGaps;
    private final List<TimelinePoint> timeline = new ArrayList<>();
    private final int maxTimelinePoints;
    private final long startNanos;
    /** Per kind, the interval histogram its recorder handed out last (a Recorder only takes back its own). */
    private final Map<OperationType, Histogram> recycled = new EnumMap<>(OperationType.class);
    private long lastSampleNanos;
    private long lastSucceeded;
    private long lastFailed;
    private long lastWrites;
    private boolean timelineTruncated;

    /** One interval of the run, {@code t} seconds (its end) after the start. */
    public record TimelinePoint(double t, long succeeded, long failed, double opsPerSecond, double writesPerSecond,
                                double p50Ms, double p99Ms, double maxMs) { }

    /** Error replies or connection failures sharing a code. */
    public static final class ErrorKind {
        public final String sample;
        public final AtomicLong count = new AtomicLong();

        ErrorKind(String sample) {
            this.sample = sample;
        }
    }

    public BenchStats(long startNanos, int writeGapGroups, int maxTimelinePoints) {
        for (OperationType t : OperationType.values()) {
            recorders.put(t, new Recorder(3));
            totals.put(t, new Histogram(3));
            succeeded.put(t, new LongAdder());
            failed.put(t, new LongAdder());
        }
        this.writeGaps = new WriteGaps(writeGapGroups);
        this.maxTimelinePoints = maxTimelinePoints;
        this.startNanos = startNanos;
        this.lastSampleNanos = startNanos;
    }

    /** A success: its latency (from the intended start in fixed-rate mode) and completion time. */
    public void success(Operation op, long latencyNanos, boolean found, long doneNanos) {
        OperationType type = op.type();
        recorders.get(type).recordValue(Math.max(0, latencyNanos));
        succeeded.get(type).increment();
        if (type == OperationType.READ || type == OperationType.SCAN) {
            (found ? hits : misses).increment();
        }
        if (type.isWrite()) {
            writeGaps.success(op.partitionGroup(), doneNanos);
        }
    }

    /** A failure: an error reply or a lost connection ({@code message}). */
    public void failure(Operation op, String message) {
        failed.get(op.type()).increment();
        String code = message.isEmpty() ? "ERR" : message.split("[ :]", 2)[0];
        ErrorKind kind;
        synchronized (errors) {
            kind = errors.get(code);
            if (kind == null && errors.size() < MAX_ERROR_KINDS) {
                kind = new ErrorKind(message);
                errors.put(code, kind);
            }
        }
        if (kind != null) {
            kind.count.incrementAndGet();
        }
    }

    /**
     * Takes the interval since the previous sample into the totals and, with {@code keepPoint}, the
     * timeline. Reporter thread only.
     */
    public synchronized TimelinePoint sample(long nowNanos, boolean keepPoint) {
        Histogram interval = null;
        for (OperationType t : OperationType.values()) {
            Histogram h = recorders.get(t).getIntervalHistogram(recycled.get(t));
            recycled.put(t, h);
            totals.get(t).add(h);
            if (interval == null) {
                interval = h.copy();
            } else {
                interval.add(h);
            }
        }
        long s = totalSucceeded();
        long f = totalFailed();
        long w = succeeded.get(OperationType.UPDATE).sum() + succeeded.get(OperationType.INSERT).sum()
                + succeeded.get(OperationType.READ_MODIFY_WRITE).sum();
        double seconds = Math.max(1e-9, (nowNanos - lastSampleNanos) / 1e9);
        TimelinePoint p = new TimelinePoint((nowNanos - startNanos) / 1e9, s - lastSucceeded, f - lastFailed,
                (s - lastSucceeded) / seconds, (w - lastWrites) / seconds, ms(interval.getValueAtPercentile(50)),
                ms(interval.getValueAtPercentile(99)), ms(interval.getMaxValue()));
        lastSampleNanos = nowNanos;
        lastSucceeded = s;
        lastFailed = f;
        lastWrites = w;
        if (!keepPoint) {
            return p;
        }
        if (timeline.size() < maxTimelinePoints) {
            timeline.add(p);
        } else {
            timelineTruncated = true;
        }
        return p;
    }

    synchronized long lastSampleNanos() {
        return lastSampleNanos;
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    public long totalSucceeded() {
        long n = 0;
        for (LongAdder a : succeeded.values()) {
            n += a.sum();
        }
        return n;
    }

    public long totalFailed() {
        long n = 0;
        for (LongAdder a : failed.values()) {
            n += a.sum();
        }
        return n;
    }

    public long succeeded(OperationType t) {
        return succeeded.get(t).sum();
    }

    public long failed(OperationType t) {
        return failed.get(t).sum();
    }

    public long hits() {
        return hits.sum();
    }

    public long misses() {
        return misses.sum();
    }

    /** After the last {@link #sample}: the latencies of all successes of kind {@code t}. */
    public synchronized Histogram total(OperationType t) {
        return totals.get(t).copy();
    }

    /** After the last {@link #sample}: the latencies of all successes. */
    public synchronized Histogram total() {
        Histogram h = new Histogram(3);
        totals.values().forEach(h::add);
        return h;
    }

    public synchronized List<TimelinePoint> timeline() {
        return List.copyOf(timeline);
    }

    public synchronized boolean timelineTruncated() {
        return timelineTruncated;
    }

    public Map<String, ErrorKind> errors() {
        synchronized (errors) {
            return new LinkedHashMap<>(errors);
        }
    }

    public WriteGaps writeGaps() {
        return writeGaps;
    }

    /**
     * The longest time between consecutive successful writes, per group (a Cairn partition when
     * the partition count is given, so a failover shows up as its partitions' gap even while the
     * other partitions keep taking writes). A gap is measured from a group's first success on;
     * {@link #finish} adds the gap from each group's last success to the end of the run (writes
     * that never resumed).
     */
    public static final class WriteGaps {
        private final long[] lastSuccess;
        private final long[] groupMaxGapNanos;
        private long maxGapNanos;
        private long maxGapStartNanos;
        private int maxGapGroup = -1;

        WriteGaps(int groups) {
            if (groups < 1) {
                throw new IllegalArgumentException("groups must be >= 1");
            }
            lastSuccess = new long[groups];
            groupMaxGapNanos = new long[groups];
        }

        synchronized void success(int group, long doneNanos) {
            long last = lastSuccess[group];
            if (last != 0 && doneNanos - last > 0) {
                note(group, last, doneNanos);
            }
            if (last == 0 || doneNanos - last > 0) {
                lastSuccess[group] = doneNanos;
            }
        }

        private void note(int group, long from, long to) {
            groupMaxGapNanos[group] = Math.max(groupMaxGapNanos[group], to - from);
            if (to - from > maxGapNanos) {
                maxGapNanos = to - from;
                maxGapStartNanos = from;
                maxGapGroup = group;
            }
        }

        /** Counts each group's silence until {@code endNanos}. */
        public synchronized void finish(long endNanos) {
            for (int g = 0; g < lastSuccess.length; g++) {
                if (lastSuccess[g] != 0 && endNanos - lastSuccess[g] > 0) {
                    note(g, lastSuccess[g], endNanos);
                }
            }
        }

        public synchronized long maxGapNanos() {
            return maxGapNanos;
        }

        /** {@link System#nanoTime()} at the last success before the longest gap (0 if none). */
        public synchronized long maxGapStartNanos() {
            return maxGapStartNanos;
        }

        /** Per group, its longest gap (0 for a group without two successes). */
        public synchronized long[] groupMaxGapNanos() {
            return groupMaxGapNanos.clone();
        }

        /** The group of the longest gap, -1 if none. */
        public synchronized int maxGapGroup() {
            return maxGapGroup;
        }

        public int groups() {
            return lastSuccess.length;
        }
    }
}
