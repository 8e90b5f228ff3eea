package io.cairn.api.service;

import io.cairn.api.reply.Reply;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The narrow interface every front end (RESP, HTTP, gRPC, the embedded API) talks to. A command
 * is its Redis argument vector ({@code argv[0]} is the command name, any case). The service
 * decides where it runs: a local engine on a single node, or the partition's Raft group in a
 * cluster. Front ends know nothing about storage or replication.
 *
 * <p>Only data commands reach the service (strings, keys, DBSIZE, FLUSHALL, ...). Connection
 * and server commands (PING, CLIENT, HELLO, MULTI queueing, ...) are answered by the front end.
 *
 * <p>Every call is atomic and linearizable at the service's configured defaults. Futures
 * complete with a {@link Reply} (including {@link Reply.Error} for Redis-level errors);
 * they complete exceptionally only for infrastructure failures (shutdown, no quorum, timeout).
 */
public interface CommandService extends AutoCloseable {

    /** Runs one data command atomically. */
    CompletableFuture<Reply> execute(byte[][] argv);

    /**
     * The version token of a key for WATCH: changes whenever the key is written, deleted or
     * expires. 0 means "absent and never observed".
     */
    CompletableFuture<Long> watchToken(byte[] key);

    /**
     * Runs a MULTI/EXEC block atomically and in isolation. If any watched key's token differs
     * from the one given, nothing runs and the reply is {@link Reply.Null#ARRAY}; otherwise the
     * reply is an array with one reply per command (errors inline, as Redis does).
     */
    CompletableFuture<Reply> exec(List<byte[][]> commands, List<Watch> watches);

    /**
     * Runs one data command with a session's consistency choices. A single node has one copy of
     * everything and ignores them; the replicated service routes reads and waits for writes by them.
     */
    default CompletableFuture<Reply> execute(byte[][] argv, Session session) {
        return execute(argv);
    }

    /** {@link #watchToken(byte[])} read at the session's consistency. */
    default CompletableFuture<Long> watchToken(byte[] key, Session session) {
        return watchToken(key);
    }

    /** {@link #exec(List, List)} with the session's consistency choices. */
    default CompletableFuture<Reply> exec(List<byte[][]> commands, List<Watch> watches, Session session) {
        return exec(commands, watches);
    }

    /** Keys in the database, for INFO keyspace and DBSIZE-like introspection without a round trip. */
    long approximateKeyCount();

    @Override
    void close();

    record Watch(byte[] key, long token) {}
}
