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
    private long[] lastSeen = new long[0];

    public Session(ReadConsistency read, WriteConsistency write) {
        this.read = read;
        this.write = write;
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
    public synchronized void observe(int partition, long index) {
        if (partition < 0 || index <= 0) {
            return;
        }
        if (partition >= lastSeen.length) {
            lastSeen = Arrays.copyOf(lastSeen, Math.max(partition + 1, lastSeen.length * 2));
        }
        if (index > lastSeen[partition]) {
            lastSeen[partition] = index;
        }
    }

    /** The highest log index of {@code partition} this session has seen, 0 if none. */
    public synchronized long lastSeen(int partition) {
        return partition >= 0 && partition < lastSeen.length ? lastSeen[partition] : 0;
    }
}
