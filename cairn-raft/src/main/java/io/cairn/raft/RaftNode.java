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
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.ProtoUtils;
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
 * <p>Membership changes at run time (a controller drives them): {@link #hostReplica} starts a
 * new, non-voting replica here, {@link #changeReplicas} catches it up and changes the partition's
 * voters, {@link #dropReplica} deletes a replica that no longer votes, and {@link #updateReplicas}
 * points this node's client of a partition at its current replicas (done by itself when a local
 * replica applies a change). Moves are bounded by {@code raft.move.max-concurrent} per driving
 * node and snapshot transfers by {@code raft.snapshot.receive-bytes-per-sec} per receiving node.
 * Other groups (a controller group) can share the server: {@link #registerGroup}, {@link
 * #hostGroup}, {@link #newClient}.
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
                           GroupCommitter writesAll, GroupCommitter reads, RaftPeerId remoteReadPeer,
                           java.util.concurrent.atomic.AtomicInteger directCalls) {
        List<GroupCommitter> committers() {
            return List.of(writes, writesAll, reads);
        }
    }

    /**
     * Clients replaced by {@link #updateReplicas} that still finish the commands they took; closed
     * once idle, or after {@code raft.client.drain-ms}.
     */
    private final Set<Channel> retiring = ConcurrentHashMap.newKeySet();

    /** Non-partition groups this node can host (a controller group), with their state machines. */
    private final Map<RaftGroupId, java.util.function.Supplier<? extends StateMachine>> extraGroups = new ConcurrentHashMap<>();

    /** Replica moves this node drives at once ({@code raft.move.max-concurrent}). */
    private final java.util.concurrent.Semaphore moves;

    /** Counts (and, if configured, limits) the snapshot bytes this node receives. */
    private final SnapshotReceiveThrottle snapshotThrottle;

    /**
     * Per partition, held while this node adds or removes its replica of it, so that a hosting and a
     * dropping of the same partition never interleave.
     */
    private final Object[] replicaLocks;

    /** Per partition, the log index of the last configuration learned from the local replica (guarded by replicaLocks). */
    private final long[] learnedConfigurationIndex;

    /** Applies configurations learned from local replicas to the partition clients, off Ratis's threads. */
    private final java.util.concurrent.ExecutorService membership;

    /** Partitions whose leadership this node is handing over: their leases are void meanwhile. */
    private final Set<Integer> transferring = ConcurrentHashMap.newKeySet();

    /**
     * Per partition, transfers of its leadership this node's server is working on, whoever asked
     * ({@link TransferLeadershipGuard}); no lease is renewed while one is. Guarded by {@code leases[p]}.
     */
    private final int[] transfersUnderWay;

    /**
     * Per partition, its replicas in placement order: the first is the preferred leader
     * ({@link #balanceLeaders}); the order also picks the fallback target of {@link #stepDown}.
     */
    private final Map<Integer, List<RaftPeerId>> placementOrder = new ConcurrentHashMap<>();

    /** Partitions with a replica on this node (a subset of those with a channel), voting or not. */
    private final Set<Integer> hosted = ConcurrentHashMap.newKeySet();

    /**
     * Partitions whose replica here is a voter of the newest configuration it applied: FOLLOWER and
     * STALE reads are answered here only for these. A new replica still catching up, or one being
     * moved away (whose log stops once the change is done), would answer from far behind; reads
     * then go to a replica elsewhere, as on a node that hosts none.
     */
    private final Set<Integer> voting = ConcurrentHashMap.newKeySet();
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
        this.replicaLocks = new Object[partitions];
        this.transfersUnderWay = new int[partitions];
        this.learnedConfigurationIndex = new long[partitions];
        this.leaderlessSince = new java.util.concurrent.atomic.AtomicLongArray(partitions);
        for (int p = 0; p < partitions; p++) {
            leases[p] = new Lease();
            replicaLocks[p] = new Object();
        }
        this.moves = new java.util.concurrent.Semaphore(config.moveMaxConcurrent());
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
        // One short task per configuration change a local replica applies; each is ordered by its
        // log index (learnedConfigurationIndex), so they need no single thread.
        this.membership = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("cairn-raft-membership-" + nodeId + "-", 0).factory());
        this.snapshotThrottle = new SnapshotReceiveThrottle(config.snapshotReceiveBytesPerSec(), timer);
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
        // Lets the controller group grow 1 -> 3 (and 3 -> 5) in one joint-consensus change, so it never runs
        // with two voters that both must answer. Partition moves make one-for-one changes and are unaffected.
        RaftServerConfigKeys.LeaderElection.setMemberMajorityAdd(p, true);
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, ms(c.requestTimeoutMs()));
        // One attempt of a partition client: past it Ratis retries the request on another replica
        // (RaftClientImpl.handleIOException), which is the only way off a paused leader.
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, ms(c.clientAttemptTimeoutMs()));
        RaftClientConfigKeys.Async.setOutstandingRequestsMax(p, c.clientOutstandingMax());

        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(c.segmentSizeMaxBytes()));
        RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf(Math.min(c.segmentSizeMaxBytes(), 4L << 20)));
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(c.appenderBufferBytes()));
        RaftServerConfigKeys.Log.Appender.setBufferElementLimit(p, c.appenderBufferElements());
        RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(p, SizeInBytes.valueOf(c.snapshotChunkBytes()));
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

        // Replica moves (changeReplicas): Ratis's staging of new peers is the learner phase.
        RaftServerConfigKeys.setStagingTimeout(p, ms(c.moveStagingTimeoutMs()));
        RaftServerConfigKeys.setStagingCatchupGap(p, c.moveCatchUpGap());
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
        // Consulted for every group this server opens: added at run time, or found on disk at start.
        StateMachine.Registry registry = gid -> {
            Integer p = partitionOfGroup.get(gid);
            if (p != null) {
                return new PartitionStateMachine(p, executor, config.readMaxWaiters(), replicaListener(p));
            }
            java.util.function.Supplier<? extends StateMachine> extra = extraGroups.get(gid);
            if (extra != null) {
                return java.util.Objects.requireNonNull(extra.get(), "state machine factory of group " + gid);
            }
            throw new IllegalArgumentException("group " + gid + " is neither a partition of cluster "
                    + config.clusterId() + " with " + partitions + " partitions nor a group registered with registerGroup");
        };
        org.apache.ratis.conf.Parameters parameters = new org.apache.ratis.conf.Parameters();
        TransferLeadershipGuard transferGuard = new TransferLeadershipGuard(this::transferObserved);
        GrpcConfigKeys.Server.setServicesCustomizer(parameters, (builder, types) -> {
            var b = snapshotThrottle.customize(builder, types);
            return types.contains(org.apache.ratis.grpc.server.GrpcServices.Type.ADMIN) ? b.intercept(transferGuard) : b;
        });
        server = RaftServer.newBuilder()
                .setServerId(peerId)
                .setProperties(properties)
                .setParameters(parameters)
                .setStateMachineRegistry(registry)
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        server.start();
        // Replicas reopened from disk are hosted here whatever the placement says (a new replica
        // that was still catching up when this node stopped, say), until dropReplica removes them.
        for (RaftGroupId gid : server.getGroupIds()) {
            Integer p = partitionOfGroup.get(gid);
            if (p != null) {
                hosted.add(p);
                if (votesInLocalConfiguration(p)) {
                    voting.add(p);
                }
            }
        }
        if (config.expiryIntervalMs() > 0) {
            timer.scheduleWithFixedDelay(this::expiryTick, config.expiryIntervalMs(), config.expiryIntervalMs(),
                    TimeUnit.MILLISECONDS);
        }
        if (config.noQuorumAfterMs() > 0) {
            long every = Math.max(20, config.electionTimeoutMinMs() / 4);
            timer.scheduleWithFixedDelay(this::leaderlessTick, every, every, TimeUnit.MILLISECONDS);
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
        return RaftPeer.newBuilder().setId(peerId).setAddress(config.advertiseHost() + ":" + a.getPort()).build();
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
            if (here || existing.contains(group.getGroupId())) {
                hosted.add(p);
            }
            if (here || (existing.contains(group.getGroupId()) && votesInLocalConfiguration(p))) {
                voting.add(p);
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
            return renewedOnFailure(p, client, client.async().send(message(bytes))).thenApply(r -> sent(p, sentAt, r));
        };
        // ALL: commit on a majority as usual, then watch the entry until every replica has committed it.
        GroupCommitter.Sender writeAllSender = bytes -> {
            long sentAt = System.nanoTime();
            return renewedOnFailure(p, client, client.async().send(message(bytes))).thenApply(r -> sent(p, sentAt, r)).thenCompose(sent ->
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
            return renewedOnFailure(p, client, client.async().sendReadOnly(message(bytes))).thenApply(r -> sent(p, sentAt, r));
        };
        List<RaftPeer> replicas = new ArrayList<>(group.getPeers());
        RaftPeerId remoteReadPeer = replicas.get(Math.floorMod(nodeId.hashCode() + p, replicas.size())).getId();
        return new Channel(group, client, rpc, committer(p, "writes", writeSender), committer(p, "writes-all", writeAllSender),
                committer(p, "reads", readSender), remoteReadPeer, new java.util.concurrent.atomic.AtomicInteger());
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
            if (transferring.contains(p) || transfersUnderWay[p] > 0) {
                return;
            }
            if (term != lease.term || until - lease.untilNanos > 0) {
                lease.term = term;
                lease.untilNanos = until;
            }
        }
    }

    /** This node's server was asked to transfer a group's leadership ({@code starting}), or answered such a request. */
    private void transferObserved(RaftGroupId gid, boolean starting) {
        Integer p = partitionOfGroup.get(gid);
        if (p == null) {
            return;
        }
        Lease lease = leases[p];
        synchronized (lease) {
            if (starting) {
                transfersUnderWay[p]++;
                lease.term = -1;
                lease.untilNanos = System.nanoTime();
            } else {
                transfersUnderWay[p] = Math.max(0, transfersUnderWay[p] - 1);
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
            return info.isAlive() && info.isLeader() && info.isLeaderReady() && lease.term == info.getCurrentTerm()
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
                onChannel(p, c -> c.writes().submit(new GroupCommitter.Template() {
                    @Override
                    public Command build(long nowMillis, long version) {
                        return new Command.Purge(limit, nowMillis, version);
                    }

                    @Override
                    public int estimatedBytes() {
                        return 24;
                    }
                })).whenComplete((r, error) -> {
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
        return onChannel(partition, c -> c.writes().submit(command));
    }

    /** Runs a read-only command after a ReadIndex on the partition's leader. */
    CompletableFuture<Reply> read(int partition, GroupCommitter.Template command) {
        return onChannel(partition, c -> c.reads().submit(command));
    }

    /** Proposes a write; completes after commit on a majority ({@code MAJORITY}) or on every replica ({@code ALL}). */
    CompletableFuture<GroupCommitter.Applied> write(int partition, GroupCommitter.Template command, WriteConsistency level) {
        return onChannel(partition, c -> (level == WriteConsistency.ALL ? c.writesAll() : c.writes()).submitIndexed(command));
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
                case LINEARIZABLE -> onChannel(partition, ch -> ch.reads().submitIndexed(command));
                case LEASE -> hasLease(partition)
                        ? CompletableFuture.completedFuture(readHere(partition, command))
                        : onChannel(partition, ch -> ch.reads().submitIndexed(command));
                case FOLLOWER -> voting.contains(partition)
                        ? stateMachine(partition).awaitApplied(minIndex)
                                .orTimeout(config.requestTimeoutMs(), TimeUnit.MILLISECONDS)
                                .thenApplyAsync(v -> readHere(partition, command), completions)
                        : readRemote(c, command, minIndex);
                case STALE -> voting.contains(partition)
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
        c.directCalls().incrementAndGet();
        CompletableFuture<RaftClientReply> reply;
        try {
            reply = c.client().async().sendStaleRead(message(encoded), minIndex, c.remoteReadPeer());
        } catch (RuntimeException e) {
            c.directCalls().decrementAndGet();
            throw e;
        }
        reply.whenComplete((r, e) -> c.directCalls().decrementAndGet());
        return reply.thenApply(r -> {
            if (!r.isSuccess()) {
                throw new java.util.concurrent.CompletionException(r.getException() != null ? r.getException()
                        : new IOException("stale read failed: " + r));
            }
            List<Reply> replies = io.cairn.raft.codec.ReplyCodec.decode(r.getMessage().getContent().toByteArray());
            return new GroupCommitter.Applied(replies.get(0), r.getLogIndex());
        });
    }

    /**
     * True if a replica of {@code partition} lives on this node: a voter, a new replica still
     * catching up ({@link #hostReplica}), or one that left the group and waits for {@link #dropReplica}.
     */
    public boolean hosts(int partition) {
        return hosted.contains(partition);
    }

    /**
     * True if this node's replica of {@code partition} is a voter of the newest configuration it
     * applied: it then answers FOLLOWER and STALE reads itself (not while it catches up as a new
     * replica, nor once it is being moved away).
     */
    public boolean votes(int partition) {
        return voting.contains(partition);
    }

    /** The peers of the partition's group as this node knows them. */
    public List<RaftPeer> replicas(int partition) {
        return List.copyOf(channel(partition).group().getPeers());
    }

    /** The partition's current leader as this node's replica or client last saw it (null if unknown). */
    public String leaderOf(int partition) {
        if (voting.contains(partition)) {
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

    /**
     * Why partition {@code p} cannot commit anything now, as this node's replica sees it, or null
     * if it may (or this node cannot tell). Only a voting local replica can tell: if it is not the
     * leader and has heard from none for {@code raft.no-quorum-after-ms} (it keeps campaigning, or
     * follows a leader that went silent), fewer than a majority of the group's replicas are
     * reachable from here, so no write commits and no linearizable read is served until that
     * changes. A leader cut off from its majority steps down within an election timeout (Ratis
     * checks its followers' answers), and then counts here like any other replica. Cheap (in-memory
     * role state and {@link #leaderlessTick}'s samples), never blocks; null when disabled ({@code 0}).
     */
    public String noQuorum(int p) {
        checkPartition(p);
        long after = config.noQuorumAfterMs();
        if (after <= 0 || closed || !voting.contains(p)) {
            return null;
        }
        org.apache.ratis.server.DivisionInfo info;
        try {
            info = division(p).getInfo();
        } catch (IOException | RuntimeException e) {
            return null; // dropped or closing meanwhile
        }
        if (info.isLeader()) {
            return null; // a leader cut off from its majority steps down within an election timeout
        }
        long silentMs;
        if (info.getLeaderId() != null) {
            org.apache.ratis.proto.RaftProtos.RoleInfoProto role = info.getRoleInfoProto();
            silentMs = role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()
                    ? role.getFollowerInfo().getLeaderInfo().getLastRpcElapsedTimeMs() : 0;
        } else {
            // Between failed elections the replica goes back to follower, which restarts Ratis's own
            // clocks; leaderlessTick keeps the time since it last knew a leader across those turns.
            long since = leaderlessSince.get(p);
            silentMs = since == 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
        }
        if (silentMs < after) {
            return null;
        }
        int replicas = channel(p).group().getPeers().size();
        return "partition " + p + " has had no leader for " + silentMs + " ms as replica " + nodeId
                + " sees it: fewer than " + (replicas / 2 + 1) + " of its " + replicas + " replicas are reachable";
    }

    /** Per partition, System.nanoTime() since which the local replica has known no leader (0: it knows one). */
    private final java.util.concurrent.atomic.AtomicLongArray leaderlessSince;

    /** Samples, for every voting local replica, whether it knows a leader ({@link #noQuorum}); never blocks. */
    private void leaderlessTick() {
        for (int p = 0; p < leaderlessSince.length(); p++) {
            RaftPeerId leader = null;
            if (!closed && voting.contains(p)) {
                boolean known;
                try {
                    leader = division(p).getInfo().getLeaderId();
                    known = true;
                } catch (IOException | RuntimeException e) {
                    known = false; // dropped or closing meanwhile: nothing to tell
                }
                if (known && leader == null) {
                    leaderlessSince.compareAndSet(p, 0, System.nanoTime() | 1); // never 0 while leaderless
                    continue;
                }
            }
            leaderlessSince.set(p, 0);
        }
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
     * LeaderSteppingDownException}; the partition clients retry those like a "not leader" answer,
     * see {@link PartitionClientRpc}, so callers wait), so a transfer to a replica that is down or
     * paused would hold writes back for the whole {@code timeout} and then fail anyway.
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
     * Hands the leadership of every partition this node leads to another live replica, all at once,
     * within {@code budget}: what a graceful shutdown does first, so that clients wait for a
     * transfer (a round trip or two) instead of an election timeout. A partition whose freshest
     * other replica has been silent for a minimum election timeout or longer is left alone (its
     * node is probably down too, as when a whole cluster stops). Returns the partitions handed over.
     */
    public int handOverLeadership(Duration budget) {
        long silentMs = config.electionTimeoutMinMs();
        List<java.util.concurrent.Future<Boolean>> transfers = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int p : new java.util.TreeSet<>(hosted)) {
                if (closed || !isLeader(p)) {
                    continue;
                }
                RaftPeerId target = stepDownTarget(p);
                long silence = target == null ? -1 : followerSilenceMs(p, target);
                if (target == null || silence < 0 || silence >= silentMs) {
                    continue;
                }
                int partition = p;
                transfers.add(pool.submit(() -> transferLeadership(partition, target, budget)));
            }
            long deadline = System.nanoTime() + budget.toNanos();
            int moved = 0;
            for (java.util.concurrent.Future<Boolean> t : transfers) {
                try {
                    if (t.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        moved++;
                    }
                } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                    t.cancel(true);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            pool.shutdownNow(); // interrupts stragglers; closing the pool still waits for them, each bounded by the budget in Ratis
            return moved;
        }
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
     * Another replica of a partition as its leader (this node) sees it.
     *
     * @param node          the replica's node (its Raft peer id)
     * @param role          {@code voter} (in the current or, during a change, the previous configuration),
     *                      {@code listener}, or {@code catching-up} (a new replica the leader is bringing up to date
     *                      before a configuration change names it)
     * @param matchIndex    the last log index the leader knows the replica holds (0: none yet)
     * @param lagEntries    how many entries of the leader's log the replica is known to lack
     * @param lastContactMs how long ago the replica last answered the leader
     */
    public record ReplicaLag(String node, String role, long matchIndex, long lagEntries, long lastContactMs) {
        public ReplicaLag {
            java.util.Objects.requireNonNull(node, "node");
            java.util.Objects.requireNonNull(role, "role");
            if (matchIndex < 0 || lagEntries < 0 || lastContactMs < 0) {
                throw new IllegalArgumentException("negative progress of replica " + node + ": match " + matchIndex
                        + ", lag " + lagEntries + ", last contact " + lastContactMs + " ms");
            }
        }
    }

    /**
     * A partition led by this node: its term, the leader's commit and last log index, and each other
     * replica's progress (by node name).
     */
    public record PartitionLag(int partition, long term, long commitIndex, long lastIndex, List<ReplicaLag> replicas) {
        public PartitionLag {
            replicas = List.copyOf(replicas);
        }
    }

    /** Times {@link #partitionLag} re-reads a leader whose set of followers changed between two of its reads. */
    private static final int LAG_READ_ATTEMPTS = 3;

    /**
     * For every partition this node leads now, how far each other replica's log is behind this
     * leader's: Ratis's per-follower match index and the time since the follower last answered.
     * Read-only: in-memory state of the local leaders, no I/O and no RPC (at most a brief read
     * lock on each log, as appends take it), so an event loop may call it. Partitions this node does not lead are left out: only a leader knows its
     * followers' progress. Sorted by partition, replicas by node.
     */
    public List<PartitionLag> leaderLag() {
        if (closed) {
            return List.of();
        }
        List<PartitionLag> out = new ArrayList<>();
        for (int p : new java.util.TreeSet<>(hosted)) {
            PartitionLag lag = partitionLag(p);
            if (lag != null) {
                out.add(lag);
            }
        }
        return out;
    }

    /**
     * The lag of partition {@code p}'s other replicas if this node leads it, else null. Ratis gives
     * the followers' match indexes ({@code getFollowerMatchIndices}) and their identities with
     * their last-answer times ({@code getRoleInfoProto}) in two calls over the same list of log
     * appenders; the pairing is used only if that list was the same before and after the match
     * indexes were read (a follower added or removed in between shifts the positions).
     */
    PartitionLag partitionLag(int p) {
        checkPartition(p);
        RaftServer.Division d;
        try {
            d = division(p);
        } catch (IOException | RuntimeException e) {
            return null; // not hosted here (any more)
        }
        try {
            return readLag(p, d);
        } catch (RuntimeException e) {
            // A replica closing under us (dropped, or the node stopping) has no lag to report.
            LOG.debug("partition {}: no lag report: {}", p, e.toString());
            return null;
        }
    }

    private PartitionLag readLag(int p, RaftServer.Division d) {
        org.apache.ratis.server.DivisionInfo info = d.getInfo();
        for (int attempt = 0; attempt < LAG_READ_ATTEMPTS; attempt++) {
            if (!info.isAlive() || !info.isLeader()) {
                return null;
            }
            org.apache.ratis.proto.RaftProtos.RoleInfoProto before = info.getRoleInfoProto();
            long lastIndex = d.getRaftLog().getNextIndex() - 1;
            long commitIndex = d.getRaftLog().getLastCommittedIndex();
            long[] match = info.getFollowerMatchIndices();
            org.apache.ratis.proto.RaftProtos.RoleInfoProto after = info.getRoleInfoProto();
            if (match == null || !before.hasLeaderInfo() || !after.hasLeaderInfo()) {
                return null; // lost leadership meanwhile
            }
            List<org.apache.ratis.proto.RaftProtos.ServerRpcProto> followers = after.getLeaderInfo().getFollowerInfoList();
            if (match.length != followers.size() || !followerIds(before).equals(followerIds(after))) {
                continue;
            }
            org.apache.ratis.server.RaftConfiguration conf = d.getRaftConf();
            List<ReplicaLag> replicas = new ArrayList<>(followers.size());
            for (int i = 0; i < followers.size(); i++) {
                RaftPeerId id = RaftPeerId.valueOf(followers.get(i).getId().getId());
                long matchIndex = Math.max(0, match[i]); // Ratis starts an unknown follower at -1/0
                replicas.add(new ReplicaLag(id.toString(), lagRole(conf, id), matchIndex,
                        Math.max(0, lastIndex - matchIndex), Math.max(0, followers.get(i).getLastRpcElapsedTimeMs())));
            }
            replicas.sort(java.util.Comparator.comparing(ReplicaLag::node));
            return new PartitionLag(p, after.getLeaderInfo().getTerm(), commitIndex, lastIndex, replicas);
        }
        LOG.debug("partition {}: followers kept changing while reading their lag", p);
        return null;
    }

    private static List<String> followerIds(org.apache.ratis.proto.RaftProtos.RoleInfoProto role) {
        return role.getLeaderInfo().getFollowerInfoList().stream().map(f -> f.getId().getId().toStringUtf8()).toList();
    }

    private static String lagRole(org.apache.ratis.server.RaftConfiguration conf, RaftPeerId id) {
        org.apache.ratis.proto.RaftProtos.RaftPeerRole follower = org.apache.ratis.proto.RaftProtos.RaftPeerRole.FOLLOWER;
        if (conf.getPeer(id, follower) != null) {
            return "voter";
        }
        if (conf.getPeer(id, org.apache.ratis.proto.RaftProtos.RaftPeerRole.LISTENER) != null) {
            return "listener";
        }
        return "catching-up";
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

    /** True if this node's replica of the partition is alive and leads it (a leader removed from the group closes itself). */
    public boolean isLeader(int partition) {
        try {
            org.apache.ratis.server.DivisionInfo info = division(partition).getInfo();
            return info.isAlive() && info.isLeader();
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
        for (Channel c : retiring) {
            closeChannel(c);
        }
        retiring.clear();
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
        membership.shutdown();
    }

    // ---------------------------------------------------------------------------------------------
    // Replica movement. A move of partition p from node A to node B, driven by a controller:
    //   1. B.hostReplica(p, currentReplicas)         B starts an empty, non-voting replica
    //   2. X.changeReplicas(p, newReplicas)          (any node X) B catches up, then the configuration changes
    //   3. A.dropReplica(p)                          A, no longer a voter, deletes its copy
    //   (4. every node's client learns the new replicas: automatically where a local replica applies
    //       the change, through updateReplicas elsewhere)
    // Each step is idempotent and safe to retry after any failure; the only copy is never dropped
    // while it still counts (dropReplica checks the committed configuration first).
    // ---------------------------------------------------------------------------------------------

    /**
     * What a partition's leader reports about its group: the configuration it uses (voters, and the
     * previous voters while a change is half done), its term, and log positions. {@code
     * commitIndexes} holds the commit index the leader knows for each server it replicates to,
     * including a new replica still catching up (its progress).
     */
    public record GroupState(int partition, RaftPeerId leader, long term, List<RaftPeer> voters, List<RaftPeer> oldVoters,
                             long commitIndex, long lastIndex, Map<RaftPeerId, Long> commitIndexes) {
        /** False while a configuration change is half done (joint consensus: both sets vote). */
        public boolean stable() {
            return oldVoters.isEmpty();
        }

        public Set<RaftPeerId> voterIds() {
            Set<RaftPeerId> ids = new java.util.LinkedHashSet<>();
            voters.forEach(v -> ids.add(v.getId()));
            return ids;
        }

        public boolean isVoter(RaftPeerId id) {
            return voters.stream().anyMatch(v -> v.getId().equals(id)) || oldVoters.stream().anyMatch(v -> v.getId().equals(id));
        }
    }

    /** Pause between two looks at a group while waiting for it (a leader, the end of a configuration change). */
    static final long MEMBERSHIP_POLL_MS = 100;
    /** How often a move under way logs the new replicas' progress. */
    static final long MOVE_PROGRESS_LOG_MS = 5_000;

    /**
     * Starts a replica of partition {@code p} on this node (the destination of a move), so that the
     * partition's leader can catch it up once {@link #changeReplicas} names it. Blocking, bounded by
     * {@code timeout}. Idempotent: a replica already here (added before, or reopened from disk after
     * a restart) is kept as it is, with whatever it already received.
     *
     * <p>The replica starts with the group's current replicas as its configuration, which does not
     * name this node, so Ratis starts it "initializing": it runs no election timer and never
     * campaigns; it only takes what a leader sends (a snapshot, then the log) and starts behaving
     * as a follower the first time a leader treats it as one, after the configuration change that
     * makes it a voter. Until then it answers no local reads ({@link #votes}): this node's
     * FOLLOWER and STALE reads of the partition keep going to a replica elsewhere.
     *
     * @param currentReplicas the partition's replicas now (this node, if listed, is left out)
     * @throws IllegalStateException if a stopped replica of {@code p} (one that left the group and
     *                               stopped itself) is still here: drop it first
     */
    public void hostReplica(int p, List<RaftPeer> currentReplicas, Duration timeout) throws IOException {
        checkPartition(p);
        List<RaftPeer> others = currentReplicas.stream().filter(r -> !r.getId().equals(peerId)).toList();
        checkPeers(others, "current replicas of partition " + p);
        RaftGroupId gid = groupId(config.clusterId(), p);
        synchronized (replicaLocks[p]) {
            if (hasGroup(gid)) {
                if (!division(p).getInfo().isAlive()) {
                    throw new IllegalStateException("partition " + p + " has a stopped replica on node " + nodeId
                            + " (it left the group): drop it with dropReplica before hosting the partition again");
                }
                LOG.info("partition {}: node {} already hosts a replica", p, nodeId);
            } else {
                RaftClientReply reply = await(server().groupManagementAsync(GroupManagementRequest.newAdd(adminClientId, peerId,
                        callIds.incrementAndGet(), RaftGroup.valueOf(gid, others))), timeout, "adding partition " + p);
                if (!reply.isSuccess()) {
                    throw new IOException("adding a replica of partition " + p + " on " + nodeId + " failed: "
                            + reply.getException());
                }
                LOG.info("partition {}: node {} hosts a new replica, not yet a voter (replicas {})", p, nodeId, ids(others));
                voting.remove(p);
            }
            hosted.add(p);
        }
        if (!channels.containsKey(p)) {
            updateReplicas(p, others);
        }
    }

    /**
     * Changes the voters of partition {@code p} to {@code newReplicas} and returns the group's state
     * once the change is committed. Callable on any node (it talks to the partition's leader).
     * Blocking, bounded by {@code timeout}. Idempotent: if the group already has exactly these
     * voters it returns at once, so a retried move is safe.
     *
     * <p>How: one Ratis configuration change (setConfiguration, compare-and-set against the
     * voters the leader reports), which Ratis carries out in two steps. First its <b>staging</b>
     * phase, which is the learner phase of the move: the leader replicates to each new replica
     * (a snapshot if it has one, then the log) while the new replica neither votes nor counts for
     * commits, and waits until it is within {@code raft.move.catch-up-gap} entries of the commit
     * index. Then joint consensus: the configuration (old, new) is committed by majorities of both
     * sets, then (new). Writes and reads are served throughout; a leader that is not in the new
     * configuration steps down once (new) is committed, and its pending requests are answered
     * "not leader" (Ratis's clients retry them on the new leader).
     *
     * <p>Why staging rather than a Ratis listener (a non-voting member of the configuration): a
     * listener needs two configuration changes (add it, then promote it and remove the old
     * replica), a failed move leaves it in the committed configuration until someone removes it,
     * and Ratis 3.3's listener role changes are recent code. Staging keeps the configuration
     * untouched until the new replica has caught up, and abandons the attempt by itself if the new
     * replica stops answering for {@code raft.move.staging-timeout-ms}: a dead destination never
     * becomes a voter. What staging does not give, a catch-up surviving a leader change, is
     * recovered by retrying: the new replica keeps what it received, and the retry only sends
     * what is missing. This method retries failed attempts itself until {@code timeout}.
     *
     * <p>What is allowed: any new set of voters that keeps more of the current voters than it adds
     * (Ratis refuses the rest since RATIS-1912: new voters that outnumber the old could elect a
     * leader among themselves; so a 3-replica partition moves one replica at a time). Removing
     * voters only (down to one) is allowed; joint consensus keeps both majorities in charge while
     * it happens. Every added replica must be hosted ({@link #hostReplica}) first.
     *
     * <p>On a timeout the configuration is what the leader then reports: a dead or unreachable
     * new replica is never made a voter; a slow one may still complete the change after this
     * method gave up (the leader's attempt ends within {@code raft.move.staging-timeout-ms} of
     * the new replica's last answer), so the caller learns the outcome by calling again (or
     * {@link #groupState}).
     *
     * @throws IllegalArgumentException the new voters are not a valid change of the current ones
     * @throws IllegalStateException    {@code raft.move.max-concurrent} moves are already under way on
     *                                  this node, or an added replica is not hosted yet
     * @throws IOException              the change did not complete within {@code timeout} (the message
     *                                  says how far the new replicas got), or the group had no leader
     */
    public GroupState changeReplicas(int p, List<RaftPeer> newReplicas, Duration timeout) throws IOException {
        checkPartition(p);
        checkPeers(newReplicas, "new replicas of partition " + p);
        long deadline = System.nanoTime() + timeout.toNanos();
        Set<RaftPeerId> target = new java.util.LinkedHashSet<>(ids(newReplicas));
        try (GroupAdmin admin = new GroupAdmin(p, knownPeers(p, newReplicas))) {
            GroupState state = admin.leaderState(deadline);
            if (state.stable() && state.voterIds().equals(target) && state.commitIndex() >= state.lastIndex()) {
                updateReplicas(p, state.voters()); // done already (a retried move)
                return state;
            }
            if (!moves.tryAcquire()) {
                throw new IllegalStateException("ERR " + config.moveMaxConcurrent() + " replica moves already under way on node "
                        + nodeId + " (" + RaftConfig.MOVE_MAX_CONCURRENT + "); try again later");
            }
            try {
                return move(admin, state, newReplicas, target, deadline, timeout);
            } finally {
                moves.release();
            }
        }
    }

    private GroupState move(GroupAdmin admin, GroupState state, List<RaftPeer> newReplicas,
                            Set<RaftPeerId> target, long deadline, Duration timeout) throws IOException {
        int p = state.partition();
        boolean checkedHosts = false;
        String lastFailure = "none";
        long confirmIndex = -1; // the leader's last index when it first reported the target configuration
        int attempts = 0;
        int transfers = 0;
        while (true) {
            if (state.stable() && state.voterIds().equals(target)) {
                // Done once the entry of the new configuration is committed: (new) was appended at
                // or before the leader's last index when it first showed it.
                confirmIndex = confirmIndex < 0 ? state.lastIndex() : confirmIndex;
                if (state.commitIndex() >= confirmIndex) {
                    LOG.info("partition {}: replicas are now {} (leader {}, term {}, {} attempt(s))", p, ids(state.voters()),
                            state.leader(), state.term(), attempts);
                    updateReplicas(p, state.voters());
                    return state;
                }
            } else if (state.stable()) {
                confirmIndex = -1;
                checkChange(p, state, target);
                if (!checkedHosts) {
                    GroupState current = state;
                    admin.checkHosted(newReplicas.stream().filter(r -> !current.isVoter(r.getId())).toList(), deadline);
                    checkedHosts = true;
                }
                if (!target.contains(state.leader())) {
                    // The leader leaves: hand its leadership to a replica that stays first. Left to
                    // Ratis, a leader that commits a configuration without itself closes its replica
                    // on its own event thread while holding the replica's lock, and Ratis 3.3's close
                    // then waits for the replica's client executor, whose in-flight writes wait for
                    // that lock: with writes under way the replica never finishes closing (and its
                    // group cannot be removed). A transfer also spares the group an election timeout
                    // without leader. Writes meanwhile wait (PartitionClientRpc retries them).
                    // The first voter that stays, in the new replicas' order (the placement's preferred
                    // leader); the next one after each failed try.
                    List<RaftPeerId> heirs = newReplicas.stream().map(RaftPeer::getId).filter(state.voterIds()::contains).toList();
                    RaftPeerId heir = heirs.get(transfers++ % heirs.size());
                    LOG.info("partition {}: leader {} leaves the group; handing leadership to {} first", p, state.leader(), heir);
                    String failure = admin.transferLeadership(state.leader(), heir, deadline);
                    if (failure != null) {
                        lastFailure = failure;
                        LOG.info("partition {}: {}", p, failure);
                    }
                } else {
                    attempts++;
                    LOG.info("partition {}: changing replicas {} -> {} (attempt {}, leader {})", p, ids(state.voters()), target,
                            attempts, state.leader());
                    SetConfigurationRequest.Arguments args = SetConfigurationRequest.Arguments.newBuilder()
                            .setServersInNewConf(newReplicas)
                            .setServersInCurrentConf(state.voters())
                            .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
                            .build();
                    CompletableFuture<RaftClientReply> attempt = admin.setConfiguration(state.leader(), args, deadline);
                    // While the leader stages the new replicas, watch their progress.
                    while (!waitFor(attempt, Math.min(MOVE_PROGRESS_LOG_MS, remainingMillis(deadline)))
                            && System.nanoTime() - deadline < 0) {
                        try {
                            LOG.info("partition {}: move to {} under way: {}", p, target,
                                    progress(admin.leaderState(soon(deadline, 2_000)), target));
                        } catch (IOException e) {
                            LOG.info("partition {}: move to {} under way, leader not reachable: {}", p, target, e.toString());
                        }
                    }
                    String outcome = outcome(attempt);
                    if (outcome != null) {
                        lastFailure = outcome;
                        LOG.info("partition {}: configuration change attempt {} ended: {}", p, attempts, outcome);
                    }
                }
            }
            if (System.nanoTime() - deadline > 0) {
                String where;
                try {
                    where = progress(admin.leaderState(System.nanoTime() + TimeUnit.SECONDS.toNanos(2)), target);
                } catch (IOException e) {
                    where = "leader not reachable: " + e.getMessage();
                }
                throw new IOException("ERR moving partition " + p + " to replicas " + target + " did not complete within "
                        + timeout.toMillis() + " ms (" + attempts + " attempt(s); last failure: " + lastFailure + "): " + where);
            }
            sleep(MEMBERSHIP_POLL_MS);
            state = admin.leaderState(deadline);
        }
    }

    /** Waits up to {@code millis} for {@code f} to complete (normally or not); true if it did. */
    private static boolean waitFor(CompletableFuture<?> f, long millis) throws IOException {
        try {
            f.get(Math.max(1, millis), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.CancellationException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
        return true;
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    /** A deadline {@code millis} from now, but no later than {@code deadlineNanos}. */
    private static long soon(long deadlineNanos, long millis) {
        long soon = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        return soon - deadlineNanos < 0 ? soon : deadlineNanos;
    }

    /** Null if the attempt succeeded (or is still running), else what went wrong, for the log and the final error. */
    private static String outcome(CompletableFuture<RaftClientReply> attempt) {
        if (!attempt.isDone()) {
            return "still under way at the deadline";
        }
        Throwable error;
        try {
            RaftClientReply reply = attempt.join();
            if (reply.isSuccess()) {
                return null;
            }
            error = reply.getException();
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
            error = e.getCause() != null ? e.getCause() : e;
        }
        if (error instanceof org.apache.ratis.protocol.exceptions.ReconfigurationTimeoutException) {
            return "a new replica stopped answering while catching up (" + RaftConfig.MOVE_STAGING_TIMEOUT_MS + "): "
                    + error.getMessage();
        }
        return error == null ? "unknown" : error.getClass().getSimpleName() + ": " + error.getMessage();
    }

    /** The new replicas' progress as the leader sees it. */
    private static String progress(GroupState s, Set<RaftPeerId> target) {
        StringBuilder b = new StringBuilder("leader ").append(s.leader()).append(" commit index ").append(s.commitIndex())
                .append(", voters ").append(ids(s.voters()));
        if (!s.stable()) {
            b.append(" (joint with ").append(ids(s.oldVoters())).append(')');
        }
        for (RaftPeerId id : target) {
            if (!s.isVoter(id)) {
                Long at = s.commitIndexes().get(id);
                b.append(", new replica ").append(id).append(at == null ? " not reached yet" : " at index " + at);
            }
        }
        return b.toString();
    }

    /** Refuses changes Ratis would refuse (or that could not be made safely); see {@link #changeReplicas}. */
    static void checkChange(int p, GroupState current, Set<RaftPeerId> target) {
        Set<RaftPeerId> now = current.voterIds();
        long added = target.stream().filter(id -> !now.contains(id)).count();
        long kept = target.size() - added;
        boolean oneToTwo = now.size() == 1 && target.size() == 2 && added == 1;
        if (added > 0 && added >= kept && !oneToTwo) {
            throw new IllegalArgumentException("ERR partition " + p + ": changing voters " + now + " to " + target + " adds " + added
                    + " and keeps " + kept + "; new voters must be fewer than the ones kept (move one replica at a time)");
        }
    }

    /**
     * Deletes this node's replica of partition {@code p} (its Raft log, snapshots and the
     * partition's range of the storage engine), after confirming with the partition's leader that
     * this node is no longer a voter. Keeps the partition's client, pointed at the current replicas,
     * so this node still serves the partition's keys by forwarding. Blocking, bounded by {@code
     * timeout}. Returns false if there was no replica here.
     *
     * <p>The guard protects the only copy: the leader must be in a term at least as recent as this
     * replica's, use a stable configuration (no change half done), and not count this node among
     * its voters. A stable configuration at the leader is committed or certain to be: Ratis
     * appends (new) only after (old, new) is committed, and a later leader finishes the change.
     * This replica's own view is not enough: a replica removed as a follower never receives the
     * final configuration.
     *
     * @throws IllegalStateException this node is still a voter (or the group's state is uncertain):
     *                               nothing was deleted
     * @throws IOException           no leader answered within {@code timeout}; nothing was deleted
     */
    public boolean dropReplica(int p, Duration timeout) throws IOException {
        checkPartition(p);
        long deadline = System.nanoTime() + timeout.toNanos();
        RaftGroupId gid = groupId(config.clusterId(), p);
        GroupState leader;
        CompletableFuture<RaftClientReply> removal;
        synchronized (replicaLocks[p]) {
            if (!hasGroup(gid)) {
                hosted.remove(p);
                return false;
            }
            RaftServer.Division d = division(p);
            long localTerm = d.getInfo().getCurrentTerm();
            List<RaftPeer> candidates = new ArrayList<>(d.getRaftConf().getAllPeers());
            candidates.addAll(d.getRaftConf().getPreviousPeers());
            try (GroupAdmin admin = new GroupAdmin(p, knownPeers(p, candidates))) {
                leader = admin.leaderState(deadline);
            }
            if (leader.term() < localTerm) {
                throw new IllegalStateException("ERR partition " + p + ": leader " + leader.leader() + " is in term " + leader.term()
                        + ", behind this replica's term " + localTerm + "; not dropping a replica on an outdated view");
            }
            if (!leader.stable()) {
                throw new IllegalStateException("ERR partition " + p + ": a configuration change is under way (voters "
                        + ids(leader.voters()) + ", previously " + ids(leader.oldVoters()) + "); drop the replica after it ends");
            }
            if (leader.isVoter(peerId)) {
                throw new IllegalStateException("ERR node " + nodeId + " is still a voter of partition " + p + " (replicas "
                        + ids(leader.voters()) + "); move it out with changeReplicas before dropping its replica");
            }
            // Ratis removes the group on the calling thread and waits there for the replica to finish
            // closing: on a thread of its own, so that this call stays bounded by its timeout. The
            // task clears the engine's range under this lock, so only once this method has let go.
            removal = CompletableFuture.supplyAsync(() -> {
                RaftClientReply r = server().groupManagementAsync(GroupManagementRequest.newRemove(adminClientId, peerId,
                        callIds.incrementAndGet(), gid, true, false)).join();
                if (r.isSuccess()) {
                    clearRemovedPartition(p);
                }
                return r;
            }, connectionResets);
        }
        RaftClientReply reply;
        try {
            reply = await(removal, remaining(deadline), "removing partition " + p);
        } catch (IOException e) {
            throw new IOException("ERR the replica of partition " + p + " on " + nodeId + " left the group but Ratis has not"
                    + " finished closing it; its data is deleted once it has (or after a restart, by calling dropReplica again): "
                    + e.getMessage(), e);
        }
        if (!reply.isSuccess()) {
            throw new IOException("removing the replica of partition " + p + " on " + nodeId + " failed: " + reply.getException());
        }
        LOG.info("partition {}: node {} dropped its replica (replicas are {})", p, nodeId, ids(leader.voters()));
        updateReplicas(p, leader.voters());
        return true;
    }

    /**
     * Clears the partition's range of the shared storage engine once its group is gone from this
     * node (Ratis deleted the group's log and snapshots), unless a new replica of the partition was
     * hosted here meanwhile (its state machine owns the range then).
     */
    private void clearRemovedPartition(int p) {
        synchronized (replicaLocks[p]) {
            if (hasGroup(groupId(config.clusterId(), p))) {
                LOG.info("partition {}: a new replica is hosted on {}; its data stays", p, nodeId);
                return;
            }
            executor.engine().dropPartition(p);
            executor.restoreRemovalVersion(p, 0);
            hosted.remove(p);
            voting.remove(p);
            learnedConfigurationIndex[p] = 0;
            synchronized (leases[p]) {
                leases[p].term = -1;
            }
        }
    }

    /** The partition's group as its leader reports it now (see {@link GroupState}). Blocking, bounded by {@code timeout}. */
    public GroupState groupState(int p, Duration timeout) throws IOException {
        checkPartition(p);
        try (GroupAdmin admin = new GroupAdmin(p, knownPeers(p, List.of()))) {
            return admin.leaderState(System.nanoTime() + timeout.toNanos());
        }
    }

    /**
     * Points this node's client of partition {@code p} at {@code peers} (and makes their order the
     * placement order, whose first is the preferred leader): a new client replaces the old one,
     * which finishes the commands it already took (at most {@code raft.client.drain-ms}) before it
     * closes; new commands go to the new client at once. Nothing in flight fails. A no-op if the
     * client already knows exactly these peers.
     *
     * <p>Called by this node whenever a local replica of {@code p} applies a configuration change,
     * by {@link #dropReplica} and {@link #changeReplicas}; other nodes need the controller to call
     * it (or learn the new peers from a "not leader" answer, which Ratis's client does by itself).
     */
    public void updateReplicas(int p, List<RaftPeer> peers) {
        checkPartition(p);
        checkPeers(peers, "replicas of partition " + p);
        Channel old;
        synchronized (this) {
            if (closed) {
                return;
            }
            placementOrder.put(p, ids(peers));
            old = channels.get(p);
            if (old != null && samePeers(old.group().getPeers(), peers)) {
                return;
            }
            channels.put(p, openChannel(p, RaftGroup.valueOf(groupId(config.clusterId(), p), peers)));
            if (old != null) {
                retiring.add(old);
            }
        }
        LOG.info("partition {}: node {} now reaches the replicas {}", p, nodeId, ids(peers));
        if (old != null) {
            retire(old, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.clientDrainMs()));
        }
    }

    /**
     * Replaces partition {@code p}'s client with a fresh one to the same replicas once {@code
     * reply} failed for good: Ratis's ordered client fails every later request of a client whose
     * sliding window saw one request fail ({@code RaftRetryFailureException}: its retries ran out,
     * e.g. while the group had no majority; then {@code AlreadyClosedException} for everything
     * after), so without a new client this node would refuse the partition's commands forever,
     * even once the majority is back ({@code QuorumLossRecoveryTest}). The failed client finishes
     * what it holds like any replaced one ({@link #retire}).
     */
    private CompletableFuture<RaftClientReply> renewedOnFailure(int p, RaftClient client, CompletableFuture<RaftClientReply> reply) {
        reply.whenComplete((r, error) -> {
            if (error != null && givenUp(error)) {
                renewClient(p, client, error);
            }
        });
        return reply;
    }

    private static boolean givenUp(Throwable error) {
        for (Throwable c = error; c != null; c = c.getCause()) {
            if (c instanceof org.apache.ratis.protocol.exceptions.RaftRetryFailureException
                    || c instanceof org.apache.ratis.protocol.exceptions.AlreadyClosedException) {
                return true;
            }
        }
        return false;
    }

    private void renewClient(int p, RaftClient failed, Throwable why) {
        Channel old;
        synchronized (this) {
            old = channels.get(p);
            if (closed || old == null || old.client() != failed) {
                return; // closing, or replaced already (by this or a replica change)
            }
            channels.put(p, openChannel(p, old.group()));
            retiring.add(old);
        }
        LOG.warn("partition {}: node {} replaced its client, which gave up on a request: {}", p, nodeId, why.toString());
        retire(old, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.clientDrainMs()));
    }

    /** Closes a replaced client once its committers and direct calls are done, or at the deadline; never blocks. */
    private void retire(Channel old, long deadlineNanos) {
        boolean idle = true;
        for (GroupCommitter committer : old.committers()) {
            idle &= committer.retire().isDone();
        }
        idle &= old.directCalls().get() == 0;
        if (idle || closed || System.nanoTime() - deadlineNanos > 0) {
            if (!idle) {
                LOG.warn("partition of {}: the replaced client on {} still has requests after {} ({} ms); closing it",
                        old.group().getGroupId(), nodeId, RaftConfig.CLIENT_DRAIN_MS, config.clientDrainMs());
            }
            if (retiring.remove(old)) {
                try {
                    connectionResets.execute(() -> closeChannel(old)); // closing a gRPC channel may wait seconds
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    closeChannel(old);
                }
            }
            return;
        }
        try {
            timer.schedule(() -> retire(old, deadlineNanos), MEMBERSHIP_POLL_MS / 2, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing: close() closes every retiring client
        }
    }

    private void closeChannel(Channel c) {
        c.committers().forEach(GroupCommitter::close);
        try {
            c.client().close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("closing a client of {} on {}: {}", c.group().getGroupId(), nodeId, e.toString());
        }
    }

    /**
     * Submits to the partition's current client; a command refused because that client was just
     * replaced ({@link GroupCommitter.Retired}: it was not taken) goes to the new one.
     */
    private <T> CompletableFuture<T> onChannel(int partition, java.util.function.Function<Channel, CompletableFuture<T>> submit) {
        for (int attempt = 1; ; attempt++) {
            CompletableFuture<T> f = submit.apply(channel(partition));
            if (attempt >= 4 || !f.isCompletedExceptionally() || !(failureOf(f) instanceof GroupCommitter.Retired)) {
                return f;
            }
        }
    }

    private static Throwable failureOf(CompletableFuture<?> f) {
        try {
            f.getNow(null);
            return null;
        } catch (java.util.concurrent.CompletionException e) {
            return e.getCause();
        } catch (java.util.concurrent.CancellationException e) {
            return e;
        }
    }

    /** What a local replica of {@code p} tells this node. */
    private PartitionStateMachine.Listener replicaListener(int p) {
        return new PartitionStateMachine.Listener() {
            @Override
            public void leaderChanged(RaftPeerId leader) {
                localLeaderChanged(p, leader);
            }

            @Override
            public void configurationChanged(long index, List<RaftPeer> peers, List<RaftPeer> oldPeers) {
                if (closed) {
                    return;
                }
                // While a change is half done both sets vote and either may hold the leader: reach them all.
                Map<RaftPeerId, RaftPeer> view = new java.util.LinkedHashMap<>();
                peers.forEach(peer -> view.put(peer.getId(), peer));
                oldPeers.forEach(peer -> view.putIfAbsent(peer.getId(), peer));
                boolean votes = peers.stream().anyMatch(peer -> peer.getId().equals(peerId));
                try {
                    membership.execute(() -> learnConfiguration(p, index, votes, List.copyOf(view.values())));
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // closing
                }
            }

            /**
             * The replica stopped (a replica removed from the group stops itself once the leader
             * tells it so): it answers no more reads, but its data stays here, and {@link #hosts}
             * says so, until {@link #dropReplica} deletes it.
             */
            @Override
            public void closed() {
                if (!closed && !divisionAlive(p)) {
                    voting.remove(p);
                }
            }
        };
    }

    /**
     * A configuration the local replica of {@code p} applied at {@code index}: the client reaches
     * its {@code peers} (old and new voters while a change is half done), and the replica answers
     * local reads only if it {@code votes} in the new configuration.
     */
    private void learnConfiguration(int p, long index, boolean votes, List<RaftPeer> peers) {
        synchronized (replicaLocks[p]) {
            if (index <= learnedConfigurationIndex[p] || peers.isEmpty()) {
                return; // an older configuration, applied late (tasks run in parallel)
            }
            learnedConfigurationIndex[p] = index;
            if (votes && divisionAlive(p)) {
                voting.add(p);
            } else {
                voting.remove(p);
            }
        }
        try {
            updateReplicas(p, peers);
        } catch (RuntimeException e) {
            LOG.warn("partition {}: could not apply the configuration at index {} to the client on {}: {}", p, index, nodeId,
                    e.toString());
        }
    }

    /** True if this node's replica of {@code p} finds itself among the voters of its own newest configuration. */
    private boolean votesInLocalConfiguration(int p) {
        try {
            return division(p).getRaftConf().getCurrentPeers().stream().anyMatch(peer -> peer.getId().equals(peerId));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private boolean divisionAlive(int p) {
        try {
            return division(p).getInfo().isAlive();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private boolean hasGroup(RaftGroupId gid) {
        for (RaftGroupId g : server().getGroupIds()) {
            if (g.equals(gid)) {
                return true;
            }
        }
        return false;
    }

    /** Every peer this node knows for the partition: its client's, its replica's configuration, and {@code more}. */
    private List<RaftPeer> knownPeers(int p, List<RaftPeer> more) {
        Map<RaftPeerId, RaftPeer> known = new java.util.LinkedHashMap<>();
        more.forEach(peer -> known.put(peer.getId(), peer));
        Channel c = channels.get(p);
        if (c != null) {
            c.group().getPeers().forEach(peer -> known.putIfAbsent(peer.getId(), peer));
        }
        if (server != null && hasGroup(groupId(config.clusterId(), p))) {
            try {
                RaftServer.Division d = division(p);
                d.getRaftConf().getAllPeers().forEach(peer -> known.putIfAbsent(peer.getId(), peer));
                d.getRaftConf().getPreviousPeers().forEach(peer -> known.putIfAbsent(peer.getId(), peer));
                known.putIfAbsent(peerId, peer());
            } catch (IOException | RuntimeException e) {
                LOG.debug("partition {}: no local configuration: {}", p, e.toString());
            }
        }
        if (known.isEmpty()) {
            throw new IllegalStateException("partition " + p + " has no known replica on node " + nodeId);
        }
        return List.copyOf(known.values());
    }

    private void checkPartition(int p) {
        if (p < 0 || p >= partitions) {
            throw new IllegalArgumentException("partition " + p + " out of range 0.." + (partitions - 1));
        }
        if (closed) {
            throw new IllegalStateException("raft node " + nodeId + " is closed");
        }
    }

    private static void checkPeers(List<RaftPeer> peers, String what) {
        if (peers == null || peers.isEmpty()) {
            throw new IllegalArgumentException("ERR " + what + ": at least one replica is needed");
        }
        Set<RaftPeerId> seen = new HashSet<>();
        for (RaftPeer peer : peers) {
            if (peer.getAddress() == null || peer.getAddress().isBlank()) {
                throw new IllegalArgumentException("ERR " + what + ": " + peer.getId() + " has no address");
            }
            if (!seen.add(peer.getId())) {
                throw new IllegalArgumentException("ERR " + what + ": " + peer.getId() + " is listed twice");
            }
        }
    }

    private static boolean samePeers(Collection<RaftPeer> a, Collection<RaftPeer> b) {
        Map<RaftPeerId, String> x = new HashMap<>();
        a.forEach(peer -> x.put(peer.getId(), peer.getAddress()));
        Map<RaftPeerId, String> y = new HashMap<>();
        b.forEach(peer -> y.put(peer.getId(), peer.getAddress()));
        return x.equals(y);
    }

    private static List<RaftPeerId> ids(Collection<RaftPeer> peers) {
        return peers.stream().map(RaftPeer::getId).toList();
    }

    private static Duration remaining(long deadlineNanos) {
        return Duration.ofNanos(Math.max(1, deadlineNanos - System.nanoTime()));
    }

    private static <T> T await(CompletableFuture<T> future, Duration timeout, String what) throws IOException {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while " + what);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException(what + " failed: " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException(what + " did not finish within " + timeout.toMillis() + " ms", e);
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
    }

    /**
     * Talks to the servers of one partition's group as an administrator: asks them about the group
     * (to find the leader and what it reports) and asks the leader to change the configuration.
     * Every request is one attempt (no retry policy): the callers loop themselves, bounded by their
     * deadline. Servers named in an answer (the leader, the peers of a configuration) join the
     * servers it asks.
     */
    private final class GroupAdmin implements AutoCloseable {
        private final int partition;
        private final RaftGroupId gid;
        private final Map<RaftPeerId, RaftPeer> known = new java.util.LinkedHashMap<>();
        private final RaftClient client;
        private RaftPeerId leaderHint;

        GroupAdmin(int partition, List<RaftPeer> peers) {
            this.partition = partition;
            this.gid = groupId(config.clusterId(), partition);
            peers.forEach(peer -> known.put(peer.getId(), peer));
            this.client = RaftClient.newBuilder()
                    .setProperties(properties)
                    .setRaftGroup(RaftGroup.valueOf(gid, peers))
                    .setClientId(ClientId.randomId())
                    .setRetryPolicy(RetryPolicies.noRetry())
                    .build();
        }

        private void learn(RaftPeer peer) {
            if (peer.getAddress() != null && !peer.getAddress().isBlank() && known.putIfAbsent(peer.getId(), peer) == null) {
                client.getClientRpc().addRaftPeers(List.of(peer));
            }
        }

        private org.apache.ratis.protocol.GroupInfoReply info(RaftPeerId server) throws IOException {
            RaftClientReply reply;
            try {
                reply = client.getClientRpc().sendRequest(
                        new org.apache.ratis.protocol.GroupInfoRequest(client.getId(), server, gid, callIds.incrementAndGet()));
            } catch (RuntimeException e) {
                // Ratis's gRPC client hands group-info failures back raw; the server's exception rides in the status.
                throw org.apache.ratis.grpc.GrpcUtil.unwrapIOException(e);
            }
            if (reply instanceof org.apache.ratis.protocol.GroupInfoReply info) {
                return info;
            }
            throw new IOException("group info from " + server + " failed: " + reply.getException());
        }

        /** Asks the servers in turn (the last leader heard of first) until one answers as leader; bounded by {@code deadline}. */
        GroupState leaderState(long deadline) throws IOException {
            Throwable last = null;
            while (true) {
                List<RaftPeerId> order = new ArrayList<>(known.keySet());
                if (leaderHint != null && order.remove(leaderHint)) {
                    order.add(0, leaderHint);
                }
                for (RaftPeerId server : order) {
                    org.apache.ratis.protocol.GroupInfoReply info;
                    try {
                        info = info(server);
                    } catch (IOException | RuntimeException e) {
                        last = e;
                        continue;
                    }
                    info.getConf().ifPresent(conf -> {
                        ProtoUtils.toRaftPeers(conf.getPeersList()).forEach(this::learn);
                        ProtoUtils.toRaftPeers(conf.getOldPeersList()).forEach(this::learn);
                    });
                    org.apache.ratis.proto.RaftProtos.RoleInfoProto role = info.getRoleInfoProto();
                    if (role.getRole() == org.apache.ratis.proto.RaftProtos.RaftPeerRole.LEADER && info.getConf().isPresent()) {
                        leaderHint = server;
                        return state(server, info);
                    }
                    if (role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()
                            && !role.getFollowerInfo().getLeaderInfo().getId().getId().isEmpty()) {
                        RaftPeer leader = ProtoUtils.toRaftPeer(role.getFollowerInfo().getLeaderInfo().getId());
                        learn(leader);
                        if (known.containsKey(leader.getId()) && !leader.getId().equals(server)) {
                            leaderHint = leader.getId();
                        }
                    }
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException("ERR no leader of partition " + partition + " answered in time (asked "
                            + known.keySet() + "; last error: " + last + ")");
                }
                sleep(MEMBERSHIP_POLL_MS);
            }
        }

        private GroupState state(RaftPeerId leader, org.apache.ratis.protocol.GroupInfoReply info) {
            org.apache.ratis.proto.RaftProtos.RaftConfigurationProto conf = info.getConf().orElseThrow();
            Map<RaftPeerId, Long> commits = new HashMap<>();
            for (org.apache.ratis.proto.RaftProtos.CommitInfoProto ci : info.getCommitInfos()) {
                commits.put(RaftPeerId.valueOf(ci.getServer().getId()), ci.getCommitIndex());
            }
            org.apache.ratis.proto.RaftProtos.LogInfoProto log = info.getLogInfoProto();
            long commit = log.hasCommitted() ? log.getCommitted().getIndex() : commits.getOrDefault(leader, 0L);
            long last = log.hasLastEntry() ? log.getLastEntry().getIndex() : commit;
            return new GroupState(partition, leader, info.getRoleInfoProto().getLeaderInfo().getTerm(),
                    ProtoUtils.toRaftPeers(conf.getPeersList()), ProtoUtils.toRaftPeers(conf.getOldPeersList()),
                    commit, Math.max(commit, last), Map.copyOf(commits));
        }

        /** Fails unless every one of {@code added} runs a replica of the partition (so the leader can catch it up). */
        void checkHosted(List<RaftPeer> added, long deadline) throws IOException {
            for (RaftPeer peer : added) {
                learn(peer);
                while (true) {
                    try {
                        info(peer.getId());
                        break;
                    } catch (org.apache.ratis.protocol.exceptions.GroupMismatchException e) {
                        throw new IllegalStateException("ERR node " + peer.getId() + " has no replica of partition " + partition
                                + ": call hostReplica on it before changeReplicas");
                    } catch (IOException | RuntimeException e) {
                        if (System.nanoTime() - deadline > 0) {
                            throw new IOException("ERR new replica " + peer.getId() + " of partition " + partition
                                    + " is not reachable: " + e, e);
                        }
                        sleep(MEMBERSHIP_POLL_MS);
                    }
                }
            }
        }

        /** Asks {@code leader} to hand its leadership to {@code to}; null if it did, else what went wrong. */
        String transferLeadership(RaftPeerId leader, RaftPeerId to, long deadline) {
            long timeoutMs = Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()),
                    3L * config.electionTimeoutMaxMs()));
            try {
                RaftClientReply reply = client.getClientRpc().sendRequest(new org.apache.ratis.protocol.TransferLeadershipRequest(
                        client.getId(), leader, gid, callIds.incrementAndGet(), to, timeoutMs));
                return reply.isSuccess() ? null : "handing leadership from " + leader + " to " + to + " failed: " + reply.getException();
            } catch (IOException | RuntimeException e) {
                return "handing leadership from " + leader + " to " + to + " failed: " + e;
            }
        }

        /**
         * Sends one configuration change to {@code leader}, on its own thread and connection, whose
         * deadline is {@code deadline}: the leader answers once the change is committed, or fails
         * it (new replica not answering, leadership lost, another change under way).
         */
        CompletableFuture<RaftClientReply> setConfiguration(RaftPeerId leader, SetConfigurationRequest.Arguments args,
                                                            long deadline) {
            RaftProperties props = new RaftProperties(properties);
            RaftClientConfigKeys.Rpc.setRequestTimeout(props, ms(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
            Map<RaftPeerId, RaftPeer> peers = new java.util.LinkedHashMap<>(known);
            args.getServersInNewConf().forEach(peer -> peers.putIfAbsent(peer.getId(), peer));
            return CompletableFuture.supplyAsync(() -> {
                try (RaftClient once = RaftClient.newBuilder()
                        .setProperties(props)
                        .setRaftGroup(RaftGroup.valueOf(gid, peers.values()))
                        .setClientId(ClientId.randomId())
                        .setRetryPolicy(RetryPolicies.noRetry())
                        .build()) {
                    return once.getClientRpc().sendRequest(new SetConfigurationRequest(once.getId(), leader, gid,
                            callIds.incrementAndGet(), args));
                } catch (IOException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, connectionResets);
        }

        @Override
        public void close() throws IOException {
            client.close();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Other groups in this node's Raft server (a cluster controller group): the partition groups'
    // server, ports, storage directory and settings, with the caller's state machine.
    // ---------------------------------------------------------------------------------------------

    /**
     * Lets this node host the group {@code id} (not a partition group) with the state machines
     * {@code factory} makes. Register before {@link #start()} for a group this node hosted before a
     * restart: the server reopens it from disk while it starts, and asks for its state machine then
     * (a group on disk that is neither a partition nor registered fails the start).
     */
    public void registerGroup(RaftGroupId id, java.util.function.Supplier<? extends StateMachine> factory) {
        java.util.Objects.requireNonNull(id, "group id");
        java.util.Objects.requireNonNull(factory, "state machine factory");
        if (partitionOfGroup.containsKey(id)) {
            throw new IllegalArgumentException("group " + id + " is partition " + partitionOfGroup.get(id) + "'s group");
        }
        if (extraGroups.putIfAbsent(id, factory) != null) {
            throw new IllegalStateException("group " + id + " is already registered on node " + nodeId);
        }
    }

    /**
     * Hosts a replica of the registered group {@code group} on this node (a no-op if it is here
     * already, e.g. reopened from disk). As for partitions: a group that does not list this node
     * starts as a non-voting replica until a configuration change names it. Blocking, bounded by
     * {@code timeout}.
     */
    public void hostGroup(RaftGroup group, Duration timeout) throws IOException {
        if (!extraGroups.containsKey(group.getGroupId())) {
            throw new IllegalStateException("group " + group.getGroupId() + " is not registered on node " + nodeId
                    + " (registerGroup)");
        }
        if (hasGroup(group.getGroupId())) {
            return;
        }
        RaftClientReply reply = await(server().groupManagementAsync(GroupManagementRequest.newAdd(adminClientId, peerId,
                callIds.incrementAndGet(), group)), timeout, "adding group " + group.getGroupId());
        if (!reply.isSuccess()) {
            throw new IOException("adding group " + group.getGroupId() + " on " + nodeId + " failed: " + reply.getException());
        }
    }

    /** This node's replica of a hosted group, e.g. to reach the state machine. */
    public RaftServer.Division groupDivision(RaftGroupId id) throws IOException {
        return server().getDivision(id);
    }

    /**
     * A new Ratis client of {@code group}, built like the partition clients (this node's
     * properties, attempt timeout and retry policy: {@code raft.client.*}). The caller closes it.
     */
    public RaftClient newClient(RaftGroup group) {
        return RaftClient.newBuilder()
                .setProperties(properties)
                .setRaftGroup(group)
                .setClientId(ClientId.randomId())
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                        config.clientRetryAttempts(), ms(config.clientRetrySleepMs())))
                .build();
    }

    /** Snapshot bytes this node received from leaders since it started (new or lagging replicas catching up). */
    public long snapshotBytesReceived() {
        return snapshotThrottle.bytesReceived();
    }

    /** Replica moves this node is driving now. */
    public int movesUnderWay() {
        return config.moveMaxConcurrent() - moves.availablePermits();
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
