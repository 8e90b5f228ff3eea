package io.cairn.api.service;

import io.cairn.api.consistency.ReadConsistency;
import io.cairn.api.consistency.WriteConsistency;
import java.util.Arrays;

/**
 * A caller's view of the service across calls: its consistency choices and, for FOLLOWER reads,
 * the highest log index it has seen per partition (read-your-writes). One per RESP connection or
 * per embedded-API call site; thread-safe, since replies complete on other threads.
 */
public final class Session {
    private volatile ReadConsistency read;
    private volatile WriteConsistency write;
    private final Seen seen;

    /** The read-your-writes indices, shared by sessions derived with {@link #withConsistency}. */
    private static final class Seen {
        long[] lastSeen = new long[0];
    }

    public Session(ReadConsistency read, WriteConsistency write) {
        this(read, write, new Seen());
    }

    private Session(ReadConsistency read, WriteConsistency write, Seen seen) {
        this.read = read;
        this.write = write;
        this.seen = seen;
    }

    /**
     * A session with other consistency levels that shares this one's last-seen indices: per-call
     * options of one caller keep read-your-writes across calls made at different levels.
     */
    public Session withConsistency(ReadConsistency read, WriteConsistency write) {
        if (read == null || write == null) {
            throw new IllegalArgumentException("read and write consistency are required");
        }
        return new Session(read, write, seen);
    }

    /** Linearizable reads, majority writes: the defaults. */
    public static Session defaults() {
        return new Session(ReadConsistency.LINEARIZABLE, WriteConsistency.MAJORITY);
    }

    public ReadConsistency read() {
        return read;
    }

    public WriteConsistency write() {
        return write;
    }

    public void read(ReadConsistency r) {
        if (r == null) {
            throw new IllegalArgumentException("read consistency is required");
        }
        this.read = r;
    }

    public void write(WriteConsistency w) {
        if (w == null) {
            throw new IllegalArgumentException("write consistency is required");
        }
        this.write = w;
    }

    /** Records that this session saw partition {@code p}'s state at log index {@code index}. */
    public void observe(int partition, long index) {
        if (partition < 0 || index <= 0) {
            return;
        }
        synchronized (seen) {
            long[] a = seen.lastSeen;
            if (partition >= a.length) {
                a = seen.lastSeen = Arrays.copyOf(a, Math.max(partition + 1, a.length * 2));
            }
            if (index > a[partition]) {
                a[partition] = index;
            }
        }
    }

    /** The highest log index of {@code partition} this session has seen, 0 if none. */
    public long lastSeen(int partition) {
        synchronized (seen) {
            long[] a = seen.lastSeen;
            return partition >= 0 && partition < a.length ? a[partition] : 0;
        }
    }
}
