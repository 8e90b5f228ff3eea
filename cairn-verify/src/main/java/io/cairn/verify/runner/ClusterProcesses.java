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
 */
public final class ClusterProcesses implements AutoCloseable {
    /** Server-side bound on one command; the client socket timeout is longer, so the server answers first. */
    public static final int COMMAND_TIMEOUT_MS = 3000;
    public static final int SOCKET_TIMEOUT_MS = COMMAND_TIMEOUT_MS + 2000;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final int PROBES_IN_A_ROW = 32;

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

    /**
     * @param nodes           3 or 5 (any count of at least 1 works)
     * @param partitions      partitions of the cluster (each one Raft group)
     * @param dir             parent of data directories, hosts files and logs
     * @param extraServerArgs server arguments added on every node (e.g. {@code --durability RELAXED})
     */
    public ClusterProcesses(NodeLauncher launcher, int nodes, int partitions, Path dir, List<String> extraServerArgs)
            throws IOException {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("nodes must be in 1..9, got " + nodes);
        }
        this.launcher = launcher;
        this.partitions = partitions;
        this.extraServerArgs = List.copyOf(extraServerArgs);
        this.respPorts = new int[nodes];
        this.raftPorts = new int[nodes];
        this.dataDirs = new Path[nodes];
        this.logFiles = new Path[nodes];
        this.processes = new Process[nodes];
        this.states = new State[nodes];
        int[] ports = freePorts(2 * nodes);
        Map<String, Integer> raftByName = new LinkedHashMap<>();
        Map<String, Integer> respByName = new HashMap<>();
        for (int i = 0; i < nodes; i++) {
            String name = "n" + (i + 1);
            names.add(name);
            respPorts[i] = ports[i];
            raftPorts[i] = ports[nodes + i];
            dataDirs[i] = dir.resolve("data").resolve(name);
            logFiles[i] = dir.resolve(name + ".log");
            states[i] = State.STOPPED;
            raftByName.put(name, raftPorts[i]);
            respByName.put(name, respPorts[i]);
        }
        Files.createDirectories(dir);
        this.network = FaultNetwork.start(names, raftByName, dir.resolve("hosts"));
        this.peers = network.peersSpec(respByName);
    }

    public int size() {
        return names.size();
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
        List<String> a = new ArrayList<>(List.of("--node-id", names.get(i), "--port", String.valueOf(respPorts[i]),
                "--peers", peers, "--data-dir", dataDirs[i].toString(), "--partitions", String.valueOf(partitions),
                "-s", "raft.host=127.0.0.1",
                "-s", "command-timeout-ms=" + COMMAND_TIMEOUT_MS,
                "-s", "raft.election.timeout-min-ms=500", "-s", "raft.election.timeout-max-ms=1000",
                "-s", "io-threads=1"));
        a.addAll(extraServerArgs);
        return a;
    }

    /** Starts every stopped node, in parallel; returns once each has bound its RESP port. */
    public void startAll() {
        List<CompletableFuture<Void>> starts = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            if (state(i) == State.STOPPED) {
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

    /** Starts node {@code i} on its data directory; returns once it printed "ready on". */
    public void start(int i) {
        synchronized (this) {
            if (states[i] != State.STOPPED) {
                throw new IllegalStateException(names.get(i) + " is " + states[i]);
            }
        }
        try {
            long offset = Files.exists(logFiles[i]) ? Files.size(logFiles[i]) : 0;
            List<String> jvm = List.of("-Djdk.net.hosts.file=" + network.hostsFile(names.get(i)));
            Process p = new ProcessBuilder(launcher.command(jvm, serverArgs(i)))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFiles[i].toFile()))
                    .start();
            synchronized (this) {
                processes[i] = p;
                states[i] = State.RUNNING;
            }
            awaitReady(i, p, offset);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
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
        for (int n = 0; n < size(); n++) {
            if (state(n) == State.RUNNING) {
                int node = n;
                awaitWritable(names.get(n), () -> connect(node), PROBES_IN_A_ROW, deadline);
            }
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
        for (int via = 0; via < size(); via++) {
            if (state(via) != State.RUNNING) {
                continue;
            }
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
