package io.cairn.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.cairn.api.grpc.GetRequest;
import io.cairn.api.grpc.GetResponse;
import io.cairn.api.grpc.KeyValueGrpc;
import io.cairn.api.grpc.PutRequest;
import io.cairn.api.grpc.PutResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link GrpcTarget} against a real gRPC server on 127.0.0.1 serving an in-test {@code
 * cairn.v1.KeyValue} (a map, with injectable holds and error statuses; a unit test: the target
 * against a real Cairn node is cairn-cli's BenchCommandTest): each operation's calls, the window of
 * calls in flight, read-modify-write ordering, Cairn's statuses as per-operation errors, a lost
 * connection and a missed deadline as connection failures, and the probe.
 */
@Timeout(60)
class GrpcTargetTest {
    private static final int TIMEOUT_MS = 5_000;

    /** A KeyValue service over a map that counts calls in flight and can hold or fail calls. */
    static final class MapService extends KeyValueGrpc.KeyValueImplBase {
        final ConcurrentHashMap<ByteString, ByteString> data = new ConcurrentHashMap<>();
        /** "GET key" / "PUT key" in the order calls arrived. */
        final List<String> log = new CopyOnWriteArrayList<>();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        /**
         * The first calls wait here until the latch's count of calls arrived or {@link #GATE_MS} passed,
         * whichever is first; then the gate opens for good. Shows how many calls the client sends at once.
         */
        final AtomicReference<CountDownLatch> gate = new AtomicReference<>();
        static final long GATE_MS = 1_000;
        /** Keys whose calls are never answered (the client's deadline must end them). */
        final List<ByteString> unanswered = new CopyOnWriteArrayList<>();
        /** Keys that get Cairn's NO_QUORUM status (with ErrorInfo), and keys that get a bare INVALID_ARGUMENT. */
        final List<ByteString> noQuorum = new CopyOnWriteArrayList<>();
        final List<ByteString> invalid = new CopyOnWriteArrayList<>();

        @Override
        public void get(GetRequest request, StreamObserver<GetResponse> reply) {
            log.add("GET " + request.getKey().toStringUtf8());
            if (!enter(request.getKey(), reply)) {
                return;
            }
            ByteString value = data.get(request.getKey());
            GetResponse.Builder r = GetResponse.newBuilder().setFound(value != null);
            if (value != null) {
                r.setValue(value);
            }
            inFlight.decrementAndGet(); // before the reply: the client may send its next call as soon as it has it
            reply.onNext(r.build());
            reply.onCompleted();
        }

        @Override
        public void put(PutRequest request, StreamObserver<PutResponse> reply) {
            log.add("PUT " + request.getKey().toStringUtf8());
            if (!enter(request.getKey(), reply)) {
                return;
            }
            data.put(request.getKey(), request.getValue());
            inFlight.decrementAndGet();
            reply.onNext(PutResponse.getDefaultInstance());
            reply.onCompleted();
        }

        /** Counts the call in, waits at the gate, answers injected failures; false when answered (or never will be). */
        private boolean enter(ByteString key, StreamObserver<?> reply) {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            CountDownLatch g = gate.get();
            if (g != null) {
                g.countDown();
                try {
                    g.await(GATE_MS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                gate.compareAndSet(g, null);
            }
            if (unanswered.contains(key)) {
                inFlight.decrementAndGet();
                return false;
            }
            if (noQuorum.contains(key)) {
                inFlight.decrementAndGet();
                com.google.rpc.Status s = com.google.rpc.Status.newBuilder().setCode(Status.Code.UNAVAILABLE.value())
                        .setMessage("NOQUORUM no quorum for partition 3")
                        .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain("cairn.io").setReason("NO_QUORUM").build()))
                        .build();
                reply.onError(StatusProto.toStatusRuntimeException(s));
                return false;
            }
            if (invalid.contains(key)) {
                inFlight.decrementAndGet();
                reply.onError(Status.INVALID_ARGUMENT.withDescription("key: too long").asRuntimeException());
                return false;
            }
            return true;
        }
    }

    /** What a batch's completions said, per operation index. */
    static final class Outcomes implements Target.Completion {
        final List<Integer> order = new ArrayList<>();
        final String[] errors;
        final Boolean[] found;

        Outcomes(int n) {
            errors = new String[n];
            found = new Boolean[n];
        }

        @Override
        public void completed(int index, String error, boolean hit, long doneNanos) {
            assertNull(found[index], "operation " + index + " completed twice");
            order.add(index);
            errors[index] = error;
            found[index] = hit;
        }
    }

    private final MapService service = new MapService();
    private Server server;

    private String start() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(service).build().start();
        return "127.0.0.1:" + server.getPort();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static byte[] key(String k) {
        return k.getBytes(StandardCharsets.UTF_8);
    }

    private static ByteString bs(String s) {
        return ByteString.copyFromUtf8(s);
    }

    private static Operation op(OperationType type, String... keys) {
        byte[][] k = new byte[keys.length][];
        for (int i = 0; i < keys.length; i++) {
            k[i] = key(keys[i]);
        }
        return new Operation(type, 0, k, type.isWrite() ? key("v-" + keys[0]) : null, 0);
    }

    @Test
    void eachOperationMapsToItsCallsAndReadsSeeTheWrites() throws Exception {
        GrpcTarget target = new GrpcTarget(List.of(start()), TIMEOUT_MS, 64);
        target.probe();
        assertEquals(List.of("GET cairn-bench:probe"), service.log, "the probe reads one key");
        service.log.clear();
        service.data.put(bs("a"), bs("old-a"));
        service.data.put(bs("s1"), bs("1"));
        service.data.put(bs("s2"), bs("2"));
        try (Target.Connection c = target.connect(0, 0)) {
            List<Operation> batch = List.of(
                    op(OperationType.READ, "a"),
                    op(OperationType.READ, "missing"),
                    op(OperationType.UPDATE, "b"),
                    op(OperationType.INSERT, "c"),
                    op(OperationType.SCAN, "s1", "s2"),
                    op(OperationType.SCAN, "s1", "nope", "s2"),
                    op(OperationType.READ_MODIFY_WRITE, "a"));
            Outcomes out = new Outcomes(batch.size());
            c.execute(batch, out);
            assertEquals(batch.size(), out.order.size(), "every operation completed once");
            for (int i = 0; i < batch.size(); i++) {
                assertNull(out.errors[i], "operation " + i);
            }
            assertEquals(List.of(true, false, true, true, true, false, true), List.of(out.found));
            assertEquals(bs("v-b"), service.data.get(bs("b")));
            assertEquals(bs("v-c"), service.data.get(bs("c")));
            assertEquals(bs("v-a"), service.data.get(bs("a")), "the read-modify-write wrote");
            // A scan is one Get per record; the read-modify-write's Put only after its Get was answered.
            assertEquals(1 + 1 + 2 + 3 + 1, service.log.stream().filter(l -> l.startsWith("GET")).count(), service.log.toString());
            assertEquals(3, service.log.stream().filter(l -> l.startsWith("PUT")).count(), service.log.toString());
            assertTrue(service.log.indexOf("PUT a") > service.log.indexOf("GET a"), "the read-modify-write's write follows its read");
        }
    }

    @Test
    void callsInFlightReachButNeverExceedTheWindow() throws Exception {
        int window = 4;
        GrpcTarget target = new GrpcTarget(List.of(start()), TIMEOUT_MS, window);
        // Holds the first calls until one more than the window is in, or a second passed: a client
        // that respects the window never gets that far, one that does not is caught.
        service.gate.set(new CountDownLatch(window + 1));
        try (Target.Connection c = target.connect(0, 0)) {
            List<Operation> batch = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                batch.add(op(OperationType.UPDATE, "k" + i));
            }
            // When the scan's first read goes out at most the last window - 1 writes are unanswered.
            batch.add(op(OperationType.SCAN, "k0", "k1", "k2", "k3", "k4", "k5"));
            Outcomes out = new Outcomes(batch.size());
            c.execute(batch, out);
            assertEquals(batch.size(), out.order.size());
            assertEquals(window, service.maxInFlight.get(), "the client keeps exactly the window's calls in flight");
            assertTrue(out.found[12], "the scan read every record written before it in the same batch");
        }
    }

    @Test
    void cairnStatusesFailTheOperationAndTheConnectionCarriesOn() throws Exception {
        GrpcTarget target = new GrpcTarget(List.of(start()), TIMEOUT_MS, 16);
        service.noQuorum.add(bs("nq"));
        service.invalid.add(bs("bad"));
        service.data.put(bs("x"), bs("1"));
        try (Target.Connection c = target.connect(0, 0)) {
            List<Operation> batch = List.of(op(OperationType.UPDATE, "nq"), op(OperationType.READ, "x"),
                    op(OperationType.READ, "bad"), op(OperationType.SCAN, "x", "nq"),
                    op(OperationType.READ_MODIFY_WRITE, "nq"));
            Outcomes out = new Outcomes(batch.size());
            c.execute(batch, out);
            assertEquals(batch.size(), out.order.size());
            assertEquals("UNAVAILABLE/NO_QUORUM: NOQUORUM no quorum for partition 3", out.errors[0]);
            assertFalse(out.found[0]);
            assertNull(out.errors[1]);
            assertTrue(out.found[1]);
            assertEquals("INVALID_ARGUMENT: key: too long", out.errors[2]);
            assertTrue(out.errors[3].startsWith("UNAVAILABLE/NO_QUORUM"), out.errors[3]);
            assertTrue(out.errors[4].startsWith("UNAVAILABLE/NO_QUORUM"), out.errors[4]);
            assertEquals(1, service.log.stream().filter("PUT nq"::equals).count(),
                    "only the update wrote: a read-modify-write whose read failed does not write");
            // The same connection serves the next batch.
            Outcomes next = new Outcomes(1);
            c.execute(List.of(op(OperationType.READ, "x")), next);
            assertNull(next.errors[0]);
            assertTrue(next.found[0]);
        }
    }

    @Test
    void aMissedDeadlineIsAConnectionFailureAfterTheOtherCallsFinished() throws Exception {
        String address = start();
        new GrpcTarget(List.of(address), TIMEOUT_MS, 16).probe(); // warm up: the first channel loads gRPC's classes
        GrpcTarget target = new GrpcTarget(List.of(address), 1_000, 16);
        service.unanswered.add(bs("hang"));
        try (Target.Connection c = target.connect(0, 0)) {
            List<Operation> batch = List.of(op(OperationType.UPDATE, "a"), op(OperationType.READ, "hang"),
                    op(OperationType.UPDATE, "b"));
            Outcomes out = new Outcomes(batch.size());
            Target.TargetException e = assertThrows(Target.TargetException.class, () -> c.execute(batch, out));
            assertTrue(e.getMessage().contains("DEADLINE_EXCEEDED") && e.getMessage().contains("lost"), e.getMessage());
            assertNull(out.found[1], "the unanswered read is left to the driver to count as failed");
            assertEquals(2, out.order.size(), "the answered calls were reported: " + out.order);
        }
    }

    @Test
    void aServerThatGoesAwayFailsTheBatchAndTheNextConnectFails() throws Exception {
        String address = start();
        GrpcTarget target = new GrpcTarget(List.of(address), TIMEOUT_MS, 16);
        try (Target.Connection c = target.connect(0, 0)) {
            Outcomes ok = new Outcomes(1);
            c.execute(List.of(op(OperationType.UPDATE, "a")), ok);
            assertNull(ok.errors[0]);
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            List<Operation> batch = List.of(op(OperationType.READ, "a"), op(OperationType.UPDATE, "b"));
            Outcomes out = new Outcomes(batch.size());
            Target.TargetException e = assertThrows(Target.TargetException.class, () -> c.execute(batch, out));
            assertTrue(e.getMessage().startsWith("connection to " + address + " lost: UNAVAILABLE"), e.getMessage());
            assertEquals(0, out.order.size());
        }
        Target.TargetException connect = assertThrows(Target.TargetException.class, () -> target.connect(0, 0));
        assertTrue(connect.getMessage().startsWith("cannot connect to " + address), connect.getMessage());
        Target.TargetException probe = assertThrows(Target.TargetException.class, target::probe);
        assertTrue(probe.getMessage().startsWith("cannot reach " + address + ": UNAVAILABLE"), probe.getMessage());
    }

    @Test
    void theProbeRefusesAServerWithoutCairnsKeyValueService() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(new io.cairn.api.grpc.ClusterGrpc.ClusterImplBase() { }).build().start();
        GrpcTarget target = new GrpcTarget(List.of("127.0.0.1:" + server.getPort()), TIMEOUT_MS, 16);
        Target.TargetException e = assertThrows(Target.TargetException.class, target::probe);
        assertTrue(e.getMessage().contains("UNIMPLEMENTED") && e.getMessage().contains("grpc.port"), e.getMessage());
    }

    @Test
    void clientsRotateOverTheServersAndBadSettingsAreRefused() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        String live = start();
        GrpcTarget target = new GrpcTarget(List.of(live, "127.0.0.1:" + closed), TIMEOUT_MS, 16);
        assertEquals("grpc://" + live + ",127.0.0.1:" + closed, target.describe());
        try (Target.Connection c = target.connect(0, 0)) {
            assertEquals(live, c.address());
        }
        assertThrows(Target.TargetException.class, () -> target.connect(1, 0), "client 1 starts on the closed port");
        try (Target.Connection c = target.connect(1, 1)) {
            assertEquals(live, c.address(), "and moves to the next server on reconnect");
        }
        assertEquals("--grpc-max-calls must be in 1.." + GrpcTarget.MAX_CALLS_IN_FLIGHT,
                assertThrows(IllegalArgumentException.class, () -> new GrpcTarget(List.of(live), 100, 0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GrpcTarget(List.of("nohost"), 100, 1));
        assertThrows(IllegalArgumentException.class, () -> new GrpcTarget(List.of(), 100, 1));
        assertThrows(IllegalArgumentException.class, () -> new GrpcTarget(List.of(live), 0, 1));
    }
}
