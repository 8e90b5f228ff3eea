package io.cairn.cluster.agent;

import io.cairn.api.clock.Clock;
import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.ClusterSettings;
import io.cairn.cluster.FailureDetector;
import io.cairn.cluster.NodeInfo;
import io.cairn.cluster.NodeState;
import io.cairn.cluster.PartitionReplicas;
import io.cairn.cluster.Planner;
import io.cairn.commands.CommandExecutor;
import io.cairn.raft.RaftConfig;
import io.cairn.raft.RaftNode;
import io.cairn.raft.ReplicatedCommandService;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * In-process cluster of real {@link RaftNode}s (memory engines, Ratis over 127.0.0.1 ephemeral
 * ports, short election timeouts), each with a {@link ClusterAgent} and a {@link
 * ReplicatedCommandService}. Nodes are added one by one through the agent (bootstrap, join), and
 * can be stopped and restarted on the same port and storage directory (with a fresh memory
 * engine: the replicas come back from their Raft logs and snapshots).
 */
final class AgentCluster implements AutoCloseable {
    static final String CLUSTER = "agent-test";

    /** One node: engine, Raft node, agent and command service. */
    static final class Member {
        final String id;
        int port;
        StorageEngine engine;
        RaftNode node;
        ClusterAgent agent;
        ReplicatedCommandService service;

        Member(String id) {
            this.id = id;
        }

        boolean isUp() {
            return node != null;
        }

        String raftAddress() {
            return "127.0.0.1:" + port;
        }
    }

    final Path root;
    final ClusterSettings settings;
    private final Map<String, String> overrides;
    final Map<String, Member> members = new LinkedHashMap<>();
    final Planner planner = new Planner();
    /** Told of each controller entry before a node's controller replica applies it (for nodes started after it is set). */
    io.cairn.cluster.ControllerStateMachine.ApplyObserver controllerApplyObserver = io.cairn.cluster.ControllerStateMachine.NO_OBSERVER;
    /** Failure zone per node id, for nodes started after it is set ("" when absent). */
    final Map<String, String> zones = new HashMap<>();

    AgentCluster(Path root, ClusterSettings settings, Map<String, String> overrides) {
        this.root = root;
        this.settings = settings;
        this.overrides = overrides;
    }

    /** Test timings: heartbeats every 200 ms, DOWN after 4 s of silence, short retries. */
    static Map<String, String> defaults() {
        Map<String, String> s = new HashMap<>();
        s.put(RaftConfig.ELECTION_TIMEOUT_MIN_MS, "400");
        s.put(RaftConfig.ELECTION_TIMEOUT_MAX_MS, "800");
        s.put(RaftConfig.CLIENT_RETRY_SLEEP_MS, "50");
        s.put(RaftConfig.MOVE_STAGING_TIMEOUT_MS, "4000");
        s.put(ClusterAgentConfig.HEARTBEAT_INTERVAL_MS, "200");
        s.put(ClusterAgentConfig.CONTROLLER_LOOP_INTERVAL_MS, "300");
        s.put(ClusterAgentConfig.RECONCILE_INTERVAL_MS, "2000");
        s.put(ClusterAgentConfig.MOVE_ATTEMPT_TIMEOUT_MS, "30000");
        s.put(ClusterAgentConfig.MOVE_HOST_WAIT_MS, "15000");
        s.put(ClusterAgentConfig.MOVE_RETRY_PAUSE_MS, "200");
        s.put(ClusterAgentConfig.REPLICA_OP_TIMEOUT_MS, "10000");
        s.put(ClusterAgentConfig.JOIN_TIMEOUT_MS, "30000");
        s.put(ClusterAgentConfig.CONTROLLER_CHANGE_TIMEOUT_MS, "10000");
        s.put(ClusterAgentConfig.AUDIT_PARTITIONS_PER_PASS, "4");
        s.put(ClusterAgentConfig.LEADER_BALANCE_INTERVAL_MS, "2000");
        s.put("controller.command-timeout-ms", "5000");
        s.put(FailureDetector.DOWN_AFTER_MS, "4000");
        s.put(FailureDetector.SUSPECT_AFTER_MS, "2000");
        return s;
    }

    /** Starts node {@code id} and bootstraps the cluster on it. */
    Member bootstrap(String id) throws IOException {
        Member m = new Member(id);
        members.put(id, m);
        startNode(m, 0);
        m.agent.start(resp(m), zones.getOrDefault(m.id, ""), ClusterAgent.Startup.bootstrap(settings));
        openService(m);
        return m;
    }

    /** Starts node {@code id} and joins it through {@code seed} (a Raft address, with or without an id). */
    Member join(String id, String seed) throws IOException {
        Member m = new Member(id);
        members.put(id, m);
        startNode(m, 0);
        m.agent.start(resp(m), zones.getOrDefault(m.id, ""), ClusterAgent.Startup.join(List.of(seed)));
        openService(m);
        return m;
    }

    /** Restarts a stopped node on its old port and directory, rejoining through {@code seed}. */
    Member restart(String id, String seed) throws IOException {
        return restart(id, seed, m -> { });
    }

    /**
     * Like {@link #restart(String, String)}, with {@code beforeJoin} run once the node's Raft server
     * has reopened its groups from disk, before its agent joins (to wait for a state of those groups).
     */
    Member restart(String id, String seed, java.util.function.Consumer<Member> beforeJoin) throws IOException {
        Member m = members.get(id);
        startNode(m, m.port);
        beforeJoin.accept(m);
        m.agent.start(resp(m), zones.getOrDefault(m.id, ""), ClusterAgent.Startup.join(List.of(seed)));
        openService(m);
        return m;
    }

    /** Like a crash: the node's agent, service, Raft server and engine stop at once. */
    void stop(String id) {
        Member m = members.get(id);
        m.service.close();
        m.agent.close();
        m.node.close();
        m.engine.close();
        m.service = null;
        m.agent = null;
        m.node = null;
        m.engine = null;
    }

    private static String resp(Member m) {
        return "127.0.0.1:" + (20000 + m.port % 40000);
    }

    private void startNode(Member m, int port) throws IOException {
        m.engine = StorageEngines.open("memory", null, Map.of());
        Map<String, String> raft = new HashMap<>(overrides);
        raft.put(RaftConfig.STORAGE_DIR, root.resolve(m.id).toString());
        raft.put(RaftConfig.PORT, Integer.toString(port));
        raft.put(RaftConfig.CLUSTER_ID, CLUSTER);
        raft.keySet().removeIf(k -> !k.startsWith("raft."));
        m.node = new RaftNode(m.id, RaftConfig.from(raft), new CommandExecutor(m.engine, settings.partitions()),
                new HybridLogicalClock(Clock.SYSTEM, 500));
        m.agent = new ClusterAgent(m.node, ClusterAgentConfig.from(overrides), Clock.SYSTEM, controllerApplyObserver);
        m.node.start();
        m.port = m.node.address().getPort();
    }

    private static void openService(Member m) {
        m.service = new ReplicatedCommandService(m.node, 20_000);
    }

    Member member(String id) {
        return members.get(id);
    }

    List<Member> live() {
        return members.values().stream().filter(Member::isUp).toList();
    }

    /** The map as the controller leader has it (read linearizably through a live node). */
    ClusterMap map() {
        for (Member m : live()) {
            try {
                return ClusterAgent.await(m.agent.controller().readMap(), 5000);
            } catch (IOException | RuntimeException e) {
                // try another node
            }
        }
        throw new AssertionError("no live node could read the map");
    }

    /** The live node whose agent leads the controller, or null. */
    Member controllerLeader() {
        for (Member m : live()) {
            if (m.agent.isControllerLeader()) {
                return m;
            }
        }
        return null;
    }

    /**
     * True once the map is where the planner wants it — no move in progress, every partition at
     * {@code min(RF, nodes on the ring)} replicas, all on UP nodes, the planner's distance 0 — and
     * every live node is UP (or LEFT) and has groups for exactly the partitions the map lists it for.
     */
    boolean settled() {
        ClusterMap m;
        try {
            m = map();
        } catch (AssertionError e) {
            return false;
        }
        return settled(m);
    }

    boolean settled(ClusterMap m) {
        long ring = m.nodes().stream().filter(n -> n.state().isOnRing()).count();
        int rf = (int) Math.min(settings.replicationFactor(), ring);
        if (m.movesInProgress() > 0 || planner.distance(m) != 0 || !planner.plan(m).isEmpty()) {
            return false;
        }
        for (PartitionReplicas p : m.partitions()) {
            if (p.replicas().size() != rf) {
                return false;
            }
            for (String r : p.replicas()) {
                if (m.node(r).map(NodeInfo::state).orElse(NodeState.LEFT) != NodeState.UP) {
                    return false;
                }
            }
        }
        for (Member mem : live()) {
            NodeState state = m.node(mem.id).map(NodeInfo::state).orElse(NodeState.LEFT);
            if (state != NodeState.UP && state != NodeState.LEFT) {
                return false; // joining, suspected, down, or leaving: not settled yet
            }
            Set<Integer> expected = new HashSet<>();
            for (PartitionReplicas p : m.partitions()) {
                if (p.replicas().contains(mem.id)) {
                    expected.add(p.partition());
                }
            }
            if (!groups(mem).equals(expected)) {
                return false;
            }
        }
        return true;
    }

    /** Waits until {@link #settled()}; fails with the last map seen. */
    ClusterMap awaitSettled(Duration timeout) {
        await(timeout, this::settled, () -> "the cluster to settle; map " + describe(map()) + "; hosted " + hosted());
        return map();
    }

    Map<String, Set<Integer>> hosted() {
        Map<String, Set<Integer>> out = new LinkedHashMap<>();
        for (Member m : live()) {
            out.put(m.id, new java.util.TreeSet<>(groups(m)));
        }
        return out;
    }

    /**
     * Partitions with a group on the node's Raft server: hosted ones, and replicas that left their
     * group and closed themselves but were not dropped yet (their data is still in the engine).
     */
    static Set<Integer> groups(Member m) {
        Set<Integer> out = new HashSet<>(m.node.hostedPartitions());
        for (int p = 0; p < m.node.partitions(); p++) {
            try {
                m.node.division(p);
                out.add(p);
            } catch (IOException | RuntimeException e) {
                // no group
            }
        }
        return out;
    }

    static String describe(ClusterMap m) {
        StringBuilder b = new StringBuilder(m.toString()).append(" [");
        for (PartitionReplicas p : m.partitions()) {
            b.append(p.partition()).append('=').append(p.replicas());
            if (p.move() != null) {
                b.append(p.move());
            }
            b.append(' ');
        }
        return b.append(']').toString();
    }

    /** Total moves completed and aborted by every agent that led the controller (live or stopped since). */
    long[] moveCounts() {
        long done = 0;
        long aborted = 0;
        for (Member m : live()) {
            done += m.agent.movesCompleted();
            aborted += m.agent.movesAborted();
        }
        return new long[] {done + retiredCompleted, aborted + retiredAborted};
    }

    private long retiredCompleted;
    private long retiredAborted;

    /** Remembers a stopping node's move counters (its agent goes away). */
    void retireCounters(String id) {
        Member m = members.get(id);
        retiredCompleted += m.agent.movesCompleted();
        retiredAborted += m.agent.movesAborted();
    }

    static void await(Duration timeout, BooleanSupplier condition, java.util.function.Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what.get());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }

    /** Waits until every live replica of every partition in {@code m} has applied the same log index. */
    void awaitReplicasConverged(ClusterMap m, Duration timeout) {
        await(timeout, () -> {
            for (PartitionReplicas p : m.partitions()) {
                long first = -1;
                for (String r : p.replicas()) {
                    Member mem = members.get(r);
                    if (mem == null || !mem.isUp()) {
                        continue;
                    }
                    try {
                        long a = mem.node.division(p.partition()).getInfo().getLastAppliedIndex();
                        if (first >= 0 && a != first) {
                            return false;
                        }
                        first = a;
                    } catch (IOException e) {
                        return false;
                    }
                }
            }
            return true;
        }, () -> "every partition's replicas to apply the same index");
    }

    /** Checks, on every replica the map lists, the engine against the workload. */
    void checkReplicas(ClusterMap m, Workload w) {
        for (PartitionReplicas p : m.partitions()) {
            for (String r : p.replicas()) {
                Member mem = members.get(r);
                if (mem != null && mem.isUp()) {
                    w.checkEngine(mem, p.partition());
                }
            }
        }
    }

    /** The ids of the nodes replicating each partition, as the map says. */
    static Map<Integer, List<String>> replicas(ClusterMap m) {
        Map<Integer, List<String>> out = new LinkedHashMap<>();
        for (PartitionReplicas p : m.partitions()) {
            out.put(p.partition(), new ArrayList<>(p.replicas()));
        }
        return out;
    }

    @Override
    public void close() {
        for (Member m : members.values()) {
            if (m.isUp()) {
                try {
                    stop(m.id);
                } catch (RuntimeException e) {
                    // closing anyway
                }
            }
        }
    }
}
