package io.cairn.commands.tx;

import io.cairn.api.service.Session;
import java.util.concurrent.CompletableFuture;

/**
 * What one request brings to {@link TransactionRunner}: its consistency choices and its deadline.
 * Every service future the runner waits on goes through {@link #bound}, and no retry pause starts
 * that would end past {@link #remainingNanos()}.
 */
public interface TxContext {
    /** The request's consistency choices; null: the service's own defaults (the session-less calls). */
    Session session();

    /** {@code future}, or a copy of it that fails with a {@link java.util.concurrent.TimeoutException} at the deadline. */
    <T> CompletableFuture<T> bound(CompletableFuture<T> future);

    /** Time left before the deadline; {@link Long#MAX_VALUE} for none. */
    long remainingNanos();

    /** No deadline of its own (the front end bounds the request elsewhere) and the service's defaults. */
    static TxContext unbounded() {
        return Unbounded.INSTANCE;
    }

    /** {@link #unbounded()}'s one instance. */
    enum Unbounded implements TxContext {
        INSTANCE;

        @Override
        public Session session() {
            return null;
        }

        @Override
        public <T> CompletableFuture<T> bound(CompletableFuture<T> future) {
            return future;
        }

        @Override
        public long remainingNanos() {
            return Long.MAX_VALUE;
        }
    }
}
