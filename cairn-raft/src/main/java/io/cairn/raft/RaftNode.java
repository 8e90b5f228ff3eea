package io.cairn.raft;

import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.api.consistency.ReadConsistency;
import io.cairn.api.consistency.WriteConsistency;
import io.cairn.api.reply.Reply;
import io.cairn.commands.CommandExecutor;
import io.cairn.raft.codec.Command;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.ClientFactory;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.ReplicationLevel;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Cairn node's Raft side: a single {@link RaftServer} (one gRPC port) hosting a group per
 * partition replica placed on this node, and the client side that proposes to those groups with
 * group commit ({@link GroupCommitter}) and reads through ReadIndex.
 *
 * <p>Lifecycle: {@link #start()} brings the server up with no groups (so that peers can learn
 * its bound address when the port is ephemeral); {@link #joinPartitions} then adds the groups,
 * in parallel, and opens a client per partition. After a restart on the same storage directory,
 * Ratis reopens the groups it finds on disk, and {@code joinPartitions} only reattaches clients.
 *
 * <p>The executor (and its engine) belong to the caller; every group of this node applies through it.
 */
public final class RaftNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);

    private final String nodeId;
    private final RaftConfig config;
    private final CommandExecutor executor;
    private final HybridLogicalClock hlc;
    private final int partitions;
    private final RaftPeerId peerId;
    private final RaftProperties properties;
    private final Map<RaftGroupId, Integer> partitionOfGroup = new HashMap<>();
    private final ClientId adminClientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final Map<Integer, Channel> channels = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private final java.util.concurrent.ExecutorService completions;
    /** Closes the partition clients' connections to servers that failed them, off Ratis's timer threads ({@link PartitionClientRpc}). */
    private final java.util.concurrent.ExecutorService connectionResets;
    private RaftServer server;
    private volatile boolean closed;
    private final Set<Integer> purging = ConcurrentHashMap.newKeySet();
    private final AtomicLong purged = new AtomicLong();

    /**
     * The client side of one partition: a Raft client, its committers (MAJORITY writes, ALL writes,
     * ReadIndex reads) and the replica asked for FOLLOWER/STALE reads when this node hosts none.
     */
    private record Channel(RaftGroup group, RaftClient client, PartitionClientRpc rpc, GroupCommitter writes,
                           GroupCommitter writesAll, GroupCommitter reads, RaftPeerId remoteReadPeer) {
        List<GroupCommitter> committers() {
            return List.of(writes, writesAll, reads);
        }
    }

    /** Partitions whose leadership this node is handing over: their leases are void meanwhile. */
    private final Set<Integer> transferring = ConcurrentHashMap.newKeySet();

    /**
     * Per partition, its replicas in placement order: the first is the preferred leader
     * ({@link #balanceLeaders}); the order also picks the fallback target of {@link #stepDown}.
     */
    private final Map<Integer, List<RaftPeerId>> placementOrder = new ConcurrentHashMap<>();

    /** Partitions with a replica on this node (a subset of those with a channel). */
    private final Set<Integer> hosted = ConcurrentHashMap.newKeySet();
    /** Per partition: until when (nanoTime) and in which term this node may serve LEASE reads locally. */
    private final Lease[] leases;

    private static final class Lease {
        long term = -1;
        long untilNanos;
    }

    public RaftNode(String nodeId, RaftConfig config, CommandExecutor executor, HybridLogicalClock hlc) {
        if (nodeId == null || !nodeId.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("node id must be 1-64 of [A-Za-z0-9_-], got " + nodeId);
        }
        this.nodeId = nodeId;
        this.config = config;
        this.executor = executor;
        this.hlc = hlc;
        this.partitions = executor.partitions();
        this.peerId = RaftPeerId.valueOf(nodeId);
        for (int p = 0; p < partitions; p++) {
            partitionOfGroup.put(groupId(config.clusterId(), p), p);
        }
        this.properties = ratisProperties(config);
        this.leases = new Lease[partitions];
        for (int p = 0; p < partitions; p++) {
            leases[p] = new Lease();
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-raft-batch-timer-" + nodeId);
            t.setDaemon(true);
            return t;
        });
        AtomicLong completionThreadIds = new AtomicLong();
        this.completions = Executors.newFixedThreadPool(config.completionThreads(), r -> {
            Thread t = new Thread(r, "cairn-raft-completion-" + nodeId + "-" + completionThreadIds.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        // One short-lived virtual thread per reset: each may wait seconds for an unresponsive
        // server's channel to shut down, and several partitions' clients can hit that at once.
        this.connectionResets = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("cairn-raft-reconnect-" + nodeId + "-", 0).factory());
    }

    /** The group of partition {@code p} in cluster {@code clusterId}: a name-based UUID, the same on every node. */
    public static RaftGroupId groupId(String clusterId, int partition) {
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(
                (clusterId + "/partition/" + partition).getBytes(StandardCharsets.UTF_8)));
    }

    static RaftProperties ratisProperties(RaftConfig c) {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(p, List.of(c.storageDir().toFile()));
        GrpcConfigKeys.Server.setHost(p, c.host());
        GrpcConfigKeys.Server.setPort(p, c.port());
        GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(c.grpcMessageMaxBytes()));
        GrpcConfigKeys.Server.setAsyncRequestThreadPoolCached(p, false);
        GrpcConfigKeys.Server.setAsyncRequestThreadPoolSize(p, c.grpcAsyncThreads());

        RaftServerConfigKeys.Rpc.setTimeoutMin(p, ms(c.electionTimeoutMinMs()));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, ms(c.electionTimeoutMaxMs()));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, ms(c.requestTimeoutMs()));
        // One attempt of a partition client: past it Ratis retries the request on another replica
        // (RaftClientImpl.handleIOException), which is the only way off a paused leader.
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, ms(c.clientAttemptTimeoutMs()));
        RaftClientConfigKeys.Async.setOutstandingRequestsMax(p, c.clientOutstandingMax());

        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(c.segmentSizeMaxBytes()));
        RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf(Math.min(c.segmentSizeMaxBytes(), 4L << 20)));
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(c.appenderBufferBytes()));
        RaftServerConfigKeys.Log.Appender.setBufferElementLimit(p, c.appenderBufferElements());
        RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(p,
                SizeInBytes.valueOf(Math.min(16 << 20, c.grpcMessageMaxBytes() / 2)));
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, true);
        // Ratis's default ("1ms,10, 1s,20, 5s,1000") backs off to one attempt per 5 s after ~30
        // failures: a replica restarted after a minute down then waits 5 s per step of the log
        // matching handshake (measured: 15-25 s to catch up). Cap the back-off at 1 s instead.
        RaftServerConfigKeys.Log.Appender.setRetryPolicy(p, APPENDER_RETRY_POLICY);
        RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(c.logWriteBufferBytes()));
        RaftServerConfigKeys.Log.setQueueElementLimit(p, c.logQueueElements());
        RaftServerConfigKeys.Log.setQueueByteLimit(p, SizeInBytes.valueOf(c.logQueueBytes()));
        RaftServerConfigKeys.Log.setSegmentCacheSizeMax(p, SizeInBytes.valueOf(c.segmentCacheBytes()));
        RaftServerConfigKeys.Log.setPurgeGap(p, c.purgeGap());
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, c.purgeUpToSnapshot());
        // Ratis's default appends a metadata entry (the new commit index) after every commit: one more
        // entry, fsync on every replica and AppendEntries round per write, queued in front of the next write.
        RaftServerConfigKeys.Log.setLogMetadataEnabled(p, c.logMetadataEntries());
        // STRICT keeps Ratis's default: a replica fsyncs the log before it counts toward commit.
        RaftServerConfigKeys.Log.setUnsafeFlushEnabled(p, c.durability() == RaftConfig.Durability.RELAXED);

        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, c.snapshotThreshold());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, c.snapshotRetention());

        RaftServerConfigKeys.ThreadPool.setServerCached(p, false);
        RaftServerConfigKeys.ThreadPool.setServerSize(p, c.serverThreads());
        RaftServerConfigKeys.ThreadPool.setClientCached(p, false);
        RaftServerConfigKeys.ThreadPool.setClientSize(p, c.clientThreads());
        RaftServerConfigKeys.ThreadPool.setProxyCached(p, false);
        RaftServerConfigKeys.ThreadPool.setProxySize(p, c.proxyThreads());

        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        return p;
    }

    /** Leader → follower append retries: 10 at 1 ms, 100 at 100 ms, then once a second. */
    static final String APPENDER_RETRY_POLICY = "1ms,10, 100ms,100, 1s,1000";

    private static TimeDuration ms(long millis) {
        return TimeDuration.valueOf(millis, TimeUnit.MILLISECONDS);
    }

    public synchronized void start() throws IOException {
        if (server != null) {
            throw new IllegalStateException("node " + nodeId + " already started");
        }
        StateMachine.Registry registry = gid -> {
            Integer p = partitionOfGroup.get(gid);
            if (p == null) {
                throw new IllegalArgumentException("group " + gid + " is not a partition of cluster "
                        + config.clusterId() + " with " + partitions + " partitions");
            }
            return new PartitionStateMachine(p, executor, config.readMaxWaiters(), leader -> localLeaderChanged(p, leader));
        };
        server = RaftServer.newBuilder()
                .setServerId(peerId)
                .setProperties(properties)
                .setStateMachineRegistry(registry)
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        server.start();
        if (config.expiryIntervalMs() > 0) {
            timer.scheduleWithFixedDelay(this::expiryTick, config.expiryIntervalMs(), config.expiryIntervalMs(),
                    TimeUnit.MILLISECONDS);
        }
        LOG.info("raft node {} listening on {}:{}", nodeId, config.host(), address().getPort());
    }

    public String nodeId() {
        return nodeId;
    }

    public RaftConfig config() {
        return config;
    }

    public CommandExecutor executor() {
        return executor;
    }

    public HybridLogicalClock hlc() {
        return hlc;
    }

    public int partitions() {
        return partitions;
    }

    /** The bound gRPC address (the real port when {@code raft.port} is 0). */
    public InetSocketAddress address() {
        return server().getServerRpc().getInetSocketAddress();
    }

    /** This node as a Raft peer, with its bound address. */
    public RaftPeer peer() {
        InetSocketAddress a = address();
        return RaftPeer.newBuilder().setId(peerId).setAddress(config.host() + ":" + a.getPort()).build();
    }

    /**
     * Hosts a replica of each of {@code partitionsHere} in a group of {@code peers} (which must
     * include this node), adding the groups in parallel, and opens their clients. Groups that the
     * server already has (reopened from disk after a restart) are not added again.
     */
    public void joinPartitions(List<RaftPeer> peers, Collection<Integer> partitionsHere, Duration timeout)
            throws IOException {
        if (peers.stream().noneMatch(p -> p.getId().equals(peerId))) {
            throw new IllegalArgumentException("peers " + peers + " do not include this node " + nodeId);
        }
        Map<Integer, List<RaftPeer>> placement = new java.util.TreeMap<>();
        for (int p : partitionsHere) {
            placement.put(p, peers);
        }
        join(placement, timeout);
    }

    /**
     * Takes a placement (partition → its replicas' peers): hosts a replica of every partition whose
     * peers include this node (adding the groups in parallel; groups reopened from disk after a
     * restart are not added again), and opens a client to every partition in the map, so that this
     * node can serve any key by forwarding to the partition's group.
     */
    public void joinByName(Map<Integer, List<String>> replicaNames, Map<String, String> raftAddressOfName,
                           Duration timeout) throws IOException {
        Map<Integer, List<RaftPeer>> placement = new java.util.TreeMap<>();
        replicaNames.forEach((p, names) -> placement.put(p, names.stream().map(name -> {
            String address = raftAddressOfName.get(name);
            if (address == null) {
                throw new IllegalArgumentException("no Raft address for node " + name);
            }
            return RaftPeer.newBuilder().setId(name).setAddress(address).build();
        }).toList()));
        join(placement, timeout);
    }

    public void join(Map<Integer, List<RaftPeer>> placement, Duration timeout) throws IOException {
        Set<RaftGroupId> existing = new HashSet<>();
        server().getGroupIds().forEach(existing::add);
        List<CompletableFuture<RaftClientReply>> adds = new ArrayList<>();
        List<RaftGroup> groups = new ArrayList<>();
        for (Map.Entry<Integer, List<RaftPeer>> e : placement.entrySet()) {
            int p = e.getKey();
            if (p < 0 || p >= partitions) {
                throw new IllegalArgumentException("partition " + p + " out of range 0.." + (partitions - 1));
            }
            RaftGroup group = RaftGroup.valueOf(groupId(config.clusterId(), p), e.getValue());
            groups.add(group);
            boolean here = e.getValue().stream().anyMatch(peer -> peer.getId().equals(peerId));
            if (!e.getValue().isEmpty()) {
                placementOrder.put(p, e.getValue().stream().map(RaftPeer::getId).toList());
            }
            if (here) {
                hosted.add(p);
            }
            if (here && !existing.contains(group.getGroupId())) {
                adds.add(server().groupManagementAsync(GroupManagementRequest.newAdd(
                        adminClientId, peerId, callIds.incrementAndGet(), group)));
            }
        }
        try {
            CompletableFuture.allOf(adds.toArray(CompletableFuture[]::new))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            for (CompletableFuture<RaftClientReply> add : adds) {
                RaftClientReply reply = add.join();
                if (!reply.isSuccess()) {
                    throw new IOException("adding a group on " + nodeId + " failed: " + reply.getException());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while adding groups", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("adding " + adds.size() + " groups on " + nodeId + " failed", e);
        }
        for (RaftGroup group : groups) {
            int p = partitionOfGroup.get(group.getGroupId());
            channels.computeIfAbsent(p, q -> openChannel(q, group));
        }
    }

    private Channel openChannel(int p, RaftGroup group) {
        ClientId clientId = ClientId.randomId();
        // What RaftClient.Builder would build (the configured RPC type, no parameters), wrapped.
        PartitionClientRpc rpc = new PartitionClientRpc(ClientFactory.cast(RaftConfigKeys.Rpc.type(properties, LOG::debug)
                .newFactory(null)).newRaftClientRpc(clientId, properties), connectionResets);
        RaftClient client = RaftClient.newBuilder()
                .setProperties(properties)
                .setRaftGroup(group)
                .setClientId(clientId)
                .setClientRpc(rpc)
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                        config.clientRetryAttempts(), ms(config.clientRetrySleepMs())))
                .build();
        GroupCommitter.Sender writeSender = bytes -> {
            long sentAt = System.nanoTime();
            return client.async().send(message(bytes)).thenApply(r -> sent(p, sentAt, r));
        };
        // ALL: commit on a majority as usual, then watch the entry until every replica has committed it.
        GroupCommitter.Sender writeAllSender = bytes -> {
            long sentAt = System.nanoTime();
            return client.async().send(message(bytes)).thenApply(r -> sent(p, sentAt, r)).thenCompose(sent ->
                    client.async().watch(sent.logIndex(), ReplicationLevel.ALL_COMMITTED).thenApply(w -> {
                        if (!w.isSuccess()) {
                            throw new java.util.concurrent.CompletionException(w.getException() != null ? w.getException()
                                    : new IOException("watch ALL_COMMITTED failed: " + w));
                        }
                        return sent;
                    }));
        };
        GroupCommitter.Sender readSender = bytes -> {
            long sentAt = System.nanoTime();
            return client.async().sendReadOnly(message(bytes)).thenApply(r -> sent(p, sentAt, r));
        };
        List<RaftPeer> replicas = new ArrayList<>(group.getPeers());
        RaftPeerId remoteReadPeer = replicas.get(Math.floorMod(nodeId.hashCode() + p, replicas.size())).getId();
        return new Channel(group, client, rpc, committer(p, "writes", writeSender), committer(p, "writes-all", writeAllSender),
                committer(p, "reads", readSender), remoteReadPeer);
    }

    /**
     * How long requests of a partition client may still wait on the old leader after this node's
     * replica learned of a new one before the connection to the old one is closed. A leader that
     * steps down (a transfer) answers the requests it holds with "not leader, try X" within
     * milliseconds, which moves the client without losing anything; one that is paused or cut off
     * answers nothing.
     */
    static final long LEADER_CHANGE_GRACE_MS = 100;

    /**
     * This node's replica of {@code p} learned that {@code leader} leads it (Ratis's
     * notifyLeaderChanged: a new term's leader was heard from, or this node won an election).
     * Ratis's client for {@code p} only learns of it from a server's answer, and the old leader
     * may be unable to give one (paused, cut off), so the client would wait out an attempt
     * timeout ({@link RaftConfig#clientAttemptTimeoutMs}) on it: the client's next request goes
     * to {@code leader} instead ({@link PartitionClientRpc#hintLeader}), and if requests still
     * wait on the old leader after {@link #LEADER_CHANGE_GRACE_MS}, its connection is closed, so
     * that Ratis retries them now ({@link PartitionClientRpc#releaseWaiting}). Runs on Ratis's
     * server threads: never blocks.
     */
    private void localLeaderChanged(int p, RaftPeerId leader) {
        Channel c = channels.get(p);
        if (c == null || closed || leader == null) {
            return;
        }
        RaftPeerId was = c.client().getLeaderId();
        RaftPeer peer = c.group().getPeer(leader);
        // Always replace the pending hint, even when the client already points at the leader: a
        // hint left over from an earlier change (while the client was idle) would otherwise send
        // the next request back to that earlier leader, which may be the one now silent.
        c.rpc().hintLeader(peer);
        if (peer == null || leader.equals(was)) {
            return;
        }
        try {
            timer.schedule(() -> {
                if (!closed) {
                    c.rpc().releaseWaiting(was);
                }
            }, LEADER_CHANGE_GRACE_MS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private GroupCommitter committer(int p, String kind, GroupCommitter.Sender sender) {
        return new GroupCommitter(nodeId + "/p" + p + "/" + kind, sender, hlc::now, HybridLogicalClock::physicalOf,
                timer, completions, config.batchMaxCommands(), config.batchMaxBytes(), config.batchMaxInFlight(),
                config.batchMaxWaitMicros(), config.batchMaxPending());
    }

    private static Message message(byte[] bytes) {
        return Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes));
    }

    /**
     * Unpacks a reply; if this node's own replica answered it as leader, the quorum round it just
     * completed renews the partition's read lease from the moment the request was sent.
     */
    private GroupCommitter.Sent sent(int p, long sentAtNanos, RaftClientReply reply) {
        if (!reply.isSuccess()) {
            throw new java.util.concurrent.CompletionException(reply.getException() != null ? reply.getException()
                    : new IOException("raft request failed: " + reply));
        }
        if (peerId.equals(reply.getServerId()) && config.leaseNanos() > 0) {
            renewLease(p, sentAtNanos);
        }
        return new GroupCommitter.Sent(reply.getMessage().getContent().toByteArray(), reply.getLogIndex());
    }

    /**
     * Why a lease is safe: the round that answered was led by this node and acknowledged by a
     * majority after {@code sentAt}; each of those followers then reset its election timer, so no
     * other leader can be elected before {@code sentAt + election-timeout-min} (less clock-rate
     * drift, covered by the ratio). The term pins the lease to that leadership.
     */
    private void renewLease(int p, long sentAtNanos) {
        if (transferring.contains(p)) {
            return; // the target may already be campaigning in a higher term: no new lease now
        }
        org.apache.ratis.server.DivisionInfo info;
        try {
            info = division(p).getInfo();
        } catch (IOException e) {
            return;
        }
        if (!info.isLeader()) {
            return;
        }
        long term = info.getCurrentTerm();
        long until = sentAtNanos + config.leaseNanos();
        Lease lease = leases[p];
        synchronized (lease) {
            // Checked again under the lock: a transfer marks the partition and voids the lease
            // under it too, so a renewal that raced with the start of a transfer cannot survive it.
            if (transferring.contains(p)) {
                return;
            }
            if (term != lease.term || until - lease.untilNanos > 0) {
                lease.term = term;
                lease.untilNanos = until;
            }
        }
    }

    /** True if this node leads the partition and holds an unexpired lease in its current term. */
    public boolean hasLease(int p) {
        org.apache.ratis.server.DivisionInfo info;
        try {
            info = division(p).getInfo();
        } catch (IOException e) {
            return false;
        }
        Lease lease = leases[p];
        synchronized (lease) {
            return info.isLeader() && info.isLeaderReady() && lease.term == info.getCurrentTerm()
                    && System.nanoTime() - lease.untilNanos < 0;
        }
    }

    /**
     * Active expiry, replicated: for each partition this node leads, if its replica holds expired
     * records, propose one {@link Command.Purge} of at most {@code raft.expiry.batch} records. At
     * most one purge per partition is outstanding, so a slow group never accumulates them.
     */
    private void expiryTick() {
        if (closed) {
            return;
        }
        for (Map.Entry<Integer, Channel> e : channels.entrySet()) {
            int p = e.getKey();
            try {
                if (!hosted.contains(p) || !isLeader(p) || purging.contains(p)) {
                    continue;
                }
                long now = HybridLogicalClock.physicalOf(hlc.now());
                if (!stateMachine(p).hasExpired(now)) {
                    continue;
                }
                purging.add(p);
                int limit = config.expiryBatch();
                e.getValue().writes().submit(new GroupCommitter.Template() {
                    @Override
                    public Command build(long nowMillis, long version) {
                        return new Command.Purge(limit, nowMillis, version);
                    }

                    @Override
                    public int estimatedBytes() {
                        return 24;
                    }
                }).whenComplete((r, error) -> {
                    purging.remove(p);
                    if (r instanceof Reply.Int n) {
                        purged.addAndGet(n.value());
                    }
                });
            } catch (IOException | RuntimeException ex) {
                purging.remove(p);
                LOG.debug("expiry probe of partition {} on {} failed: {}", p, nodeId, ex.toString());
            }
        }
    }

    /** Records removed by purges this node proposed (as leader) since it started. */
    public long purgedByActiveExpiry() {
        return purged.get();
    }

    /** Proposes a write command; the future completes with its reply once applied on the leader. */
    CompletableFuture<Reply> propose(int partition, GroupCommitter.Template command) {
        return channel(partition).writes().submit(command);
    }

    /** Runs a read-only command after a ReadIndex on the partition's leader. */
    CompletableFuture<Reply> read(int partition, GroupCommitter.Template command) {
        return channel(partition).reads().submit(command);
    }

    /** Proposes a write; completes after commit on a majority ({@code MAJORITY}) or on every replica ({@code ALL}). */
    CompletableFuture<GroupCommitter.Applied> write(int partition, GroupCommitter.Template command, WriteConsistency level) {
        Channel c = channel(partition);
        return (level == WriteConsistency.ALL ? c.writesAll() : c.writes()).submitIndexed(command);
    }

    /**
     * Runs a read-only command at the given consistency. {@code minIndex} is the caller's last-seen
     * log index of the partition (FOLLOWER waits for a replica to reach it).
     */
    CompletableFuture<GroupCommitter.Applied> read(int partition, GroupCommitter.Template command,
                                                   ReadConsistency level, long minIndex) {
        Channel c = channel(partition);
        try {
            return switch (level) {
                case LINEARIZABLE -> c.reads().submitIndexed(command);
                case LEASE -> hasLease(partition)
                        ? CompletableFuture.completedFuture(readHere(partition, command))
                        : c.reads().submitIndexed(command);
                case FOLLOWER -> hosted.contains(partition)
                        ? stateMachine(partition).awaitApplied(minIndex)
                                .orTimeout(config.requestTimeoutMs(), TimeUnit.MILLISECONDS)
                                .thenApplyAsync(v -> readHere(partition, command), completions)
                        : readRemote(c, command, minIndex);
                case STALE -> hosted.contains(partition)
                        ? CompletableFuture.completedFuture(readHere(partition, command))
                        : readRemote(c, command, 0);
            };
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Reads this node's replica as it is now; the index returned is what it had applied before the read. */
    private GroupCommitter.Applied readHere(int partition, GroupCommitter.Template template) {
        PartitionStateMachine sm;
        try {
            sm = stateMachine(partition);
        } catch (IOException e) {
            throw new java.util.concurrent.CompletionException(e);
        }
        long version = hlc.now();
        long index = sm.getLastAppliedTermIndex().getIndex();
        Reply reply = sm.readLocal(List.of(template.build(HybridLogicalClock.physicalOf(version), version))).get(0);
        return new GroupCommitter.Applied(reply, index);
    }

    /** A read served by one replica of a partition this node does not host, once it has applied {@code minIndex}. */
    private CompletableFuture<GroupCommitter.Applied> readRemote(Channel c, GroupCommitter.Template template, long minIndex) {
        long version = hlc.now();
        byte[] encoded = io.cairn.raft.codec.CommandCodec.encode(
                List.of(template.build(HybridLogicalClock.physicalOf(version), version)));
        return c.client().async().sendStaleRead(message(encoded), minIndex, c.remoteReadPeer()).thenApply(r -> {
            if (!r.isSuccess()) {
                throw new java.util.concurrent.CompletionException(r.getException() != null ? r.getException()
                        : new IOException("stale read failed: " + r));
            }
            List<Reply> replies = io.cairn.raft.codec.ReplyCodec.decode(r.getMessage().getContent().toByteArray());
            return new GroupCommitter.Applied(replies.get(0), r.getLogIndex());
        });
    }

    /** True if a replica of {@code partition} lives on this node. */
    public boolean hosts(int partition) {
        return hosted.contains(partition);
    }

    /** The peers of the partition's group as this node knows them. */
    public List<RaftPeer> replicas(int partition) {
        return List.copyOf(channel(partition).group().getPeers());
    }

    /** The partition's current leader as this node's replica or client last saw it (null if unknown). */
    public String leaderOf(int partition) {
        if (hosted.contains(partition)) {
            try {
                RaftPeerId leader = division(partition).getInfo().getLeaderId();
                return leader == null ? null : leader.toString();
            } catch (IOException e) {
                return null;
            }
        }
        Channel c = channels.get(partition);
        RaftPeerId leader = c == null ? null : c.client().getLeaderId();
        return leader == null ? null : leader.toString();
    }

    private Channel channel(int partition) {
        Channel c = channels.get(partition);
        if (c == null) {
            throw new IllegalStateException(closed ? "raft node " + nodeId + " is closed"
                    : "partition " + partition + " has no group on node " + nodeId);
        }
        return c;
    }

    /**
     * One pass of leader balancing: for each partition this node leads although the placement
     * prefers another replica, ask Ratis to transfer leadership to that replica (it first lets the
     * target catch up; a transfer that cannot finish within {@code timeout} is abandoned and the
     * leader stays). Placement spreads preferred leaders over the nodes, so leadership, and the
     * work of leading, follows. Blocking; at most {@code maxTransfers} per pass. Returns how many
     * transfers succeeded.
     *
     * <p>Only to a replica this leader has heard from within the minimum election timeout: while a
     * transfer is pending, Ratis refuses every write to the partition ({@code
     * LeaderSteppingDownException}, which callers see as an error), so a transfer to a replica that
     * is down or paused would refuse writes for the whole {@code timeout} and then fail anyway.
     */
    public int balanceLeaders(int maxTransfers, Duration timeout) {
        int moved = 0;
        int tried = 0;
        for (int p : hosted) {
            if (closed || tried >= maxTransfers) {
                break;
            }
            List<RaftPeerId> order = placementOrder.get(p);
            RaftPeerId preferred = order == null || order.isEmpty() ? null : order.get(0);
            if (preferred == null || preferred.equals(peerId) || !isLeader(p)) {
                continue;
            }
            long silentMs = followerSilenceMs(p, preferred);
            if (silentMs < 0 || silentMs >= config.electionTimeoutMinMs()) {
                LOG.debug("partition {}: leadership stays on {}, preferred replica {} silent for {} ms", p, nodeId,
                        preferred, silentMs);
                continue;
            }
            tried++;
            if (transferLeadership(p, preferred, timeout)) {
                moved++;
            }
        }
        return moved;
    }

    /**
     * Hands leadership of up to {@code max} partitions this node leads to another replica of each
     * ({@link #stepDownTarget}), one transfer at a time, each bounded by {@code timeout}; partitions
     * with no other replica are skipped. For fault injection ({@code DEBUG LEADER-STEPDOWN}) and
     * for draining a node before maintenance. Blocking. Returns how many leaderships moved.
     */
    public int stepDown(int max, Duration timeout) {
        int moved = 0;
        for (int p : new java.util.TreeSet<>(hosted)) {
            if (closed || moved >= max) {
                break;
            }
            if (!isLeader(p)) {
                continue;
            }
            RaftPeerId target = stepDownTarget(p);
            if (target != null && transferLeadership(p, target, timeout)) {
                moved++;
            }
        }
        return moved;
    }

    /**
     * How long ago the partition's follower {@code follower} last answered this node as leader
     * (Ratis's follower info); -1 if this node does not lead the partition or does not know.
     */
    long followerSilenceMs(int partition, RaftPeerId follower) {
        try {
            org.apache.ratis.proto.RaftProtos.RoleInfoProto role = division(partition).getInfo().getRoleInfoProto();
            if (role.hasLeaderInfo()) {
                for (org.apache.ratis.proto.RaftProtos.ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
                    if (follower.equals(RaftPeerId.valueOf(f.getId().getId()))) {
                        return f.getLastRpcElapsedTimeMs();
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("partition {}: no follower information: {}", partition, e.toString());
        }
        return -1;
    }

    /**
     * Where {@link #stepDown} sends a partition's leadership: among the other replicas, the one
     * whose last reply to this leader is the most recent (alive, hence able to catch up at once;
     * Ratis still waits for it to match the leader's log before it lets it campaign), otherwise
     * the replica after this node in placement order. Null if the partition has no other replica.
     */
    RaftPeerId stepDownTarget(int partition) {
        List<RaftPeerId> order = placementOrder.getOrDefault(partition, List.of());
        Set<RaftPeerId> others = new HashSet<>(order);
        others.remove(peerId);
        if (others.isEmpty()) {
            return null;
        }
        try {
            org.apache.ratis.proto.RaftProtos.RoleInfoProto role = division(partition).getInfo().getRoleInfoProto();
            RaftPeerId freshest = null;
            long freshestElapsed = Long.MAX_VALUE;
            if (role.hasLeaderInfo()) {
                for (org.apache.ratis.proto.RaftProtos.ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
                    RaftPeerId id = RaftPeerId.valueOf(f.getId().getId());
                    if (others.contains(id) && f.getLastRpcElapsedTimeMs() < freshestElapsed) {
                        freshest = id;
                        freshestElapsed = f.getLastRpcElapsedTimeMs();
                    }
                }
            }
            if (freshest != null) {
                return freshest;
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("partition {}: no follower information, using placement order: {}", partition, e.toString());
        }
        int self = order.indexOf(peerId);
        for (int i = 1; i <= order.size(); i++) {
            RaftPeerId next = order.get(Math.floorMod(self + i, order.size()));
            if (others.contains(next)) {
                return next;
            }
        }
        return null;
    }

    /**
     * Asks Ratis to hand the partition's leadership from this node to {@code target} (Ratis lets
     * the target catch up first; a transfer that cannot finish within {@code timeout} is abandoned
     * and this node stays leader). Blocking. Returns true if leadership moved; false if this node
     * does not lead the partition, another transfer of it is under way, or the transfer failed.
     *
     * <p>A transfer lets the target start an election at once, without waiting out an election
     * timeout, so the argument behind this node's read lease no longer holds: the lease is voided
     * before Ratis is asked, and not renewed until the transfer is over.
     */
    public boolean transferLeadership(int partition, RaftPeerId target, Duration timeout) {
        Channel c = channels.get(partition);
        if (c == null || target == null || target.equals(peerId) || !hosted.contains(partition) || !isLeader(partition)) {
            return false;
        }
        Lease lease = leases[partition];
        synchronized (lease) {
            if (!transferring.add(partition)) {
                return false; // another transfer of this partition is under way
            }
            lease.term = -1;
            lease.untilNanos = System.nanoTime();
        }
        try {
            RaftClientReply reply = c.client().admin().transferLeadership(target, timeout.toMillis());
            if (reply.isSuccess()) {
                LOG.info("partition {}: leadership moved from {} to {}", partition, nodeId, target);
                return true;
            }
            LOG.debug("partition {}: transfer to {} refused: {}", partition, target, reply.getException());
        } catch (IOException | RuntimeException e) {
            LOG.debug("partition {}: transfer to {} failed: {}", partition, target, e.toString());
        } finally {
            transferring.remove(partition);
        }
        return false;
    }

    /** Partitions with a replica on this node. */
    public Set<Integer> hostedPartitions() {
        return Set.copyOf(hosted);
    }

    /** Partitions this node proposes to (has a client for). */
    public Set<Integer> joinedPartitions() {
        return Set.copyOf(channels.keySet());
    }

    public RaftServer.Division division(int partition) throws IOException {
        return server().getDivision(groupId(config.clusterId(), partition));
    }

    public PartitionStateMachine stateMachine(int partition) throws IOException {
        return (PartitionStateMachine) division(partition).getStateMachine();
    }

    public boolean isLeader(int partition) {
        try {
            return division(partition).getInfo().isLeader();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Takes a snapshot of the partition's replica on this node now (unless nothing was applied
     * since the last one); returns the snapshot's log index. Ratis's own creation gap (1024
     * entries by default) is for automatic snapshots; an explicit request always takes one.
     */
    public long snapshot(int partition, Duration timeout) throws IOException {
        RaftClientReply reply = server().snapshotManagement(SnapshotManagementRequest.newCreate(adminClientId, peerId,
                groupId(config.clusterId(), partition), callIds.incrementAndGet(), timeout.toMillis(), 1));
        if (!reply.isSuccess()) {
            throw new IOException("snapshot of partition " + partition + " on " + nodeId + " failed: "
                    + reply.getException());
        }
        return reply.getLogIndex();
    }

    /** {@code [batches, commands]} proposed by this node to the partition (mean batch size = commands / batches). */
    public long[] writeBatchStats(int partition) {
        return channel(partition).writes().stats();
    }

    public long[] readBatchStats(int partition) {
        return channel(partition).reads().stats();
    }

    private RaftServer server() {
        RaftServer s = server;
        if (s == null) {
            throw new IllegalStateException("raft node " + nodeId + " is not started");
        }
        return s;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Channel c : channels.values()) {
            c.committers().forEach(GroupCommitter::close);
            try {
                c.client().close();
            } catch (IOException e) {
                LOG.warn("closing the client of {} on {}: {}", c.group().getGroupId(), nodeId, e.toString());
            }
        }
        channels.clear();
        if (server != null) {
            try {
                server.close();
            } catch (IOException e) {
                LOG.warn("closing raft server {}: {}", nodeId, e.toString());
            }
        }
        timer.shutdownNow();
        completions.shutdown();
        connectionResets.shutdown(); // resets under way finish on their own (each bounded by gRPC's 5 s)
    }

    /** Builds a template for a data command. */
    static GroupCommitter.Template execute(byte[][] argv) {
        int bytes = 8;
        for (byte[] a : argv) {
            bytes += a.length + 2;
        }
        int size = bytes;
        return new GroupCommitter.Template() {
            @Override
            public Command build(long nowMillis, long version) {
                return new Command.Execute(argv, nowMillis, version);
            }

            @Override
            public int estimatedBytes() {
                return size;
            }
        };
    }
}
