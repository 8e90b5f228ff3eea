package io.cairn.cli.cluster;

import io.cairn.cli.process.ServerProcess;
import io.cairn.verify.runner.ClusterProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.SafeEncoder;

/**
 * Three real {@code cairn server} processes (child JVMs, the test classpath) forming one cluster on
 * loopback: RF 3, a few partitions, fresh data directories, free RESP and Raft ports. Nodes can be
 * killed with a real kill -9 and restarted on the same data directory and ports.
 */
final class LocalCluster implements AutoCloseable {
    static final int NODES = 3;
    static final int PARTITIONS = 4;
    /** Server-side bound on a command: a -TIMEOUT reply comes well before the client's socket timeout. */
    static final int COMMAND_TIMEOUT_MS = 3000;
    /** Client socket timeout: longer than the server's command timeout, so the server answers first. */
    static final int SOCKET_TIMEOUT_MS = COMMAND_TIMEOUT_MS + 3000;
    /** Keys hash to partitions at random: 48 keys miss one of 4 partitions with probability 4 * 0.75^48 < 1e-5. */
    private static final int PROBES_IN_A_ROW = 48;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    /** Lean child JVMs: this machine has 2 cores and is shared; C1 only and the serial GC keep thread and CPU use low. */
    private static final List<String> JVM_OPTIONS = List.of("-Xmx384m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
            "-Dio.netty.leakDetection.level=disabled");

    final String[] names = new String[NODES];
    final int[] respPorts = new int[NODES];
    final int[] raftPorts = new int[NODES];
    final Path[] dataDirs = new Path[NODES];
    private final ServerProcess[] servers = new ServerProcess[NODES];
    private final List<String> extraArgs;
    private final String peers;
    private final Path logDir;
    private final int[] generation = new int[NODES];

    /**
     * @param dir       parent of the nodes' data directories
     * @param logDir    where each node's output is saved when it stops (kept after the test)
     * @param extraArgs server arguments added on every node (e.g. {@code --durability RELAXED})
     */
    LocalCluster(Path dir, Path logDir, List<String> extraArgs) throws IOException {
        this.extraArgs = List.copyOf(extraArgs);
        this.logDir = logDir;
        int[] ports = ClusterProcesses.freePorts(2 * NODES);
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < NODES; i++) {
            names[i] = "n" + (i + 1);
            respPorts[i] = ports[i];
            raftPorts[i] = ports[NODES + i];
            dataDirs[i] = dir.resolve(names[i]);
            if (i > 0) {
                p.append(',');
            }
            p.append(names[i]).append("@127.0.0.1:").append(raftPorts[i]).append('/').append(respPorts[i]);
        }
        this.peers = p.toString();
        Files.createDirectories(logDir);
        try (var old = Files.list(logDir)) { // logs of an earlier run of the same test
            for (Path f : old.filter(f -> f.toString().endsWith(".log")).toList()) {
                Files.delete(f);
            }
        }
    }

    /**
     * The child JVMs' options; {@code -Dcairn.cluster.jvm-opts="..."} (space-separated) adds some, e.g.
     * {@code -Dorg.slf4j.simpleLogger.log.org.apache.ratis=info} to see Ratis's elections in the saved logs.
     */
    static List<String> jvmOptions() {
        List<String> o = new ArrayList<>(JVM_OPTIONS);
        String extra = System.getProperty("cairn.cluster.jvm-opts", "").trim();
        if (!extra.isEmpty()) {
            o.addAll(List.of(extra.split("\\s+")));
        }
        return o;
    }

    List<String> serverArgs(int i) {
        List<String> a = new ArrayList<>(List.of("--node-id", names[i], "--port", String.valueOf(respPorts[i]),
                "--peers", peers, "--data-dir", dataDirs[i].toString(), "--partitions", String.valueOf(PARTITIONS),
                "-s", "command-timeout-ms=" + COMMAND_TIMEOUT_MS,
                "-s", "raft.election.timeout-min-ms=500", "-s", "raft.election.timeout-max-ms=1000",
                "-s", "io-threads=1"));
        a.addAll(extraArgs);
        return a;
    }

    /** Starts every node (in parallel; a node is ready once its RESP port is bound, before any quorum). */
    void startAll() {
        List<CompletableFuture<Void>> starts = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            int n = i;
            starts.add(CompletableFuture.runAsync(() -> start(n)));
        }
        try {
            CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw new IllegalStateException("cluster start failed", e.getCause());
        }
    }

    void start(int i) {
        if (servers[i] != null && servers[i].process.isAlive()) {
            throw new IllegalStateException(names[i] + " is already running");
        }
        try {
            servers[i] = ServerProcess.startExact(respPorts[i], jvmOptions(), serverArgs(i), READY_TIMEOUT);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    ServerProcess server(int i) {
        return servers[i];
    }

    /** kill -9 of one node; returns once the process is gone. */
    void kill(int i) throws IOException, InterruptedException {
        servers[i].sigkill();
        servers[i].awaitExit();
        saveLog(i);
    }

    /** kill -9 of every node, the signals sent back-to-back by one kill(1); returns once all are gone. */
    void killAll() throws IOException, InterruptedException {
        ServerProcess.sigkillAll(List.of(servers));
        for (int i = 0; i < NODES; i++) {
            servers[i].awaitExit();
            saveLog(i);
        }
    }

    Jedis connect(int i) {
        return new Jedis(new HostAndPort("127.0.0.1", respPorts[i]), clientConfig());
    }

    static JedisClientConfig clientConfig() {
        return DefaultJedisClientConfig.builder().socketTimeoutMillis(SOCKET_TIMEOUT_MS).connectionTimeoutMillis(2000)
                .build();
    }

    /**
     * Polls until writes through each listed node are acknowledged for every partition (each has a
     * leader the node can reach): {@link #PROBES_IN_A_ROW} consecutive OKs on distinct keys. Throws
     * when the deadline passes.
     */
    void awaitWritable(List<Integer> nodes, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int n : nodes) {
            ClusterProcesses.awaitWritable(names[n], () -> connect(n), PROBES_IN_A_ROW, deadline);
        }
    }

    /** Slots led by each node, from CLUSTER NODES on {@code via} (a node lists the slots of the partitions it leads). */
    int[] ledSlots(int via) {
        int[] slots = new int[NODES];
        String nodes;
        try (Jedis j = connect(via)) {
            nodes = j.clusterNodes();
        }
        for (String line : nodes.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 8) {
                continue;
            }
            int port = Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1, f[1].indexOf('@')));
            int node = -1;
            for (int i = 0; i < NODES; i++) {
                if (respPorts[i] == port) {
                    node = i;
                }
            }
            for (int k = 8; k < f.length && node >= 0; k++) {
                String[] range = f[k].split("-");
                int lo = Integer.parseInt(range[0]);
                int hi = range.length > 1 ? Integer.parseInt(range[1]) : lo;
                slots[node] += hi - lo + 1;
            }
        }
        return slots;
    }

    /**
     * GETs {@code keys} through node {@code i} (pipelined, in batches) on one connection set to
     * {@code consistency} (null = the server's default, linearizable). Returns the value per key;
     * a key whose GET got an error reply maps to an {@link ErrorReply}.
     */
    Object[] readAll(int i, String consistency, List<String> keys) {
        Object[] out = new Object[keys.size()];
        try (Jedis j = connect(i)) {
            if (consistency != null) {
                Object reply = j.sendCommand(Protocol.Command.CLIENT, "CONSISTENCY", "READ", consistency);
                String r = reply instanceof byte[] b ? SafeEncoder.encode(b) : String.valueOf(reply);
                if (!"OK".equals(r)) {
                    throw new IllegalStateException("CLIENT CONSISTENCY READ " + consistency + " -> " + r);
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
                    } catch (redis.clients.jedis.exceptions.JedisDataException e) {
                        out[k] = new ErrorReply(e.getMessage());
                    }
                }
            }
        }
        return out;
    }

    record ErrorReply(String message) {}

    /**
     * Reads {@code expected}'s keys through node {@code i} until each one shows its expected value or
     * the timeout passes, and returns the keys that did not, with what was seen last. Error replies
     * and connection failures are retried; a missing key is retried only when {@code retryMissing}
     * (a STALE read may lag), else it is final (a linearizable read that misses a key is an answer).
     */
    java.util.Map<String, Object> readUntil(int i, String consistency, java.util.Map<String, String> expected,
                                            boolean retryMissing, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        java.util.Map<String, Object> wrong = new java.util.LinkedHashMap<>();
        List<String> pending = new ArrayList<>(expected.keySet());
        java.util.Map<String, Object> lastSeen = new java.util.HashMap<>();
        while (!pending.isEmpty()) {
            try {
                Object[] got = readAll(i, consistency, pending);
                List<String> again = new ArrayList<>();
                for (int k = 0; k < got.length; k++) {
                    String key = pending.get(k);
                    Object v = got[k];
                    if (expected.get(key).equals(v)) {
                        continue;
                    }
                    lastSeen.put(key, v);
                    if (v instanceof ErrorReply || (v == null && retryMissing)) {
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
        if (s == null) {
            return;
        }
        try {
            Files.write(logDir.resolve(names[i] + "-run" + (generation[i]++) + ".log"), s.output);
        } catch (IOException ignored) {
            // logs are a diagnostic aid only
        }
    }

    /** Lines of every node's output so far that look like trouble (ERROR, WARN, exceptions), for the report. */
    List<String> suspiciousOutput(int i) {
        ServerProcess s = servers[i];
        List<String> out = new ArrayList<>();
        if (s != null) {
            for (String line : s.output) {
                if (line.contains("ERROR") || line.contains("Exception") || line.contains("WARN")) {
                    out.add(line);
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        for (int i = 0; i < NODES; i++) {
            ServerProcess s = servers[i];
            if (s != null && s.process.isAlive()) {
                s.close();
                saveLog(i);
            }
        }
        for (ServerProcess s : servers) {
            if (s != null) {
                try {
                    s.process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
