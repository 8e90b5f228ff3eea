package io.cairn.resp;

import io.cairn.api.reply.Reply;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters for INFO stats and commandstats. The hot counters live in one {@link LoopStats} per
 * event-loop thread, written only by that thread without synchronization; INFO sums them with
 * plain reads (a monitoring snapshot that may lag by a few commands, never torn on 64-bit JVMs).
 * CONFIG RESETSTAT records a baseline instead of writing other threads' counters.
 */
final class ServerStats {
    /** Per-thread counters; arrays are indexed by {@link Cmd#index}. */
    static final class LoopStats {
        final long[] calls;
        final long[] nanos;
        final long[] rejected;
        final long[] failed;
        long commands;
        long netIn;
        long netOut;

        LoopStats(int commandCount) {
            calls = new long[commandCount];
            nanos = new long[commandCount];
            rejected = new long[commandCount];
            failed = new long[commandCount];
        }
    }

    /** Summed per-command counters. */
    record CommandCounters(long calls, long nanos, long rejected, long failed) {}

    private final int commandCount;
    private final CopyOnWriteArrayList<LoopStats> loops = new CopyOnWriteArrayList<>();
    private final ThreadLocal<LoopStats> local;
    private final ConcurrentHashMap<String, LongAdder> errorCodes = new ConcurrentHashMap<>();
    /** Distinct error codes tracked (Redis's errorstats is bounded at 128 as well); later codes are not. */
    static final int MAX_ERROR_CODES = 128;
    private volatile Baseline baseline;

    private record Baseline(long[] calls, long[] nanos, long[] rejected, long[] failed, long commands, long netIn,
                            long netOut) {}

    // Instantaneous rates: the server samples every 100 ms into a ring of 16, as Redis does.
    static final int SAMPLES = 16;
    private final long[] opsSamples = new long[SAMPLES];
    private final long[] inSamples = new long[SAMPLES];
    private final long[] outSamples = new long[SAMPLES];
    private int sampleIndex;
    private long lastSampleMillis;
    private long lastOps;
    private long lastIn;
    private long lastOut;
    private volatile long peakHeapBytes;

    ServerStats(int commandCount) {
        this.commandCount = commandCount;
        this.local = ThreadLocal.withInitial(() -> {
            LoopStats s = new LoopStats(commandCount);
            loops.add(s);
            return s;
        });
        this.baseline = emptyBaseline();
    }

    private Baseline emptyBaseline() {
        return new Baseline(new long[commandCount], new long[commandCount], new long[commandCount],
                new long[commandCount], 0, 0, 0);
    }

    /** The calling thread's counters (each connection caches its event loop's). */
    LoopStats local() {
        return local.get();
    }

    void countError(Reply.Error e) {
        String text = e.text();
        int space = text.indexOf(' ');
        String code = space < 0 ? text : text.substring(0, space);
        LongAdder a = errorCodes.get(code);
        if (a == null) {
            if (errorCodes.size() >= MAX_ERROR_CODES) {
                return;
            }
            a = errorCodes.computeIfAbsent(code, k -> new LongAdder());
        }
        a.increment();
    }

    CommandCounters command(int index) {
        long calls = 0;
        long nanos = 0;
        long rejected = 0;
        long failed = 0;
        for (LoopStats s : loops) {
            calls += s.calls[index];
            nanos += s.nanos[index];
            rejected += s.rejected[index];
            failed += s.failed[index];
        }
        Baseline b = baseline;
        return new CommandCounters(calls - b.calls[index], nanos - b.nanos[index], rejected - b.rejected[index],
                failed - b.failed[index]);
    }

    long totalCommands() {
        long n = 0;
        for (LoopStats s : loops) {
            n += s.commands;
        }
        return n - baseline.commands;
    }

    long netIn() {
        long n = 0;
        for (LoopStats s : loops) {
            n += s.netIn;
        }
        return n - baseline.netIn;
    }

    long netOut() {
        long n = 0;
        for (LoopStats s : loops) {
            n += s.netOut;
        }
        return n - baseline.netOut;
    }

    Map<String, Long> errorCounts() {
        Map<String, Long> m = new TreeMap<>();
        errorCodes.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    long totalErrors() {
        long n = 0;
        for (LongAdder a : errorCodes.values()) {
            n += a.sum();
        }
        return n;
    }

    /** CONFIG RESETSTAT: from now on report counters relative to their current values. */
    void reset() {
        long[] calls = new long[commandCount];
        long[] nanos = new long[commandCount];
        long[] rejected = new long[commandCount];
        long[] failed = new long[commandCount];
        long commands = 0;
        long in = 0;
        long out = 0;
        for (LoopStats s : loops) {
            for (int i = 0; i < commandCount; i++) {
                calls[i] += s.calls[i];
                nanos[i] += s.nanos[i];
                rejected[i] += s.rejected[i];
                failed[i] += s.failed[i];
            }
            commands += s.commands;
            in += s.netIn;
            out += s.netOut;
        }
        baseline = new Baseline(calls, nanos, rejected, failed, commands, in, out);
        errorCodes.clear();
        peakHeapBytes = usedHeap();
    }

    /** Takes one rate sample; called from a single scheduler thread. */
    synchronized void sample(long nowMillis) {
        long ops = totalCommands();
        long in = netIn();
        long out = netOut();
        long dt = nowMillis - lastSampleMillis;
        if (lastSampleMillis != 0 && dt > 0) {
            opsSamples[sampleIndex] = Math.max(0, (ops - lastOps) * 1000 / dt);
            inSamples[sampleIndex] = Math.max(0, (in - lastIn) * 1000 / dt);
            outSamples[sampleIndex] = Math.max(0, (out - lastOut) * 1000 / dt);
            sampleIndex = (sampleIndex + 1) % SAMPLES;
        }
        lastSampleMillis = nowMillis;
        lastOps = ops;
        lastIn = in;
        lastOut = out;
        long heap = usedHeap();
        if (heap > peakHeapBytes) {
            peakHeapBytes = heap;
        }
    }

    synchronized long instantaneousOps() {
        return average(opsSamples);
    }

    synchronized long instantaneousInputBytesPerSecond() {
        return average(inSamples);
    }

    synchronized long instantaneousOutputBytesPerSecond() {
        return average(outSamples);
    }

    long peakHeapBytes() {
        return Math.max(peakHeapBytes, usedHeap());
    }

    static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    private static long average(long[] samples) {
        long sum = 0;
        for (long s : samples) {
            sum += s;
        }
        return sum / samples.length;
    }
}
