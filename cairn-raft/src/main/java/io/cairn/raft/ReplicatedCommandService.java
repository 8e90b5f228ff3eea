package io.cairn.raft;

import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.commands.CommandExecutor;
import io.cairn.raft.codec.Command;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

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
    private volatile boolean closed;

    public ReplicatedCommandService(RaftNode node) {
        this.node = node;
        this.executor = node.executor();
        this.router = new KeyRouter(node.partitions());
        this.hlc = node.hlc();
    }

    @Override
    public CompletableFuture<Reply> execute(byte[][] argv) {
        if (closed) {
            return closedFuture();
        }
        try {
            int p = router.partitionOf(argv);
            return switch (p) {
                // Unknown command or bad arity: the executor answers with the exact Redis error and touches nothing.
                case KeyRouter.INVALID -> CompletableFuture.completedFuture(executor.execute(argv, 0, 0));
                case KeyRouter.CROSS_PARTITION -> CompletableFuture.completedFuture(CROSSSLOT);
                case KeyRouter.KEYLESS -> CompletableFuture.completedFuture(keylessUnsupported(argv));
                default -> executor.classify(argv) == CommandExecutor.Kind.WRITE
                        ? node.propose(p, RaftNode.execute(argv))
                        : node.read(p, RaftNode.execute(argv));
            };
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<Long> watchToken(byte[] key) {
        if (closed) {
            return closedFuture();
        }
        try {
            int p = io.cairn.storage.SlotHash.partitionOf(key, node.partitions());
            return node.read(p, template(key.length + 16, (now, version) -> new Command.WatchToken(key, now)))
                    .thenApply(reply -> {
                        if (reply instanceof Reply.Int token) {
                            return token.value();
                        }
                        throw new IllegalStateException("watch token query answered " + reply);
                    });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<Reply> exec(List<byte[][]> commands, List<Watch> watches) {
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
            return writes ? node.propose(p, t) : node.read(p, t);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Keys in this node's replicas of the partitions it hosts (an approximation: replicas may lag). */
    @Override
    public long approximateKeyCount() {
        long n = 0;
        for (int p : node.joinedPartitions()) {
            n += executor.engine().stats(p).keys();
        }
        return n;
    }

    /** Closes this service; the node (and its Raft server) belong to the caller. */
    @Override
    public void close() {
        closed = true;
    }

    private static Reply keylessUnsupported(byte[][] argv) {
        String name = new String(argv[0], StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
        return Reply.err("'" + name + "' spans every partition and is not supported in cluster mode yet");
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
