package io.cairn.grpc;

import io.cairn.api.grpc.ClusterGrpc;
import io.cairn.api.grpc.HealthRequest;
import io.cairn.api.grpc.HealthResponse;
import io.cairn.api.grpc.MethodStats;
import io.cairn.api.grpc.PingRequest;
import io.cairn.api.grpc.PingResponse;
import io.cairn.api.grpc.StatsRequest;
import io.cairn.api.grpc.StatsResponse;
import io.cairn.api.grpc.TopologyRequest;
import io.cairn.api.grpc.TopologyResponse;
import io.cairn.api.service.CommandService;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code cairn.v1.Cluster}: topology, counters, ping and health from the server's hooks; no data access. */
final class ClusterService extends ClusterGrpc.ClusterImplBase {
    private static final Logger log = LoggerFactory.getLogger(ClusterService.class);
    /** Largest Ping payload echoed back: a round-trip check, not a bandwidth test. */
    static final int MAX_PING_PAYLOAD_BYTES = 1024;

    private final CommandService service;
    private final GrpcEndpoints endpoints;
    private final CallMetrics metrics;
    private final LongAdder executeRetries;
    private final GrpcErrors errors;
    private final BooleanSupplier shuttingDown;

    ClusterService(CommandService service, GrpcEndpoints endpoints, CallMetrics metrics, LongAdder executeRetries,
                   GrpcErrors errors, BooleanSupplier shuttingDown) {
        this.service = service;
        this.endpoints = endpoints;
        this.metrics = metrics;
        this.executeRetries = executeRetries;
        this.errors = errors;
        this.shuttingDown = shuttingDown;
    }

    @Override
    public void topology(TopologyRequest request, StreamObserver<TopologyResponse> out) {
        TopologyResponse topology;
        try {
            topology = endpoints.topology().get();
        } catch (RuntimeException e) {
            log.warn("topology hook failed", e);
            out.onError(Status.UNAVAILABLE.withDescription("topology unavailable: " + e.getMessage()).asRuntimeException());
            return;
        }
        out.onNext(topology);
        out.onCompleted();
    }

    @Override
    public void stats(StatsRequest request, StreamObserver<StatsResponse> out) {
        StatsResponse.Builder r = StatsResponse.newBuilder()
                .setNodeId(endpoints.nodeId())
                .setApproximateKeys(Math.max(0, service.approximateKeyCount()))
                .setCalls(metrics.calls())
                .setFailures(metrics.failures())
                .setInFlight(Math.max(0, metrics.inFlight()))
                .setExecuteRetries(executeRetries.sum());
        metrics.methods().forEach((name, c) -> r.putMethods(name, MethodStats.newBuilder()
                .setCalls(c.calls.sum()).setFailures(c.failures.sum()).build()));
        out.onNext(r.build());
        out.onCompleted();
    }

    @Override
    public void ping(PingRequest request, StreamObserver<PingResponse> out) {
        if (request.getPayload().size() > MAX_PING_PAYLOAD_BYTES) {
            out.onError(errors.invalid("payload", "at most " + MAX_PING_PAYLOAD_BYTES + " bytes, got "
                    + request.getPayload().size()));
            return;
        }
        out.onNext(PingResponse.newBuilder().setPayload(request.getPayload()).setNodeId(endpoints.nodeId())
                .setServerTimeMs(System.currentTimeMillis()).build());
        out.onCompleted();
    }

    @Override
    public void health(HealthRequest request, StreamObserver<HealthResponse> out) {
        GrpcEndpoints.Readiness r = readiness();
        HealthResponse.Builder b = HealthResponse.newBuilder().setNodeId(endpoints.nodeId())
                .setStatus(r.ready() ? HealthResponse.Status.SERVING : HealthResponse.Status.NOT_SERVING);
        if (!r.ready()) {
            b.setReason(r.reason());
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    /** The readiness hook, overridden while shutting down; a failing hook counts as not ready. */
    GrpcEndpoints.Readiness readiness() {
        if (shuttingDown.getAsBoolean()) {
            return GrpcEndpoints.Readiness.notReady("shutting down");
        }
        try {
            GrpcEndpoints.Readiness r = endpoints.readiness().get();
            return r == null ? GrpcEndpoints.Readiness.notReady("readiness hook answered nothing") : r;
        } catch (RuntimeException e) {
            log.warn("readiness hook failed", e);
            return GrpcEndpoints.Readiness.notReady("readiness check failed: " + e.getMessage());
        }
    }
}
