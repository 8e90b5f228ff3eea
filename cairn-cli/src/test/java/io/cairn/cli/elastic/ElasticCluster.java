package io.cairn.cli.elastic;

import io.cairn.cli.process.ServerProcess;
import io.cairn.cluster.ClusterCodec;
import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.NodeInfo;
import io.cairn.cluster.NodeState;
import io.cairn.cluster.PartitionReplicas;
import io.cairn.verify.runner.ClusterProcesses;
import io.cairn.verify.runner.NodeLauncher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.SafeEncoder;

/**
 * Up to {@link #capacity} real {@code cairn server} processes (child JVMs, the test class path)
 * forming an ELASTIC cluster on loopback: node 0 starts with {@code --bootstrap}, the others with
 * {@code --join} through a member's Raft address; a restart (after kill -9 or SIGTERM) is a
 * {@code --join} on the same data directory and ports, seeded with every other node's Raft address.
 * Ports are picked once, up front, so a node keeps its addresses across restarts.
 *
 * <p>The cluster's state is read the way an operator would, over RESP: {@code CLUSTER SHARDS}
 * (each partition's replicas as the asked node knows them, health from the cluster map), {@code
 * CLUSTER NODES} (members, {@code fail} for SUSPECT/DOWN ones) and {@code CLUSTER INFO}
 * ({@code cluster_current_epoch}: the map's epoch, +1 per accepted change).
 *
 * <p>Timing settings are short so the tests run in well under a few minutes: heartbeats and the
 * controller loop every {@value #HEARTBEAT_MS} ms, a node SUSPECT after {@value #SUSPECT_AFTER_MS}
 * ms and DOWN after {@value #DOWN_AFTER_MS} ms of silence, elections in 500-1000 ms. Each node's
 * output of each run is saved to {@code target/elastic-logs/<test>/<node>-run<k>.log} (kept after
 * the test, overwritten by the next run of the same test).
 */
final class ElasticCluster implements AutoCloseable {
    static final int HEARTBEAT_MS = 300;
    static final int SUSPECT_AFTER_MS = 2000;
    static final int DOWN_AFTER_MS = 4000;
    static final int ELECTION_TIMEOUT_MAX_MS = 1000;
    /** Server-side bound on a command: a -TIMEOUT reply comes well before the client's socket timeout. */
    static final int COMMAND_TIMEOUT_MS = 3000;
    static final int SOCKET_TIMEOUT_MS = COMMAND_TIMEOUT_MS + 3000;
    /** Keys hash to partitions at random: 64 keys miss one of 8 partitions with probability 8 * (7/8)^64 < 0.002. */
    private static final int PROBES_IN_A_ROW = 64;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    final int capacity;
    final int partitions;
    final String[] names;
    final int[] respPorts;
    final int[] raftPorts;
    final Path[] dataDirs;
    private final ServerProcess[] servers;
    private final int[] runs;
    /** Whether the current run's output of each node has been written to its log file. */
    private final boolean[] logSaved;
    private final Path logDir;
    private final List<String> extraArgs;

    /**
     * @param dir        parent of the nodes' data directories
     * @param testName   names the log directory {@code target/elastic-logs/<testName>}
     * @param capacity   the most nodes the test will start
     * @param partitions the cluster's partitions (fixed at bootstrap)
     * @param extraArgs  server arguments added on every node
     */
    ElasticCluster(Path dir, String testName, int capacity, int partitions, List<String> extraArgs) throws IOException {
        this.capacity = capacity;
        this.partitions = partitions;
        this.extraArgs = List.copyOf(extraArgs);
        this.names = new String[capacity];
        this.respPorts = new int[capacity];
        this.raftPorts = new int[capacity];
        this.dataDirs = new Path[capacity];
        this.servers = new ServerProcess[capacity];
        this.runs = new int[capacity];
        this.logSaved = new boolean[capacity];
        int[] ports = ClusterProcesses.freePorts(2 * capacity);
        for (int i = 0; i < capacity; i++) {
            names[i] = "n" + (i + 1);
            respPorts[i] = ports[i];
            raftPorts[i] = ports[capacity + i];
            dataDirs[i] = dir.resolve(names[i]);
        }
        this.logDir = Path.of("target", "elastic-logs", testName);
        Files.createDirectories(logDir);
        try (var old = Files.list(logDir)) { // logs of an earlier run of the same test
            for (Path f : old.filter(f -> f.toString().endsWith(".log")).toList()) {
                Files.delete(f);
            }
        }
    }

    private List<String> serverArgs(int i, List<String> how) {
        List<String> a = new ArrayList<>(List.of("--node-id", names[i], "--port", String.valueOf(respPorts[i]),
                "--raft-port", String.valueOf(raftPorts[i]), "--data-dir", dataDirs[i].toString(),
                "--partitions", String.valueOf(partitions),
                "-s", "command-timeout-ms=" + COMMAND_TIMEOUT_MS,
                "-s", "raft.election.timeout-min-ms=500",
                "-s", "raft.election.timeout-max-ms=" + ELECTION_TIMEOUT_MAX_MS,
                "-s", "io-threads=1",
                "-s", "cluster.heartbeat-interval-ms=" + HEARTBEAT_MS,
                "-s", "cluster.controller.loop-interval-ms=" + HEARTBEAT_MS,
                "-s", "cluster.reconcile-interval-ms=1000",
                "-s", "suspect-after-ms=" + SUSPECT_AFTER_MS,
                "-s", "down-after-ms=" + DOWN_AFTER_MS));
        a.addAll(how);
        a.addAll(extraArgs);
        return a;
    }

    /** Starts node {@code i} as the cluster's founder; returns once it serves (it hosts every partition). */
    void bootstrap(int i) {
        start(i, List.of("--bootstrap"));
    }

    /** Starts node {@code i} joining through {@code seed}'s Raft address; returns once it knows the map and serves. */
    void join(int i, int seed) {
        start(i, List.of("--join", "127.0.0.1:" + raftPorts[seed]));
    }

    /**
     * Starts node {@code founder} with {@code --bootstrap}, then the {@code joiners} with {@code --join}
     * through it, all joiners at the same time: their JVM start-ups overlap (on a loaded machine
     * that saves most of a start-up per extra joiner). The founder must be up first: a join that
     * reaches it before its controller has recorded the bootstrap is refused ({@code
     * NOTBOOTSTRAPPED}) and the joiner exits. Returns once all serve; throws the first failure.
     */
    void formTogether(int founder, List<Integer> joiners) throws InterruptedException {
        bootstrap(founder);
        ExecutorService pool = Executors.newFixedThreadPool(joiners.size());
        try {
            List<Future<?>> started = new ArrayList<>();
            for (int i : joiners) {
                started.add(pool.submit(() -> join(i, founder)));
            }
            for (Future<?> f : started) {
                try {
                    f.get(); // bounded: each start gives up after READY_TIMEOUT
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Restarts node {@code i} on its data directory and ports: a {@code --join} seeded with every other
     * node's Raft address (a restart is a join; the node also remembers the controller's members).
     */
    void restart(int i) {
        StringBuilder seeds = new StringBuilder();
        for (int k = 0; k < capacity; k++) {
            if (k != i && servers[k] != null) {
                seeds.append(seeds.isEmpty() ? "" : ",").append("127.0.0.1:").append(raftPorts[k]);
            }
        }
        start(i, List.of("--join", seeds.toString()));
    }

    private void start(int i, List<String> how) {
        if (running(i)) {
            throw new IllegalStateException(names[i] + " is already running");
        }
        List<String> jvm = new ArrayList<>(NodeLauncher.sameJvm("io.cairn.cli.CairnCli").jvmOptions());
        try {
            logSaved[i] = false;
            servers[i] = ServerProcess.startExact(respPorts[i], jvm, serverArgs(i, how), READY_TIMEOUT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    boolean running(int i) {
        return servers[i] != null && servers[i].process.isAlive();
    }

    /** Indices of the nodes whose process is alive. */
    List<Integer> runningNodes() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < capacity; i++) {
            if (running(i)) {
                out.add(i);
            }
        }
        return out;
    }

    /** kill -9 (SIGKILL, no shutdown hook); returns once the process is gone. */
    void kill(int i) throws IOException, InterruptedException {
        servers[i].sigkill();
        servers[i].awaitExit();
        saveLog(i);
    }

    /** SIGTERM (graceful stop, as a supervisor's restart sends); returns once the process exited, with its exit code. */
    int terminate(int i) throws IOException, InterruptedException {
        servers[i].sigterm();
        int code = servers[i].awaitExit();
        saveLog(i);
        return code;
    }

    static JedisClientConfig clientConfig() {
        return DefaultJedisClientConfig.builder().socketTimeoutMillis(SOCKET_TIMEOUT_MS).connectionTimeoutMillis(2000)
                .build();
    }

    Jedis connect(int i) {
        return new Jedis(new HostAndPort("127.0.0.1", respPorts[i]), clientConfig());
    }

    /** Polls until writes through each listed node are acknowledged for every partition; throws at the deadline. */
    void awaitWritable(List<Integer> nodes, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int n : nodes) {
            ClusterProcesses.awaitWritable(names[n], () -> connect(n), PROBES_IN_A_ROW, deadline);
        }
    }

    private int nodeOfPort(long port) {
        for (int i = 0; i < capacity; i++) {
            if (respPorts[i] == port) {
                return i;
            }
        }
        return -1;
    }

    /** The map's epoch as node {@code i} reports it ({@code cluster_current_epoch} of CLUSTER INFO). */
    long epoch(int i) {
        try (Jedis j = connect(i)) {
            for (String line : j.clusterInfo().split("\r?\n")) {
                if (line.startsWith("cluster_current_epoch:")) {
                    return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                }
            }
        }
        throw new IllegalStateException(names[i] + ": CLUSTER INFO has no cluster_current_epoch");
    }

    /** Members as node {@code i} lists them in CLUSTER NODES: node index → healthy (not flagged {@code fail}). */
    Map<Integer, Boolean> members(int i) {
        Map<Integer, Boolean> out = new TreeMap<>();
        String text;
        try (Jedis j = connect(i)) {
            text = j.clusterNodes();
        }
        for (String line : text.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 8) {
                continue;
            }
            int port = Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1, f[1].indexOf('@')));
            out.put(nodeOfPort(port), !f[2].contains("fail"));
        }
        return out;
    }

    /**
     * One node's view of where every partition lives, from its CLUSTER SHARDS: for each partition,
     * the nodes listed for it (leader first) and whether each is {@code online}. A partition with no
     * entry is missing from the reply.
     */
    record Layout(Map<Integer, List<Integer>> replicas, Map<Integer, Boolean> online) {
        /** Total (partition, node) pairs: how many replicas exist. */
        Set<String> pairs() {
            Set<String> s = new TreeSet<>();
            replicas.forEach((p, ns) -> ns.forEach(n -> s.add(p + "@" + n)));
            return s;
        }

        /** Why this layout is not every partition on exactly {@code rf} distinct online nodes among {@code allowed}, or null. */
        String problem(int partitions, int rf, List<Integer> allowed) {
            for (int p = 0; p < partitions; p++) {
                List<Integer> r = replicas.get(p);
                if (r == null) {
                    return "partition " + p + " missing";
                }
                if (r.size() != rf || new TreeSet<>(r).size() != rf) {
                    return "partition " + p + " on nodes " + r + ", not " + rf;
                }
                for (int n : r) {
                    if (!allowed.contains(n)) {
                        return "partition " + p + " on node index " + n + " (not among " + allowed + ")";
                    }
                    if (!Boolean.TRUE.equals(online.get(n))) {
                        return "partition " + p + " replica on node index " + n + " not online";
                    }
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return replicas + " online=" + online;
        }
    }

    /** Node {@code i}'s CLUSTER SHARDS, per partition. */
    Layout layout(int i) {
        Object reply;
        try (Jedis j = connect(i)) {
            reply = j.sendCommand(Protocol.Command.CLUSTER, "SHARDS");
        }
        Map<Integer, List<Integer>> replicas = new TreeMap<>();
        Map<Integer, Boolean> online = new HashMap<>();
        for (Object shard : (List<?>) reply) {
            Map<String, Object> s = asMap(shard);
            List<?> slots = (List<?>) s.get("slots");
            List<Integer> nodes = new ArrayList<>();
            for (Object node : (List<?>) s.get("nodes")) {
                Map<String, Object> n = asMap(node);
                int idx = nodeOfPort((Long) n.get("port"));
                nodes.add(idx);
                online.put(idx, "online".equals(text(n.get("health"))));
            }
            for (int k = 0; k + 1 < slots.size(); k += 2) {
                int from = partitionOfSlot(((Long) slots.get(k)).intValue());
                int to = partitionOfSlot(((Long) slots.get(k + 1)).intValue());
                for (int p = from; p <= to; p++) {
                    replicas.put(p, nodes);
                }
            }
        }
        return new Layout(replicas, online);
    }

    /** As the server's {@code SlotHash.partitionOfSlot}: partitions own contiguous slot ranges, {@code slot * P / 16384}. */
    int partitionOfSlot(int slot) {
        return (int) ((long) slot * partitions / 16384);
    }

    private static Map<String, Object> asMap(Object o) {
        List<?> flat = (List<?>) o; // RESP2: a map is a flat array of key, value, key, value...
        Map<String, Object> m = new LinkedHashMap<>();
        for (int k = 0; k + 1 < flat.size(); k += 2) {
            m.put(text(flat.get(k)), flat.get(k + 1));
        }
        return m;
    }

    private static String text(Object o) {
        return o instanceof byte[] b ? SafeEncoder.encode(b) : String.valueOf(o);
    }

    /** What {@link #awaitSettled} saw once the cluster settled. */
    record Settled(long epoch, Layout layout) {}

    /**
     * Records every replica move node {@code via}'s cluster map shows, polled every {@value
     * MoveWatch#POLL_MS} ms on a daemon thread until closed. A move lasts at least a new replica's
     * catch-up plus a Raft configuration change (a second or more under load, measured), several
     * polls, so in practice none goes unseen.
     */
    MoveWatch watchMoves(int via) {
        return new MoveWatch(via);
    }

    final class MoveWatch implements AutoCloseable {
        static final int POLL_MS = 200;
        /** Far more than any test moves; a bound so a runaway planner cannot exhaust the heap. */
        static final int MAX_MOVES = 10_000;
        private final java.util.Set<String> seen = java.util.Collections.synchronizedSet(new java.util.LinkedHashSet<>());
        private final Thread thread;
        private volatile boolean closed;

        private MoveWatch(int via) {
            thread = new Thread(() -> {
                while (!closed) {
                    try {
                        for (PartitionReplicas p : clusterMap(via).partitions()) {
                            if (p.move() != null && seen.size() < MAX_MOVES) {
                                seen.add(moveName(p));
                            }
                        }
                    } catch (RuntimeException e) {
                        // the node is busy or restarting: the next poll tries again
                    }
                    try {
                        Thread.sleep(POLL_MS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "move-watch-" + names[via]);
            thread.setDaemon(true);
            thread.start();
        }

        /** The moves seen since the last call, in the order first seen (each once, as {@link #moveName}). */
        List<String> drain() {
            synchronized (seen) {
                List<String> out = List.copyOf(seen);
                seen.clear();
                return out;
            }
        }

        @Override
        public void close() throws InterruptedException {
            closed = true;
            thread.interrupt();
            thread.join(10_000);
        }
    }

    /**
     * A move as {@code "<partition>:+<added node index>-<removed node index>@<epoch it began>"}
     * (nothing after {@code -} when nothing is removed).
     */
    private String moveName(PartitionReplicas p) {
        var m = p.move();
        return p.partition() + ":+" + indexOfName(m.add()) + "-" + (m.remove() == null ? "" : indexOfName(m.remove()))
                + "@" + m.startedAtEpoch();
    }

    private int indexOfName(String name) {
        for (int i = 0; i < capacity; i++) {
            if (names[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Polls (every 250 ms) until every node in {@code nodes} reports the same epoch and a CLUSTER SHARDS
     * with every partition on exactly {@code rf} distinct, online nodes, all among {@code nodes}, and
     * the same layout everywhere, and that stays so (no epoch change) for {@code quiet}: a move in
     * progress ends with a map change, and the controller loop runs every {@value #HEARTBEAT_MS} ms,
     * so a quiet period of several loops means the planner has nothing left to do. Throws an
     * {@link AssertionError} with the last views at the deadline.
     */
    Settled awaitSettled(List<Integer> nodes, int rf, Duration quiet, Duration timeout) throws InterruptedException {
        return awaitSettled(nodes, rf, quiet, timeout, false);
    }

    /**
     * As {@link #awaitSettled}, and besides every node's planner must have nothing to do (CLUSTER
     * REBALANCE on each: no move in progress or startable, no other proposal such as a preferred
     * leader change or the removal of a drained node, no replica misplaced): the cluster has reached
     * the placement's target for its current members. That is a fact read from the map rather than
     * inferred from silence, so {@code quiet} only needs to cover a couple of controller loops
     * ({@value #HEARTBEAT_MS} ms each) for a late proposal to show.
     */
    Settled awaitBalanced(List<Integer> nodes, int rf, Duration quiet, Duration timeout) throws InterruptedException {
        return awaitSettled(nodes, rf, quiet, timeout, true);
    }

    private Settled awaitSettled(List<Integer> nodes, int rf, Duration quiet, Duration timeout, boolean plannerIdle)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long stableSince = -1;
        long stableEpoch = -1;
        String last = "";
        while (true) {
            String problem = null;
            long epoch = -1;
            Layout first = null;
            try {
                for (int n : nodes) {
                    long e = epoch(n);
                    Layout l = layout(n);
                    String p = l.problem(partitions, rf, nodes);
                    if (p == null && plannerIdle) {
                        p = plannerWork(n);
                    }
                    if (p != null) {
                        problem = names[n] + " at epoch " + e + ": " + p + " | " + l;
                        break;
                    }
                    if (first == null) {
                        first = l;
                        epoch = e;
                    } else if (e != epoch || !sameSets(first, l)) {
                        problem = names[n] + " at epoch " + e + " disagrees with " + names[nodes.get(0)] + " at " + epoch
                                + ": " + l + " vs " + first;
                        break;
                    }
                }
            } catch (JedisException | ClassCastException e) {
                problem = "CLUSTER commands failed: " + e;
            }
            long now = System.nanoTime();
            if (problem == null) {
                if (stableSince < 0 || epoch != stableEpoch) {
                    stableSince = now;
                    stableEpoch = epoch;
                }
                if (now - stableSince >= quiet.toNanos()) {
                    return new Settled(epoch, first);
                }
            } else {
                stableSince = -1;
                last = problem;
            }
            if (now > deadline) {
                throw new AssertionError("cluster of " + nodeNames(nodes) + " not settled at RF " + rf + " within "
                        + timeout.toSeconds() + " s: " + last);
            }
            Thread.sleep(250);
        }
    }

    /** Node {@code i}'s cluster map (CLUSTER MAP: the map's JSON, decoded with the server's own codec). */
    ClusterMap clusterMap(int i) {
        Object reply;
        try (Jedis j = connect(i)) {
            reply = j.sendCommand(Protocol.Command.CLUSTER, "MAP");
        }
        return ClusterCodec.decodeMap((byte[]) reply);
    }

    /** Node {@code i}'s state in node {@code via}'s map; null if that map does not list it. */
    NodeState stateOf(int i, int via) {
        return clusterMap(via).node(names[i]).map(NodeInfo::state).orElse(null);
    }

    /**
     * What node {@code i}'s planner still wants to do (CLUSTER REBALANCE), e.g. {@code
     * "planner: moves-in-progress=1 replicas-misplaced=2"}; null when it has nothing to do.
     */
    String plannerWork(int i) {
        Object reply;
        try (Jedis j = connect(i)) {
            reply = j.sendCommand(Protocol.Command.CLUSTER, "REBALANCE");
        }
        Map<String, Object> m = asMap(reply);
        StringBuilder busy = new StringBuilder();
        for (String k : List.of("moves-in-progress", "moves-startable", "other-proposals", "replicas-misplaced")) {
            Object v = m.get(k);
            if (!(v instanceof Long n)) {
                throw new IllegalStateException(names[i] + ": CLUSTER REBALANCE has no " + k + ": " + m);
            }
            if (n != 0) {
                busy.append(' ').append(k).append('=').append(n);
            }
        }
        return busy.isEmpty() ? null : "planner:" + busy;
    }

    /**
     * Sends {@code CLUSTER LEAVE <node>} to node {@code via} and returns the epoch at which the
     * controller accepted it (the reply is {@code +OK epoch <n>}); throws with the reply otherwise.
     */
    long leave(int node, int via) {
        String reply;
        try (Jedis j = connect(via)) {
            reply = text(j.sendCommand(Protocol.Command.CLUSTER, "LEAVE", names[node]));
        }
        if (!reply.startsWith("OK epoch ")) {
            throw new IllegalStateException("CLUSTER LEAVE " + names[node] + " via " + names[via] + " -> " + reply);
        }
        return Long.parseLong(reply.substring("OK epoch ".length()).trim());
    }

    /**
     * Polls every node in {@code via} until its map shows node {@code i} in {@code state}; returns the
     * {@link System#nanoTime()} when all did. Throws an {@link AssertionError} at the deadline.
     */
    long awaitState(int i, NodeState state, List<Integer> via, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (true) {
            boolean all = true;
            for (int v : via) {
                try {
                    NodeState s = stateOf(i, v);
                    if (s != state) {
                        all = false;
                        last = names[v] + " shows " + names[i] + " " + s;
                        break;
                    }
                } catch (JedisException e) {
                    all = false;
                    last = names[v] + ": " + e;
                    break;
                }
            }
            if (all) {
                return System.nanoTime();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(names[i] + " not " + state + " on " + nodeNames(via) + " within "
                        + timeout.toSeconds() + " s: " + last);
            }
            Thread.sleep(200);
        }
    }

    private static boolean sameSets(Layout a, Layout b) {
        if (!a.replicas().keySet().equals(b.replicas().keySet())) {
            return false;
        }
        for (var e : a.replicas().entrySet()) {
            if (!new TreeSet<>(e.getValue()).equals(new TreeSet<>(b.replicas().get(e.getKey())))) {
                return false;
            }
        }
        return true;
    }

    String nodeNames(List<Integer> nodes) {
        return nodes.stream().map(n -> names[n]).toList().toString();
    }

    /** A GET answered with an error. */
    record ErrorReply(String message) {}

    /** GETs {@code keys} through node {@code i} (pipelined, in batches), at {@code consistency} (null = linearizable). */
    Object[] readAll(int i, String consistency, List<String> keys) {
        Object[] out = new Object[keys.size()];
        try (Jedis j = connect(i)) {
            if (consistency != null) {
                Object reply = j.sendCommand(Protocol.Command.CLIENT, "CONSISTENCY", "READ", consistency);
                if (!"OK".equals(text(reply))) {
                    throw new IllegalStateException("CLIENT CONSISTENCY READ " + consistency + " -> " + text(reply));
                }
            }
            int batch = 500;
            for (int from = 0; from < keys.size(); from += batch) {
                int to = Math.min(keys.size(), from + batch);
                Pipeline p = j.pipelined();
                List<Response<String>> rs = new ArrayList<>(to - from);
                for (int k = from; k < to; k++) {
                    rs.add(p.get(keys.get(k)));
                }
                p.sync();
                for (int k = from; k < to; k++) {
                    try {
                        out[k] = rs.get(k - from).get();
                    } catch (JedisDataException e) {
                        out[k] = new ErrorReply(e.getMessage());
                    }
                }
            }
        }
        return out;
    }

    /**
     * Reads {@code expected}'s keys (null value = must be absent) through node {@code i} until each
     * shows what is expected or the timeout passes; returns the keys that did not, with what was seen
     * last. Error replies and connection failures are retried; a wrong answer is retried only when
     * {@code retryWrong} (a STALE read of a replica may lag), else it is final (a linearizable read
     * that shows the wrong thing is an answer).
     */
    Map<String, Object> readUntil(int i, String consistency, Map<String, String> expected, boolean retryWrong,
                                  Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> wrong = new LinkedHashMap<>();
        List<String> pending = new ArrayList<>(expected.keySet());
        Map<String, Object> lastSeen = new HashMap<>();
        while (!pending.isEmpty()) {
            try {
                Object[] got = readAll(i, consistency, pending);
                List<String> again = new ArrayList<>();
                for (int k = 0; k < got.length; k++) {
                    String key = pending.get(k);
                    Object v = got[k];
                    if (java.util.Objects.equals(expected.get(key), v)) {
                        continue;
                    }
                    lastSeen.put(key, v);
                    if (v instanceof ErrorReply || retryWrong) {
                        again.add(key);
                    } else {
                        wrong.put(key, v);
                    }
                }
                pending = again;
            } catch (JedisException e) {
                pending.forEach(k -> lastSeen.putIfAbsent(k, new ErrorReply("connection: " + e.getMessage())));
            }
            if (pending.isEmpty() || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(200);
        }
        for (String k : pending) {
            wrong.put(k, lastSeen.get(k));
        }
        return wrong;
    }

    private void saveLog(int i) {
        ServerProcess s = servers[i];
        if (s == null || logSaved[i]) {
            return;
        }
        logSaved[i] = true;
        try {
            Files.write(logDir.resolve(names[i] + "-run" + (runs[i]++) + ".log"), s.output);
        } catch (IOException ignored) {
            // logs are a diagnostic aid only
        }
    }

    /** Count of lines of node {@code i}'s current run that look like trouble (ERROR, exceptions), and the first. */
    String trouble(int i) {
        ServerProcess s = servers[i];
        if (s == null) {
            return "not started";
        }
        List<String> bad = s.output.stream().filter(l -> l.contains("ERROR") || l.contains("Exception")).toList();
        return bad.size() + (bad.isEmpty() ? "" : " (first: " + bad.get(0) + ")");
    }

    @Override
    public void close() {
        for (int i = 0; i < capacity; i++) {
            ServerProcess s = servers[i];
            if (s != null) {
                s.close(); // SIGKILL if still alive: the test is over, its data dirs go away
                saveLog(i); // also the output of a node that died by itself, which explains a failure
            }
        }
    }
}
