package io.cairn.server;

import io.cairn.api.clock.Clock;
import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.api.clock.OffsetClock;
import io.cairn.commands.CommandExecutor;
import io.cairn.commands.DataCommands;
import io.cairn.api.service.CommandService;
import io.cairn.cluster.Peer;
import io.cairn.cluster.Placement;
import io.cairn.commands.LocalCommandService;
import io.cairn.raft.RaftConfig;
import io.cairn.raft.RaftNode;
import io.cairn.raft.ReplicatedCommandService;
import io.cairn.resp.ClusterModeSettings;
import io.cairn.resp.ClusterView;
import io.cairn.resp.DebugControl;
import io.cairn.resp.RespServer;
import io.cairn.resp.RespSettings;
import io.cairn.resp.ServerContext;
import io.cairn.resp.SingleNodeClusterView;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Cairn node: storage engine → command service → RESP server. Owns all of them and closes them
 * in reverse order. Alone ({@code peers} unset) the service is a {@link LocalCommandService}; in a
 * cluster it is a {@link ReplicatedCommandService} over a {@link RaftNode} that hosts this node's
 * replicas of the partitions the placement gives it, behind the same {@code CommandService}.
 */
public final class CairnServer implements AutoCloseable {
    public static final String VERSION = "0.1.0";
    /** Reported as redis_version: the Redis release whose command semantics Cairn follows. */
    public static final String REDIS_COMPAT_VERSION = "7.2.0";
    private static final Logger LOG = LoggerFactory.getLogger(CairnServer.class);

    private final ServerConfig config;
    private final String nodeId;
    /** The node's wall clock: system time, plus the offset DEBUG CLOCK-OFFSET sets (0 otherwise). */
    private final OffsetClock clock = new OffsetClock(Clock.SYSTEM);
    private final StorageEngine engine;
    private final CommandService service;
    private final RaftNode raft;
    /** Elastic membership: this node's cluster agent (controller, heartbeats, moves); null otherwise. */
    private final io.cairn.cluster.agent.ClusterAgent agent;
    private final ClusterView cluster;
    private final RespServer resp;
    /** The HTTP/JSON API, when {@code http.port} is set; else null. */
    private final io.cairn.http.HttpServer http;
    /** The gRPC API, when {@code grpc.port} is set; else null. */
    private final io.cairn.grpc.GrpcServer grpc;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean closing = new AtomicBoolean();

    private CairnServer(ServerConfig config) throws InterruptedException {
        this.config = config;
        Path dataDir = config.string("data-dir") == null ? null : Path.of(config.string("data-dir"));
        this.nodeId = resolveNodeId(config.string("node-id"), dataDir);
        Map<String, String> engineSettings = new LinkedHashMap<>(config.storageOptions());
        this.engine = StorageEngines.open(config.string("storage"),
                dataDir == null ? null : dataDir.resolve("storage"), engineSettings);
        RaftNode raftNode = null;
        io.cairn.cluster.agent.ClusterAgent startedAgent = null;
        // Elastic nodes advertise their RESP address in the cluster map before they serve, so the
        // port must be known before the listener is bound: an ephemeral one is picked here.
        int advertisedRespPort = config.elastic() && config.intValue("port") == 0 ? freePort(config.string("bind"))
                : config.intValue("port");
        try {
            HybridLogicalClock hlc = new HybridLogicalClock(clock, config.longValue("hlc.max-offset-ms"));
            CommandExecutor executor = new CommandExecutor(engine, config.intValue("partitions"),
                    CommandExecutor.Settings.from(config.values()));
            if (config.clustered()) {
                Cluster c = config.elastic()
                        ? startElastic(config, executor, hlc, dataDir, clock, advertisedRespPort)
                        : startCluster(config, executor, hlc, dataDir);
                raftNode = c.node;
                startedAgent = c.agent;
                this.agent = c.agent;
                this.raft = raftNode;
                this.service = new ReplicatedCommandService(raftNode, config.longValue("command-timeout-ms"));
                this.cluster = new RaftClusterView(raftNode, c.membership, c.selfName, this::respPort,
                        CairnServer::sha1Hex);
            } else {
                this.agent = null;
                this.raft = null;
                this.service = new LocalCommandService(executor, clock, hlc, LocalCommandService.Options.from(config.values()));
                this.cluster = new SingleNodeClusterView(nodeId, config.string("bind"), this::respPort,
                        config.intValue("partitions"));
            }
            this.resp = new RespServer(respSettings(config, advertisedRespPort), service, DataCommands.specs(), new Context());
            resp.start();
            io.cairn.http.HttpServer startedHttp = null;
            try {
                startedHttp = config.httpEnabled() ? startHttp(config, raftNode) : null;
                this.http = startedHttp;
                this.grpc = config.grpcEnabled() ? startGrpc(config, raftNode) : null;
            } catch (RuntimeException e) {
                if (startedHttp != null) {
                    startedHttp.close();
                }
                resp.close(); // the catch below releases Raft and storage
                throw e;
            }
            if (raftNode != null && config.longValue("leader-balance-interval-ms") > 0) {
                startLeaderBalancer(raftNode, config.longValue("leader-balance-interval-ms"));
            }
        } catch (IOException e) {
            engine.close();
            throw new UncheckedIOException("cannot start the cluster node: " + e.getMessage(), e);
        } catch (RuntimeException | InterruptedException | Error e) {
            // Errors too (a broken class path, out of memory): Raft's and gRPC's threads would
            // otherwise keep the process alive, holding its ports, after main has given up.
            if (startedAgent != null) {
                startedAgent.close();
            }
            if (raftNode != null) {
                raftNode.close();
            }
            engine.close();
            throw e;
        }
    }

    /**
     * Moves each partition's leadership to the placement's preferred replica, a few partitions per
     * pass, so that leaders (and their work) spread over the nodes instead of staying wherever the
     * first elections put them. Runs on its own daemon thread; stops with the node.
     */
    private void startLeaderBalancer(RaftNode node, long intervalMillis) {
        java.util.concurrent.ScheduledExecutorService balancer = java.util.concurrent.Executors
                .newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "cairn-leader-balancer");
                    t.setDaemon(true);
                    return t;
                });
        balancer.scheduleWithFixedDelay(() -> {
            if (closing.get()) {
                balancer.shutdown();
                return;
            }
            node.balanceLeaders(4, java.time.Duration.ofSeconds(3));
        }, intervalMillis, intervalMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * The HTTP/JSON API over the same command service. Its key and value limits are lowered to the
     * engine's, so an execute request it accepts is never refused by the engine halfway through.
     */
    private io.cairn.http.HttpServer startHttp(ServerConfig c, RaftNode raftNode) throws InterruptedException {
        io.cairn.storage.StorageLimits limits = engine.limits();
        io.cairn.http.HttpSettings settings = io.cairn.http.HttpSettings.from(c.values())
                .cappedAt(limits.maxKeyBytes(), limits.maxValueBytes());
        io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry =
                new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                        io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        java.util.function.Supplier<io.cairn.http.HttpEndpoints.Readiness> readiness = () -> {
            String problem = notReadyReason(raftNode);
            return problem == null ? io.cairn.http.HttpEndpoints.Readiness.READY
                    : io.cairn.http.HttpEndpoints.Readiness.notReady(problem);
        };
        java.util.function.Supplier<Object> topology = () -> {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("node", cluster.myId());
            t.put("state", cluster.state());
            t.put("epoch", cluster.currentEpoch());
            t.put("nodes", cluster.nodes());
            t.put("partitions", cluster.partitions());
            return t;
        };
        io.cairn.http.HttpServer server = io.cairn.http.HttpServer.start(settings, service,
                new io.cairn.http.HttpEndpoints(readiness, topology, registry));
        LOG.info("HTTP API listening on {}:{}", settings.bind(), server.port());
        return server;
    }

    /** Why the node should not get traffic now (closing, a partition without a known leader), or null. */
    private String notReadyReason(RaftNode raftNode) {
        if (closing.get()) {
            return "shutting down";
        }
        if (raftNode != null) {
            for (int p = 0; p < raftNode.partitions(); p++) {
                if (raftNode.leaderOf(p) == null) {
                    return "partition " + p + " has no known leader";
                }
            }
        }
        return null;
    }

    /** The gRPC API over the same command service, with the engine's key and value limits (as HTTP). */
    private io.cairn.grpc.GrpcServer startGrpc(ServerConfig c, RaftNode raftNode) {
        io.cairn.storage.StorageLimits limits = engine.limits();
        io.cairn.grpc.GrpcSettings settings = io.cairn.grpc.GrpcSettings.from(c.values())
                .cappedAt(limits.maxKeyBytes(), limits.maxValueBytes());
        java.util.function.Supplier<io.cairn.grpc.GrpcEndpoints.Readiness> readiness = () -> {
            String problem = notReadyReason(raftNode);
            return problem == null ? io.cairn.grpc.GrpcEndpoints.Readiness.READY
                    : io.cairn.grpc.GrpcEndpoints.Readiness.notReady(problem);
        };
        java.util.function.Supplier<io.cairn.api.grpc.TopologyResponse> topology = () -> {
            io.cairn.api.grpc.TopologyResponse.Builder t = io.cairn.api.grpc.TopologyResponse.newBuilder()
                    .setNodeId(cluster.myId()).setState(cluster.state()).setEpoch(cluster.currentEpoch())
                    .setPartitionCount(c.intValue("partitions"));
            for (io.cairn.resp.ClusterView.Node n : cluster.nodes()) {
                t.addNodes(io.cairn.api.grpc.NodeInfo.newBuilder().setId(n.id()).setHost(n.host()).setPort(n.port()));
            }
            for (io.cairn.resp.ClusterView.Partition p : cluster.partitions()) {
                t.addPartitions(io.cairn.api.grpc.PartitionInfo.newBuilder().setIndex(p.index())
                        .setFirstSlot(p.slots().start()).setLastSlot(p.slots().end())
                        .setLeaderId(p.leaderId() == null ? "" : p.leaderId()).addAllReplicaIds(p.replicaIds()));
            }
            return t.build();
        };
        io.cairn.grpc.GrpcServer server = io.cairn.grpc.GrpcServer.start(settings, service,
                new io.cairn.grpc.GrpcEndpoints(cluster.myId(), c.intValue("partitions"),
                        io.cairn.api.consistency.Durability.parse(c.string("durability")), readiness, topology));
        LOG.info("gRPC API listening on {}:{}", settings.bind(), server.port());
        return server;
    }

    /** The gRPC API's bound port, or -1 when it is off. */
    public int grpcPort() {
        return grpc == null ? -1 : grpc.port();
    }

    /** The HTTP API's bound port, or -1 when it is off. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    private int respPort() {
        return resp.port();
    }

    private record Cluster(RaftNode node, RaftClusterView.Membership membership, String selfName,
                           io.cairn.cluster.agent.ClusterAgent agent) {}

    /**
     * Static membership: every node is given the same {@code peers} list and computes the same
     * placement from it, then hosts its replicas; the groups elect leaders once a majority of each
     * group's replicas is up, so nodes may start in any order.
     */
    private static Cluster startCluster(ServerConfig config, CommandExecutor executor, HybridLogicalClock hlc,
                                        Path dataDir) throws IOException {
        List<Peer> peers = Peer.parseList(config.string("peers"));
        String selfName = config.string("node-id");
        Peer self = peers.stream().filter(p -> p.name().equals(selfName)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("cluster mode: --node-id must name this node in --peers " + peers
                        + ", got " + selfName));
        Placement placement = Placement.compute(peers.stream().map(Peer::name).toList(), config.intValue("partitions"),
                config.intValue("replication-factor"), config.intValue("vnodes-per-node"));
        Map<String, String> raftSettings = new LinkedHashMap<>(config.raftSettings());
        raftSettings.put(RaftConfig.STORAGE_DIR, dataDir.resolve("raft").toString());
        raftSettings.putIfAbsent(RaftConfig.HOST, self.host());
        raftSettings.put(RaftConfig.PORT, String.valueOf(self.raftPort()));
        raftSettings.put(RaftConfig.CLUSTER_ID, config.string("cluster-id"));
        raftSettings.put(RaftConfig.DURABILITY, config.string("durability").toUpperCase(java.util.Locale.ROOT));
        RaftConfig rc = RaftConfig.from(raftSettings);
        if (rc.clientAttemptTimeoutMs() * 2L > config.longValue("command-timeout-ms")) {
            // A write sent to a leader that stops answering (paused, cut off) moves to another replica
            // only after one attempt timeout (unless this node's own replica hears of the new leader first).
            LOG.warn("{} ({} ms) is more than half of command-timeout-ms ({} ms): a command whose leader stops"
                            + " answering may time out before it is retried on the new leader", RaftConfig.CLIENT_ATTEMPT_TIMEOUT_MS,
                    rc.clientAttemptTimeoutMs(), config.longValue("command-timeout-ms"));
        }
        RaftNode node = new RaftNode(selfName, rc, executor, hlc);
        try {
            node.start();
            Map<String, String> addresses = new LinkedHashMap<>();
            peers.forEach(p -> addresses.put(p.name(), p.raftAddress()));
            node.joinByName(placement.asMap(), addresses, java.time.Duration.ofMillis(config.longValue("cluster-start-timeout-ms")));
        } catch (IOException | RuntimeException e) {
            node.close();
            throw e;
        }
        return new Cluster(node, RaftClusterView.Membership.fixed(peers, placement), selfName, null);
    }

    /**
     * Elastic membership: this node bootstraps a new cluster or joins one through {@code join}'s
     * seeds (Raft addresses of members). The cluster agent returns once the node knows the current
     * cluster map (its epoch read after its join was committed) and hosts what the map gives it, so
     * the node serves nothing before it knows the cluster's current state.
     */
    private static Cluster startElastic(ServerConfig config, CommandExecutor executor, HybridLogicalClock hlc,
                                        Path dataDir, Clock clock, int respPort) throws IOException {
        String selfName = config.string("node-id");
        Map<String, String> raftSettings = new LinkedHashMap<>(config.raftSettings());
        raftSettings.put(RaftConfig.STORAGE_DIR, dataDir.resolve("raft").toString());
        raftSettings.putIfAbsent(RaftConfig.HOST, config.string("bind"));
        raftSettings.putIfAbsent(RaftConfig.ADVERTISE_HOST, config.advertiseHost());
        raftSettings.put(RaftConfig.PORT, config.string("raft-port"));
        raftSettings.put(RaftConfig.CLUSTER_ID, config.string("cluster-id"));
        raftSettings.put(RaftConfig.DURABILITY, config.string("durability").toUpperCase(java.util.Locale.ROOT));
        RaftNode node = new RaftNode(selfName, RaftConfig.from(raftSettings), executor, hlc);
        io.cairn.cluster.agent.ClusterAgent agent = new io.cairn.cluster.agent.ClusterAgent(node,
                io.cairn.cluster.agent.ClusterAgentConfig.from(config.values()), clock);
        try {
            node.start();
            io.cairn.cluster.agent.ClusterAgent.Startup how = config.bool("bootstrap")
                    ? io.cairn.cluster.agent.ClusterAgent.Startup.bootstrap(
                            io.cairn.cluster.ClusterSettings.fromConfig(config.values()))
                    : io.cairn.cluster.agent.ClusterAgent.Startup.join(java.util.Arrays.stream(config.string("join").split(","))
                            .map(String::trim).filter(x -> !x.isEmpty()).toList());
            agent.start(config.advertiseHost() + ":" + respPort, config.string("zone") == null ? "" : config.string("zone"), how);
        } catch (IOException | RuntimeException e) {
            agent.close();
            node.close();
            throw e;
        }
        return new Cluster(node, mapMembership(agent), selfName, agent);
    }

    /** The CLUSTER commands' view of an elastic cluster: the agent's current map, read on each call. */
    private static RaftClusterView.Membership mapMembership(io.cairn.cluster.agent.ClusterAgent agent) {
        return new RaftClusterView.Membership() {
            @Override
            public List<Member> members() {
                List<Member> out = new java.util.ArrayList<>();
                for (io.cairn.cluster.NodeInfo n : agent.map().nodes()) {
                    if (n.state() == io.cairn.cluster.NodeState.LEFT) {
                        continue;
                    }
                    java.net.URI resp = java.net.URI.create("resp://" + n.spec().respAddress());
                    java.net.URI bus = java.net.URI.create("raft://" + n.spec().raftAddress());
                    boolean healthy = n.state() != io.cairn.cluster.NodeState.DOWN
                            && n.state() != io.cairn.cluster.NodeState.SUSPECT;
                    out.add(new Member(n.id(), resp.getHost(), resp.getPort(), bus.getPort(), healthy));
                }
                return out;
            }

            @Override
            public List<String> preferredReplicas(int partition) {
                return agent.map().partition(partition).replicas();
            }

            @Override
            public long epoch() {
                return agent.map().epoch();
            }
        };
    }

    private static int freePort(String bind) {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(bind))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + bind, e);
        }
    }

    /** The cluster agent of an elastic node (null for a static or single node). */
    public io.cairn.cluster.agent.ClusterAgent agent() {
        return agent;
    }

    /** Starts a node and returns once its RESP port is bound. */
    public static CairnServer start(ServerConfig config) throws InterruptedException {
        return new CairnServer(config);
    }

    static RespSettings respSettings(ServerConfig c) {
        return respSettings(c, c.intValue("port"));
    }

    static RespSettings respSettings(ServerConfig c, int port) {
        long bulk = c.longValue("proto-max-bulk-len");
        if (bulk > Integer.MAX_VALUE - 1024) {
            throw new IllegalArgumentException("proto-max-bulk-len must be at most " + (Integer.MAX_VALUE - 1024));
        }
        return new RespSettings(c.string("bind"), port, c.intValue("maxclients"), (int) bulk,
                c.intValue("max-multibulk-len"), c.longValue("client-query-buffer-limit"),
                c.longValue("client-output-buffer-limit"), c.intValue("timeout"), c.bool("protected-mode"),
                c.string("requirepass"), c.intValue("io-threads"), c.intValue("multi-max-queued"),
                c.intValue("client-max-inflight"), c.intValue("shutdown-timeout"));
    }

    /**
     * Cluster node ids are 40 hex characters (Redis Cluster's shape). A configured name is hashed to
     * one, so the same name always yields the same id; without a name the id is random and kept in
     * the data directory so a restart keeps its identity.
     */
    static String resolveNodeId(String configured, Path dataDir) {
        if (configured != null && !configured.isBlank()) {
            return configured.matches("[0-9a-f]{40}") ? configured : sha1Hex(configured);
        }
        if (dataDir == null) {
            return randomId();
        }
        try {
            Files.createDirectories(dataDir);
            Path file = dataDir.resolve("node-id");
            if (Files.exists(file)) {
                String id = Files.readString(file, StandardCharsets.US_ASCII).trim();
                if (!id.matches("[0-9a-f]{40}")) {
                    throw new IllegalStateException(file + " does not hold a 40-character hex node id");
                }
                return id;
            }
            String id = randomId();
            Path tmp = dataDir.resolve("node-id.tmp");
            Files.writeString(tmp, id + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the node id in " + dataDir, e);
        }
    }

    private static String randomId() {
        byte[] b = new byte[20];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static String sha1Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by the JDK", e);
        }
    }

    /** The node's command service: what RESP, the embedded API and tests call. */
    public CommandService service() {
        return service;
    }

    /** True once {@link #close()} has begun. */
    public boolean isClosing() {
        return closing.get();
    }

    /** The node's wall clock (system time plus any DEBUG CLOCK-OFFSET): what its HLC and commands read. */
    public OffsetClock clock() {
        return clock;
    }

    /** The Raft side of a clustered node; null when the node runs alone. */
    public RaftNode raft() {
        return raft;
    }

    public int port() {
        return resp.port();
    }

    public String nodeId() {
        return nodeId;
    }

    public ServerConfig config() {
        return config;
    }

    /** Blocks until {@link #close()} has finished (from SHUTDOWN, a signal, or another thread). */
    public void awaitTermination() throws InterruptedException {
        stopped.await();
    }

    /** Graceful and idempotent: stop accepting, finish in-flight commands, flush, release storage. */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        handOverLeadership();
        try {
            try {
                if (grpc != null) {
                    grpc.close();
                }
                if (http != null) {
                    http.close();
                }
            } finally {
                resp.close();
            }
        } finally {
            try {
                service.close();
                if (agent != null) {
                    agent.close();
                }
                if (raft != null) {
                    raft.close();
                }
            } finally {
                try {
                    engine.flush();
                } finally {
                    engine.close();
                    stopped.countDown();
                }
            }
        }
    }

    /**
     * Before the listeners close: leadership of this node's partitions moves to live replicas while
     * connected clients can still be served (their commands are routed to the new leaders). Bounded
     * by {@code shutdown-leader-handover-ms}; 0 turns it off.
     */
    private void handOverLeadership() {
        long budgetMs = config.longValue("shutdown-leader-handover-ms");
        if (raft == null || budgetMs == 0) {
            return;
        }
        long started = System.nanoTime();
        try {
            int moved = raft.handOverLeadership(java.time.Duration.ofMillis(budgetMs));
            if (moved > 0) {
                LOG.info("shutdown: handed over leadership of {} partition(s) in {} ms", moved,
                        (System.nanoTime() - started) / 1_000_000);
            }
        } catch (RuntimeException e) {
            LOG.warn("shutdown: leadership hand-over failed, partitions will elect new leaders: {}", e.toString());
        }
    }

    private final class Context implements ServerContext {
        @Override
        public String nodeId() {
            return nodeId;
        }

        @Override
        public String version() {
            return REDIS_COMPAT_VERSION;
        }

        @Override
        public String cairnVersion() {
            return VERSION;
        }

        @Override
        public Map<String, String> config() {
            return config.effective();
        }

        @Override
        public void requestShutdown() {
            // SHUTDOWN arrives on an event-loop thread; closing waits for event loops, so hand it off.
            Thread t = new Thread(CairnServer.this::close, "cairn-shutdown");
            t.setDaemon(false);
            t.start();
        }

        @Override
        public io.cairn.api.service.Session newSession() {
            return new io.cairn.api.service.Session(
                    io.cairn.api.consistency.ReadConsistency.parse(config.string("read-consistency")),
                    io.cairn.api.consistency.WriteConsistency.parse(config.string("write-consistency")));
        }

        @Override
        public ClusterView cluster() {
            return CairnServer.this.cluster;
        }

        @Override
        public ClusterModeSettings clusterMode() {
            return config.clusterModeSettings();
        }

        @Override
        public Clock clock() {
            return clock;
        }

        @Override
        public DebugControl debug() {
            return debug;
        }

        private final io.cairn.resp.ClusterAdmin clusterAdmin = agent != null ? new ElasticAdmin(agent)
                : io.cairn.resp.ClusterAdmin.unavailable(config.clustered()
                        ? "this node has static membership (peers); CLUSTER MAP, LAG, LEAVE and REBALANCE need elastic"
                                + " membership (start nodes with --bootstrap / --join)"
                        : "this node is a single node, not part of a cluster; CLUSTER MAP, LAG, LEAVE and REBALANCE need"
                                + " elastic membership (start nodes with --bootstrap / --join)");

        @Override
        public io.cairn.resp.ClusterAdmin clusterAdmin() {
            return clusterAdmin;
        }

        /**
         * CLUSTER MAP/LEAVE/REBALANCE [START]/LAG of an elastic node, from its cluster agent and Raft
         * node. A LEAVE or REBALANCE START waits for the controller (at most {@code
         * cluster.controller.command-timeout-ms}) on a thread of its own; one LEAVE at a time per node,
         * and concurrent REBALANCE STARTs share the request under way, so a stuck controller cannot pile
         * up threads. LAG reads the local leaders' in-memory state on the caller's thread.
         */
        private final class ElasticAdmin implements io.cairn.resp.ClusterAdmin {
            private final io.cairn.cluster.agent.ClusterAgent agent;
            // Its own planner: the controller's is not exposed; plans are a pure function of the map anyway.
            private final io.cairn.cluster.Planner planner = new io.cairn.cluster.Planner();
            private final long loopIntervalMs = io.cairn.cluster.agent.ClusterAgentConfig.from(config.values())
                    .controllerLoopIntervalMs();
            private final AtomicBoolean leaveInFlight = new AtomicBoolean();
            /** The REBALANCE START waiting for the controller, if any: later requests share its verdict. */
            private final java.util.concurrent.atomic.AtomicReference<CompletableFuture<Verdict>> rebalanceInFlight =
                    new java.util.concurrent.atomic.AtomicReference<>();

            ElasticAdmin(io.cairn.cluster.agent.ClusterAgent agent) {
                this.agent = agent;
            }

            @Override
            public String unavailableReason() {
                return null;
            }

            @Override
            public String mapJson() {
                return new String(io.cairn.cluster.ClusterCodec.encode(agent.map()), StandardCharsets.UTF_8);
            }

            @Override
            public long epoch() {
                return agent.epoch();
            }

            @Override
            public CompletableFuture<Verdict> leave(String node) {
                io.cairn.cluster.ClusterMap map = agent.map();
                String id = node == null ? agent.self().id() : resolve(map, node);
                if (id == null) {
                    return CompletableFuture.completedFuture(new Verdict(false, map.epoch(), "UNKNOWNNODE node '" + node
                            + "' is not in the cluster map at epoch " + map.epoch() + " (give a node id as CLUSTER MAP"
                            + " or CLUSTER NODES shows it)"));
                }
                if (!leaveInFlight.compareAndSet(false, true)) {
                    return CompletableFuture.completedFuture(new Verdict(false, map.epoch(), "ERR a CLUSTER LEAVE sent"
                            + " through this node is still waiting for the controller; retry once it has answered"));
                }
                CompletableFuture<Verdict> verdict = new CompletableFuture<>();
                Thread t = new Thread(() -> {
                    try {
                        io.cairn.cluster.ClusterCodec.ControlReply r = agent.submit(new io.cairn.cluster.ControlCommand.Leave(id));
                        if (r.accepted()) {
                            LOG.info("CLUSTER LEAVE: node {} is leaving the cluster (epoch {})", id, r.epoch());
                        }
                        verdict.complete(new Verdict(r.accepted(), r.epoch(), r.accepted() ? null : r.errorLine()));
                    } catch (IOException | RuntimeException e) {
                        verdict.completeExceptionally(new IOException("the controller did not accept the leave of node "
                                + id + ": " + e.getMessage(), e));
                    } finally {
                        leaveInFlight.set(false);
                    }
                }, "cairn-cluster-leave");
                t.setDaemon(true);
                t.start();
                return verdict;
            }

            /** A map node id as given, or the member whose CLUSTER NODES id (SHA-1 of its name, as RaftClusterView gives) it is; null if none. */
            private static String resolve(io.cairn.cluster.ClusterMap map, String node) {
                if (map.node(node).isPresent()) {
                    return node;
                }
                for (io.cairn.cluster.NodeInfo n : map.nodes()) {
                    if (sha1Hex(n.id()).equals(node)) {
                        return n.id();
                    }
                }
                return null;
            }

            @Override
            public RebalanceStatus rebalance() {
                io.cairn.cluster.ClusterMap map = agent.map();
                int startable = 0;
                int other = 0;
                for (io.cairn.cluster.ControlCommand c : planner.plan(map)) {
                    if (c instanceof io.cairn.cluster.ControlCommand.BeginMove) {
                        startable++;
                    } else {
                        other++;
                    }
                }
                return new RebalanceStatus(map.epoch(), map.movesInProgress(), startable, other, planner.distance(map),
                        loopIntervalMs);
            }

            @Override
            public CompletableFuture<Verdict> requestRebalance() {
                CompletableFuture<Verdict> verdict = new CompletableFuture<>();
                CompletableFuture<Verdict> running = rebalanceInFlight.compareAndExchange(null, verdict);
                if (running != null) {
                    return running; // one request answers them all: asking twice changes nothing
                }
                Thread t = new Thread(() -> {
                    try {
                        io.cairn.cluster.ClusterCodec.ControlReply r = agent.requestRebalance();
                        if (r.accepted()) {
                            LOG.info("CLUSTER REBALANCE START: the controller accepted the request (epoch {})", r.epoch());
                        }
                        // Cleared first: a request arriving after this verdict starts a new round trip.
                        rebalanceInFlight.compareAndSet(verdict, null);
                        verdict.complete(new Verdict(r.accepted(), r.epoch(), r.accepted() ? null : r.errorLine()));
                    } catch (IOException | RuntimeException e) {
                        rebalanceInFlight.compareAndSet(verdict, null);
                        verdict.completeExceptionally(new IOException("the controller did not accept the rebalance"
                                + " request: " + e.getMessage(), e));
                    }
                }, "cairn-cluster-rebalance");
                t.setDaemon(true);
                t.start();
                return verdict;
            }

            @Override
            public java.util.List<PartitionLag> lag() {
                String self = agent.self().id();
                java.util.List<PartitionLag> out = new java.util.ArrayList<>();
                for (RaftNode.PartitionLag p : raft.leaderLag()) {
                    out.add(new PartitionLag(p.partition(), self, p.term(), p.commitIndex(), p.lastIndex(),
                            p.replicas().stream().map(r -> new ReplicaLag(r.node(), r.role(), r.matchIndex(),
                                    r.lagEntries(), r.lastContactMs())).toList()));
                }
                return out;
            }
        }
    }

    private final DebugControl debug = new Debug();

    /** DEBUG's hooks: this node's clock offset and Raft leadership, never through Raft itself. */
    private final class Debug implements DebugControl {
        @Override
        public Access access() {
            return config.debugCommand(); // immutable: validated at load, CONFIG SET refuses it
        }

        @Override
        public long clockOffset() {
            return clock.offsetMillis();
        }

        @Override
        public void clockOffset(long millis) {
            clock.offsetMillis(millis);
            LOG.warn("DEBUG CLOCK-OFFSET: node {} wall clock set to system time {} {} ms", name(),
                    millis < 0 ? "-" : "+", Math.abs(millis));
        }

        private String name() {
            String configured = config.string("node-id");
            return configured == null || configured.isBlank() ? nodeId : configured;
        }

        /** Each transfer is bounded by the command timeout; they run one at a time on a thread of their own. */
        @Override
        public CompletableFuture<Integer> stepDown(int max) {
            RaftNode node = raft;
            if (node == null) {
                return CompletableFuture.completedFuture(0);
            }
            java.time.Duration timeout = java.time.Duration.ofMillis(config.longValue("command-timeout-ms"));
            return CompletableFuture.supplyAsync(() -> {
                int moved = node.stepDown(max, timeout);
                LOG.warn("DEBUG LEADER-STEPDOWN: node {} handed over leadership of {} partition(s)", name(), moved);
                return moved;
            }, task -> {
                Thread t = new Thread(task, "cairn-debug-stepdown");
                t.setDaemon(true);
                t.start();
            });
        }
    }
}
