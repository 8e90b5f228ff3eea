package io.cairn.cli;

import io.cairn.raft.RaftNode;
import io.cairn.server.CairnServer;
import io.cairn.server.ServerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * Starts a local 3-node cluster (replication factor 3, memory engine, Raft logs on disk in a
 * temporary directory) inside this process, drives a small workload through a real Redis client
 * spread over the nodes, prints the partition/leader table and how to connect, then serves until
 * interrupted. Each node is a full cluster member with its own RESP and Raft ports.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start a local 3-node cluster, run a small workload, print topology and how to connect with redis-cli.")
final class DemoCommand implements Callable<Integer> {
    private static final int NODES = 3;

    @Option(names = "--port", description = "RESP port of the first node; the others follow (default 6380, free ports if taken).")
    int port = 6380;

    @Option(names = "--keys", description = "Keys the workload writes (default 20000).")
    int keys = 20_000;

    @Option(names = "--duration", description = "Seconds to keep serving after the workload; -1 = until Ctrl-C (default).")
    long durationSeconds = -1;

    @Option(names = "--verbose", description = "Show the nodes' logs (default: warnings of Cairn only).")
    boolean verbose;

    /** Keeps the demo's screen readable: three nodes' INFO logs and Ratis's shutdown noise would bury the output. */
    private void quietLogs() {
        if (verbose) {
            return;
        }
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.ratis", "off");
        java.util.logging.Logger.getLogger("org.apache.ratis").setLevel(java.util.logging.Level.SEVERE);
    }

    @Override
    public Integer call() throws Exception {
        quietLogs();
        if (keys < 1 || keys > 10_000_000) {
            System.err.println("cairn demo: --keys must be in 1..10000000");
            return 1;
        }
        Path dir = Files.createTempDirectory("cairn-demo-");
        int[] respPorts = new int[NODES];
        int[] raftPorts = new int[NODES];
        for (int i = 0; i < NODES; i++) {
            respPorts[i] = portFree(port + i) ? port + i : freePort();
            raftPorts[i] = freePort();
        }
        int[] httpPorts = new int[NODES];
        int[] grpcPorts = new int[NODES];
        for (int i = 0; i < NODES; i++) {
            httpPorts[i] = freePort();
            grpcPorts[i] = freePort();
        }
        System.out.println("starting a " + NODES + "-node elastic cluster (n1 bootstraps it, the others join; replication"
                + " factor 3, memory engine, Raft logs in " + dir + ")");
        List<CairnServer> servers = new ArrayList<>();
        java.util.concurrent.CountDownLatch stopping = new java.util.concurrent.CountDownLatch(1);
        // Once, whoever comes first (the signal thread on SIGTERM, or this thread when --duration ends or
        // start-up fails); the other waits for it: two concurrent deletions of the data directory made the
        // loser's walk fail and the demo exit 1 after a clean SIGTERM.
        java.util.concurrent.atomic.AtomicBoolean stopStarted = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        Runnable stopAll = () -> {
            stopping.countDown(); // ends the --duration wait at once on SIGTERM
            if (!stopStarted.compareAndSet(false, true)) {
                try {
                    stopped.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            try {
                servers.forEach(CairnServer::close);
                deleteRecursively(dir);
            } finally {
                stopped.countDown();
            }
        };
        ShutdownSignals.closeOnTermination(stopAll);
        try {
            // n1 bootstraps the cluster (controller and every partition on one node); n2 and n3 join through
            // it and the controller moves replicas onto them until each partition has three.
            for (int i = 0; i < NODES; i++) {
                Map<String, String> flags = new LinkedHashMap<>();
                flags.put("node-id", "n" + (i + 1));
                flags.put("port", String.valueOf(respPorts[i]));
                flags.put("raft-port", String.valueOf(raftPorts[i]));
                flags.put("http.port", String.valueOf(httpPorts[i]));
                flags.put("grpc.port", String.valueOf(grpcPorts[i]));
                if (i == 0) {
                    flags.put("bootstrap", "yes");
                } else {
                    flags.put("join", "127.0.0.1:" + raftPorts[0]);
                }
                flags.put("data-dir", dir.resolve("n" + (i + 1)).toString());
                // Short control periods: a demo should settle in seconds, not in production's calmer rhythm.
                flags.put("cluster.heartbeat-interval-ms", "300");
                flags.put("cluster.controller.loop-interval-ms", "300");
                flags.put("cluster.reconcile-interval-ms", "500");
                servers.add(CairnServer.start(ServerConfig.load(null, flags, List.of(), Map.of())));
            }
            awaitReplicated(servers.get(0), 120_000);
            int partitions = servers.get(0).config().intValue("partitions");
            awaitLeaders(servers, partitions, 60_000);
            runWorkload(respPorts);
            System.out.println();
            printPartitionTable(servers.get(0).raft(), partitions);
            try (Jedis jedis = new Jedis("127.0.0.1", respPorts[0])) {
                System.out.println();
                System.out.println("topology (CLUSTER NODES on n1; each node is listed as master of the slots it leads):");
                System.out.print(jedis.clusterNodes());
            }
            System.out.println();
            System.out.println("every node serves every key; connect to any of them:");
            for (int i = 0; i < NODES; i++) {
                System.out.println("  redis-cli -p " + respPorts[i] + "        (n" + (i + 1) + ")");
            }
            System.out.println("for example:    redis-cli -p " + respPorts[1] + " GET demo:key:42");
            System.out.println("cluster-aware:  redis-cli -c -p " + respPorts[0] + " CLUSTER SLOTS");
            System.out.println("cairn CLI:      ./cairn get -p " + respPorts[1] + " demo:key:42     ./cairn topology -p "
                    + respPorts[0] + "     ./cairn repl -p " + respPorts[2]);
            System.out.println("HTTP/JSON:      curl -s localhost:" + httpPorts[0] + "/v1/kv/demo:key:42     curl -s localhost:"
                    + httpPorts[1] + "/v1/topology     curl -s localhost:" + httpPorts[2] + "/metrics");
            System.out.println("gRPC:           127.0.0.1:" + grpcPorts[0] + " 127.0.0.1:" + grpcPorts[1] + " 127.0.0.1:"
                    + grpcPorts[2] + "   (cairn.v1.KeyValue, cairn.v1.Cluster, grpc.health.v1.Health; protos in cairn-api)");
            System.out.println("grow/shrink:    ./cairn join 127.0.0.1:" + raftPorts[0] + " --node-id n4 --raft-port <free port>"
                    + " --port <free port> --data-dir <dir>     ./cairn leave -p " + respPorts[0] + " --node n4 --wait");
            System.out.println("consistency:    redis-cli -p " + respPorts[2]
                    + " CLIENT CONSISTENCY   (READ LINEARIZABLE|LEASE|FOLLOWER|STALE, WRITE MAJORITY|ALL)");
            if (durationSeconds >= 0) {
                stopping.await(durationSeconds, java.util.concurrent.TimeUnit.SECONDS);
                stopAll.run();
            } else {
                System.out.println("serving until Ctrl-C");
            }
            for (CairnServer s : servers) {
                s.awaitTermination();
            }
        } catch (Exception | Error e) {
            stopAll.run();
            throw e;
        }
        return 0;
    }

    /** Until the controller has given every partition its three replicas and no move is under way. */
    private static void awaitReplicated(CairnServer server, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (true) {
            io.cairn.cluster.ClusterMap map = server.agent().map();
            int rf = map.settings() == null ? 3 : map.settings().replicationFactor();
            long placed = map.partitions().stream().filter(p -> p.move() == null && p.replicas().size() == rf).count();
            if (placed == map.partitions().size() && !map.partitions().isEmpty()) {
                System.out.printf("\rreplicas placed: %d of %d partitions have %d replicas (map epoch %d)%n", placed,
                        map.partitions().size(), rf, map.epoch());
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException((map.partitions().size() - placed) + " partitions still without "
                        + rf + " replicas after " + timeoutMillis + " ms");
            }
            System.out.printf("\rplacing replicas: %d of %d partitions have %d replicas (map epoch %d)", placed,
                    map.partitions().size(), rf, map.epoch());
            Thread.sleep(200);
        }
    }

    private static void awaitLeaders(List<CairnServer> servers, int partitions, long timeoutMillis)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (true) {
            int missing = 0;
            for (int p = 0; p < partitions; p++) {
                if (servers.get(0).raft().leaderOf(p) == null) {
                    missing++;
                }
            }
            if (missing == 0) {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException(missing + " partitions still have no leader after " + timeoutMillis + " ms");
            }
            System.out.printf("\rwaiting for leader elections: %d of %d partitions have a leader", partitions - missing,
                    partitions);
            Thread.sleep(100);
        }
    }

    /** Writes through every node in turn (pipelined), reads a sample back through another node. */
    private void runWorkload(int[] ports) {
        long start = System.nanoTime();
        int batch = 500;
        List<Jedis> clients = new ArrayList<>();
        try {
            for (int p : ports) {
                clients.add(new Jedis("127.0.0.1", p));
            }
            int round = 0;
            for (int done = 0; done < keys; round++) {
                int n = Math.min(batch, keys - done);
                Pipeline pipe = clients.get(round % clients.size()).pipelined();
                for (int i = done; i < done + n; i++) {
                    pipe.set("demo:key:" + i, "value-" + i);
                }
                pipe.sync();
                done += n;
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("\rworkload: SET %d/%d through n%d  (%.0f writes/s)", done, keys,
                        round % clients.size() + 1, done / Math.max(seconds, 1e-3));
            }
            int mismatches = 0;
            int sampled = 0;
            for (int i = 0; i < keys; i += Math.max(1, keys / 1000)) {
                String v = clients.get(i % clients.size()).get("demo:key:" + i);
                sampled++;
                if (!("value-" + i).equals(v)) {
                    mismatches++;
                }
            }
            for (int i = 0; i < 100; i++) {
                clients.get(i % clients.size()).incr("demo:counter");
            }
            clients.get(0).setex("demo:ephemeral".getBytes(StandardCharsets.UTF_8), 60,
                    "gone in a minute".getBytes(StandardCharsets.UTF_8));
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("\rworkload: SET %d keys through all nodes, read back %d through other nodes (%d mismatches),"
                    + " INCR x100 -> %s, in %.2f s%n", keys, sampled, mismatches, clients.get(2).get("demo:counter"), seconds);
            if (mismatches > 0) {
                throw new IllegalStateException("demo read back wrong values: " + mismatches);
            }
        } finally {
            clients.forEach(Jedis::close);
        }
    }

    private static void printPartitionTable(RaftNode raft, int partitions) {
        System.out.println("partition  slots          replicas      leader");
        for (int p = 0; p < partitions; p++) {
            int first = io.cairn.storage.SlotHash.firstSlotOf(p, partitions);
            int last = io.cairn.storage.SlotHash.lastSlotOf(p, partitions);
            String replicas = raft.replicas(p).stream().map(peer -> peer.getId().toString()).sorted()
                    .collect(Collectors.joining(","));
            System.out.printf("%-10d %-14s %-13s %s%n", p, first + "-" + last, replicas, raft.leaderOf(p));
        }
    }

    private static boolean portFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // best effort: a temp dir (a file may vanish under the walk)
        }
    }
}
