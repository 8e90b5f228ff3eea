package io.cairn.bench.load;

import java.util.List;

/**
 * What a benchmark runs against. RESP (Cairn or any Redis server) is {@link RespTarget}, Cairn's
 * gRPC API is {@link GrpcTarget}; each implements this and {@link Connection} with the same
 * operation semantics (see {@link OperationType}).
 */
public interface Target {
    /** For reports: protocol and addresses. */
    String describe();

    /**
     * Opens client {@code client}'s connection, to its {@code attempt}-th choice of server (a
     * client that lost its server moves on to the next one on reconnect).
     */
    Connection connect(int client, int attempt) throws TargetException;

    /** Checks every server answers, before the run starts (fails fast with a connection error). */
    void probe() throws TargetException;

    /** One client's connection. Not thread-safe. */
    interface Connection extends AutoCloseable {
        /**
         * Runs {@code batch} (pipelined where the protocol allows) and calls {@code completion}
         * once per operation as its reply arrives. Per-operation failures (an error reply) are
         * reported through {@code completion}; a lost connection throws, and the operations not yet
         * completed are then the caller's to count as failed.
         */
        void execute(List<Operation> batch, Completion completion) throws TargetException;

        /** Which server this connection is to. */
        String address();

        @Override
        void close();
    }

    /** Receives one operation's outcome. */
    @FunctionalInterface
    interface Completion {
        /**
         * @param index the operation's position in the batch
         * @param error null on success, else the server's error reply
         * @param found for reads: whether the key existed (a SCAN: every key in its run)
         * @param doneNanos {@link System#nanoTime()} when the reply arrived
         */
        void completed(int index, String error, boolean found, long doneNanos);
    }

    /** A failure to reach a server or a lost connection (not an error reply). */
    final class TargetException extends Exception {
        public TargetException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
