package io.cairn.bench.load;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Record numbers for inserts, shared by all clients, and the count of records that exist for
 * reads: every record below {@link #acknowledged()} has finished its insert (YCSB's acknowledged
 * counter). Reads never pick a record whose insert is still in flight, so a miss on a loaded key
 * means a lost or failed write, not a race with the insert. A failed insert counts as finished
 * (otherwise the count would stop growing for the rest of the run).
 *
 * <p>Instead of a window of finished flags (which a stalled client would let grow without bound),
 * each client publishes a lower bound of its unfinished inserts before it claims one; the count is
 * the minimum of those and the next number to hand out. O(clients) per read, no lock.
 */
final class InsertSequence {
    private static final long NONE = Long.MAX_VALUE;
    private final AtomicLong next;
    private final long limit;
    /** Per client: a number <= each of its unfinished inserts, or NONE. */
    private final AtomicLongArray oldestUnfinished;

    /**
     * @param start the first record number to insert (0 for the load phase, the loaded record count in a run)
     * @param limit one past the last record number allowed (the key format's capacity, or the load's record count)
     * @param clients how many clients claim numbers
     */
    InsertSequence(long start, long limit, int clients) {
        if (start < 0 || limit < start || clients < 1) {
            throw new IllegalArgumentException("bad insert sequence " + start + ".." + limit + " for " + clients + " clients");
        }
        this.next = new AtomicLong(start);
        this.limit = limit;
        long[] none = new long[clients];
        Arrays.fill(none, NONE);
        this.oldestUnfinished = new AtomicLongArray(none);
    }

    /** The next record number for {@code client} to insert, or -1 once there is no room for more. */
    long claim(int client) {
        if (oldestUnfinished.get(client) == NONE) {
            // Published before the claim: whoever reads `next` past our number then sees this bound.
            oldestUnfinished.set(client, next.get());
        }
        long n = next.getAndIncrement();
        if (n >= limit) {
            next.set(limit); // stays at the limit rather than creeping towards overflow
            return -1;
        }
        return n;
    }

    /** {@code client}'s inserts so far all finished (succeeded or failed). */
    void finished(int client) {
        oldestUnfinished.set(client, NONE);
    }

    /** Records 0..acknowledged()-1 exist (or their insert failed). */
    long acknowledged() {
        long bound = Math.min(next.get(), limit); // read first: a claim below it published its bound already
        for (int i = 0; i < oldestUnfinished.length(); i++) {
            bound = Math.min(bound, oldestUnfinished.get(i));
        }
        return bound;
    }
}
