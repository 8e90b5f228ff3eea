package io.cairn.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.cairn.api.clock.Clock;
import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.api.consistency.Durability;
import io.cairn.api.grpc.ClusterGrpc;
import io.cairn.api.grpc.KeyValueGrpc;
import io.cairn.api.grpc.TopologyResponse;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.commands.CommandExecutor;
import io.cairn.commands.LocalCommandService;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.function.Executable;

/**
 * A real single-node command service (in-memory engine, {@value #PARTITIONS} partitions) behind a
 * real {@link GrpcServer} on 127.0.0.1, and a plaintext channel with the generated stubs.
 */
final class GrpcTestNode implements AutoCloseable {
    static final int PARTITIONS = 8;

    /** Small limits so tests reach them with small requests; a short health poll. */
    static final GrpcSettings SETTINGS = new GrpcSettings("127.0.0.1", 0, 256 * 1024, 1024, 16 * 1024, 50, 500, 50,
            16, 10_000, 64, 64, 0, 250, 50, 1);

    final StorageEngine engine = StorageEngines.open("memory", null, Map.of());
    final LocalCommandService local;
    final AtomicReference<GrpcEndpoints.Readiness> readiness = new AtomicReference<>(GrpcEndpoints.Readiness.READY);
    final GrpcServer server;
    final ManagedChannel channel;
    final KeyValueGrpc.KeyValueBlockingStub kv;
    final ClusterGrpc.ClusterBlockingStub cluster;

    GrpcTestNode() {
        this(SETTINGS, Durability.STRICT, CommandExecutor.Settings.DEFAULTS, Function.identity());
    }

    /**
     * @param wrap decorates the local service (unit-level stand-ins for what a cluster would answer:
     *             delays, NOQUORUM replies)
     */
    GrpcTestNode(GrpcSettings settings, Durability durability, CommandExecutor.Settings executorSettings,
                 Function<CommandService, CommandService> wrap) {
        local = new LocalCommandService(new CommandExecutor(engine, PARTITIONS, executorSettings), Clock.SYSTEM,
                new HybridLogicalClock(Clock.SYSTEM, 1000), new LocalCommandService.Options(20, 100));
        TopologyResponse topology = TopologyResponse.newBuilder().setNodeId("n1").setState("ok").setEpoch(1)
                .setPartitionCount(PARTITIONS).build();
        server = GrpcServer.start(settings, wrap.apply(local),
                new GrpcEndpoints("n1", PARTITIONS, durability, readiness::get, () -> topology));
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        kv = KeyValueGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
        cluster = ClusterGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    /** A fresh deadline per call: a stub's deadline is absolute from when it was set. */
    KeyValueGrpc.KeyValueBlockingStub kv() {
        return KeyValueGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    ClusterGrpc.ClusterBlockingStub cluster() {
        return ClusterGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    /** A command straight on the service, bypassing gRPC (to check what gRPC requests did). */
    Reply direct(String... args) {
        byte[][] argv = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            argv[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        return local.execute(argv).join();
    }

    @Override
    public void close() {
        try {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close();
        local.close();
        engine.close();
    }

    static ByteString bytes(String s) {
        return ByteString.copyFromUtf8(s);
    }

    /** Runs {@code call}, expects a status with {@code code}, returns it for further checks. */
    static StatusRuntimeException expectStatus(Status.Code code, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), () -> "status " + e.getStatus());
        return e;
    }

    /** The ErrorInfo detail of a status (every Cairn error carries one). */
    static ErrorInfo errorInfo(StatusRuntimeException e) {
        com.google.rpc.Status s = StatusProto.fromThrowable(e);
        assertTrue(s != null, "status has details: " + e.getStatus());
        try {
            for (var any : s.getDetailsList()) {
                if (any.is(ErrorInfo.class)) {
                    return any.unpack(ErrorInfo.class);
                }
            }
        } catch (InvalidProtocolBufferException ex) {
            throw new AssertionError(ex);
        }
        throw new AssertionError("no ErrorInfo in " + s);
    }

    static boolean hasRetryInfo(StatusRuntimeException e) {
        com.google.rpc.Status s = StatusProto.fromThrowable(e);
        return s != null && s.getDetailsList().stream().anyMatch(a -> a.is(RetryInfo.class));
    }
}
