package io.cairn.verify.history;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Thread-safe recorder that workload clients call around every request:
 * <pre>
 * long id = recorder.invoke(process, key, OpKind.WRITE, "v1");   // before sending
 * ... send request, await reply ...
 * recorder.ok(id, reply);      // or fail(id) / info(id)
 * </pre>
 * The clock is read inside {@code invoke} (before the request leaves) and inside
 * {@code ok/fail/info} (after the reply arrived), so every recorded interval contains the real
 * effect — the property linearizability checking depends on. A plain lock is used because clients
 * are network-bound; contention only widens intervals, which is safe.
 *
 * <p>Recording is bounded ({@code maxOps}) so a runaway workload fails fast instead of exhausting
 * the heap and then producing a history too large to check anyway.
 */
public final class HistoryRecorder {
    private final int maxOps;
    private final LongSupplier clock;
    private final List<Op> ops = new ArrayList<>();
    private final List<Boolean> completed = new ArrayList<>();

    public HistoryRecorder(int maxOps) {
        this(maxOps, System::nanoTime);
    }

    /** @param clock nanosecond time source; tests inject a fake one */
    public HistoryRecorder(int maxOps, LongSupplier clock) {
        if (maxOps <= 0) {
            throw new IllegalArgumentException("maxOps must be positive: " + maxOps);
        }
        this.maxOps = maxOps;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Records the start of an operation and returns its id.
     *
     * @throws IllegalStateException once {@code maxOps} operations have been recorded
     */
    public long invoke(int process, String key, OpKind kind, String... input) {
        List<String> in = input == null ? List.of() : Arrays.asList(input.clone());
        synchronized (this) {
            if (ops.size() >= maxOps) {
                throw new IllegalStateException("history is full (" + maxOps + " ops)");
            }
            long id = ops.size();
            long now = clock.getAsLong();
            ops.add(new Op(id, process, key, kind, in, null, now, now, Status.INFO));
            completed.add(false);
            return id;
        }
    }

    /** The op completed and took effect; {@code output} is the reply ({@code null} = nil). */
    public void ok(long id, String output) {
        complete(id, Status.OK, output);
    }

    /** The op completed and took effect; its reply carries no information (e.g. a plain write). */
    public void ok(long id) {
        complete(id, Status.OK, null);
    }

    /** The op definitely had no effect. */
    public void fail(long id) {
        complete(id, Status.FAIL, null);
    }

    /** The outcome is unknown (timeout, connection lost): it may or may not have taken effect. */
    public void info(long id) {
        complete(id, Status.INFO, null);
    }

    private synchronized void complete(long id, Status status, String output) {
        long now = clock.getAsLong();
        if (id < 0 || id >= ops.size()) {
            throw new IllegalArgumentException("unknown op id " + id);
        }
        int i = (int) id;
        if (completed.get(i)) {
            throw new IllegalStateException("op " + id + " already completed: " + ops.get(i));
        }
        Op op = ops.get(i);
        ops.set(i, op.withStatus(status, output, Math.max(now, op.invokeNanos())));
        completed.set(i, true);
    }

    public synchronized int size() {
        return ops.size();
    }

    /** Number of ops invoked but not yet completed. */
    public synchronized int pending() {
        int n = 0;
        for (boolean c : completed) {
            n += c ? 0 : 1;
        }
        return n;
    }

    /**
     * Snapshot of everything recorded so far. Ops still in flight become {@link Status#INFO}:
     * they may already have taken effect on the server, so dropping them would be unsound.
     */
    public synchronized History history() {
        List<Op> snapshot = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            snapshot.add(completed.get(i) ? op : op.withStatus(Status.INFO, null, Long.MAX_VALUE));
        }
        return History.of(snapshot);
    }
}
