package io.cairn.cluster;

import io.cairn.cluster.ClusterCodec.ControlReply;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Talks to the controller group: proposes {@link ControlCommand}s and reads the map
 * linearizably (Ratis ReadIndex on the leader, then {@link ControllerStateMachine#query}).
 * Every call completes within {@code controller.command-timeout-ms}: Ratis retries on another
 * member (leader changes, a member down) with {@value #RETRY_SLEEP_MS} ms between attempts, and
 * the future fails with a {@link java.util.concurrent.TimeoutException} once the time is spent.
 *
 * <p><b>A failed proposal replaces the Ratis client.</b> Ratis sends a client's writes through
 * one ordered sliding window; once a write fails for good (its retries spent while the controller
 * had no majority, a member that answers "group not found"), the window records the failure and
 * fails every later write of that client at once with {@code AlreadyClosedException}, forever.
 * A write that is still retrying when this class's timeout fires also holds back every write
 * after it (the window sends the next one only once the first is answered). Either way the
 * client would never propose again although the controller is back — which is how a node that
 * waited out a lost controller majority could neither join nor, as the controller's leader,
 * change the map. So a proposal that fails or times out retires its client (closed after one
 * more command timeout, so that requests still in flight on it may finish) and the next call
 * uses a fresh one. Reads and heartbeats do not go through that window and never retire it.
 */
public final class ControllerClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerClient.class);
    public static final String COMMAND_TIMEOUT_MS = "controller.command-timeout-ms";
    public static final long DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
    static final long RETRY_SLEEP_MS = 100;

    private final Supplier<RaftClient> factory;
    private final Object clientLock = new Object();
    /** Proposals and reads; replaced after a failed proposal (see the class comment). Guarded by clientLock for writes. */
    private volatile RaftClient client;
    private final Duration timeout;
    private final AtomicLong clientsReplaced = new AtomicLong();
    private volatile boolean closed;

    private ControllerClient(Supplier<RaftClient> factory, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(COMMAND_TIMEOUT_MS + " must be > 0, got " + timeout.toMillis());
        }
        this.factory = factory;
        this.client = factory.get();
        this.timeout = timeout;
    }

    /** A client of the controller group {@code group}, with the node's Ratis {@code properties} (RPC type, message size). */
    public static ControllerClient create(RaftGroup group, RaftProperties properties, Duration timeout) {
        // Attempts fit in the timeout; the timeout itself is enforced on the future.
        int attempts = (int) Math.max(1, timeout.toMillis() / RETRY_SLEEP_MS);
        Supplier<RaftClient> factory = () -> RaftClient.newBuilder()
                .setProperties(properties)
                .setRaftGroup(group)
                .setClientId(ClientId.randomId())
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(attempts,
                        TimeDuration.valueOf(RETRY_SLEEP_MS, TimeUnit.MILLISECONDS)))
                .build();
        return new ControllerClient(factory, timeout);
    }

    /** Proposes {@code command}; completes with the controller's verdict once it is committed and applied. */
    public CompletableFuture<ControlReply> submit(ControlCommand command) {
        Message m = Message.valueOf(UnsafeByteOperations.unsafeWrap(ClusterCodec.encode(command)));
        RaftClient used = client;
        CompletableFuture<RaftClientReply> sent;
        try {
            sent = bounded(used.async().send(m));
        } catch (RuntimeException e) {
            retire(used, e);
            return CompletableFuture.failedFuture(e);
        }
        return sent.whenComplete((r, e) -> {
            if (e != null) {
                retire(used, e);
            }
        }).thenApply(r -> ClusterCodec.decodeReply(content(r)));
    }

    /**
     * Replaces {@code failed} with a fresh client if it is still the current one (concurrent
     * failures of one client replace it once), and closes it after one more command timeout.
     */
    private void retire(RaftClient failed, Throwable why) {
        synchronized (clientLock) {
            if (closed || client != failed) {
                return;
            }
            client = factory.get();
        }
        clientsReplaced.incrementAndGet();
        LOG.debug("controller client replaced after a failed proposal: {}", why.toString());
        CompletableFuture.runAsync(() -> closeQuietly(failed),
                CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS));
    }

    /** Times this client's Ratis client was replaced after a failed proposal. */
    public long clientsReplaced() {
        return clientsReplaced.get();
    }

    /** The leader's map after every command committed before this call (linearizable). */
    public CompletableFuture<ClusterMap> readMap() {
        return bounded(client.async().sendReadOnly(query(ControllerStateMachine.QUERY_MAP)))
                .thenApply(r -> ClusterCodec.decodeMap(content(r)));
    }

    /** The leader's current epoch (linearizable): cheap polling for a newer map. */
    public CompletableFuture<Long> readEpoch() {
        return bounded(client.async().sendReadOnly(query(ControllerStateMachine.QUERY_EPOCH))).thenApply(r -> {
            String s = new String(content(r), StandardCharsets.UTF_8);
            if (!s.startsWith("{\"epoch\":") || !s.endsWith("}")) {
                throw new CompletionException(new IOException("unexpected epoch answer " + s));
            }
            return Long.parseLong(s.substring("{\"epoch\":".length(), s.length() - 1));
        });
    }

    /**
     * Tells the controller leader that {@code nodeId} is alive (recorded in the leader's memory,
     * not logged) and learns the map's epoch and the controller's members. A non-linearizable
     * read: only the leader answers it (a follower answers "not leader" and Ratis's client moves
     * on to the leader), so the leader's failure detector hears every heartbeat.
     */
    public CompletableFuture<ClusterCodec.HeartbeatReply> heartbeat(String nodeId) {
        return bounded(client.async().sendReadOnlyNonLinearizable(query(ControllerStateMachine.QUERY_HEARTBEAT + nodeId)))
                .thenApply(r -> ClusterCodec.decodeHeartbeatReply(content(r)));
    }

    private static Message query(String q) {
        return Message.valueOf(q);
    }

    private CompletableFuture<RaftClientReply> bounded(CompletableFuture<RaftClientReply> f) {
        return f.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static byte[] content(RaftClientReply r) {
        if (!r.isSuccess()) {
            throw new CompletionException(r.getException() != null ? r.getException()
                    : new IOException("controller request failed: " + r));
        }
        return r.getMessage().getContent().toByteArray();
    }

    private static void closeQuietly(RaftClient c) {
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing a retired controller client: {}", e.toString());
        }
    }

    @Override
    public void close() throws IOException {
        RaftClient c;
        synchronized (clientLock) {
            closed = true;
            c = client;
        }
        c.close();
    }
}
