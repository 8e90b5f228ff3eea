package io.cairn.grpc;

import static io.cairn.grpc.GrpcTestNode.bytes;
import static io.cairn.grpc.GrpcTestNode.errorInfo;
import static io.cairn.grpc.GrpcTestNode.expectStatus;
import static io.cairn.grpc.GrpcTestNode.hasRetryInfo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cairn.api.clock.Clock;
import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.api.consistency.Durability;
import io.cairn.api.grpc.BatchRequest;
import io.cairn.api.grpc.Entry;
import io.cairn.api.grpc.GetRequest;
import io.cairn.api.grpc.GetResponse;
import io.cairn.api.grpc.KeyValueGrpc;
import io.cairn.api.grpc.PartitionInfo;
import io.cairn.api.grpc.PutRequest;
import io.cairn.api.grpc.ReadConsistency;
import io.cairn.api.grpc.RequestOptions;
import io.cairn.api.grpc.ScanRequest;
import io.cairn.api.grpc.ScanResponse;
import io.cairn.api.grpc.TopologyRequest;
import io.cairn.api.grpc.TopologyResponse;
import io.cairn.commands.CommandExecutor;
import io.cairn.raft.RaftConfig;
import io.cairn.raft.RaftNode;
import io.cairn.raft.ReplicatedCommandService;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.ratis.protocol.RaftPeer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gRPC API on a real 3-node cluster in this JVM: three RaftNodes (every partition replicated on
 * all three, Ratis over loopback), a {@link ReplicatedCommandService} and a {@link GrpcServer} per
 * node, and a channel to each. Writes through one node are read through the others with the same
 * versions, a Scan cursor resumes on another node without repeats, concurrent conflicting Execute
 * requests through all nodes stay atomic, and with two nodes gone the survivor answers
 * UNAVAILABLE (NO_QUORUM, with a retry hint) for linearizable calls, long before the command
 * timeout, while STALE reads still work.
 */
@Timeout(150)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GrpcClusterTest {
    static final int NODES = 3;
    static final int PARTITIONS = 2;
    /** The services' command timeout: generous, so a leader change under load does not fail a test call. */
    static final long COMMAND_TIMEOUT_MS = 15_000;

    private final StorageEngine[] engines = new StorageEngine[NODES];
    private final RaftNode[] nodes = new RaftNode[NODES];
    private final ReplicatedCommandService[] services = new ReplicatedCommandService[NODES];
    private final GrpcServer[] servers = new GrpcServer[NODES];
    private final ManagedChannel[] channels = new ManagedChannel[NODES];

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        for (int i = 0; i < NODES; i++) {
            engines[i] = StorageEngines.open("memory", null, Map.of());
            Map<String, String> settings = new HashMap<>();
            settings.put(RaftConfig.STORAGE_DIR, dir.resolve("n" + i).toString());
            settings.put(RaftConfig.PORT, "0");
            // Elections slow enough not to churn on a loaded 2-core machine (JVM pauses of 0.4 s were seen).
            settings.put(RaftConfig.ELECTION_TIMEOUT_MIN_MS, "1500");
            settings.put(RaftConfig.ELECTION_TIMEOUT_MAX_MS, "3000");
            settings.put(RaftConfig.CLIENT_RETRY_SLEEP_MS, "50");
            nodes[i] = new RaftNode("n" + i, RaftConfig.from(settings), new CommandExecutor(engines[i], PARTITIONS),
                    new HybridLogicalClock(Clock.SYSTEM, 500));
            nodes[i].start();
        }
        List<RaftPeer> peers = IntStream.range(0, NODES).mapToObj(i -> nodes[i].peer()).toList();
        Map<Integer, List<RaftPeer>> placement = new TreeMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            placement.put(p, peers);
        }
        CompletableFuture.allOf(IntStream.range(0, NODES).mapToObj(i -> CompletableFuture.runAsync(() -> {
            try {
                nodes[i].join(placement, Duration.ofSeconds(60));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        })).toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
        for (int i = 0; i < NODES; i++) {
            RaftNode node = nodes[i];
            services[i] = new ReplicatedCommandService(node, COMMAND_TIMEOUT_MS);
            servers[i] = GrpcServer.start(GrpcSettings.DEFAULTS.withAddress("127.0.0.1", 0), services[i],
                    new GrpcEndpoints(node.nodeId(), PARTITIONS, Durability.STRICT, () -> readiness(node),
                            () -> topology(node)));
            channels[i] = ManagedChannelBuilder.forAddress("127.0.0.1", servers[i].port()).usePlaintext().build();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!IntStream.range(0, NODES).allMatch(i -> readiness(nodes[i]).ready())) {
            assertTrue(System.nanoTime() < deadline, "no leader for every partition after 60 s");
            Thread.sleep(50);
        }
    }

    /** Ready when every partition has a known leader: what cairn server's readiness hook checks. */
    private static GrpcEndpoints.Readiness readiness(RaftNode node) {
        for (int p = 0; p < PARTITIONS; p++) {
            if (node.leaderOf(p) == null) {
                return GrpcEndpoints.Readiness.notReady("partition " + p + " has no known leader");
            }
        }
        return GrpcEndpoints.Readiness.READY;
    }

    private static TopologyResponse topology(RaftNode node) {
        TopologyResponse.Builder t = TopologyResponse.newBuilder().setNodeId(node.nodeId()).setState("ok")
                .setPartitionCount(PARTITIONS);
        for (int p = 0; p < PARTITIONS; p++) {
            String leader = node.leaderOf(p);
            t.addPartitions(PartitionInfo.newBuilder().setIndex(p)
                    .setFirstSlot(io.cairn.storage.SlotHash.firstSlotOf(p, PARTITIONS))
                    .setLastSlot(io.cairn.storage.SlotHash.lastSlotOf(p, PARTITIONS))
                    .setLeaderId(leader == null ? "" : leader));
        }
        return t.build();
    }

    @AfterAll
    void stop() {
        for (int i = 0; i < NODES; i++) {
            stopNode(i);
        }
    }

    private void stopNode(int i) {
        if (channels[i] != null) {
            channels[i].shutdownNow();
            channels[i] = null;
        }
        if (servers[i] != null) {
            servers[i].close();
            servers[i] = null;
        }
        if (services[i] != null) {
            services[i].close();
            services[i] = null;
        }
        if (nodes[i] != null) {
            nodes[i].close();
            nodes[i] = null;
        }
        if (engines[i] != null) {
            engines[i].close();
            engines[i] = null;
        }
    }

    private KeyValueGrpc.KeyValueBlockingStub kv(int node) {
        return KeyValueGrpc.newBlockingStub(channels[node]).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    @Test
    @Order(1)
    void writesThroughOneNodeAreReadThroughEveryNodeWithTheSameVersion() {
        kv(0).put(PutRequest.newBuilder().setKey(bytes("c:k")).setValue(bytes("v1")).build());
        GetResponse at1 = kv(1).get(GetRequest.newBuilder().setKey(bytes("c:k")).setIncludeVersion(true).build());
        GetResponse at2 = kv(2).get(GetRequest.newBuilder().setKey(bytes("c:k")).setIncludeVersion(true).build());
        assertEquals("v1", at1.getValue().toStringUtf8());
        assertTrue(at1.getVersion() > 0);
        assertEquals(at1.getVersion(), at2.getVersion(), "a record's version is the same on every node");
        // The version read on one node guards a write through another.
        kv(2).put(PutRequest.newBuilder().setKey(bytes("c:k")).setValue(bytes("v2")).setIfVersion(at1.getVersion()).build());
        StatusRuntimeException stale = expectStatus(Status.Code.FAILED_PRECONDITION, () -> kv(1).put(PutRequest
                .newBuilder().setKey(bytes("c:k")).setValue(bytes("v3")).setIfVersion(at1.getVersion()).build()));
        assertEquals("CONDITION_FAILED", errorInfo(stale).getReason());
        assertEquals("v2", kv(0).get(GetRequest.newBuilder().setKey(bytes("c:k")).build()).getValue().toStringUtf8());

        // Batch: atomic within a hash tag, refused across partitions on a cluster as on one node.
        kv(1).batch(BatchRequest.newBuilder().addOperations(KeyValueApiTest.putOp("{c}1", "a"))
                .addOperations(KeyValueApiTest.putOp("{c}2", "b")).build());
        assertEquals("b", kv(2).get(GetRequest.newBuilder().setKey(bytes("{c}2")).build()).getValue().toStringUtf8());
        expectStatus(Status.Code.INVALID_ARGUMENT, () -> kv(1).batch(BatchRequest.newBuilder()
                .addOperations(KeyValueApiTest.putOp("x1", "a")).addOperations(KeyValueApiTest.putOp("x2", "b")).build()));

        for (int i = 0; i < NODES; i++) {
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(channels[i])
                    .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus());
            TopologyResponse t = io.cairn.api.grpc.ClusterGrpc.newBlockingStub(channels[i])
                    .withDeadlineAfter(10, TimeUnit.SECONDS).topology(TopologyRequest.getDefaultInstance());
            assertEquals("n" + i, t.getNodeId());
            assertEquals(PARTITIONS, t.getPartitionsCount());
        }
    }

    @Test
    @Order(2)
    void aScanCursorResumesOnAnotherNodeWithoutRepeatsOrGaps() {
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 48; i++) {
            String key = String.format("scan:%03d", i);
            expected.add(key);
            kv(i % NODES).put(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes("v" + i)).build());
        }
        Set<String> seen = new HashSet<>();
        ByteString cursor = ByteString.EMPTY;
        boolean done = false;
        int calls = 0;
        while (!done) {
            // Each call on the next node: the SCAN cursor tokens of one node mean nothing on another.
            List<ScanResponse> pages = new ArrayList<>();
            kv(calls % NODES).scan(ScanRequest.newBuilder().setPrefix(bytes("scan:")).setLimit(10).setPageSize(4)
                    .setCursor(cursor).setIncludeValues(true).build()).forEachRemaining(pages::add);
            for (ScanResponse page : pages) {
                for (Entry e : page.getEntriesList()) {
                    String key = e.getKey().toStringUtf8();
                    assertTrue(seen.add(key), key + " returned twice");
                    assertEquals("v" + Integer.parseInt(key.substring(5)), e.getValue().toStringUtf8());
                }
            }
            ScanResponse last = pages.get(pages.size() - 1);
            cursor = last.getCursor();
            done = last.getDone();
            calls++;
            assertTrue(calls < 200, "scan never finished");
        }
        assertEquals(expected, seen);
    }

    @Test
    @Order(3)
    void concurrentConflictingExecutesThroughEveryNodeStayAtomic() throws Exception {
        kv(0).put(PutRequest.newBuilder().setKey(bytes("{acct}a")).setValue(bytes("1000")).build());
        kv(0).put(PutRequest.newBuilder().setKey(bytes("{acct}b")).setValue(bytes("0")).build());
        int perWriter = 15;
        ExecutorService pool = Executors.newFixedThreadPool(NODES + 1);
        try {
            List<Future<Integer>> writers = new ArrayList<>();
            for (int w = 0; w < NODES; w++) {
                int node = w;
                writers.add(pool.submit(() -> {
                    int retries = 0;
                    for (int i = 0; i < perWriter; i++) {
                        retries += ExecuteAtomicityTest.transfer(kv(node),
                                ExecuteAtomicityTest.incrementTransfer("{acct}a", "{acct}b"));
                    }
                    return retries;
                }));
            }
            Future<Integer> reads = pool.submit(() ->
                    ExecuteAtomicityTest.readers(i -> kv(i % NODES), "{acct}a", "{acct}b", 1000, 45));
            int retries = 0;
            for (Future<Integer> f : writers) {
                retries += f.get();
            }
            assertEquals(45, reads.get());
            System.out.println("GrpcClusterTest: " + NODES * perWriter + " transfers through " + NODES + " nodes, "
                    + retries + " optimistic retries");
        } finally {
            pool.shutdownNow();
        }
        int moved = NODES * perWriter;
        for (int i = 0; i < NODES; i++) {
            assertEquals(Long.toString(1000 - moved),
                    kv(i).get(GetRequest.newBuilder().setKey(bytes("{acct}a")).build()).getValue().toStringUtf8());
            assertEquals(Long.toString(moved),
                    kv(i).get(GetRequest.newBuilder().setKey(bytes("{acct}b")).build()).getValue().toStringUtf8());
        }
    }

    @Test
    @Order(4)
    void withoutQuorumLinearizableCallsFailWithRetryableStatusesAndStaleReadsStillWork() {
        kv(0).put(PutRequest.newBuilder().setKey(bytes("q:k")).setValue(bytes("before")).build());
        // Every replica applies it before two of them go away, so node 0 has it for a STALE read.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        RequestOptions stale = RequestOptions.newBuilder().setRead(ReadConsistency.READ_CONSISTENCY_STALE).build();
        while (!kv(0).get(GetRequest.newBuilder().setKey(bytes("q:k")).setOptions(stale).build()).getFound()) {
            assertTrue(System.nanoTime() < until, "node 0 never applied the write");
        }
        stopNode(1);
        stopNode(2);
        // The service's command timeout (20 s) is far beyond raft.no-quorum-after-ms (2 x the 3 s election
        // maximum): node 0's replica, hearing from no leader for that long, answers UNAVAILABLE first.
        try (ReplicatedCommandService impatient = new ReplicatedCommandService(nodes[0], 20_000);
             GrpcServer server = GrpcServer.start(GrpcSettings.DEFAULTS.withAddress("127.0.0.1", 0), impatient,
                     new GrpcEndpoints("n0", PARTITIONS, Durability.STRICT, () -> readiness(nodes[0]),
                             () -> topology(nodes[0])))) {
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                KeyValueGrpc.KeyValueBlockingStub kv = KeyValueGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(30, TimeUnit.SECONDS);
                long start = System.nanoTime();
                StatusRuntimeException write = assertThrowsStatus(() -> kv.put(PutRequest.newBuilder()
                        .setKey(bytes("q:k")).setValue(bytes("after")).build()));
                long writeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                checkNoQuorumStatus(write, true);
                start = System.nanoTime();
                StatusRuntimeException read = assertThrowsStatus(() -> kv.get(GetRequest.newBuilder()
                        .setKey(bytes("q:k")).build()));
                long readMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                checkNoQuorumStatus(read, false);
                // Told within about no-quorum-after (6 s) plus a probe interval, not after the 20 s command timeout.
                assertTrue(writeMs < 15_000 && readMs < 15_000, "answered after " + writeMs + " / " + readMs + " ms");
                System.out.println("GrpcClusterTest without quorum: write " + write.getStatus().getCode() + " "
                        + errorInfo(write).getReason() + " after " + writeMs + " ms, read " + read.getStatus().getCode() + " "
                        + errorInfo(read).getReason() + " after " + readMs + " ms");
                GetResponse staleRead = kv.get(GetRequest.newBuilder().setKey(bytes("q:k")).setOptions(stale).build());
                assertEquals("before", staleRead.getValue().toStringUtf8());
            } finally {
                channel.shutdownNow();
            }
        }
    }

    private static StatusRuntimeException assertThrowsStatus(org.junit.jupiter.api.function.Executable call) {
        return org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, call);
    }

    /** UNAVAILABLE, reason NO_QUORUM, with a retry hint; a write's outcome marked unknown. */
    private static void checkNoQuorumStatus(StatusRuntimeException e, boolean write) {
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), "status " + e.getStatus());
        assertEquals("NO_QUORUM", errorInfo(e).getReason(), "status " + e.getStatus());
        assertTrue(hasRetryInfo(e), "UNAVAILABLE carries a retry hint: " + e.getStatus());
        if (write) {
            assertEquals("true", errorInfo(e).getMetadataOrDefault("outcome_unknown", "false"),
                    "a write without quorum may still commit later: " + e.getStatus());
        }
    }
}
