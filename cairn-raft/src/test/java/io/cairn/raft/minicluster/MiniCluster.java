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

/** N in-process {@link RaftNode}s on 127.0.0.1 ephemeral ports, each with its own memory engine, all hosting every partition. */
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

    MiniCluster(Path root, int size, int partitions, Map<String, String> overrides) {
        this.root = root;
        this.size = size;
        this.partitions = partitions;
        this.overrides = overrides;
        this.engines = new StorageEngine[size];
        this.nodes = new RaftNode[size];
        this.services = new ReplicatedCommandService[size];
        this.ports = new int[size];
    }

    MiniCluster start() throws Exception {
        for (int i = 0; i < size; i++) {
            startNode(i, 0);
        }
        peers = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            peers.add(nodes[i].peer());
            ports[i] = nodes[i].address().getPort();
        }
        joinAll(IntStream.range(0, size).toArray());
        return this;
    }

    private void startNode(int i, int port) throws IOException {
        Map<String, String> settings = new HashMap<>();
        settings.put(RaftConfig.STORAGE_DIR, root.resolve("n" + i).toString());
        settings.put(RaftConfig.PORT, Integer.toString(port));
        // Short elections keep failover tests quick; still well above a loopback round trip.
        settings.put(RaftConfig.ELECTION_TIMEOUT_MIN_MS, "400");
        settings.put(RaftConfig.ELECTION_TIMEOUT_MAX_MS, "800");
        settings.put(RaftConfig.CLIENT_RETRY_SLEEP_MS, "50");
        settings.putAll(overrides);
        settings.remove(COMMAND_TIMEOUT_MS);
        engines[i] = StorageEngines.open("memory", null, Map.of());
        CommandExecutor executor = new CommandExecutor(engines[i], partitions);
        nodes[i] = new RaftNode("n" + i, RaftConfig.from(settings), executor,
                new HybridLogicalClock(Clock.SYSTEM, 500));
        nodes[i].start();
        services[i] = new ReplicatedCommandService(nodes[i], Long.parseLong(overrides.getOrDefault(COMMAND_TIMEOUT_MS, "20000")));
    }

    private void joinAll(int[] which) {
        List<Integer> all = IntStream.range(0, partitions).boxed().toList();
        CompletableFuture.allOf(IntStream.of(which).mapToObj(i -> CompletableFuture.runAsync(() -> {
            try {
                nodes[i].joinPartitions(peers, all, Duration.ofSeconds(30));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        })).toArray(CompletableFuture[]::new)).join();
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
                for (int i = 0; i < size; i++) {
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

    @Override
    public void close() {
        for (int i = 0; i < size; i++) {
            if (nodes[i] != null) {
                stop(i);
            }
        }
    }
}
