package io.cairn.raft;

import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * Futures waiting for a replica's applied index to reach a value: FOLLOWER reads wait here until
 * the replica has applied the client's last-seen write. Bounded: at most {@code maxWaiters} wait at
 * once, later ones are refused at once rather than queueing without limit.
 */
final class AppliedIndexWaiters {
    private record Waiter(long index, CompletableFuture<Void> future) {}

    private final int maxWaiters;
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>((a, b) -> Long.compare(a.index, b.index));
    private long applied;

    AppliedIndexWaiters(int maxWaiters) {
        if (maxWaiters < 1) {
            throw new IllegalArgumentException("maxWaiters must be positive, got " + maxWaiters);
        }
        this.maxWaiters = maxWaiters;
    }

    /** Completes when the applied index is at least {@code index} (at once if it already is). */
    CompletableFuture<Void> await(long index) {
        synchronized (this) {
            if (index <= applied) {
                return CompletableFuture.completedFuture(null);
            }
            if (waiters.size() >= maxWaiters) {
                // Forget waiters whose callers gave up (timed out) before refusing a new one.
                waiters.removeIf(w -> w.future.isDone());
            }
            if (waiters.size() >= maxWaiters) {
                return CompletableFuture.failedFuture(new RejectedExecutionException(
                        waiters.size() + " reads already wait for this replica to catch up"));
            }
            Waiter w = new Waiter(index, new CompletableFuture<>());
            waiters.add(w);
            return w.future;
        }
    }

    /** Called after every apply (and snapshot load): releases the waiters the index now satisfies. */
    void advance(long index) {
        java.util.List<CompletableFuture<Void>> ready = new java.util.ArrayList<>();
        synchronized (this) {
            if (index > applied) {
                applied = index;
            }
            while (!waiters.isEmpty() && waiters.peek().index <= applied) {
                ready.add(waiters.poll().future);
            }
        }
        // Outside the lock: continuations may run here.
        ready.forEach(f -> f.complete(null));
    }
}
