package io.cairn.raft.minicluster;

import io.cairn.api.clock.Clock;
import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.commands.CommandExecutor;
import io.cairn.raft.RaftConfig;
import io.cairn.raft.RaftNode;
import io.cairn.raft.ReplicatedCommandService;
import io.cairn.storage.Record;
import io.cairn.storage.ScanResult;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import java.util.zip.CRC32C;
import org.apache.ratis.protocol.RaftPeer;

/**
 * N in-process {@link RaftNode}s on 127.0.0.1 ephemeral ports, each with its own memory engine. By
 * default all host every partition; with {@link #withMembers} the last nodes start outside every
 * group (only proposing through their clients), as a node added to a running cluster would, and
 * replica moves change who hosts what ({@link #setReplicas} records it for restarts and checks).
 */
final class MiniCluster implements AutoCloseable {
    /** Not a Raft setting: the services' command timeout, for tests that expect one. */
    static final String COMMAND_TIMEOUT_MS = "test.command-timeout-ms";

    final int size;
    final int partitions;
    private final Path root;
    private final Map<String, String> overrides;
    private final StorageEngine[] engines;
    private final RaftNode[] nodes;
    private final ReplicatedCommandService[] services;
    private final int[] ports;
    private List<RaftPeer> peers;
    /** Nodes that host every partition at start; the others start outside the groups. */
    private int members;
    /** Per partition, the nodes whose replicas are voters (as the test last recorded it). */
    private final Map<Integer, List<Integer>> replicas = new java.util.concurrent.ConcurrentHashMap<>();
    /** Runs on every node after it is built and before it starts (and again at each restart). */
    private java.util.function.Consumer<RaftNode> nodeSetup = node -> { };
    /** Per node, the proxy its peers reach it through ({@link #withFreezableNodes}), else null. */
    private FreezableProxy[] proxies;

    MiniCluster(Path root, int size, int partitions, Map<String, String> overrides) {
        this.root = root;
        this.size = size;
        this.partitions = partitions;
        this.overrides = overrides;
        this.engines = new StorageEngine[size];
        this.nodes = new RaftNode[size];
        this.services = new ReplicatedCommandService[size];
        this.ports = new int[size];
        this.members = size;
    }

    /** Only nodes 0..{@code n}-1 host the partitions at start; the others join no group. Call before {@link #start}. */
    MiniCluster withMembers(int n) {
        if (n < 1 || n > size) {
            throw new IllegalArgumentException("members " + n + " of " + size);
        }
        members = n;
        return this;
    }

    /** Runs {@code setup} on each node before it starts (register extra groups, ...). Call before {@link #start}. */
    MiniCluster withNodeSetup(java.util.function.Consumer<RaftNode> setup) {
        nodeSetup = setup;
        return this;
    }

    /**
     * Every node's Raft traffic from its peers (servers and clients) goes through a {@link
     * FreezableProxy}, so that {@link #pause} can make a node unresponsive the way SIGSTOP does.
     * Call before {@link #start}.
     */
    MiniCluster withFreezableNodes() {
        proxies = new FreezableProxy[size];
        return this;
    }

    MiniCluster start() throws Exception {
        for (int i = 0; i < size; i++) {
            startNode(i, 0);
        }
        peers = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            ports[i] = nodes[i].address().getPort();
            if (proxies == null) {
                peers.add(nodes[i].peer());
            } else {
                proxies[i] = new FreezableProxy(ports[i]);
                peers.add(RaftPeer.newBuilder().setId(nodes[i].peer().getId())
                        .setAddress("127.0.0.1:" + proxies[i].port()).build());
            }
        }
        for (int p = 0; p < partitions; p++) {
            replicas.put(p, IntStream.range(0, members).boxed().toList());
        }
        joinAll(IntStream.range(0, size).toArray());
        return this;
    }

    private void startNode(int i, int port) throws IOException {
        engines[i] = StorageEngines.open("memory", null, Map.of());
        nodes[i] = newNode("n" + i, port, engines[i]);
        nodeSetup.accept(nodes[i]);
        nodes[i].start();
        services[i] = new ReplicatedCommandService(nodes[i], Long.parseLong(overrides.getOrDefault(COMMAND_TIMEOUT_MS, "20000")));
    }

    private RaftNode newNode(String id, int port, StorageEngine engine) {
        Map<String, String> settings = new HashMap<>();
        settings.put(RaftConfig.STORAGE_DIR, root.resolve(id).toString());
        settings.put(RaftConfig.PORT, Integer.toString(port));
        // Short elections keep failover tests quick; still well above a loopback round trip.
        settings.put(RaftConfig.ELECTION_TIMEOUT_MIN_MS, "400");
        settings.put(RaftConfig.ELECTION_TIMEOUT_MAX_MS, "800");
        settings.put(RaftConfig.CLIENT_RETRY_SLEEP_MS, "50");
        settings.putAll(overrides);
        settings.remove(COMMAND_TIMEOUT_MS);
        CommandExecutor executor = new CommandExecutor(engine, partitions);
        return new RaftNode(id, RaftConfig.from(settings), executor, new HybridLogicalClock(Clock.SYSTEM, 500));
    }

    private final List<AutoCloseable> extras = new ArrayList<>();

    /**
     * A node that hosts no replica and only proposes to the cluster's groups through its clients
     * (as a node outside a partition's placement does): it has no local replica to learn leader
     * changes from, so its clients find a new leader only through Ratis's own retries.
     */
    ReplicatedCommandService addClientOnlyNode(String id) throws IOException {
        StorageEngine engine = StorageEngines.open("memory", null, Map.of());
        RaftNode node = newNode(id, 0, engine);
        ReplicatedCommandService service = new ReplicatedCommandService(node,
                Long.parseLong(overrides.getOrDefault(COMMAND_TIMEOUT_MS, "20000")));
        extras.add(engine);
        extras.add(node);
        extras.add(service);
        node.start();
        node.join(placement(), Duration.ofSeconds(30));
        return service;
    }

    /** Partition → the peers of its recorded replicas. */
    private Map<Integer, List<RaftPeer>> placement() {
        Map<Integer, List<RaftPeer>> placement = new java.util.TreeMap<>();
        for (int p = 0; p < partitions; p++) {
            placement.put(p, replicas.get(p).stream().map(peers::get).toList());
        }
        return placement;
    }

    private void joinAll(int[] which) {
        Map<Integer, List<RaftPeer>> placement = placement();
        CompletableFuture.allOf(IntStream.of(which).mapToObj(i -> CompletableFuture.runAsync(() -> {
            try {
                nodes[i].join(placement, Duration.ofSeconds(30));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        })).toArray(CompletableFuture[]::new)).join();
    }

    /** Node {@code i} as its peers reach it. */
    RaftPeer peer(int i) {
        return peers.get(i);
    }

    List<RaftPeer> peers(int... which) {
        return IntStream.of(which).mapToObj(peers::get).toList();
    }

    /** Records that partition {@code p}'s voters are now {@code which} (restarts and checks use it). */
    void setReplicas(int p, int... which) {
        replicas.put(p, IntStream.of(which).boxed().toList());
    }

    List<Integer> replicasOf(int p) {
        return replicas.get(p);
    }

    Path storageDir(int i) {
        return root.resolve("n" + i);
    }

    RaftNode node(int i) {
        return nodes[i];
    }

    ReplicatedCommandService service(int i) {
        return services[i];
    }

    StorageEngine engine(int i) {
        return engines[i];
    }

    boolean isUp(int i) {
        return nodes[i] != null;
    }

    void stop(int i) {
        services[i].close();
        nodes[i].close();
        engines[i].close();
        nodes[i] = null;
        services[i] = null;
        engines[i] = null;
    }

    /** Restarts node {@code i} on its old port and storage directory with a fresh (empty) memory engine. */
    void restart(int i) throws Exception {
        startNode(i, ports[i]);
        joinAll(new int[] {i});
    }

    /** The live node leading partition {@code p}, or -1. */
    int leaderOf(int p) {
        for (int i = 0; i < size; i++) {
            if (nodes[i] != null && nodes[i].isLeader(p)) {
                return i;
            }
        }
        return -1;
    }

    void awaitLeaders(Duration timeout) {
        await(timeout, () -> IntStream.range(0, partitions).allMatch(p -> leaderOf(p) >= 0), "a leader for every partition");
    }

    long appliedIndex(int i, int p) throws IOException {
        return nodes[i].division(p).getInfo().getLastAppliedIndex();
    }

    /** Waits until every live replica of every partition has applied the same index. */
    void awaitConverged(Duration timeout) {
        await(timeout, () -> {
            for (int p = 0; p < partitions; p++) {
                long first = -1;
                for (int i : replicas.get(p)) {
                    if (nodes[i] == null) {
                        continue;
                    }
                    try {
                        long a = appliedIndex(i, p);
                        if (first < 0) {
                            first = a;
                        } else if (a != first) {
                            return false;
                        }
                    } catch (IOException e) {
                        return false;
                    }
                }
            }
            return true;
        }, "replicas to apply the same index");
    }

    /** CRC32C over every record of one partition of node {@code i}'s engine, tombstones excluded. */
    long checksum(int i, int p) {
        CRC32C crc = new CRC32C();
        byte[] after = null;
        long count = 0;
        do {
            ScanResult page = engines[i].scan(p, after, 10_000, 0);
            for (ScanResult.Entry e : page.entries()) {
                Record r = e.record();
                crc.update(e.key());
                crc.update(r.value());
                crc.update(longBytes(r.version()));
                crc.update(longBytes(r.expireAtMillis()));
                count++;
            }
            after = page.nextCursor();
        } while (after != null);
        crc.update(longBytes(count));
        return crc.getValue();
    }

    private static byte[] longBytes(long v) {
        return java.nio.ByteBuffer.allocate(8).putLong(v).array();
    }

    static void await(Duration timeout, BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    /** Node ids paused in this JVM; Ratis's injection point is JVM-wide. */
    private static final java.util.Set<String> PAUSED = new java.util.HashSet<>();

    static {
        // Every request a Ratis server sends to another (AppendEntries and heartbeats, votes,
        // ReadIndex) passes this point on the sending thread: a paused node's wait here until resumed.
        org.apache.ratis.util.CodeInjectionForTesting.put(org.apache.ratis.grpc.server.GrpcServicesImpl.GRPC_SEND_SERVER_REQUEST,
                (localId, remoteId, args) -> {
                    synchronized (PAUSED) {
                        while (PAUSED.contains(String.valueOf(localId))) {
                            try {
                                PAUSED.wait();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                return true;
                            }
                        }
                    }
                    return true;
                });
    }

    /**
     * Makes node {@code i} unresponsive as SIGSTOP would, from its peers' point of view: connections
     * to it stay open and nothing it receives is answered ({@link FreezableProxy}), and its server
     * sends nothing to the other servers (no heartbeats, no votes), so they elect a new leader.
     * Unlike a stopped process it keeps running inside: it notices it lost its followers and steps
     * down, but nobody hears it. Needs {@link #withFreezableNodes}; undone by {@link #resume}.
     */
    void pause(int i) {
        synchronized (PAUSED) {
            PAUSED.add(nodes[i].nodeId());
        }
        proxies[i].freeze();
    }

    void resume(int i) {
        if (proxies[i] != null) {
            proxies[i].thaw();
        }
        synchronized (PAUSED) {
            PAUSED.remove(nodes[i] != null ? nodes[i].nodeId() : "n" + i);
            PAUSED.notifyAll();
        }
    }

    @Override
    public void close() {
        if (proxies != null) {
            for (int i = 0; i < size; i++) {
                resume(i);
            }
        }
        for (int i = extras.size() - 1; i >= 0; i--) {
            try {
                extras.get(i).close();
            } catch (Exception e) {
                // closing anyway
            }
        }
        for (int i = 0; i < size; i++) {
            if (nodes[i] != null) {
                stop(i);
            }
        }
        if (proxies != null) {
            for (FreezableProxy proxy : proxies) {
                if (proxy != null) {
                    proxy.close();
                }
            }
        }
    }
}
