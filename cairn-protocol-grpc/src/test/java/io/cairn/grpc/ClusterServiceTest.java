package io.cairn.grpc;

import static io.cairn.grpc.GrpcTestNode.bytes;
import static io.cairn.grpc.GrpcTestNode.expectStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cairn.api.grpc.GetRequest;
import io.cairn.api.grpc.HealthRequest;
import io.cairn.api.grpc.HealthResponse;
import io.cairn.api.grpc.KeyValueGrpc;
import io.cairn.api.grpc.MethodStats;
import io.cairn.api.grpc.PingRequest;
import io.cairn.api.grpc.PingResponse;
import io.cairn.api.grpc.PutRequest;
import io.cairn.api.grpc.StatsRequest;
import io.cairn.api.grpc.StatsResponse;
import io.cairn.api.grpc.TopologyRequest;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code cairn.v1.Cluster} and the standard {@code grpc.health.v1.Health} on a real node. */
@Timeout(60)
class ClusterServiceTest {

    private static HealthCheckResponse.ServingStatus check(GrpcTestNode node, String service) {
        return HealthGrpc.newBlockingStub(node.channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    private static <T> void eventually(Supplier<T> actual, T expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        T last;
        while (!(last = actual.get()).equals(expected)) {
            assertTrue(System.nanoTime() < deadline, "still " + last + ", expected " + expected);
            Thread.sleep(20);
        }
    }

    @Test
    void healthFollowsReadinessInBothHealthServices() throws InterruptedException {
        try (GrpcTestNode node = new GrpcTestNode()) {
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, check(node, ""));
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, check(node, "cairn.v1.KeyValue"));
            expectStatus(Status.Code.NOT_FOUND, () -> check(node, "no.such.Service"));
            HealthResponse up = node.cluster().health(HealthRequest.getDefaultInstance());
            assertEquals(HealthResponse.Status.SERVING, up.getStatus());
            assertEquals("n1", up.getNodeId());

            node.readiness.set(GrpcEndpoints.Readiness.notReady("partition 3 has no known leader"));
            HealthResponse down = node.cluster().health(HealthRequest.getDefaultInstance());
            assertEquals(HealthResponse.Status.NOT_SERVING, down.getStatus());
            assertEquals("partition 3 has no known leader", down.getReason());
            eventually(() -> check(node, ""), HealthCheckResponse.ServingStatus.NOT_SERVING);
            eventually(() -> check(node, "cairn.v1.KeyValue"), HealthCheckResponse.ServingStatus.NOT_SERVING);

            node.readiness.set(GrpcEndpoints.Readiness.READY);
            eventually(() -> check(node, ""), HealthCheckResponse.ServingStatus.SERVING);

            // A failing hook is "not ready", not an error.
            node.readiness.set(null);
            assertEquals(HealthResponse.Status.NOT_SERVING, node.cluster().health(HealthRequest.getDefaultInstance())
                    .getStatus());
        }
    }

    @Test
    void topologyPingAndStats() {
        try (GrpcTestNode node = new GrpcTestNode()) {
            assertEquals(GrpcTestNode.PARTITIONS, node.cluster().topology(TopologyRequest.getDefaultInstance())
                    .getPartitionCount());
            long before = System.currentTimeMillis();
            PingResponse pong = node.cluster().ping(PingRequest.newBuilder().setPayload(bytes("hello")).build());
            assertEquals("hello", pong.getPayload().toStringUtf8());
            assertEquals("n1", pong.getNodeId());
            assertTrue(pong.getServerTimeMs() >= before - 1000);
            expectStatus(Status.Code.INVALID_ARGUMENT, () -> node.cluster().ping(PingRequest.newBuilder()
                    .setPayload(ByteString.copyFrom(new byte[ClusterService.MAX_PING_PAYLOAD_BYTES + 1])).build()));

            for (int i = 0; i < 3; i++) {
                node.kv().put(PutRequest.newBuilder().setKey(bytes("s" + i)).setValue(bytes("v")).build());
            }
            expectStatus(Status.Code.INVALID_ARGUMENT, () -> node.kv().get(GetRequest.getDefaultInstance()));
            StatsResponse stats = node.cluster().stats(StatsRequest.getDefaultInstance());
            assertEquals("n1", stats.getNodeId());
            assertEquals(3, stats.getApproximateKeys());
            MethodStats puts = stats.getMethodsOrThrow(KeyValueGrpc.getPutMethod().getFullMethodName());
            assertEquals(3, puts.getCalls());
            assertEquals(0, puts.getFailures());
            MethodStats gets = stats.getMethodsOrThrow(KeyValueGrpc.getGetMethod().getFullMethodName());
            assertEquals(1, gets.getCalls());
            assertEquals(1, gets.getFailures());
            assertTrue(stats.getCalls() >= 7, "every call counted: " + stats.getCalls());
            assertTrue(stats.getFailures() >= 2, "ping and get failed: " + stats.getFailures());
            assertEquals(1, stats.getInFlight(), "only this Stats call");
        }
    }
}
