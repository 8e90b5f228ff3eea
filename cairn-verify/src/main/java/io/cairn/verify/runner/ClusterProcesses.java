package io.cairn.verify.runner;

import io.cairn.verify.net.FaultNetwork;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.SafeEncoder;

/**
 * A cluster of real {@code cairn server} processes on loopback whose Raft links all pass through a
 * {@link FaultNetwork}: nodes are killed with SIGKILL, paused with SIGSTOP, partitioned by the
 * proxies and restarted on their data directories. Each node's output is appended to
 * {@code <dir>/<name>.log} across restarts.
 *
 * <h2>Static and elastic membership</h2>
 * A static cluster starts every node with the same {@code --peers} list. An elastic cluster
 * starts node 0 with {@code --bootstrap} and the other initial nodes with {@code --join} through
 * it; {@code spares} more slots have ports, data directories and links in the fault network from
 * the start, so {@link #joinFresh} can add one later and {@link #retire} can stop one that left. A
 * restart after a kill is a {@code --join} seeded with every other member's Raft address, on the
 * same data directory. Either way the fault network covers every link: an elastic node advertises
 * its Raft address as its host name ({@code raft.advertise-host=n2.cairn}), which is what the map
 * records and every other node dials, and each node's hosts file resolves that name to its own
 * proxy for the link (see {@link FaultNetwork}). Only Raft traffic crosses the proxies (the
 * controller group and the join's controller lookup are Raft groups on the same port); RESP
 * addresses stay {@code 127.0.0.1}, as the verifier's clients sit outside the network under test.
 *
 * <p>Elastic nodes run with short membership timings so a run sees joins, drains and failure
 * detection within seconds: heartbeats and the controller loop every {@value #ELASTIC_HEARTBEAT_MS}
 * ms, reconcile every {@value #ELASTIC_RECONCILE_MS} ms, SUSPECT after {@value #ELASTIC_SUSPECT_AFTER_MS}
 * ms and DOWN after {@value #ELASTIC_DOWN_AFTER_MS} ms of silence (so the longer kills and pauses
 * make the controller re-create replicas elsewhere while other faults go on). Each is a server
 * setting and can be overridden per run with extra server arguments ({@code -s key=value}, the
 * later setting wins).
 *
 * <p>Membership changes and faults must not pick the same node at once (a kill of a node that is
 * draining would be a different experiment than either): {@link #tryReserve} gives a node to one
 * of them until {@link #release}.
 */
public final class ClusterProcesses implements AutoCloseable {
    /** Server-side bound on one command; the client socket timeout is longer, so the server answers first. */
    public static final int COMMAND_TIMEOUT_MS = 3000;
    public static final int SOCKET_TIMEOUT_MS = COMMAND_TIMEOUT_MS + 2000;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final int PROBES_IN_A_ROW = 32;
    /** {@code cluster.heartbeat-interval-ms} and {@code cluster.controller.loop-interval-ms} of elastic nodes. */
    public static final int ELASTIC_HEARTBEAT_MS = 300;
    /** {@code cluster.reconcile-interval-ms} of elastic nodes. */
    public static final int ELASTIC_RECONCILE_MS = 1000;
    /** {@code suspect-after-ms} of elastic nodes. */
    public static final int ELASTIC_SUSPECT_AFTER_MS = 2000;
    /** {@code down-after-ms} of elastic nodes: shorter than the longest kill (10 s), so some kills end in DOWN. */
    public static final int ELASTIC_DOWN_AFTER_MS = 5000;
    /** How long a SIGTERM'd node may take to exit before it is killed. */
    private static final Duration TERMINATE_TIMEOUT = Duration.ofSeconds(30);

    public enum State { STOPPED, RUNNING, PAUSED }

    private final NodeLauncher launcher;
    private final List<String> names = new ArrayList<>();
    private final int[] respPorts;
    private final int[] raftPorts;
    private final Path[] dataDirs;
    private final Path[] logFiles;
    private final Process[] processes;
    private final State[] states;
    private final FaultNetwork network;
    private final String peers;
    private final int partitions;
    private final List<String> extraServerArgs;
    private final boolean elastic;
    /** Nodes that belong to the cluster now: they should run (a killed member is restarted by the heal). */
    private final boolean[] member;
    /** Nodes started at least once on their current data directory (an elastic restart is a join on it). */
    private final boolean[] started;
    private final java.util.Set<Integer> reserved = new java.util.HashSet<>();
    /** Nodes whose process is being launched (until "ready on" or failure): nobody else may start them meanwhile. */
    private final java.util.Set<Integer> launching = new java.util.HashSet<>();

    /**
     * @param nodes           3 or 5 (any count of at least 1 works)
     * @param partitions      partitions of the cluster (each one Raft group)
     * @param dir             parent of data directories, hosts files and logs
     * @param extraServerArgs server arguments added on every node (e.g. {@code --durability RELAXED})
     */
    public ClusterProcesses(NodeLauncher launcher, int nodes, int partitions, Path dir, List<String> extraServerArgs)
            throws IOException {
        this(launcher, nodes, 0, false, partitions, dir, extraServerArgs);
    }

    /**
     * @param nodes           the initial members (all of them, in a static cluster)
     * @param spares          further slots an elastic cluster may add later (0 for a static one)
     * @param elastic         bootstrap/join instead of a static {@code --peers} list
     * @param partitions      partitions of the cluster (each one Raft group)
     * @param dir             parent of data directories, hosts files and logs
     * @param extraServerArgs server arguments added on every node (e.g. {@code --durability RELAXED})
     */
    public ClusterProcesses(NodeLauncher launcher, int nodes, int spares, boolean elastic, int partitions, Path dir,
                            List<String> extraServerArgs) throws IOException {
        if (nodes < 1 || spares < 0 || nodes + spares > 9) {
            throw new IllegalArgumentException("nodes + spares must be in 1..9, got " + nodes + " + " + spares);
        }
        if (spares > 0 && !elastic) {
            throw new IllegalArgumentException("spare nodes need an elastic cluster");
        }
        int capacity = nodes + spares;
        this.launcher = launcher;
        this.partitions = partitions;
        this.extraServerArgs = List.copyOf(extraServerArgs);
        this.elastic = elastic;
        this.respPorts = new int[capacity];
        this.raftPorts = new int[capacity];
        this.dataDirs = new Path[capacity];
        this.logFiles = new Path[capacity];
        this.processes = new Process[capacity];
        this.states = new State[capacity];
        this.member = new boolean[capacity];
        this.started = new boolean[capacity];
        int[] ports = freePorts(2 * capacity);
        Map<String, Integer> raftByName = new LinkedHashMap<>();
        Map<String, Integer> respByName = new HashMap<>();
        for (int i = 0; i < capacity; i++) {
            String name = "n" + (i + 1);
            names.add(name);
            respPorts[i] = ports[i];
            raftPorts[i] = ports[capacity + i];
            dataDirs[i] = dir.resolve("data").resolve(name);
            logFiles[i] = dir.resolve(name + ".log");
            states[i] = State.STOPPED;
            member[i] = i < nodes;
            raftByName.put(name, raftPorts[i]);
            respByName.put(name, respPorts[i]);
        }
        Files.createDirectories(dir);
        this.network = FaultNetwork.start(names, raftByName, dir.resolve("hosts"));
        this.peers = network.peersSpec(respByName);
    }

    /** Node slots: the initial members plus the spares. */
    public int size() {
        return names.size();
    }

    public boolean isElastic() {
        return elastic;
    }

    /** Whether node {@code i} belongs to the cluster now (spares before their join and nodes that left do not). */
    public synchronized boolean isMember(int i) {
        return member[i];
    }

    /** The members' indices, in order. */
    public synchronized List<Integer> members() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            if (member[i]) {
                out.add(i);
            }
        }
        return out;
    }

    /** The members' names, in order. */
    public synchronized List<String> memberNames() {
        return members().stream().map(names::get).toList();
    }

    /** Members whose process is running (not stopped, not paused). */
    public synchronized List<Integer> runningMembers() {
        return members().stream().filter(i -> states[i] == State.RUNNING).toList();
    }

    /** Gives node {@code i} to one nemesis until {@link #release}; false if another one has it. */
    public synchronized boolean tryReserve(int i) {
        return reserved.add(i);
    }

    public synchronized void release(int i) {
        reserved.remove(i);
    }

    public synchronized boolean isReserved(int i) {
        return reserved.contains(i);
    }

    /** The node's Raft address as peers know it: its host name (resolved per node by the fault network). */
    public String raftAddress(int i) {
        return FaultNetwork.hostName(names.get(i)) + ":" + raftPorts[i];
    }

    public List<String> names() {
        return List.copyOf(names);
    }

    public String name(int i) {
        return names.get(i);
    }

    public int respPort(int i) {
        return respPorts[i];
    }

    public Path logFile(int i) {
        return logFiles[i];
    }

    public FaultNetwork network() {
        return network;
    }

    public synchronized State state(int i) {
        return states[i];
    }

    List<String> serverArgs(int i) {
        if (elastic) {
            throw new IllegalStateException("an elastic node's arguments depend on how it starts: use elasticArgs");
        }
        List<String> a = new ArrayList<>(List.of("--node-id", names.get(i), "--port", String.valueOf(respPorts[i]),
                "--peers", peers, "--data-dir", dataDirs[i].toString(), "--partitions", String.valueOf(partitions),
                "-s", "raft.host=127.0.0.1",
                "-s", "command-timeout-ms=" + COMMAND_TIMEOUT_MS,
                "-s", "raft.election.timeout-min-ms=500", "-s", "raft.election.timeout-max-ms=1000",
                "-s", "io-threads=1"));
        a.addAll(extraServerArgs);
        return a;
    }

    /**
     * An elastic node's arguments; {@code how} is {@code --bootstrap} or {@code --join seeds}. The
     * node binds Raft on 127.0.0.1 and advertises its host name, so every peer reaches it through
     * that peer's proxy.
     */
    List<String> elasticArgs(int i, List<String> how) {
        List<String> a = new ArrayList<>(List.of("--node-id", names.get(i), "--port", String.valueOf(respPorts[i]),
                "--raft-port", String.valueOf(raftPorts[i]), "--data-dir", dataDirs[i].toString(),
                "--partitions", String.valueOf(partitions),
                "-s", "raft.host=127.0.0.1",
                "-s", "raft.advertise-host=" + FaultNetwork.hostName(names.get(i)),
                "-s", "command-timeout-ms=" + COMMAND_TIMEOUT_MS,
                "-s", "raft.election.timeout-min-ms=500", "-s", "raft.election.timeout-max-ms=1000",
                "-s", "io-threads=1",
                "-s", "cluster.heartbeat-interval-ms=" + ELASTIC_HEARTBEAT_MS,
                "-s", "cluster.controller.loop-interval-ms=" + ELASTIC_HEARTBEAT_MS,
                "-s", "cluster.reconcile-interval-ms=" + ELASTIC_RECONCILE_MS,
                "-s", "suspect-after-ms=" + ELASTIC_SUSPECT_AFTER_MS,
                "-s", "down-after-ms=" + ELASTIC_DOWN_AFTER_MS));
        a.addAll(how);
        a.addAll(extraServerArgs);
        return a;
    }

    /**
     * Starts the cluster; returns once each node has printed "ready on". Static: every member in
     * parallel. Elastic: node 0 bootstraps, then the other initial members join through it in
     * parallel (a joining node is ready once it has read the map after its join).
     */
    public void startAll() {
        if (elastic && !started[0]) {
            start(0);
        }
        List<CompletableFuture<Void>> starts = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            if (state(i) == State.STOPPED && isMember(i)) {
                int n = i;
                starts.add(CompletableFuture.runAsync(() -> start(n)));
            }
        }
        try {
            CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw new IllegalStateException("cluster start failed", e.getCause());
        }
    }

    /**
     * Starts member {@code i} on its data directory; returns once it printed "ready on". In an
     * elastic cluster: node 0's first start bootstraps, another initial member's first start joins
     * through node 0, and any restart joins seeded with every other member's Raft address.
     */
    public void start(int i) {
        List<String> args;
        synchronized (this) {
            if (states[i] != State.STOPPED) {
                throw new IllegalStateException(names.get(i) + " is " + states[i]);
            }
            if (!member[i]) {
                throw new IllegalStateException(names.get(i) + " is not a member (a spare starts with joinFresh)");
            }
            if (launching.contains(i)) {
                throw new IllegalStateException(names.get(i) + " is being started");
            }
            if (!elastic) {
                args = serverArgs(i);
            } else if (!started[i] && i == 0) {
                args = elasticArgs(i, List.of("--bootstrap"));
            } else if (!started[i]) {
                args = elasticArgs(i, List.of("--join", raftAddress(0)));
            } else {
                List<String> seeds = new ArrayList<>();
                for (int k = 0; k < size(); k++) {
                    if (k != i && member[k]) {
                        seeds.add(raftAddress(k));
                    }
                }
                args = elasticArgs(i, List.of("--join", String.join(",", seeds)));
            }
            launching.add(i);
        }
        launch(i, args);
    }

    /** Whether node {@code i} is being started right now (by a restart or a join). */
    public synchronized boolean isLaunching(int i) {
        return launching.contains(i);
    }

    /**
     * Adds the spare (or a node that left) {@code i} to an elastic cluster: its data directory is
     * wiped (a decommissioned machine comes back empty) and it starts with {@code --join} through
     * {@code via}'s Raft address. Returns once it printed "ready on" (it has joined and read the
     * map); it is a member from the start, so a failed start leaves it to the heal.
     */
    public void joinFresh(int i, int via) throws IOException {
        synchronized (this) {
            if (!elastic) {
                throw new IllegalStateException("a static cluster cannot take new nodes");
            }
            if (member[i] || states[i] != State.STOPPED || launching.contains(i)) {
                throw new IllegalStateException(names.get(i) + " is already a member (" + states[i] + ")");
            }
            member[i] = true;
            started[i] = false;
            launching.add(i);
        }
        try {
            deleteTree(dataDirs[i]);
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                launching.remove(i);
                member[i] = false;
            }
            throw e;
        }
        launch(i, elasticArgs(i, List.of("--join", raftAddress(via))));
    }

    /**
     * Stops a node that left the cluster: it is no member any more (nothing restarts it), then
     * SIGTERM, and SIGKILL if it has not exited within {@link #TERMINATE_TIMEOUT}.
     */
    public void retire(int i) throws InterruptedException {
        Process p;
        boolean paused;
        synchronized (this) {
            member[i] = false;
            if (states[i] == State.STOPPED) {
                return;
            }
            p = processes[i];
            paused = states[i] == State.PAUSED;
        }
        if (paused) {
            try {
                resume(i);
            } catch (IOException e) {
                // the kill below ends it anyway
            }
        }
        p.destroy(); // SIGTERM: a graceful stop, as an operator stops a drained node
        if (!p.waitFor(TERMINATE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(names.get(i) + " survived SIGKILL for 30 s");
            }
        }
        synchronized (this) {
            states[i] = State.STOPPED;
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Starts the process and waits for "ready on"; the caller has put {@code i} in {@link #launching}. */
    private void launch(int i, List<String> args) {
        try {
            long offset = Files.exists(logFiles[i]) ? Files.size(logFiles[i]) : 0;
            List<String> jvm = List.of("-Djdk.net.hosts.file=" + network.hostsFile(names.get(i)));
            Files.writeString(logFiles[i], "=== start: " + String.join(" ", args) + System.lineSeparator(),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            Process p = new ProcessBuilder(launcher.command(jvm, args))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFiles[i].toFile()))
                    .start();
            synchronized (this) {
                processes[i] = p;
                states[i] = State.RUNNING;
                started[i] = true;
            }
            awaitReady(i, p, offset);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            synchronized (this) {
                launching.remove(i);
            }
        }
    }

    private void awaitReady(int i, Process p, long offset) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            String out = readFrom(logFiles[i], offset);
            if (out.contains("ready on")) {
                return;
            }
            if (!p.isAlive() || out.contains("Exception in thread \"main\"")) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                synchronized (this) {
                    states[i] = State.STOPPED;
                }
                throw new IllegalStateException(names.get(i) + " failed to start: " + tail(out));
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(names.get(i) + " not ready within " + READY_TIMEOUT.toSeconds() + " s");
    }

    private static String readFrom(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = Math.min(f.length() - offset, 1 << 20);
            if (len <= 0) {
                return "";
            }
            byte[] b = new byte[(int) len];
            f.seek(offset);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    private static String tail(String s) {
        return s.length() <= 2000 ? s : s.substring(s.length() - 2000);
    }

    /** kill -9 (SIGKILL, no shutdown hook); returns once the process is gone. A paused node dies too. */
    public void kill(int i) throws InterruptedException {
        Process p;
        synchronized (this) {
            if (states[i] == State.STOPPED) {
                return;
            }
            p = processes[i];
        }
        p.destroyForcibly(); // SIGKILL on Unix
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(names.get(i) + " survived SIGKILL for 30 s");
        }
        synchronized (this) {
            states[i] = State.STOPPED;
        }
    }

    /** SIGSTOP: the process freezes with its sockets open, as a long GC pause or a stalled VM would. */
    public void pause(int i) throws IOException, InterruptedException {
        synchronized (this) {
            if (states[i] != State.RUNNING) {
                return;
            }
            signal("STOP", processes[i].pid());
            states[i] = State.PAUSED;
        }
    }

    /** SIGCONT after {@link #pause}. */
    public void resume(int i) throws IOException, InterruptedException {
        synchronized (this) {
            if (states[i] != State.PAUSED) {
                return;
            }
            signal("CONT", processes[i].pid());
            states[i] = State.RUNNING;
        }
    }

    private static void signal(String name, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(pid)).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + name + " " + pid + " failed");
        }
    }

    public static JedisClientConfig clientConfig() {
        return DefaultJedisClientConfig.builder().socketTimeoutMillis(SOCKET_TIMEOUT_MS).connectionTimeoutMillis(2000)
                .build();
    }

    public Jedis connect(int i) {
        return new Jedis(new HostAndPort("127.0.0.1", respPorts[i]), clientConfig());
    }

    /** Sends one command to node {@code i} and returns the reply as text (errors as "-message"). */
    public String command(int i, String... args) {
        try (Jedis j = connect(i)) {
            Object r = j.sendCommand(() -> SafeEncoder.encode(args[0]),
                    java.util.Arrays.copyOfRange(args, 1, args.length));
            return r instanceof byte[] b ? SafeEncoder.encode(b) : String.valueOf(r);
        } catch (redis.clients.jedis.exceptions.JedisDataException e) {
            return "-" + e.getMessage();
        }
    }

    /**
     * Polls until a write through every running node is acknowledged for every partition
     * ({@link #PROBES_IN_A_ROW} consecutive OKs on distinct keys per node). Throws after the timeout.
     */
    public void awaitWritable(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int n : runningMembers()) {
            awaitWritable(names.get(n), () -> connect(n), PROBES_IN_A_ROW, deadline);
        }
    }

    /**
     * Polls until {@code probes} consecutive SETs of distinct keys through one node are
     * acknowledged: with enough probes every partition has been hit, so each has a leader the
     * node can reach. Throws an {@link IllegalStateException} once {@code deadlineNanos} passes.
     */
    public static void awaitWritable(String node, java.util.function.Supplier<Jedis> connect, int probes,
                                     long deadlineNanos) throws InterruptedException {
        String last = "";
        int probe = 0;
        int okInARow = 0;
        while (okInARow < probes) {
            if (System.nanoTime() > deadlineNanos) {
                throw new IllegalStateException(node + " not writable in time: " + last);
            }
            try (Jedis j = connect.get()) {
                while (okInARow < probes && System.nanoTime() < deadlineNanos) {
                    String r = j.set("probe:" + node + ":" + probe++, "x");
                    okInARow = "OK".equals(r) ? okInARow + 1 : 0;
                    last = r;
                }
            } catch (JedisException e) {
                okInARow = 0;
                last = String.valueOf(e.getMessage());
                Thread.sleep(100);
            }
        }
    }

    /** The node leading the most partitions, from CLUSTER NODES on a running node; -1 if unknown. */
    public int busiestLeader() {
        for (int via : runningMembers()) {
            try (Jedis j = connect(via)) {
                String nodes = j.sendCommand(Protocol.Command.CLUSTER, "NODES") instanceof byte[] b
                        ? SafeEncoder.encode(b) : "";
                int best = -1;
                int bestSlots = 0;
                for (String line : nodes.split("\n")) {
                    String[] f = line.trim().split(" ");
                    if (f.length < 9) {
                        continue;
                    }
                    int port = Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1, f[1].indexOf('@')));
                    int slots = f.length - 8;
                    for (int i = 0; i < size(); i++) {
                        if (respPorts[i] == port && slots > bestSlots) {
                            best = i;
                            bestSlots = slots;
                        }
                    }
                }
                return best;
            } catch (RuntimeException e) {
                // try the next node
            }
        }
        return -1;
    }

    /** Node {@code i}'s view of the cluster map ({@code CLUSTER MAP}); elastic clusters only. */
    public ClusterMapView mapView(int i) {
        String json = command(i, "CLUSTER", "MAP");
        if (json.startsWith("-")) {
            throw new IllegalStateException(names.get(i) + ": CLUSTER MAP -> " + json);
        }
        return ClusterMapView.parse(json);
    }

    /**
     * The map as the first running member that answers sees it, or null if none does. Node names
     * are the map's node ids ({@code --node-id}).
     */
    public ClusterMapView anyMapView() {
        for (int i : runningMembers()) {
            try {
                return mapView(i);
            } catch (RuntimeException e) {
                // a node that is starting, stopping or cut off: ask the next one
            }
        }
        return null;
    }

    /**
     * Polls (every 250 ms) until every running member reports the same epoch and a map that is
     * settled for the current members ({@link ClusterMapView#unsettledBecause}), and that holds for
     * {@code quiet} without an epoch change (a move in progress or a pending drain ends with a map
     * change; the controller loop runs every {@value #ELASTIC_HEARTBEAT_MS} ms). Every member must be
     * running. Returns the settled map; throws an {@link IllegalStateException} with the last reason
     * at the deadline.
     */
    public ClusterMapView awaitSettled(Duration quiet, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long stableSince = -1;
        long stableEpoch = -1;
        String last = "no answer yet";
        while (true) {
            String problem = null;
            ClusterMapView first = null;
            List<Integer> members = members();
            List<String> memberNames = memberNames();
            for (int n : members) {
                if (state(n) != State.RUNNING) {
                    problem = names.get(n) + " is " + state(n);
                    break;
                }
                ClusterMapView m;
                try {
                    m = mapView(n);
                } catch (RuntimeException e) {
                    problem = names.get(n) + ": " + e.getMessage();
                    break;
                }
                String why = m.unsettledBecause(memberNames);
                if (why != null) {
                    problem = names.get(n) + " at epoch " + m.epoch() + ": " + why;
                    break;
                }
                if (first == null) {
                    first = m;
                } else if (m.epoch() != first.epoch()) {
                    problem = names.get(n) + " is at epoch " + m.epoch() + ", " + names.get(members.get(0)) + " at "
                            + first.epoch();
                    break;
                }
            }
            long now = System.nanoTime();
            if (problem == null && first != null) {
                if (stableSince < 0 || first.epoch() != stableEpoch) {
                    stableSince = now;
                    stableEpoch = first.epoch();
                }
                if (now - stableSince >= quiet.toNanos()) {
                    return first;
                }
            } else {
                stableSince = -1;
                last = problem == null ? "no member" : problem;
            }
            if (now > deadline) {
                throw new IllegalStateException("the map did not settle on members " + memberNames + " within "
                        + timeout.toSeconds() + " s: " + last);
            }
            Thread.sleep(250);
        }
    }

    /** The node at RESP port {@code port}, or -1. */
    public int nodeOfRespPort(long port) {
        for (int i = 0; i < size(); i++) {
            if (respPorts[i] == port) {
                return i;
            }
        }
        return -1;
    }

    /** Partitions of the cluster. */
    public int partitions() {
        return partitions;
    }

    /**
     * Node {@code via}'s CLUSTER SHARDS: for each partition, the nodes holding a replica (leader
     * first). Works in both membership modes. Partitions own contiguous slot ranges, {@code slot *
     * partitions / 16384}, as the server's {@code SlotHash.partitionOfSlot}.
     */
    public Map<Integer, List<Integer>> shards(int via) {
        Object reply;
        try (Jedis j = connect(via)) {
            reply = j.sendCommand(Protocol.Command.CLUSTER, "SHARDS");
        }
        Map<Integer, List<Integer>> out = new java.util.TreeMap<>();
        for (Object shard : (List<?>) reply) {
            Map<String, Object> s = flatMap(shard);
            List<Integer> nodes = new ArrayList<>();
            for (Object node : (List<?>) s.get("nodes")) {
                int idx = nodeOfRespPort((Long) flatMap(node).get("port"));
                if (idx < 0) {
                    throw new IllegalStateException("CLUSTER SHARDS lists a node on an unknown port: " + flatMap(node));
                }
                nodes.add(idx);
            }
            List<?> slots = (List<?>) s.get("slots");
            for (int k = 0; k + 1 < slots.size(); k += 2) {
                int from = partitionOfSlot(((Long) slots.get(k)).intValue());
                int to = partitionOfSlot(((Long) slots.get(k + 1)).intValue());
                for (int p = from; p <= to; p++) {
                    out.put(p, nodes);
                }
            }
        }
        return out;
    }

    /** The partition of a key: CRC16 slot (hash tags honoured), then the slot's partition. */
    public int partitionOfKey(String key) {
        return partitionOfSlot(redis.clients.jedis.util.JedisClusterCRC16.getSlot(key));
    }

    private int partitionOfSlot(int slot) {
        return (int) ((long) slot * partitions / 16384);
    }

    private static Map<String, Object> flatMap(Object o) {
        List<?> flat = (List<?>) o; // RESP2: a map is a flat array of key, value, key, value...
        Map<String, Object> m = new LinkedHashMap<>();
        for (int k = 0; k + 1 < flat.size(); k += 2) {
            Object key = flat.get(k);
            m.put(key instanceof byte[] b ? SafeEncoder.encode(b) : String.valueOf(key), flat.get(k + 1));
        }
        return m;
    }

    /** Distinct free loopback ports: all sockets are held open together, so none is handed out twice. */
    public static int[] freePorts(int n) throws IOException {
        List<ServerSocket> open = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                open.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : open) {
                s.close();
            }
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < size(); i++) {
            try {
                kill(i);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                // keep closing the others
            }
        }
        network.close();
    }
}
