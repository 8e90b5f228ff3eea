package io.cairn.raft;

import io.cairn.api.reply.Reply;
import io.cairn.commands.CommandExecutor;
import io.cairn.raft.codec.Command;
import io.cairn.raft.codec.CommandCodec;
import io.cairn.raft.codec.CorruptEntryException;
import io.cairn.raft.codec.ReplyCodec;
import io.cairn.storage.StorageEngine;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.util.ProtoUtils;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.apache.ratis.io.MD5Hash;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated state of one partition: one instance per Raft group. Every replica applies the
 * committed entries of the group, in log order, through a {@link CommandExecutor} shared by all
 * groups of the node over the node's one {@link StorageEngine}; each instance only touches its
 * own partition's range (checked per command, see {@link KeyRouter}).
 *
 * <p>Determinism: an entry's commands carry their {@code nowMillis} and {@code version}, chosen
 * by whichever node proposed them. Two nodes may propose to one group with slightly different
 * clocks, so the machine clamps both to never go backwards in log order: {@code now =
 * max(now, lastNow)} and {@code version = max(version, lastVersion + 1)}. The clamps depend only
 * on the log prefix, so every replica computes the same values; both are saved in snapshots.
 *
 * <p>Isolation: applies (writes) hold this partition's write lock, queries (linearizable reads
 * after a ReadIndex) its read lock, so a read sees a whole command or EXEC block or none of it.
 *
 * <p>Failures: an entry that does not decode gets an error reply per entry on every replica
 * alike (a poison entry must not stop every replica of the group); any other exception during
 * apply (engine closed, disk failure) propagates and stops this group on this server, since
 * carrying on would leave the replica behind its applied index.
 *
 * <p>At most once: an entry whose Raft client and call id were applied before (a retry that a new
 * leader appended again) is answered with the first reply and not applied ({@link ClientSessions},
 * saved in snapshots too).
 *
 * <p>Snapshots: {@link StorageEngine#snapshot} of the partition, packed into one file named by
 * {@link SimpleStateMachineStorage} after the applied term-index. On startup and after a snapshot
 * is installed from the leader the partition is replaced by the latest snapshot (or emptied if
 * there is none) and Ratis replays the log after it, so a durable engine that already holds later
 * writes does not apply them twice.
 */
public final class PartitionStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionStateMachine.class);
    static final Reply.Error CORRUPT_ENTRY = Reply.err("corrupt replicated entry");
    static final Reply.Error WRONG_PARTITION = Reply.error("CROSSSLOT Keys in request don't hash to the same slot");
    static final Reply.Error NOT_IN_LOG = Reply.err("command kind not allowed here");
    /** A call proposed again after its client's session forgot it ({@link ClientSessions}): not applied now. */
    static final Reply.Error TOO_OLD_TO_TELL = Reply.error("TIMEOUT this request was retried too late to tell whether"
            + " it was applied; it was not applied again, and may or may not have been applied before");

    private final int partition;
    private final CommandExecutor executor;
    private final StorageEngine engine;
    private final KeyRouter router;
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final AppliedIndexWaiters appliedWaiters;
    private final Listener listener;

    // Guarded by lock (written under the write lock only).
    private long lastNow;
    private long lastVersion;
    private final ClientSessions sessions = new ClientSessions();
    private volatile java.util.function.LongConsumer beforeApply;

    private final AtomicLong appliedEntries = new AtomicLong();
    private final AtomicLong appliedCommands = new AtomicLong();
    private final AtomicLong snapshotsTaken = new AtomicLong();
    private final AtomicLong snapshotsLoaded = new AtomicLong();
    private final AtomicLong snapshotsInstalled = new AtomicLong();

    /**
     * What the node hosting this replica is told of the group's life. Every method runs on a Ratis
     * server thread and must not block.
     */
    public interface Listener {
        /** This replica learned of a new leader of the group, possibly itself. */
        default void leaderChanged(RaftPeerId leader) {
        }

        /**
         * A configuration entry was applied (or arrived with an installed snapshot) at log index
         * {@code index}: the group's voters are now {@code peers}, and while {@code oldPeers} is not
         * empty the change is half done (joint consensus: both sets vote).
         */
        default void configurationChanged(long index, List<RaftPeer> peers, List<RaftPeer> oldPeers) {
        }

        /** The replica stopped: its server closed it, or its group was removed from this node. */
        default void closed() {
        }
    }

    public PartitionStateMachine(int partition, CommandExecutor executor) {
        this(partition, executor, 4096);
    }

    public PartitionStateMachine(int partition, CommandExecutor executor, int maxReadWaiters) {
        this(partition, executor, maxReadWaiters, leader -> { });
    }

    /**
     * @param leaderListener told (on a Ratis server thread; must not block) each time this replica
     *                       learns of a new leader of the group, possibly itself
     */
    public PartitionStateMachine(int partition, CommandExecutor executor, int maxReadWaiters,
                                 java.util.function.Consumer<RaftPeerId> leaderListener) {
        this(partition, executor, maxReadWaiters, new Listener() {
            @Override
            public void leaderChanged(RaftPeerId leader) {
                leaderListener.accept(leader);
            }
        });
    }

    public PartitionStateMachine(int partition, CommandExecutor executor, int maxReadWaiters, Listener listener) {
        if (partition < 0 || partition >= executor.partitions()) {
            throw new IllegalArgumentException("partition " + partition + " out of range 0.." + (executor.partitions() - 1));
        }
        this.partition = partition;
        this.executor = executor;
        this.engine = executor.engine();
        this.router = new KeyRouter(executor.partitions());
        this.appliedWaiters = new AppliedIndexWaiters(maxReadWaiters);
        this.listener = listener;
    }

    @Override
    public void notifyLeaderChanged(org.apache.ratis.protocol.RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        try {
            listener.leaderChanged(newLeaderId);
        } catch (RuntimeException e) {
            LOG.warn("partition {}: leader change listener failed: {}", partition, e.toString());
        }
    }

    @Override
    public void notifyConfigurationChanged(long term, long index, RaftConfigurationProto configuration) {
        List<RaftPeer> peers = ProtoUtils.toRaftPeers(configuration.getPeersList());
        List<RaftPeer> oldPeers = ProtoUtils.toRaftPeers(configuration.getOldPeersList());
        LOG.info("partition {}: configuration at index {}: {}{}", partition, index, ids(peers),
                oldPeers.isEmpty() ? "" : " (joint with " + ids(oldPeers) + ")");
        try {
            listener.configurationChanged(index, peers, oldPeers);
        } catch (RuntimeException e) {
            LOG.warn("partition {}: configuration listener failed: {}", partition, e.toString());
        }
    }

    private static List<String> ids(List<RaftPeer> peers) {
        return peers.stream().map(p -> p.getId().toString()).toList();
    }

    @Override
    public void close() throws IOException {
        super.close();
        try {
            listener.closed();
        } catch (RuntimeException e) {
            LOG.warn("partition {}: close listener failed: {}", partition, e.toString());
        }
    }

    /**
     * Completes once this replica has applied at least {@code index} (FOLLOWER reads: the
     * client's last-seen write). It may complete on Ratis's apply thread: callers must continue
     * asynchronously on their own executor.
     */
    public CompletableFuture<Void> awaitApplied(long index) {
        return appliedWaiters.await(index);
    }

    /** Non-data entries (leader no-ops, configuration changes) advance the applied index too. */
    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        super.notifyTermIndexUpdated(term, index);
        appliedWaiters.advance(index);
    }

    public int partition() {
        return partition;
    }

    /** Entries applied by this instance since it started (not counting snapshot loads). */
    public long appliedEntries() {
        return appliedEntries.get();
    }

    public long appliedCommands() {
        return appliedCommands.get();
    }

    public long snapshotsTaken() {
        return snapshotsTaken.get();
    }

    /** Snapshots loaded at startup or installed from the leader. */
    public long snapshotsLoaded() {
        return snapshotsLoaded.get();
    }

    /** Snapshots installed from a leader (sent whole, chunk by chunk) since this replica started. */
    public long snapshotsInstalled() {
        return snapshotsInstalled.get();
    }

    @Override
    public SimpleStateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        getLifeCycle().startAndTransition(() -> {
            super.initialize(server, groupId, raftStorage);
            storage.init(raftStorage);
            loadLatest();
        });
    }

    /**
     * Ratis pauses the machine before it replaces the snapshot files with one installed from the
     * leader, and checks the PAUSED state before {@link #reinitialize()}.
     */
    @Override
    public synchronized void pause() {
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            return;
        }
        getLifeCycle().transition(LifeCycle.State.PAUSING);
        getLifeCycle().transition(LifeCycle.State.PAUSED);
    }

    /** Called after a snapshot was installed from the leader: replace the partition with it. */
    @Override
    public synchronized void reinitialize() throws IOException {
        loadLatest();
        snapshotsInstalled.incrementAndGet();
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    private void loadLatest() throws IOException {
        loadLatestLocked();
        appliedWaiters.advance(getLastAppliedTermIndex().getIndex());
    }

    private void loadLatestLocked() throws IOException {
        SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
        lock.writeLock().lock();
        try {
            if (snapshot == null) {
                // Ratis replays the whole log: start from nothing, whatever a durable engine holds.
                engine.dropPartition(partition);
                executor.restoreRemovalVersion(partition, 0);
                lastNow = 0;
                lastVersion = 0;
                sessions.clear();
                setLastAppliedTermIndex(TermIndex.INITIAL_VALUE);
                return;
            }
            Path file = snapshot.getFile().getPath();
            MD5Hash md5 = snapshot.getFile().getFileDigest();
            if (md5 != null) {
                MD5FileUtil.verifySavedMD5(file.toFile(), md5);
            }
            TermIndex ti = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(file.toFile());
            Path dir = tempDir("restore");
            try {
                SnapshotArchive.Header header = SnapshotArchive.unpack(file, dir);
                if (header.partition() != partition) {
                    throw new IOException("snapshot " + file + " is of partition " + header.partition()
                            + ", this group is partition " + partition);
                }
                engine.restore(partition, dir);
                executor.restoreRemovalVersion(partition, header.removalVersion());
                lastNow = header.lastNow();
                lastVersion = header.lastVersion();
                sessions.restore(header.sessions());
            } finally {
                SnapshotArchive.deleteRecursively(dir);
            }
            setLastAppliedTermIndex(ti);
            snapshotsLoaded.incrementAndGet();
            LOG.info("partition {}: loaded snapshot {} ({} bytes)", partition, ti, Files.size(file));
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long index = entry.getIndex();
        StateMachineLogEntryProto logEntry = entry.getStateMachineLogEntry();
        ByteString data = logEntry.getLogData();
        byte[] client = logEntry.getClientId().toByteArray();
        long callId = logEntry.getCallId();
        java.util.function.LongConsumer hook = beforeApply;
        if (hook != null) {
            hook.accept(index);
        }
        byte[] encoded;
        int commands = 0;
        lock.writeLock().lock();
        try {
            long applied = getLastAppliedTermIndex().getIndex();
            if (index != applied + 1) {
                // Ratis applies in order and reports every non-data entry via notifyTermIndexUpdated;
                // a gap means the engine no longer matches the log prefix.
                throw new IllegalStateException("partition " + partition + ": applying index " + index
                        + " after applied index " + applied);
            }
            ClientSessions.Known known = client.length == 0 ? null : sessions.lookup(client, callId);
            if (known instanceof ClientSessions.Applied earlier) {
                encoded = earlier.reply(); // the same call proposed again (a retry on a new leader): not applied twice
            } else if (known instanceof ClientSessions.Forgotten) {
                encoded = ReplyCodec.encode(Collections.nCopies(commandCount(data), TOO_OLD_TO_TELL));
            } else {
                List<Reply> replies = applyEntry(data);
                commands = replies.size();
                encoded = ReplyCodec.encode(replies);
                if (client.length > 0) {
                    sessions.record(client, callId, encoded, lastNow);
                }
            }
            updateLastAppliedTermIndex(entry.getTerm(), index);
        } finally {
            lock.writeLock().unlock();
        }
        appliedWaiters.advance(index);
        appliedEntries.incrementAndGet();
        appliedCommands.addAndGet(commands);
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(encoded)));
    }

    private static int commandCount(ByteString data) {
        try {
            return CommandCodec.decode(data.toByteArray()).size();
        } catch (CorruptEntryException e) {
            return 1;
        }
    }

    /**
     * Test seam: runs on Ratis's apply thread before each entry of this replica is applied (to
     * hold a replica's applies back while others go on). Null to remove.
     */
    public void beforeEachApply(java.util.function.LongConsumer hook) {
        beforeApply = hook;
    }

    /** Entries answered from the client-session table instead of being applied again (since start or the last snapshot load). */
    public long duplicatesAnswered() {
        lock.readLock().lock();
        try {
            return sessions.duplicatesAnswered();
        } finally {
            lock.readLock().unlock();
        }
    }

    private List<Reply> applyEntry(ByteString data) {
        List<Command> commands;
        try {
            commands = CommandCodec.decode(data.toByteArray());
        } catch (CorruptEntryException e) {
            LOG.error("partition {}: {}", partition, e.getMessage());
            return List.of(CORRUPT_ENTRY);
        }
        List<Reply> replies = new ArrayList<>(commands.size());
        for (Command c : commands) {
            long now = Math.max(c.nowMillis(), lastNow);
            long version = Math.max(c.version(), lastVersion + 1);
            Reply reply = switch (c) {
                case Command.Execute e -> {
                    int p = router.partitionOf(e.argv());
                    // Keyless commands (FLUSHALL, ...) reach every group; each applies them to its own range.
                    yield p == KeyRouter.KEYLESS ? executor.executeInPartition(partition, e.argv(), now, version)
                            : p == partition || p == KeyRouter.INVALID ? executor.execute(e.argv(), now, version)
                            : WRONG_PARTITION;
                }
                case Command.Exec e -> {
                    int p = router.partitionOf(e.commands(), e.watches());
                    yield p == partition || (p == KeyRouter.KEYLESS && e.commands().isEmpty() && e.watches().isEmpty())
                            ? executor.exec(e.commands(), e.watches(), now, version) : WRONG_PARTITION;
                }
                case Command.Purge purge -> Reply.integer(executor.purgeExpired(partition, now, purge.limit(), version));
                case Command.WatchToken w -> NOT_IN_LOG;
            };
            lastNow = now;
            lastVersion = version;
            replies.add(reply);
        }
        return replies;
    }

    /**
     * Linearizable reads: Ratis calls this on the leader once the applied index has reached the
     * read index. Read-only commands only; a write here would change one replica alone.
     */
    @Override
    public CompletableFuture<Message> query(Message request) {
        List<Command> commands;
        try {
            commands = CommandCodec.decode(request.getContent().toByteArray());
            List<Reply> replies = readLocal(commands);
            return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(ReplyCodec.encode(replies))));
        } catch (RuntimeException e) { // including CorruptEntryException
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Runs read-only commands against this replica as it is now: after a ReadIndex (from
     * {@link #query}), on the leader under a lease, or on any replica for FOLLOWER/STALE reads.
     */
    public List<Reply> readLocal(List<Command> commands) {
        List<Reply> replies = new ArrayList<>(commands.size());
        lock.readLock().lock();
        try {
            for (Command c : commands) {
                // Never read at a time before one a write already used: an expired key stays expired.
                long now = Math.max(c.nowMillis(), lastNow);
                replies.add(switch (c) {
                    case Command.Execute e -> {
                        int p = router.partitionOf(e.argv());
                        if (p == KeyRouter.INVALID) {
                            yield executor.execute(e.argv(), now, c.version());
                        }
                        if (p == KeyRouter.KEYLESS) {
                            yield executor.classify(e.argv()) != CommandExecutor.Kind.READ ? NOT_IN_LOG
                                    : executor.executeInPartition(partition, e.argv(), now, c.version());
                        }
                        yield p != partition ? WRONG_PARTITION
                                : executor.classify(e.argv()) != CommandExecutor.Kind.READ ? NOT_IN_LOG
                                : executor.execute(e.argv(), now, c.version());
                    }
                    case Command.Exec e -> {
                        for (byte[][] argv : e.commands()) {
                            if (executor.classify(argv) == CommandExecutor.Kind.WRITE) {
                                yield NOT_IN_LOG;
                            }
                        }
                        yield router.partitionOf(e.commands(), e.watches()) == partition
                                ? executor.exec(e.commands(), e.watches(), now, c.version()) : WRONG_PARTITION;
                    }
                    case Command.WatchToken w -> router.partitionOf(new byte[][] {GET, w.key()}) == partition
                            ? Reply.integer(executor.watchToken(w.key(), now)) : WRONG_PARTITION;
                    case Command.Purge p -> NOT_IN_LOG;
                });
            }
        } finally {
            lock.readLock().unlock();
        }
        return replies;
    }

    private static final byte[] GET = {'G', 'E', 'T'};

    /**
     * Runs on Ratis's state-machine updater thread between applies, so the engine's partition is
     * exactly the fold of the log up to the applied index while it is copied.
     */
    @Override
    public long takeSnapshot() throws IOException {
        TermIndex ti;
        long now;
        long version;
        long removal;
        byte[] clientSessions;
        lock.readLock().lock();
        try {
            ti = getLastAppliedTermIndex();
            now = lastNow;
            version = lastVersion;
            removal = executor.removalVersion(partition);
            clientSessions = sessions.encode();
        } finally {
            lock.readLock().unlock();
        }
        if (ti == null || ti.getIndex() <= 0) {
            return RaftLog.INVALID_LOG_INDEX;
        }
        File target = storage.getSnapshotFile(ti.getTerm(), ti.getIndex());
        Path dir = tempDir("take");
        Path tmpFile = target.toPath().resolveSibling("tmp-" + target.getName());
        try {
            engine.snapshot(partition, dir.resolve("data"));
            TermIndex after = getLastAppliedTermIndex();
            if (!after.equals(ti)) {
                throw new IllegalStateException("partition " + partition + ": applied index moved from " + ti
                        + " to " + after + " during a snapshot");
            }
            SnapshotArchive.pack(dir.resolve("data"), new SnapshotArchive.Header(partition, now, version, removal, clientSessions), tmpFile);
            Files.move(tmpFile, target.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(target);
            storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(target.toPath(), md5), ti));
        } finally {
            SnapshotArchive.deleteRecursively(dir);
            Files.deleteIfExists(tmpFile);
        }
        snapshotsTaken.incrementAndGet();
        LOG.info("partition {}: took snapshot {} ({} bytes)", partition, ti, Files.size(target.toPath()));
        return ti.getIndex();
    }

    private Path tempDir(String purpose) throws IOException {
        File smDir = storage.getSnapshotFile(0, 0).getParentFile();
        Path dir = smDir.toPath().resolve("tmp-" + purpose + "-" + System.nanoTime());
        SnapshotArchive.deleteRecursively(dir);
        Files.createDirectories(dir);
        return dir;
    }

    /**
     * True if this replica holds a record of the partition expired at {@code nowMillis} (never
     * earlier than the latest time applied). A probe for the leader's active expiry, which then
     * proposes a purge through the log so that every replica removes the same records.
     */
    public boolean hasExpired(long nowMillis) {
        lock.readLock().lock();
        try {
            return executor.hasExpired(partition, Math.max(nowMillis, lastNow));
        } finally {
            lock.readLock().unlock();
        }
    }

    /** A consistent read of the state-machine clocks, for tests and introspection. */
    public long[] clocks() {
        lock.readLock().lock();
        try {
            return new long[] {lastNow, lastVersion};
        } finally {
            lock.readLock().unlock();
        }
    }
}
