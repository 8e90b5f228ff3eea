package io.cairn.cluster;

import io.cairn.cluster.ClusterCodec.ControlReply;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;

/**
 * Talks to the controller group: proposes {@link ControlCommand}s and reads the map
 * linearizably (Ratis ReadIndex on the leader, then {@link ControllerStateMachine#query}).
 * Every call completes within {@code controller.command-timeout-ms}: Ratis retries on another
 * member (leader changes, a member down) with {@value #RETRY_SLEEP_MS} ms between attempts, and
 * the future fails with a {@link java.util.concurrent.TimeoutException} once the time is spent.
 */
public final class ControllerClient implements AutoCloseable {
    public static final String COMMAND_TIMEOUT_MS = "controller.command-timeout-ms";
    public static final long DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
    static final long RETRY_SLEEP_MS = 100;

    private final RaftClient client;
    private final Duration timeout;

    /** Uses {@code client} (owned from now on: closed by {@link #close}). */
    public ControllerClient(RaftClient client, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(COMMAND_TIMEOUT_MS + " must be > 0, got " + timeout.toMillis());
        }
        this.client = client;
        this.timeout = timeout;
    }

    /** A client of the controller group {@code group}, with the node's Ratis {@code properties} (RPC type, message size). */
    public static ControllerClient create(RaftGroup group, RaftProperties properties, Duration timeout) {
        // Attempts fit in the timeout; the timeout itself is enforced on the future.
        int attempts = (int) Math.max(1, timeout.toMillis() / RETRY_SLEEP_MS);
        RaftClient client = RaftClient.newBuilder()
                .setProperties(properties)
                .setRaftGroup(group)
                .setClientId(ClientId.randomId())
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(attempts,
                        TimeDuration.valueOf(RETRY_SLEEP_MS, TimeUnit.MILLISECONDS)))
                .build();
        return new ControllerClient(client, timeout);
    }

    /** Proposes {@code command}; completes with the controller's verdict once it is committed and applied. */
    public CompletableFuture<ControlReply> submit(ControlCommand command) {
        Message m = Message.valueOf(UnsafeByteOperations.unsafeWrap(ClusterCodec.encode(command)));
        return bounded(client.async().send(m)).thenApply(r -> ClusterCodec.decodeReply(content(r)));
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

    @Override
    public void close() throws IOException {
        client.close();
    }
}
