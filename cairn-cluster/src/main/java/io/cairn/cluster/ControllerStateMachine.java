package io.cairn.cluster;

import io.cairn.cluster.ClusterCodec.ClusterCodecException;
import io.cairn.cluster.ClusterCodec.ControlReply;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller group's replicated state: the {@link ClusterMap}. Every replica applies the
 * committed {@link ControlCommand}s (encoded by {@link ClusterCodec}) in log order through the
 * pure {@link ClusterMap#apply}, so all replicas hold the same map at the same index; the reply
 * to each entry is a {@link ControlReply} (accepted with the new epoch, or the refusal).
 *
 * <p>Failures: an entry that does not decode is refused as {@code CORRUPT} on every replica
 * alike; a transition that would break a map invariant (a bug) is refused as {@code INVARIANT}
 * the same way, so one bad command cannot stop the controller on every replica.
 *
 * <p>Queries ({@link #query}, reached through Ratis's ReadIndex: linearizable on the leader):
 * {@value #QUERY_MAP} answers the encoded map, {@value #QUERY_EPOCH} answers {@code {"epoch":N}}
 * (cheap polling for a newer map). {@link #currentMap} reads this replica's map as it is.
 *
 * <p>Heartbeats: {@code "heartbeat <node-id>"} (sent as a non-linearizable read, which only the
 * leader answers) tells the {@linkplain #addHeartbeatListener heartbeat listeners} that the node
 * is alive — the leader's failure detector records it in memory, so a heartbeat is never a log
 * entry — and answers a {@link ClusterCodec.HeartbeatReply}: the map's epoch (the node refreshes
 * its map when it is newer) and the controller group's members (the node's controller client
 * follows them as the group grows or loses members).
 *
 * <p>Snapshots: the encoded map in one file named by {@link SimpleStateMachineStorage} after the
 * applied term-index, with its MD5. On startup, and after a snapshot is installed from the
 * leader, the map is the latest snapshot's (or the empty map) and Ratis replays the log after it.
 *
 * <p>Listeners ({@link #addMapListener}) are told of every new map — after each accepted command
 * and after a snapshot load — on the Ratis thread that applied it, in epoch order; they must not
 * block (hand the map to another thread). This is how every node's map cache refreshes on an
 * epoch change.
 */
public final class ControllerStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerStateMachine.class);
    public static final String QUERY_MAP = "map";
    public static final String QUERY_EPOCH = "epoch";
    /** Prefix of a heartbeat query; the node id follows. */
    public static final String QUERY_HEARTBEAT = "heartbeat ";
    private static final java.util.regex.Pattern NODE_ID = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final List<Consumer<ClusterMap>> mapListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<RaftPeerId>> leaderListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<String>> heartbeatListeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();

    // Written under lock together with the applied term-index; read without it (immutable value).
    private volatile ClusterMap map = ClusterMap.EMPTY;

    private final AtomicLong appliedCommands = new AtomicLong();
    private final AtomicLong rejectedCommands = new AtomicLong();
    private final AtomicLong snapshotsTaken = new AtomicLong();
    private final AtomicLong snapshotsLoaded = new AtomicLong();
    private final ApplyObserver applyObserver;

    /**
     * Told of each log entry before this replica applies it, on the applying thread. It must not
     * look at or change the map (apply stays a function of the log alone); what it may do is take
     * time — which is how tests slow a controller down ({@link #NO_OBSERVER} in production).
     */
    @FunctionalInterface
    public interface ApplyObserver {
        void beforeApply(long index) throws InterruptedException;
    }

    public static final ApplyObserver NO_OBSERVER = index -> { };

    public ControllerStateMachine() {
        this(NO_OBSERVER);
    }

    public ControllerStateMachine(ApplyObserver applyObserver) {
        this.applyObserver = java.util.Objects.requireNonNull(applyObserver, "applyObserver");
    }

    /** The controller group of cluster {@code clusterId}: a name-based UUID, the same on every node, distinct from the partitions' groups. */
    public static RaftGroupId groupId(String clusterId) {
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes((clusterId + "/controller").getBytes(StandardCharsets.UTF_8)));
    }

    /** This replica's map as of its last applied entry (may lag the leader's). */
    public ClusterMap currentMap() {
        return map;
    }

    /**
     * Calls {@code listener} with every new map from now on (see the class comment); returns a
     * handle that unregisters it. The current map is not replayed: read {@link #currentMap} after
     * registering.
     */
    public AutoCloseable addMapListener(Consumer<ClusterMap> listener) {
        mapListeners.add(listener);
        return () -> mapListeners.remove(listener);
    }

    /** Calls {@code listener} (on a Ratis thread; must not block) each time this replica learns of a new leader, possibly itself. */
    public AutoCloseable addLeaderListener(Consumer<RaftPeerId> listener) {
        leaderListeners.add(listener);
        return () -> leaderListeners.remove(listener);
    }

    /**
     * Calls {@code listener} with the node id of every heartbeat this replica answers (only a
     * leader answers them), on a Ratis thread: it must not block.
     */
    public AutoCloseable addHeartbeatListener(Consumer<String> listener) {
        heartbeatListeners.add(listener);
        return () -> heartbeatListeners.remove(listener);
    }

    public long appliedCommands() {
        return appliedCommands.get();
    }

    public long rejectedCommands() {
        return rejectedCommands.get();
    }

    public long snapshotsTaken() {
        return snapshotsTaken.get();
    }

    /** Snapshots loaded at startup or installed from the leader. */
    public long snapshotsLoaded() {
        return snapshotsLoaded.get();
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

    /** Ratis pauses the machine before it replaces the snapshot files with one installed from the leader. */
    @Override
    public synchronized void pause() {
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            return;
        }
        getLifeCycle().transition(LifeCycle.State.PAUSING);
        getLifeCycle().transition(LifeCycle.State.PAUSED);
    }

    /** Called after a snapshot was installed from the leader: the map becomes the snapshot's. */
    @Override
    public synchronized void reinitialize() throws IOException {
        loadLatest();
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    private void loadLatest() throws IOException {
        SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
        ClusterMap loaded;
        synchronized (lock) {
            if (snapshot == null) {
                // Ratis replays the whole log onto the empty map.
                loaded = ClusterMap.EMPTY;
                map = loaded;
                setLastAppliedTermIndex(TermIndex.INITIAL_VALUE);
            } else {
                Path file = snapshot.getFile().getPath();
                MD5Hash md5 = snapshot.getFile().getFileDigest();
                if (md5 != null) {
                    MD5FileUtil.verifySavedMD5(file.toFile(), md5);
                }
                TermIndex ti = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(file.toFile());
                try {
                    loaded = ClusterCodec.decodeMap(Files.readAllBytes(file));
                } catch (ClusterCodecException e) {
                    throw new IOException("controller snapshot " + file + " is unreadable: " + e.getMessage(), e);
                }
                map = loaded;
                setLastAppliedTermIndex(ti);
                snapshotsLoaded.incrementAndGet();
                LOG.info("controller: loaded snapshot {} (epoch {}, {} bytes)", ti, loaded.epoch(), Files.size(file));
            }
        }
        notifyMap(loaded);
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long index = entry.getIndex();
        ByteString data = entry.getStateMachineLogEntry().getLogData();
        try {
            applyObserver.beforeApply(index);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing: apply anyway, the entry is committed
        }
        ControlReply reply;
        ClusterMap changed = null;
        synchronized (lock) {
            long applied = getLastAppliedTermIndex().getIndex();
            if (index != applied + 1) {
                // Ratis applies in order and reports every non-data entry via notifyTermIndexUpdated;
                // a gap means the map no longer matches the log prefix.
                throw new IllegalStateException("controller: applying index " + index + " after applied index " + applied);
            }
            ClusterMap before = map;
            ApplyResult result = applyEntry(before, data.toByteArray(), index);
            reply = ControlReply.of(result, before.epoch());
            if (result instanceof ApplyResult.Applied a) {
                if (a.map().epoch() != before.epoch() + 1) {
                    throw new IllegalStateException("controller: epoch went from " + before.epoch() + " to " + a.map().epoch());
                }
                map = a.map();
                changed = a.map();
            }
            updateLastAppliedTermIndex(entry.getTerm(), index);
        }
        if (changed != null) {
            appliedCommands.incrementAndGet();
            notifyMap(changed);
        } else {
            rejectedCommands.incrementAndGet();
        }
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(ClusterCodec.encode(reply))));
    }

    private static ApplyResult applyEntry(ClusterMap before, byte[] data, long index) {
        ControlCommand command;
        try {
            command = ClusterCodec.decodeCommand(data);
        } catch (ClusterCodecException e) {
            LOG.error("controller: entry {} does not decode: {}", index, e.getMessage());
            return new ApplyResult.Rejected(ApplyResult.Reason.CORRUPT, "entry " + index + ": " + e.getMessage());
        }
        try {
            return before.apply(command);
        } catch (RuntimeException e) {
            // Deterministic on every replica (the same map and command): refuse it everywhere rather than stop the group.
            LOG.error("controller: {} at epoch {} would break the map: {}", command, before.epoch(), e.toString());
            return new ApplyResult.Rejected(ApplyResult.Reason.INVARIANT, command + " would break the map: " + e.getMessage());
        }
    }

    private void notifyMap(ClusterMap m) {
        for (Consumer<ClusterMap> l : mapListeners) {
            try {
                l.accept(m);
            } catch (RuntimeException e) {
                LOG.warn("controller: map listener failed at epoch {}: {}", m.epoch(), e.toString());
            }
        }
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        for (Consumer<RaftPeerId> l : leaderListeners) {
            try {
                l.accept(newLeaderId);
            } catch (RuntimeException e) {
                LOG.warn("controller: leader listener failed: {}", e.toString());
            }
        }
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        String q = request.getContent().toStringUtf8();
        ClusterMap m = map;
        if (q.startsWith(QUERY_HEARTBEAT)) {
            return heartbeat(q.substring(QUERY_HEARTBEAT.length()), m);
        }
        byte[] answer = switch (q) {
            case QUERY_MAP -> ClusterCodec.encode(m);
            case QUERY_EPOCH -> ("{\"epoch\":" + m.epoch() + "}").getBytes(StandardCharsets.UTF_8);
            default -> null;
        };
        if (answer == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("unknown controller query '"
                    + (q.length() > 64 ? q.substring(0, 64) + "..." : q) + "': expected " + QUERY_MAP + ", " + QUERY_EPOCH
                    + " or " + QUERY_HEARTBEAT + "<node-id>"));
        }
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(answer)));
    }

    private CompletableFuture<Message> heartbeat(String node, ClusterMap m) {
        if (!NODE_ID.matcher(node).matches()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("heartbeat: node id must be 1-64 of"
                    + " [A-Za-z0-9_-], got '" + (node.length() > 64 ? node.substring(0, 64) + "..." : node) + "'"));
        }
        for (Consumer<String> l : heartbeatListeners) {
            try {
                l.accept(node);
            } catch (RuntimeException e) {
                LOG.warn("controller: heartbeat listener failed for {}: {}", node, e.toString());
            }
        }
        byte[] answer = ClusterCodec.encode(new ClusterCodec.HeartbeatReply(m.epoch(), members()));
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(answer)));
    }

    /** The controller group's members (id to Raft address) as this replica's configuration lists them; empty if unknown. */
    private java.util.Map<String, String> members() {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        try {
            RaftServer server = getServer().getNow(null);
            if (server == null) {
                return out;
            }
            org.apache.ratis.server.RaftConfiguration conf = server.getDivision(getGroupId()).getRaftConf();
            // While a change is half done both sets vote: a node's client must reach either.
            conf.getPreviousPeers().forEach(p -> out.put(p.getId().toString(), p.getAddress()));
            conf.getCurrentPeers().forEach(p -> out.put(p.getId().toString(), p.getAddress()));
        } catch (IOException | RuntimeException e) {
            LOG.debug("controller: no configuration to report: {}", e.toString());
        }
        return out;
    }

    /** Runs on Ratis's state-machine updater thread between applies, so the map matches the applied index. */
    @Override
    public long takeSnapshot() throws IOException {
        TermIndex ti;
        ClusterMap m;
        synchronized (lock) {
            ti = getLastAppliedTermIndex();
            m = map;
        }
        if (ti == null || ti.getIndex() <= 0) {
            return RaftLog.INVALID_LOG_INDEX;
        }
        File target = storage.getSnapshotFile(ti.getTerm(), ti.getIndex());
        Path tmp = target.toPath().resolveSibling("tmp-" + target.getName());
        try {
            Files.write(tmp, ClusterCodec.encode(m));
            Files.move(tmp, target.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(target);
            storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(target.toPath(), md5), ti));
        } finally {
            Files.deleteIfExists(tmp);
        }
        snapshotsTaken.incrementAndGet();
        LOG.info("controller: took snapshot {} (epoch {})", ti, m.epoch());
        return ti.getIndex();
    }
}
