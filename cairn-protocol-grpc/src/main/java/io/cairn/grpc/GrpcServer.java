package io.cairn.grpc;

import io.cairn.api.grpc.KeyValueGrpc;
import io.cairn.api.service.CommandService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC front end: {@code cairn.v1.KeyValue} ({@link KeyValueService}), {@code cairn.v1.Cluster}
 * ({@link ClusterService}) and the standard {@code grpc.health.v1.Health}, on gRPC's Netty
 * transport (the shaded copy, independent of the project's Netty). Settings: {@link GrpcSettings}.
 *
 * <p>Handlers run on the transport's event loops (direct executor): none of them blocks, since
 * every service call is asynchronous, so no extra thread pool (and no unbounded queue in front of
 * one) is needed; the in-flight bound of {@link CallMetrics} limits the work admitted.
 *
 * <p>The standard health service reports SERVING for {@code ""} and {@code cairn.v1.KeyValue} while
 * the readiness hook says ready, polled every {@value GrpcSettings#HEALTH_POLL_MS}; NOT_SERVING from
 * the start of {@link #close()}.
 *
 * <p>Use: {@code try (GrpcServer grpc = GrpcServer.start(settings, service, endpoints)) { grpc.port(); }}.
 * The command service belongs to the caller; {@link #close()} does not close it.
 */
public final class GrpcServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);

    private final GrpcSettings settings;
    private final Server server;
    private final HealthStatusManager health = new HealthStatusManager();
    private final ScheduledExecutorService healthPoller;
    private final ClusterService cluster;
    private volatile boolean shuttingDown;
    private boolean closed;

    private GrpcServer(GrpcSettings settings, CommandService service, GrpcEndpoints endpoints) {
        this.settings = settings;
        GrpcErrors errors = new GrpcErrors(settings.retryDelayHintMillis());
        Requests requests = new Requests(settings, errors, endpoints.durability());
        LongAdder executeRetries = new LongAdder();
        Transactions transactions = new Transactions(service, errors, settings.executeMaxAttempts(), executeRetries);
        CallMetrics metrics = new CallMetrics(settings.maxInFlightCalls(), errors);
        KeyValueService kv = new KeyValueService(service, settings, errors, requests, transactions, endpoints.partitions());
        this.cluster = new ClusterService(service, endpoints, metrics, executeRetries, errors, () -> shuttingDown);
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(settings.bind(), settings.port()))
                .directExecutor()
                .maxInboundMessageSize(settings.maxMessageBytes())
                .maxConcurrentCallsPerConnection(settings.maxCallsPerConnection())
                .addService(ServerInterceptors.intercept(kv, metrics))
                .addService(ServerInterceptors.intercept(cluster, metrics))
                .addService(health.getHealthService());
        if (settings.maxConnectionIdleSeconds() > 0) {
            builder.maxConnectionIdle(settings.maxConnectionIdleSeconds(), TimeUnit.SECONDS);
        }
        this.server = builder.build();
        this.healthPoller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-grpc-health");
            t.setDaemon(true);
            return t;
        });
    }

    /** Binds and starts serving; throws UncheckedIOException if the address cannot be bound. */
    public static GrpcServer start(GrpcSettings settings, CommandService service, GrpcEndpoints endpoints) {
        GrpcServer s = new GrpcServer(settings, service, endpoints);
        try {
            s.server.start();
        } catch (IOException e) {
            s.healthPoller.shutdownNow();
            throw new UncheckedIOException("cannot listen for gRPC on " + settings.bind() + ":" + settings.port()
                    + ": " + e.getMessage(), e);
        }
        s.refreshHealth();
        s.healthPoller.scheduleWithFixedDelay(s::refreshHealth, settings.healthPollMillis(), settings.healthPollMillis(),
                TimeUnit.MILLISECONDS);
        log.info("gRPC API listening on {}:{}", settings.bind(), s.port());
        return s;
    }

    private void refreshHealth() {
        if (shuttingDown) {
            return; // enterTerminalState() has fixed NOT_SERVING
        }
        ServingStatus status = cluster.readiness().ready() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
        health.setStatus(KeyValueGrpc.SERVICE_NAME, status);
    }

    /** The bound port (the real one when {@code grpc.port} was 0). */
    public int port() {
        return server.getPort();
    }

    public GrpcSettings settings() {
        return settings;
    }

    /**
     * Graceful and idempotent: health turns NOT_SERVING, new calls are refused, calls in flight get up
     * to {@value GrpcSettings#SHUTDOWN_TIMEOUT_SECONDS} to finish, then the rest are cancelled.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        shuttingDown = true;
        healthPoller.shutdownNow();
        health.enterTerminalState();
        server.shutdown();
        try {
            if (!server.awaitTermination(settings.shutdownTimeoutSeconds(), TimeUnit.SECONDS)) {
                server.shutdownNow();
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
