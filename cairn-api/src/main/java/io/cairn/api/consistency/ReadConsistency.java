package io.cairn.api.consistency;

import java.util.Locale;

/**
 * How a read is served. Stronger levels cost a round to the partition's leader; weaker ones are
 * answered by whichever replica is nearest.
 */
public enum ReadConsistency {
    /** ReadIndex on the partition leader: the read sees every write acknowledged before it began. */
    LINEARIZABLE,
    /**
     * The leader answers from its own state while it holds a lease (renewed by every quorum round
     * it leads); without a lease it falls back to ReadIndex. Linearizable as long as clocks advance
     * at nearly the same rate (the lease is a fraction of the minimum election timeout).
     */
    LEASE,
    /**
     * Any replica, once it has applied every write this session has seen acknowledged
     * (read-your-writes, monotonic reads within the session); may miss other sessions' latest writes.
     */
    FOLLOWER,
    /** The nearest replica, at once: may be arbitrarily stale, never blocks on the leader. */
    STALE;

    public static ReadConsistency parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("read consistency must be LINEARIZABLE, LEASE, FOLLOWER or STALE, got '"
                    + s + "'");
        }
    }
}
