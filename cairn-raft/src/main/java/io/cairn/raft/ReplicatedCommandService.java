package io.cairn.raft;

import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.api.service.Session;
import io.cairn.commands.CommandExecutor;
import io.cairn.raft.codec.Command;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The cluster {@link CommandService}: each command goes to the Raft group of its keys' partition.
 * Writes are proposed (group-committed) and answered after apply; reads run after a ReadIndex on
 * the group's leader (linearizable). Whichever node receives a command proposes it; Ratis forwards
 * to the leader.
 *
 * <p>Commands whose keys span partitions get {@code -CROSSSLOT}, as in Redis Cluster. Keyless
 * commands (KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHALL, FLUSHDB) span every partition and are not
 * supported by this service yet: they get an error rather than a silently partial answer.
 *
 * <p>Time: each command's {@code nowMillis} and {@code version} come from the node's HLC when its
 * batch is formed (propose time); the state machine keeps them monotonic along the log.
 */
public final class ReplicatedCommandService implements CommandService {
    public static final Reply.Error CROSSSLOT = Reply.error("CROSSSLOT Keys in request don't hash to the same slot");

    private final RaftNode node;
    private final CommandExecutor executor;
    private final KeyRouter router;
    private final HybridLogicalClock hlc;
    private final long timeoutMillis;
    private final Session defaults = Session.defaults();
    private volatile boolean closed;

    public ReplicatedCommandService(RaftNode node) {
        this(node, 10_000);
    }

    /**
     * @param timeoutMillis how long a caller waits for a command's reply (the Raft client retries
     *                      through leader changes meanwhile); past it the outcome of a write is unknown
     */
    public ReplicatedCommandService(RaftNode node, long timeoutMillis) {
        if (timeoutMillis < 1) {
            throw new IllegalArgumentException("command timeout must be positive, got " + timeoutMillis);
        }
        this.node = node;
        this.executor = node.executor();
        this.router = new KeyRouter(node.partitions());
        this.hlc = node.hlc();
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    public CompletableFuture<Reply> execute(byte[][] argv) {
        return execute(argv, defaults);
    }

    @Override
    public CompletableFuture<Reply> execute(byte[][] argv, Session session) {
        if (closed) {
            return closedFuture();
        }
        try {
            int p = router.partitionOf(argv);
            return switch (p) {
                // Unknown command or bad arity: the executor answers with the exact Redis error and touches nothing.
                case KeyRouter.INVALID -> CompletableFuture.completedFuture(executor.execute(argv, 0, 0));
                case KeyRouter.CROSS_PARTITION -> CompletableFuture.completedFuture(CROSSSLOT);
                case KeyRouter.KEYLESS -> keyless(argv, session);
                default -> run(p, RaftNode.execute(argv), executor.classify(argv) == CommandExecutor.Kind.WRITE, session);
            };
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Sends one command to partition {@code p}'s group at the session's consistency, records the
     * log index it saw (read-your-writes for FOLLOWER reads) and turns infrastructure failures
     * into Redis-style errors: {@code -TIMEOUT} (a write's outcome is then unknown), {@code
     * -TRYAGAIN} (refused before it was proposed: queue full, node closing).
     */
    private CompletableFuture<Reply> run(int p, GroupCommitter.Template t, boolean write, Session session) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        CompletableFuture<GroupCommitter.Applied> sent = write
                ? node.write(p, t, session.write())
                : readRetrying(p, t, session, deadline);
        CompletableFuture<Reply> reply = sent.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS).handle((applied, error) -> {
            if (error == null) {
                session.observe(p, applied.logIndex());
                return applied.reply();
            }
            return failure(error, write);
        });
        long after = node.config().noQuorumAfterMs();
        if (after > 0 && after < timeoutMillis && !reply.isDone()) {
            watchQuorum(p, reply, write, deadline, after);
        }
        return reply;
    }

    /**
     * Answers a command that is still waiting {@code CLUSTERDOWN} as soon as its partition is
     * known to have no quorum ({@link RaftNode#noQuorum}): looked at first once it has waited
     * {@code raft.no-quorum-after-ms} (most commands are long done by then), then every quarter of
     * that, until the command completes or its deadline passes. The Raft client keeps its request
     * (a write may still commit once a majority is back, hence "may or may not"); only the caller
     * stops waiting, with an error that says to retry later instead of a timeout.
     */
    private void watchQuorum(int p, CompletableFuture<Reply> reply, boolean write, long deadline, long firstLookMillis) {
        Executor later = CompletableFuture.delayedExecutor(firstLookMillis, TimeUnit.MILLISECONDS);
        later.execute(() -> {
            if (reply.isDone() || closed || System.nanoTime() - deadline > 0) {
                return;
            }
            String why;
            try {
                why = node.noQuorum(p);
            } catch (RuntimeException e) {
                why = null; // the partition left this node meanwhile: the command's own outcome decides
            }
            if (why != null) {
                reply.complete(Reply.error("CLUSTERDOWN no quorum: " + why + (write
                        ? "; the write may or may not have been applied; retry later" : "; retry later")));
                return;
            }
            watchQuorum(p, reply, write, deadline, Math.max(10, node.config().noQuorumAfterMs() / 4));
        });
    }

    /** Pause between attempts of a read refused because the group has no leader yet. */
    static final long READ_RETRY_PAUSE_MILLIS = 50;

    /**
     * Reads have no effect, so one refused because the group has no (ready) leader right now — a
     * ReadIndex answered "leader is unknown" during an election or while a restarted replica
     * rejoins — is simply tried again until the command's deadline, as Ratis's client already does
     * for writes. Bounded by the deadline; pauses {@value #READ_RETRY_PAUSE_MILLIS} ms in between.
     */
    private CompletableFuture<GroupCommitter.Applied> readRetrying(int p, GroupCommitter.Template t, Session session,
                                                                   long deadline) {
        return node.read(p, t, session.read(), session.lastSeen(p)).handle((applied, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(applied);
            }
            if (closed || !leaderUnavailable(error)
                    || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READ_RETRY_PAUSE_MILLIS) > deadline) {
                return CompletableFuture.<GroupCommitter.Applied>failedFuture(error);
            }
            Executor later = CompletableFuture.delayedExecutor(READ_RETRY_PAUSE_MILLIS, TimeUnit.MILLISECONDS);
            return CompletableFuture.supplyAsync(() -> null, later).thenCompose(v -> readRetrying(p, t, session, deadline));
        }).thenCompose(f -> f);
    }

    /** Ratis's ways of saying "no leader to serve this right now" (as opposed to a definite failure). */
    static boolean leaderUnavailable(Throwable error) {
        for (Throwable c = error; c != null; c = c.getCause()) {
            if (c instanceof org.apache.ratis.protocol.exceptions.ReadIndexException
                    || c instanceof org.apache.ratis.protocol.exceptions.NotLeaderException
                    || c instanceof org.apache.ratis.protocol.exceptions.LeaderNotReadyException
                    || c instanceof org.apache.ratis.protocol.exceptions.LeaderSteppingDownException
                    || c instanceof org.apache.ratis.protocol.exceptions.ReadException) {
                return true;
            }
        }
        return false;
    }

    static Reply failure(Throwable error, boolean write) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof TimeoutException) {
            return Reply.error(write ? "TIMEOUT no reply from the partition's replicas in time; the write may or may not"
                    + " have been applied" : "TIMEOUT no reply from the partition's replicas in time");
        }
        if (cause instanceof java.util.concurrent.RejectedExecutionException) {
            return Reply.error("TRYAGAIN " + cause.getMessage());
        }
        if (cause instanceof IllegalStateException && String.valueOf(cause.getMessage()).contains("closed")) {
            return Reply.error("SHUTDOWN this node is shutting down");
        }
        String text = cause.getClass().getSimpleName() + ": " + cause.getMessage();
        return Reply.error((write ? "CLUSTERDOWN the write may or may not have been applied: " : "CLUSTERDOWN ")
                + text.replace('\r', ' ').replace('\n', ' '));
    }

    @Override
    public CompletableFuture<Long> watchToken(byte[] key) {
        return watchToken(key, defaults);
    }

    @Override
    public CompletableFuture<Long> watchToken(byte[] key, Session session) {
        if (closed) {
            return closedFuture();
        }
        try {
            int p = io.cairn.storage.SlotHash.partitionOf(key, node.partitions());
            // WATCH reads linearizably whatever the session's read level: EXEC's check runs at the leader.
            return node.read(p, template(key.length + 16, (now, version) -> new Command.WatchToken(key, now)),
                            io.cairn.api.consistency.ReadConsistency.LINEARIZABLE, 0)
                    .orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                    .thenApply(applied -> {
                        if (applied.reply() instanceof Reply.Int token) {
                            return token.value();
                        }
                        throw new IllegalStateException("watch token query answered " + applied.reply());
                    });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<Reply> exec(List<byte[][]> commands, List<Watch> watches) {
        return exec(commands, watches, defaults);
    }

    @Override
    public CompletableFuture<Reply> exec(List<byte[][]> commands, List<Watch> watches, Session session) {
        if (closed) {
            return closedFuture();
        }
        try {
            int p = router.partitionOf(commands, watches);
            if (p == KeyRouter.CROSS_PARTITION) {
                return CompletableFuture.completedFuture(CROSSSLOT);
            }
            if (p == KeyRouter.INVALID) {
                return CompletableFuture.completedFuture(Reply.err(
                        "keyless commands (KEYS, SCAN, DBSIZE, FLUSHALL, ...) cannot run inside MULTI in cluster mode"));
            }
            if (p == KeyRouter.KEYLESS) {
                // Nothing names a key: every command is invalid and answered inline; no data is touched.
                return CompletableFuture.completedFuture(executor.exec(commands, watches, 0, 0));
            }
            boolean writes = false;
            int bytes = 16;
            for (byte[][] argv : commands) {
                writes |= executor.classify(argv) == CommandExecutor.Kind.WRITE;
                for (byte[] a : argv) {
                    bytes += a.length + 2;
                }
            }
            for (Watch w : watches) {
                bytes += w.key().length + 10;
            }
            GroupCommitter.Template t = template(bytes, (now, version) -> new Command.Exec(commands, watches, now, version));
            return run(p, t, writes, session);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Keys in this node's replicas of the partitions it hosts (an approximation: replicas may lag). */
    @Override
    public long approximateKeyCount() {
        long n = 0;
        for (int p : node.hostedPartitions()) {
            n += executor.engine().stats(p).keys();
        }
        return n;
    }

    /** Closes this service; the node (and its Raft server) belong to the caller. */
    @Override
    public void close() {
        closed = true;
    }

    /**
     * Commands over the whole keyspace, run once per partition in each partition's group and
     * combined here. Each partition's part is atomic; the whole is not a snapshot across
     * partitions (as in Redis Cluster, where each shard answers for itself):
     * <ul>
     *   <li>DBSIZE, KEYS: every partition, summed / concatenated;</li>
     *   <li>SCAN: one partition per call; the cursor's low 16 bits name the partition, and the
     *       executor hands back a cursor for the next partition when one is exhausted;</li>
     *   <li>RANDOMKEY: partitions in turn from a random one until one has a key;</li>
     *   <li>FLUSHALL/FLUSHDB: every partition; OK once all have flushed.</li>
     * </ul>
     */
    private CompletableFuture<Reply> keyless(byte[][] argv, Session session) {
        String name = new String(argv[0], StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
        int partitions = node.partitions();
        boolean write = executor.classify(argv) == CommandExecutor.Kind.WRITE;
        switch (name) {
            case "scan" -> {
                long cursor;
                try {
                    cursor = Long.parseUnsignedLong(new String(argv[1], StandardCharsets.US_ASCII));
                } catch (NumberFormatException e) {
                    cursor = 0; // the executor answers the exact Redis error
                }
                int p = (int) (cursor & 0xFFFF);
                if (p >= partitions) {
                    return CompletableFuture.completedFuture(Reply.array(List.of(Reply.bulk("0"), Reply.array(List.of()))));
                }
                return run(p, RaftNode.execute(argv), false, session);
            }
            case "randomkey" -> {
                int start = java.util.concurrent.ThreadLocalRandom.current().nextInt(partitions);
                return randomKeyFrom(argv, start, 0, session);
            }
            default -> {
                List<CompletableFuture<Reply>> parts = new java.util.ArrayList<>(partitions);
                for (int p = 0; p < partitions; p++) {
                    parts.add(run(p, RaftNode.execute(argv), write, session));
                }
                return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
                    List<Reply> replies = parts.stream().map(CompletableFuture::join).toList();
                    for (Reply r : replies) {
                        if (r instanceof Reply.Error) {
                            return r;
                        }
                    }
                    return switch (name) {
                        case "dbsize" -> Reply.integer(replies.stream().mapToLong(r -> ((Reply.Int) r).value()).sum());
                        case "keys" -> Reply.array(replies.stream()
                                .flatMap(r -> ((Reply.Array) r).items().stream()).toList());
                        default -> replies.get(0); // FLUSHALL / FLUSHDB: OK from every partition
                    };
                });
            }
        }
    }

    private CompletableFuture<Reply> randomKeyFrom(byte[][] argv, int start, int tried, Session session) {
        int partitions = node.partitions();
        int p = (start + tried) % partitions;
        return run(p, RaftNode.execute(argv), false, session).thenCompose(r -> {
            if (r instanceof Reply.Null && tried + 1 < partitions) {
                return randomKeyFrom(argv, start, tried + 1, session);
            }
            return CompletableFuture.completedFuture(r);
        });
    }

    private interface Builder {
        Command build(long now, long version);
    }

    private static GroupCommitter.Template template(int bytes, Builder builder) {
        return new GroupCommitter.Template() {
            @Override
            public Command build(long nowMillis, long version) {
                return builder.build(nowMillis, version);
            }

            @Override
            public int estimatedBytes() {
                return bytes;
            }
        };
    }

    private static <T> CompletableFuture<T> closedFuture() {
        return CompletableFuture.failedFuture(new IllegalStateException("command service is closed"));
    }
}
