package io.cairn.cluster.agent;

import io.cairn.api.clock.Clock;
import io.cairn.cluster.ApplyResult;
import io.cairn.cluster.ClusterCodec;
import io.cairn.cluster.ClusterCodec.ControlReply;
import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.ClusterSettings;
import io.cairn.cluster.ControlCommand;
import io.cairn.cluster.ControllerClient;
import io.cairn.cluster.ControllerStateMachine;
import io.cairn.cluster.NodeInfo;
import io.cairn.cluster.NodeSpec;
import io.cairn.cluster.NodeState;
import io.cairn.raft.RaftNode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.ProtoUtils;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's part in a cluster with dynamic membership: it finds (or creates) the controller
 * group, keeps the node's view of the {@link ClusterMap} current, makes the node host exactly the
 * replicas the map gives it, and — on the node that leads the controller group — turns failures
 * and joins into map changes and carries out the replica moves the planner decides.
 *
 * <p><b>Lifecycle.</b> Construct the agent before {@link RaftNode#start()} (it registers the
 * controller group with the node, so that a controller replica on disk reopens at start), start
 * the node, then call {@link #start}: it returns once the node knows the current map and every
 * partition's client points at the map's replicas — only then may the node serve (a node that
 * served from a placement it computed itself, or from an old map, could write to a group that no
 * longer owns the keys). If {@link #start} fails, close the agent and the node. {@link #close}
 * stops the agent; the node is the caller's. Map listeners ({@link #addMapListener}) see maps in
 * epoch order; a node that hosts a controller replica may show them older maps (replayed from its
 * replica's log) before {@link #start} has read the current one.
 *
 * <p><b>Bootstrap</b> ({@link Startup#bootstrap}): the node hosts the controller group with
 * itself as the only voter, proposes {@code Bootstrap}, and hosts every partition (one replica
 * each; the planner grows them to the replication factor as nodes join). <b>Join</b> ({@link
 * Startup#join}): the node finds the controller's members through its seeds (any node hosting a
 * controller replica answers with the group's configuration; a seed is {@code host:port} or
 * {@code id@host:port} of a Raft server — Ratis does not check the id a request is addressed to,
 * so a plain address works), proposes {@code Join(self)} and reads the map linearizably; the node
 * is JOINING until the controller leader hears its heartbeat, then UP and a placement target. A
 * <b>restart</b> is a join: the controller's members come from the local controller replica (if
 * any), the members last heard of (kept in {@code <raft.storage-dir>/cairn-cluster/}) and the
 * seeds; a DOWN node's {@code Join} records its return, and its replicas are reconciled against
 * the map (kept where the map still lists them, dropped where they were re-created elsewhere).
 *
 * <p><b>Heartbeats.</b> Every {@code cluster.heartbeat-interval-ms} the node sends the controller
 * leader a heartbeat (a read the leader answers without logging anything; its in-memory
 * {@link io.cairn.cluster.FailureDetector} records it) and learns the map's epoch and the
 * controller's members; a newer epoch makes it read the map. Nodes that host a controller replica
 * also get each map as their replica applies it.
 *
 * <p><b>Per node</b> ({@link Reconciler}): on every map change and every {@code
 * cluster.reconcile-interval-ms}, hosts the replicas the map assigns it (as a replica or a move's
 * destination), points every partition's client at the map's replicas (preferred leader first,
 * which is what the node's leader balancing follows), and drops replicas the map no longer lists
 * once the partition's leader confirms this node is no longer a voter.
 *
 * <p><b>On the controller leader</b> ({@link ControllerDuties}): failure detection, the planner's
 * proposals, the moves (destination hosts the replica, {@link RaftNode#changeReplicas},
 * {@code CompleteMove}; bounded attempts, then {@code AbortMove} once the group is confirmed
 * unchanged), the controller group's own membership (1 voter, 3 once 3 nodes are UP, up to
 * {@code cluster.controller.max-voters}; members that are DOWN, LEAVING or gone are replaced), and
 * an audit that compares groups with the map. A new leader resumes the moves it finds in the map.
 *
 * <p>Threads: a timer of two (heartbeats, periodic triggers), one reconciler, one controller loop,
 * one for controller membership changes, and {@code cluster.mover.threads} movers on the controller
 * leader. Triggers coalesce (at most one
 * pending run of each loop), so nothing queues up. See {@link ClusterAgentConfig} for every key.
 */
public final class ClusterAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterAgent.class);
    /** Directory under the Raft storage directory (not a group directory: Ratis ignores it). */
    static final String STATE_DIR = "cairn-cluster";
    static final String MEMBERS_FILE = "controller-members";
    /** Pause between attempts while starting (finding the controller, joining, reading the map). */
    static final long START_RETRY_MS = 200;

    /** How a node enters the cluster. */
    public record Startup(ClusterSettings bootstrap, List<String> seeds) {
        public Startup {
            seeds = List.copyOf(seeds);
            if (bootstrap == null && seeds.isEmpty()) {
                throw new IllegalArgumentException("a node that does not bootstrap the cluster needs at least one seed"
                        + " (host:port or id@host:port of a cluster node's Raft server)");
            }
        }

        /** Creates the cluster (or, after a restart of the node that created it, rejoins it). */
        public static Startup bootstrap(ClusterSettings settings) {
            return new Startup(Objects.requireNonNull(settings, "settings"), List.of());
        }

        /** Joins (or, after a restart, rejoins) the cluster that the seeds belong to. */
        public static Startup join(List<String> seeds) {
            return new Startup(null, seeds);
        }
    }

    final RaftNode node;
    final ClusterAgentConfig config;
    final Clock clock;
    final String selfId;
    final RaftGroupId controllerGroupId;
    private final Path stateDir;
    private final ControllerStateMachine.ApplyObserver applyObserver;

    private final Object controllerClientLock = new Object();
    private volatile ControllerClient controller;
    /** The controller's members the client uses (id to Raft address). */
    private volatile Map<String, String> controllerMembers = Map.of();
    private volatile List<String> seeds = List.of();
    private final AtomicInteger heartbeatFailures = new AtomicInteger();
    private final AtomicLong heartbeatsAnswered = new AtomicLong();

    private final Object mapLock = new Object();
    private volatile ClusterMap map = ClusterMap.EMPTY;
    private final List<Consumer<ClusterMap>> listeners = new CopyOnWriteArrayList<>();

    private volatile NodeSpec self;
    private final ScheduledExecutorService timer;
    final Reconciler reconciler;
    final ControllerDuties duties;
    private final AtomicBoolean started = new AtomicBoolean();
    /** Set once {@link #start} is done: from then on a newer map wakes the loops. */
    private volatile boolean running;
    /** While {@link #start} creates the cluster: the controller is this node alone, nothing to look for. */
    private volatile boolean bootstrapping;
    /** True if this agent's {@link #start} created the cluster (its partitions' first replicas may be created here). */
    private volatile boolean bootstrappedHere;
    private volatile boolean closed;

    /**
     * Registers the controller group with {@code node}, which must not be started yet.
     *
     * @throws IllegalStateException the node already started (the controller group must be known
     *                               to it before it reopens groups from disk)
     */
    public ClusterAgent(RaftNode node, ClusterAgentConfig config, Clock clock) {
        this(node, config, clock, ControllerStateMachine.NO_OBSERVER);
    }

    /**
     * As {@link #ClusterAgent(RaftNode, ClusterAgentConfig, Clock)}, with {@code applyObserver}
     * told of each entry before this node's controller replica applies it (tests use it to slow
     * the controller down).
     */
    public ClusterAgent(RaftNode node, ClusterAgentConfig config, Clock clock,
                        ControllerStateMachine.ApplyObserver applyObserver) {
        this.node = Objects.requireNonNull(node, "node");
        this.applyObserver = Objects.requireNonNull(applyObserver, "applyObserver");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.selfId = node.nodeId();
        this.controllerGroupId = ControllerStateMachine.groupId(node.config().clusterId());
        this.stateDir = node.config().storageDir().resolve(STATE_DIR);
        boolean nodeStarted;
        try {
            node.address();
            nodeStarted = true;
        } catch (IllegalStateException e) {
            nodeStarted = false; // "not started": as required
        }
        if (nodeStarted) {
            throw new IllegalStateException("create the cluster agent before starting raft node " + selfId
                    + ": the controller group must be registered before the node reopens its groups");
        }
        node.registerGroup(controllerGroupId, this::newControllerStateMachine);
        // Two threads: a heartbeat that waits on an unreachable controller must not hold back the other triggers.
        this.timer = Executors.newScheduledThreadPool(2, daemon("cairn-agent-timer-" + selfId));
        this.reconciler = new Reconciler(this);
        this.duties = new ControllerDuties(this);
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, n.getAndIncrement() == 0 ? name : name + "-" + n.get());
            t.setDaemon(true);
            return t;
        };
    }

    /** A controller replica is being opened on this node (reopened from disk, or added): listen to it. */
    private ControllerStateMachine newControllerStateMachine() {
        ControllerStateMachine sm = new ControllerStateMachine(applyObserver);
        // Maps this replica applies are committed: a node hosting a controller replica learns them at once.
        sm.addMapListener(this::offerMap);
        sm.addLeaderListener(duties::controllerLeaderChanged);
        sm.addHeartbeatListener(duties::heartbeatHeard);
        return sm;
    }

    // ------------------------------------------------------------------ start

    /**
     * Enters the cluster as {@code how} says and returns once the node knows the current map (its
     * epoch read linearizably after this node's {@code Join} was committed) and every partition's
     * client points at the map's replicas; then starts heartbeats and the loops. Blocking, bounded
     * by {@code cluster.join-timeout-ms}.
     *
     * @param respAddress where this node serves RESP ({@code host:port}), advertised in the map
     * @param zone        this node's failure zone ("" for none)
     * @throws IOException              no controller found or it did not answer in time
     * @throws IllegalArgumentException the cluster refused the node (its id or addresses are taken,
     *                                  the cluster is full) or its settings do not match the node's
     */
    public void start(String respAddress, String zone, Startup how) throws IOException {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("cluster agent of " + selfId + " already started");
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.joinTimeoutMs());
        RaftPeer me = node.peer();
        self = new NodeSpec(selfId, me.getAddress(), respAddress, zone);
        seeds = how.seeds();
        boolean controllerHere = localControllerDivision().isPresent();
        if (how.bootstrap() != null && !controllerHere) {
            bootstrap(how.bootstrap(), me, deadline);
        } else {
            Map<String, String> members = findController(deadline);
            useController(members);
            join(deadline);
        }
        ClusterMap m = readMapUntil(deadline);
        checkCompatible(m.settings());
        if (m.node(selfId).isEmpty()) {
            throw new IllegalStateException("the map at epoch " + m.epoch() + " does not list node " + selfId + " after it joined");
        }
        offerMap(m);
        // Clients for every partition at the map's replicas, and the replicas assigned here, before serving.
        reconciler.reconcile(this.map, false);
        LOG.info("node {} entered cluster {} at epoch {} as {} (controller members {})", selfId, m.settings().clusterId(),
                this.map.epoch(), this.map.node(selfId).map(NodeInfo::state).orElse(null), controllerMembers.keySet());
        timer.scheduleWithFixedDelay(this::heartbeat, 0, config.heartbeatIntervalMs(), TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(reconciler::resync, config.reconcileIntervalMs(), config.reconcileIntervalMs(),
                TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(duties::wake, config.controllerLoopIntervalMs(), config.controllerLoopIntervalMs(),
                TimeUnit.MILLISECONDS);
        if (config.leaderBalanceIntervalMs() > 0) {
            timer.scheduleWithFixedDelay(this::balanceLeaders, config.leaderBalanceIntervalMs(),
                    config.leaderBalanceIntervalMs(), TimeUnit.MILLISECONDS);
        }
        running = true;
        reconciler.wake();
        duties.wake();
    }

    private void bootstrap(ClusterSettings settings, RaftPeer me, long deadline) throws IOException {
        checkCompatible(settings);
        bootstrapping = true;
        RaftGroup group = RaftGroup.valueOf(controllerGroupId, List.of(me));
        node.hostGroup(group, remaining(deadline));
        useController(Map.of(selfId, me.getAddress()));
        while (true) {
            ControlReply r;
            try {
                r = submit(new ControlCommand.Bootstrap(settings, self));
            } catch (IOException e) {
                pauseOrFail(deadline, "bootstrapping cluster " + settings.clusterId(), e);
                continue;
            }
            if (r.accepted()) {
                bootstrapping = false;
                bootstrappedHere = true;
                LOG.info("node {} bootstrapped cluster {} ({} partitions, replication factor {})", selfId,
                        settings.clusterId(), settings.partitions(), settings.replicationFactor());
                return;
            }
            if (r.reason() == ApplyResult.Reason.ALREADY_BOOTSTRAPPED) {
                // The controller group was created just now with this node alone: only an earlier attempt of this
                // very proposal (committed, its answer lost) can have bootstrapped it.
                bootstrapping = false;
                bootstrappedHere = true;
                return;
            }
            throw new IllegalStateException("ERR bootstrapping cluster " + settings.clusterId() + " failed: " + r.errorLine());
        }
    }

    private void join(long deadline) throws IOException {
        while (true) {
            ControlReply r;
            try {
                r = submit(new ControlCommand.Join(self));
            } catch (IOException e) {
                pauseOrFail(deadline, "joining the cluster", e);
                continue;
            }
            if (r.accepted()) {
                LOG.info("node {} joined the cluster (epoch {})", selfId, r.epoch());
                return;
            }
            switch (r.reason()) {
                case NODE_EXISTS, NO_CHANGE -> {
                    // Already a member: a restart of a live member (its heartbeats resume) or a retried join.
                    ClusterMap m = readMapUntil(deadline);
                    NodeInfo n = m.node(selfId).orElseThrow(() -> new IllegalStateException("node " + selfId
                            + " was refused as existing but the map at epoch " + m.epoch() + " does not list it"));
                    if (!n.spec().raftAddress().equals(self.raftAddress())) {
                        throw new IllegalArgumentException("ERR node " + selfId + " is a member at Raft address "
                                + n.spec().raftAddress() + " (" + n.state() + "), not " + self.raftAddress()
                                + ": restart it at that address, or wait until it is marked DOWN");
                    }
                    return;
                }
                default -> throw new IllegalArgumentException("ERR the cluster refused node " + selfId + ": " + r.errorLine());
            }
        }
    }

    private void checkCompatible(ClusterSettings s) {
        if (!s.clusterId().equals(node.config().clusterId())) {
            throw new IllegalArgumentException("ERR cluster " + s.clusterId() + " is not this node's cluster ("
                    + node.config().clusterId() + ", raft.cluster-id)");
        }
        if (s.partitions() != node.partitions()) {
            throw new IllegalArgumentException("ERR cluster " + s.clusterId() + " has " + s.partitions()
                    + " partitions, this node is configured with " + node.partitions());
        }
    }

    private ClusterMap readMapUntil(long deadline) throws IOException {
        while (true) {
            try {
                return await(controller().readMap(), config.commandTimeoutMs());
            } catch (IOException e) {
                pauseOrFail(deadline, "reading the cluster map", e);
            }
        }
    }

    private int startFailures;

    /**
     * Between two attempts of a start step: fails once {@code deadline} is past; every few failures
     * looks for the controller's members again (the ones found may have been an old configuration).
     */
    private void pauseOrFail(long deadline, String what, IOException e) throws IOException {
        if (System.nanoTime() - deadline > 0) {
            throw new IOException("ERR " + what + " did not succeed in time: " + e.getMessage(), e);
        }
        LOG.debug("{} failed, retrying: {}", what, e.toString());
        sleep(START_RETRY_MS);
        if (++startFailures % 5 == 0 && !bootstrapping) {
            useController(discover(candidates()));
        }
    }

    // ------------------------------------------------------------------ finding the controller

    /**
     * The controller group's members (id to address), asked of candidates in turn until one that
     * hosts a controller replica answers: this node's own replica, the members last heard of, the
     * seeds, and the nodes of the last map. Bounded by {@code deadline}.
     */
    private Map<String, String> findController(long deadline) throws IOException {
        while (true) {
            Map<String, String> found = discover(candidates());
            if (!found.isEmpty()) {
                return found;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("ERR no controller of cluster " + node.config().clusterId() + " answered (asked "
                        + candidates().values() + "): check the seeds");
            }
            sleep(START_RETRY_MS * 2);
        }
    }

    /** Where to look for the controller, most likely first (id to address; seeds without an id get a placeholder). */
    private Map<String, String> candidates() {
        Map<String, String> c = new LinkedHashMap<>();
        localControllerDivision().ifPresent(d -> {
            d.getRaftConf().getCurrentPeers().forEach(p -> c.putIfAbsent(p.getId().toString(), p.getAddress()));
            d.getRaftConf().getPreviousPeers().forEach(p -> c.putIfAbsent(p.getId().toString(), p.getAddress()));
        });
        controllerMembers.forEach(c::putIfAbsent);
        readMembersFile().forEach(c::putIfAbsent);
        int i = 0;
        for (String seed : seeds) {
            int at = seed.indexOf('@');
            String id = at > 0 ? seed.substring(0, at) : "seed-" + i;
            c.putIfAbsent(id, at > 0 ? seed.substring(at + 1) : seed);
            i++;
        }
        for (NodeInfo n : map.nodes()) {
            if (n.state() != NodeState.LEFT) {
                c.putIfAbsent(n.id(), n.spec().raftAddress());
            }
        }
        c.remove(selfId);
        localControllerDivision().ifPresent(d -> c.put(selfId, node.peer().getAddress()));
        return c;
    }

    /**
     * Finds the controller group's members (id to address) by asking Raft servers, starting with
     * {@code candidates}. A server that leads the controller group answers with its configuration,
     * which is the answer. A server with another controller replica also knows a configuration,
     * possibly an old one (a member removed while it was down, say): its members and the leader it
     * names are asked next, and its configuration is kept in case no leader answers. A server
     * without one ("group mismatch") is asked which groups it hosts, and the members of up to
     * {@value #DISCOVERY_GROUPS_PER_SERVER} of those (partition replicas on other nodes) are asked
     * in turn — so a seed only needs to be some node of the cluster, not a controller member. One
     * attempt per request, each bounded by {@code controller.command-timeout-ms} (at most 5 s), at
     * most {@value #DISCOVERY_MAX_SERVERS} servers. Returns nothing if no controller replica answered.
     */
    Map<String, String> discover(Map<String, String> candidates) {
        java.util.ArrayDeque<RaftPeer> queue = new java.util.ArrayDeque<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        candidates.forEach((id, address) -> enqueue(queue, seen, id, address, false));
        long timeout = Math.min(config.commandTimeoutMs(), 5000);
        Map<String, String> fallback = Map.of();
        for (int asked = 0; !queue.isEmpty() && asked < DISCOVERY_MAX_SERVERS && !closed; asked++) {
            RaftPeer peer = queue.poll();
            try (RaftClient client = oneShotClient(List.of(peer), timeout)) {
                GroupInfoReply controllerInfo = groupInfo(client, peer, controllerGroupId);
                if (controllerInfo != null) {
                    Map<String, String> members = members(controllerInfo);
                    if (controllerInfo.getRoleInfoProto().getRole() == RaftPeerRole.LEADER) {
                        LOG.info("node {}: controller members {} (from the leader {} at {})", selfId, members.keySet(),
                                peer.getId(), peer.getAddress());
                        return members;
                    }
                    fallback = fallback.isEmpty() ? members : fallback;
                    var role = controllerInfo.getRoleInfoProto();
                    if (role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()) {
                        RaftPeer leader = ProtoUtils.toRaftPeer(role.getFollowerInfo().getLeaderInfo().getId());
                        enqueue(queue, seen, leader.getId().toString(), leader.getAddress(), true);
                    }
                    members.forEach((id, address) -> enqueue(queue, seen, id, address, false));
                    continue;
                }
                int groups = 0;
                for (RaftGroupId g : client.getGroupManagementApi(peer.getId()).list().getGroupIds()) {
                    if (g.equals(controllerGroupId)) {
                        continue;
                    }
                    if (groups++ >= DISCOVERY_GROUPS_PER_SERVER) {
                        break;
                    }
                    GroupInfoReply info = groupInfo(client, peer, g);
                    if (info != null) {
                        members(info).forEach((id, address) -> enqueue(queue, seen, id, address, false));
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("node {}: {} at {} told nothing about the controller: {}", selfId, peer.getId(), peer.getAddress(),
                        e.toString());
            }
        }
        if (!fallback.isEmpty()) {
            LOG.info("node {}: no controller leader answered; controller members {} as a member knows them", selfId,
                    fallback.keySet());
        }
        return fallback;
    }

    static final int DISCOVERY_MAX_SERVERS = 32;
    static final int DISCOVERY_GROUPS_PER_SERVER = 2;

    private static void enqueue(java.util.Deque<RaftPeer> queue, java.util.Set<String> seen, String id, String address,
                                boolean first) {
        if (address == null || address.isBlank() || !seen.add(address)) {
            return;
        }
        RaftPeer peer = RaftPeer.newBuilder().setId(id).setAddress(address).build();
        if (first) {
            queue.addFirst(peer);
        } else {
            queue.addLast(peer);
        }
    }

    /** {@code peer}'s answer about its replica of group {@code gid}, or null if it has none (or did not answer). */
    private static GroupInfoReply groupInfo(RaftClient client, RaftPeer peer, RaftGroupId gid) {
        try {
            GroupInfoReply info = client.getGroupManagementApi(peer.getId()).info(gid);
            return info.isSuccess() && info.getConf().isPresent() ? info : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The members (id to address) of a group-info answer's configuration, both sets while a change is half done. */
    private static Map<String, String> members(GroupInfoReply info) {
        Map<String, String> members = new TreeMap<>();
        ProtoUtils.toRaftPeers(info.getConf().get().getOldPeersList()).forEach(p -> members.put(p.getId().toString(), p.getAddress()));
        ProtoUtils.toRaftPeers(info.getConf().get().getPeersList()).forEach(p -> members.put(p.getId().toString(), p.getAddress()));
        return members;
    }

    /** A client that makes one attempt per request, each bounded by {@code timeoutMs}; the caller closes it. */
    RaftClient oneShotClient(List<RaftPeer> peers, long timeoutMs) {
        RaftProperties p = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(timeoutMs, TimeUnit.MILLISECONDS));
        return RaftClient.newBuilder()
                .setProperties(p)
                .setRaftGroup(RaftGroup.valueOf(controllerGroupId, peers))
                .setClientId(ClientId.randomId())
                .setRetryPolicy(RetryPolicies.noRetry())
                .build();
    }

    /** Points the controller client at {@code members} (a no-op if it already uses them) and remembers them. */
    void useController(Map<String, String> members) {
        if (members.isEmpty()) {
            return;
        }
        ControllerClient old;
        synchronized (controllerClientLock) {
            if (members.equals(controllerMembers) && controller != null) {
                return;
            }
            List<RaftPeer> peers = new ArrayList<>();
            members.forEach((id, address) -> peers.add(RaftPeer.newBuilder().setId(id).setAddress(address).build()));
            RaftProperties p = new RaftProperties();
            // One attempt waits at most this long before Ratis's client tries another member.
            RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(
                    Math.max(500, Math.min(3000, config.commandTimeoutMs() / 3)), TimeUnit.MILLISECONDS));
            old = controller;
            controller = ControllerClient.create(RaftGroup.valueOf(controllerGroupId, peers), p,
                    Duration.ofMillis(config.commandTimeoutMs()));
            controllerMembers = Map.copyOf(new TreeMap<>(members));
        }
        writeMembersFile(members);
        if (old != null) {
            LOG.info("node {}: controller members are now {}", selfId, members.keySet());
            try {
                old.close();
            } catch (IOException e) {
                LOG.debug("closing the old controller client: {}", e.toString());
            }
        }
    }

    ControllerClient controller() throws IOException {
        ControllerClient c = controller;
        if (c == null || closed) {
            throw new IOException(closed ? "cluster agent of " + selfId + " is closed" : "no controller known yet");
        }
        return c;
    }

    private Map<String, String> readMembersFile() {
        Path f = stateDir.resolve(MEMBERS_FILE);
        Map<String, String> out = new LinkedHashMap<>();
        try {
            if (!Files.exists(f)) {
                return out;
            }
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                int at = line.indexOf('@');
                if (at > 0 && at < line.length() - 1 && out.size() < 16) {
                    out.put(line.substring(0, at).trim(), line.substring(at + 1).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("node {}: cannot read {}: {}", selfId, f, e.toString());
        }
        return out;
    }

    private void writeMembersFile(Map<String, String> members) {
        try {
            Files.createDirectories(stateDir);
            StringBuilder b = new StringBuilder();
            members.forEach((id, address) -> b.append(id).append('@').append(address).append('\n'));
            Path tmp = stateDir.resolve(MEMBERS_FILE + ".tmp");
            Files.writeString(tmp, b, StandardCharsets.UTF_8);
            Files.move(tmp, stateDir.resolve(MEMBERS_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            LOG.warn("node {}: cannot record the controller members in {}: {}", selfId, stateDir, e.toString());
        }
    }

    // ------------------------------------------------------------------ heartbeats and the map

    private void heartbeat() {
        if (closed) {
            return;
        }
        try {
            ClusterCodec.HeartbeatReply r = await(controller().heartbeat(selfId), config.commandTimeoutMs());
            heartbeatsAnswered.incrementAndGet();
            heartbeatFailures.set(0);
            if (!r.controllers().isEmpty()) {
                useController(r.controllers());
            }
            reconciler.controllerMembersHeard(r.controllers());
            if (r.epoch() > map.epoch()) {
                refreshMap();
            }
        } catch (IOException | RuntimeException e) {
            int failures = heartbeatFailures.incrementAndGet();
            LOG.debug("node {}: heartbeat failed ({} in a row): {}", selfId, failures, e.toString());
            if (failures % config.rediscoverAfterFailures() == 0) {
                Map<String, String> found = discover(candidates());
                if (!found.isEmpty()) {
                    useController(found);
                } else {
                    LOG.warn("node {}: {} heartbeats failed and no controller member answered", selfId, failures);
                }
            }
        }
    }

    /** Reads the map from the controller now (linearizable) and takes it if it is newer. */
    void refreshMap() {
        try {
            offerMap(await(controller().readMap(), config.commandTimeoutMs()));
        } catch (IOException | RuntimeException e) {
            LOG.debug("node {}: reading the map failed: {}", selfId, e.toString());
        }
    }

    /**
     * Takes {@code m} if it is newer than the map this node has (maps only move forward; an older
     * one — a lagging controller replica, a reply overtaken by another — is ignored), then wakes
     * the loops and tells the listeners. Never blocks: called on Ratis threads too.
     */
    void offerMap(ClusterMap m) {
        if (!m.isBootstrapped()) {
            return;
        }
        synchronized (mapLock) {
            if (m.epoch() <= map.epoch()) {
                return;
            }
            if (map.isBootstrapped() && !map.settings().equals(m.settings())) {
                // Settings are fixed at bootstrap; a map with others is another cluster's or corrupt.
                LOG.error("node {}: refusing the map of epoch {}: settings {} differ from {}", selfId, m.epoch(), m.settings(),
                        map.settings());
                return;
            }
            map = m;
        }
        for (Consumer<ClusterMap> l : listeners) {
            try {
                l.accept(m);
            } catch (RuntimeException e) {
                LOG.warn("node {}: map listener failed at epoch {}: {}", selfId, m.epoch(), e.toString());
            }
        }
        if (running && !closed) {
            reconciler.wake();
            duties.wake();
        }
    }

    private void balanceLeaders() {
        if (!closed) {
            try {
                node.balanceLeaders(4, Duration.ofMillis(config.replicaOpTimeoutMs()));
            } catch (RuntimeException e) {
                LOG.debug("node {}: leader balancing failed: {}", selfId, e.toString());
            }
        }
    }

    // ------------------------------------------------------------------ public view

    /** The newest map this node knows; its epoch only grows. */
    public ClusterMap map() {
        return map;
    }

    public long epoch() {
        return map.epoch();
    }

    /** This node as the map records it (after {@link #start}). */
    public NodeSpec self() {
        return self;
    }

    /**
     * Calls {@code listener} with every newer map from now on (on the thread that learned it — a
     * heartbeat or a Ratis thread; it must not block). Returns a handle that unregisters it.
     */
    public AutoCloseable addMapListener(Consumer<ClusterMap> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** The controller's members this node's client uses. */
    public Map<String, String> controllerMembers() {
        return controllerMembers;
    }

    /** True while this node's controller replica leads the controller group. */
    public boolean isControllerLeader() {
        return duties.isLeader();
    }

    /** Heartbeats the controller leader answered. */
    public long heartbeatsAnswered() {
        return heartbeatsAnswered.get();
    }

    /** Replicas this node started hosting (new, or first replicas at bootstrap). */
    public long replicasHosted() {
        return reconciler.hostedNew();
    }

    /** Replicas this node dropped because the map no longer gave them to it. */
    public long replicasDropped() {
        return reconciler.dropped();
    }

    /** Moves completed (CompleteMove accepted) while this node led the controller. */
    public long movesCompleted() {
        return duties.movesCompleted();
    }

    /** Moves given up (AbortMove accepted) while this node led the controller. */
    public long movesAborted() {
        return duties.movesAborted();
    }

    /** Proposes {@code command} to the controller and waits for its verdict ({@code controller.command-timeout-ms}). */
    public ControlReply submit(ControlCommand command) throws IOException {
        return await(controller().submit(command), config.commandTimeoutMs());
    }

    /**
     * Asks the cluster to drain this node: it becomes LEAVING, the planner moves its replicas away
     * and removes it (LEFT) once it holds none; the node drops each replica as it goes. Returns the
     * controller's verdict ({@code TOOFEWNODES} if the others could not hold the replicas).
     */
    public ControlReply leave() throws IOException {
        ControlReply r = submit(new ControlCommand.Leave(selfId));
        if (r.accepted()) {
            LOG.info("node {} is leaving the cluster (epoch {})", selfId, r.epoch());
        }
        return r;
    }

    /**
     * Asks the controller for a rebalance: the request is recorded in the map ({@link
     * ClusterMap#rebalanceRequestedAtEpoch}); with {@code cluster.rebalance.auto} off the planner
     * then moves replicas until the placement is reached and clears the request; with it on
     * (the default) balancing never waits for a request, which then only makes the planner run at
     * once. Returns the controller's verdict.
     */
    public ControlReply requestRebalance() throws IOException {
        ControlReply r = submit(new ControlCommand.RequestRebalance());
        if (r.accepted()) {
            LOG.info("node {}: rebalance requested (epoch {})", selfId, r.epoch());
            duties.wake(); // this node may lead the controller: plan now rather than at the next loop tick
        }
        return r;
    }

    // ------------------------------------------------------------------ helpers

    /** This node's controller replica, if it hosts one. */
    Optional<RaftServer.Division> localControllerDivision() {
        try {
            return Optional.of(node.groupDivision(controllerGroupId));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** {@code id} as a Raft peer, at the address {@code m} records. */
    static RaftPeer peer(ClusterMap m, String id) {
        NodeInfo n = m.node(id).orElseThrow(() -> new IllegalStateException("node " + id + " is not in the map at epoch "
                + m.epoch()));
        return RaftPeer.newBuilder().setId(id).setAddress(n.spec().raftAddress()).build();
    }

    static List<RaftPeer> peers(ClusterMap m, List<String> ids) {
        return ids.stream().map(id -> peer(m, id)).toList();
    }

    static RaftPeerId peerId(String id) {
        return RaftPeerId.valueOf(id);
    }

    boolean bootstrappedHere() {
        return bootstrappedHere;
    }

    boolean isClosed() {
        return closed;
    }

    static <T> T await(CompletableFuture<T> f, long timeoutMs) throws IOException {
        try {
            return f.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof IOException io ? io : new IOException(String.valueOf(c), c);
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new IOException("no answer within " + timeoutMs + " ms", e);
        }
    }

    static Duration remaining(long deadlineNanos) {
        return Duration.ofNanos(Math.max(1_000_000, deadlineNanos - System.nanoTime()));
    }

    static void sleep(long millis) throws InterruptedIOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    /** Runs {@code task} on the timer after {@code delayMs}, unless the agent is closing. */
    void schedule(Runnable task, long delayMs) {
        try {
            timer.schedule(task, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Stops heartbeats and loops (movers under way are interrupted; their moves resume on the next controller leader). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        timer.shutdownNow();
        reconciler.close();
        duties.close();
        ControllerClient c;
        synchronized (controllerClientLock) {
            c = controller;
            controller = null;
        }
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.debug("closing the controller client: {}", e.toString());
            }
        }
    }
}
