package io.cairn.grpc;

import io.cairn.api.service.Session;
import io.cairn.commands.tx.TxContext;
import io.grpc.Context;
import io.grpc.Deadline;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One call's session (its consistency choices) and its deadline: the earlier of the client's gRPC
 * deadline and {@link GrpcSettings#REQUEST_TIMEOUT_MS}. Every service future a handler waits on
 * goes through {@link #bound}, so no call waits past its deadline, whatever the service does.
 */
final class CallScope implements TxContext {
    private final Session session;
    private final long deadlineNanos;

    private CallScope(Session session, long deadlineNanos) {
        this.session = session;
        this.deadlineNanos = deadlineNanos;
    }

    /** Scope of the current gRPC call: must run on the call's thread (where {@link Context#current()} is the call's). */
    static CallScope current(Session session, long requestTimeoutMillis) {
        long now = System.nanoTime();
        long deadline = now + TimeUnit.MILLISECONDS.toNanos(requestTimeoutMillis);
        Deadline client = Context.current().getDeadline();
        if (client != null) {
            deadline = Math.min(deadline, now + client.timeRemaining(TimeUnit.NANOSECONDS));
        }
        return new CallScope(session, deadline);
    }

    @Override
    public Session session() {
        return session;
    }

    @Override
    public long remainingNanos() {
        return deadlineNanos - System.nanoTime();
    }

    boolean expired() {
        return remainingNanos() <= 0;
    }

    /**
     * {@code future}, failing with {@link TimeoutException} once the deadline passes. The service's own
     * future is left alone (a copy times out), so the service still completes it for its own bookkeeping.
     */
    @Override
    public <T> CompletableFuture<T> bound(CompletableFuture<T> future) {
        long remaining = remainingNanos();
        if (remaining <= 0) {
            return CompletableFuture.failedFuture(new TimeoutException("deadline passed"));
        }
        return future.copy().orTimeout(remaining, TimeUnit.NANOSECONDS);
    }
}
