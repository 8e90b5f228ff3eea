package io.cairn.raft;

import java.util.EnumSet;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.thirdparty.com.google.protobuf.MessageLite;
import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCall;
import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCallListener;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallHandler;
import org.apache.ratis.thirdparty.io.grpc.ServerInterceptor;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds the bandwidth a node spends receiving snapshots ({@code raft.snapshot.receive-bytes-per-sec}):
 * a move copies a whole partition to its new replica, and unbounded it would take the network and
 * disk from the writes that the partition keeps serving meanwhile.
 *
 * <p>Ratis 3.3 has no snapshot bandwidth setting: its leader streams chunks as fast as the follower
 * answers ({@code GrpcLogAppender.installSnapshot}, at most {@code
 * raft.grpc.server.install_snapshot.request.element-limit} unanswered). The path this node controls
 * is its own gRPC server, where Ratis lets a {@link GrpcServices.Customizer} add an interceptor. For
 * calls of the server-to-server {@code installSnapshot} stream, this interceptor charges every chunk
 * received to one token bucket shared by all partitions of the node, and holds back the call's next
 * {@code request(1)} (gRPC's inbound flow control: the next chunk is not delivered before it) until
 * the bucket has paid for the chunk. The leader's outstanding-chunk limit and gRPC's flow-control
 * window then slow the leader down to the same rate; nothing blocks a thread meanwhile.
 *
 * <p>Every other call passes untouched. The byte counts are kept whether or not a limit is set.
 */
final class SnapshotReceiveThrottle implements GrpcServices.Customizer {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotReceiveThrottle.class);
    static final String INSTALL_SNAPSHOT_METHOD = "/installSnapshot";

    private final long bytesPerSecond;
    private final ScheduledExecutorService timer;
    private final AtomicLong bytesReceived = new AtomicLong();
    private final AtomicLong chunksReceived = new AtomicLong();
    private final AtomicLong delayedNanos = new AtomicLong();
    /** When (System.nanoTime) the bucket has paid for every chunk charged so far. */
    private long paidUntilNanos = System.nanoTime();

    /**
     * @param bytesPerSecond 0 = unlimited (only counted)
     * @param timer          runs the delayed deliveries (each a single non-blocking gRPC call)
     */
    SnapshotReceiveThrottle(long bytesPerSecond, ScheduledExecutorService timer) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("bytes per second must be >= 0, got " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.timer = timer;
    }

    @Override
    public NettyServerBuilder customize(NettyServerBuilder builder, EnumSet<GrpcServices.Type> types) {
        return types.contains(GrpcServices.Type.SERVER) ? builder.intercept(new Interceptor()) : builder;
    }

    /** Snapshot bytes (serialized chunk requests) this node received since it started. */
    long bytesReceived() {
        return bytesReceived.get();
    }

    long chunksReceived() {
        return chunksReceived.get();
    }

    /** Total time deliveries of chunks were held back. */
    long delayedMillis() {
        return TimeUnit.NANOSECONDS.toMillis(delayedNanos.get());
    }

    /** Charges {@code bytes} to the bucket; returns when (nanoTime) the next chunk may be delivered. */
    synchronized long charge(long bytes, long nowNanos) {
        bytesReceived.addAndGet(bytes);
        chunksReceived.incrementAndGet();
        if (bytesPerSecond == 0) {
            return nowNanos;
        }
        // An idle bucket does not save up credit: a burst after a pause is not faster than the rate.
        long start = paidUntilNanos - nowNanos > 0 ? paidUntilNanos : nowNanos;
        paidUntilNanos = start + Math.max(1, bytes * 1_000_000_000L / bytesPerSecond);
        return paidUntilNanos;
    }

    private final class Interceptor implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                          ServerCallHandler<Q, R> next) {
            if (!call.getMethodDescriptor().getFullMethodName().endsWith(INSTALL_SNAPSHOT_METHOD)) {
                return next.startCall(call, headers);
            }
            ThrottledCall<Q, R> throttled = new ThrottledCall<>(call);
            ServerCall.Listener<Q> listener = next.startCall(throttled, headers);
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                @Override
                public void onMessage(Q message) {
                    long size = message instanceof MessageLite m ? m.getSerializedSize() : 0;
                    // Set before the message is handed on: gRPC's stub asks for the next one right after.
                    throttled.nextDeliveryNanos = charge(size, System.nanoTime());
                    super.onMessage(message);
                }
            };
        }
    }

    /** Holds back the call's requests for more messages until the bucket has paid for the last one. */
    private final class ThrottledCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        volatile long nextDeliveryNanos = System.nanoTime();

        ThrottledCall(ServerCall<Q, R> delegate) {
            super(delegate);
        }

        @Override
        public void request(int numMessages) {
            long wait = nextDeliveryNanos - System.nanoTime();
            if (wait <= 0) {
                super.request(numMessages);
                return;
            }
            delayedNanos.addAndGet(wait);
            try {
                // ServerCall.request may be called from any thread.
                timer.schedule(() -> {
                    try {
                        super.request(numMessages);
                    } catch (RuntimeException e) {
                        LOG.debug("snapshot stream ended before its next chunk was let through: {}", e.toString());
                    }
                }, wait, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                super.request(numMessages); // the node is closing; its server goes with it
            }
        }
    }
}
