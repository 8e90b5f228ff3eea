package io.cairn.raft;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.util.IOUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RPC of one partition's Ratis client: Ratis's own (gRPC) client RPC, with two changes that
 * let the client leave a leader that stopped answering (paused by SIGSTOP or a long GC, or cut
 * off) as soon as the partition has a new one, and a third that makes it retry where Ratis would
 * give up although the request only met a server that cannot take it now (a replica moved away,
 * a leader handing over: {@link #retryElsewhere}). Requests themselves are untouched: every retry
 * is Ratis's own (same client id and call id, so the leader's retry cache recognizes a duplicate).
 *
 * <p><b>Connection resets run on their own threads.</b> When an attempt fails in a way that calls
 * for a reconnect (a timeout, a broken stream, a not-leader answer), Ratis's client
 * ({@code RaftClientImpl.handleIOException}) picks the next server and then has the RPC reset its
 * proxy to the old one, synchronously, before it schedules the retry. For gRPC that closes the
 * channel ({@code GrpcClientProtocolClient.close} → {@code GrpcUtil.shutdownManagedChannel}), which
 * waits up to 3 s for the channel's calls to end gracefully, then up to 2 s more. A paused server
 * keeps its TCP connections open and never ends the client's stream, so the wait runs to its limit,
 * on the thread that detected the timeout: one of Ratis's eight JVM-wide timer threads
 * ({@code TimeoutTimer}), which also run every request's timeout check and every scheduled retry.
 * Each timeout thus delayed its own retry by 3 s and stalled the timeouts and retries queued behind
 * it. Here {@link #handleException} hands the reset to {@code resets} and returns at once, with
 * the answer the delegate gives ({@code PeerProxyMap.handleException}: handled if {@code reconnect}
 * or {@link IOUtils#shouldReconnect}).
 *
 * <p><b>Leader hints from the local replica.</b> When this node's replica of the partition learns
 * of a new leader, {@link RaftNode} passes it on ({@link #hintLeader}). The next request Ratis
 * sends to the leader it still believes in, if that is another server, fails here at once with a
 * {@link NotLeaderException} naming the hinted leader, as that server would answer if it could:
 * Ratis then switches to the hinted leader and retries the same request there without a pause. A
 * hint redirects once (and each new one replaces it, so it is always the last leader the replica
 * heard of): a wrong one (a lagging replica) costs one redirection and cannot loop. Requests
 * already waiting on the old leader are released by {@link #releaseWaiting}.
 */
final class PartitionClientRpc implements RaftClientRpc {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionClientRpc.class);

    private final RaftClientRpc delegate;
    private final Executor resets;
    private final AtomicReference<RaftPeer> leaderHint = new AtomicReference<>();
    /** Per server, this client's asynchronous requests sent to it and not answered yet. */
    private final ConcurrentMap<RaftPeerId, AtomicInteger> waiting = new ConcurrentHashMap<>();

    PartitionClientRpc(RaftClientRpc delegate, Executor resets) {
        this.delegate = delegate;
        this.resets = resets;
    }

    /**
     * The next request for the leader that goes to another server than {@code leader} is
     * redirected to it, once ({@link #redirection}). Replaces any hint still pending; null clears it.
     */
    void hintLeader(RaftPeer leader) {
        leaderHint.set(leader);
    }

    /**
     * If requests of this client are waiting on {@code server}, closes the connection to it (off
     * the caller's thread): they fail, and Ratis retries them as after any broken connection
     * (it also restarts its ordered stream, and {@link #hintLeader the hint} or the leader it
     * already moved to takes them to the new leader). An idle connection is left alone: closing
     * it behind Ratis's back would make the next request open a new stream without marking it as
     * the stream's first, and the server would hold it until the attempt timed out.
     */
    void releaseWaiting(RaftPeerId server) {
        AtomicInteger n = waiting.get(server);
        if (n != null && n.get() > 0) {
            handleException(server, new IOException("the local replica knows a newer leader than " + server), true);
        }
    }

    private CompletableFuture<RaftClientReply> counted(RaftClientRequest request,
                                                      Function<RaftClientRequest, CompletableFuture<RaftClientReply>> send) {
        AtomicInteger n = waiting.computeIfAbsent(request.getServerId(), id -> new AtomicInteger());
        n.incrementAndGet();
        CompletableFuture<RaftClientReply> reply;
        try {
            reply = send.apply(request);
        } catch (RuntimeException e) {
            n.decrementAndGet();
            throw e;
        }
        reply.whenComplete((r, e) -> n.decrementAndGet()); // a side branch: Ratis gets the RPC's own future
        return reply;
    }

    /**
     * The hinted leader, if {@code request} is for the leader but goes to another server; the hint
     * is then used up. A request that goes to the hinted leader leaves the hint in place: if it
     * fails without naming a leader (a stream the server closed when it stepped down earlier, a
     * timeout), Ratis retries it on a server picked at random, and the hint brings it back.
     */
    private NotLeaderException redirection(RaftClientRequest request) {
        RaftPeer pending = leaderHint.get();
        if (pending == null || !request.isToLeader() || pending.getId().equals(request.getServerId())) {
            return null;
        }
        RaftPeer hint = leaderHint.compareAndExchange(pending, null);
        if (hint != pending) {
            return null; // replaced or used meanwhile
        }
        LOG.debug("{}: redirecting {} from {} to {}, the leader the local replica knows", request.getRaftGroupId(),
                request, request.getServerId(), hint.getId());
        // No peer list: Ratis keeps the group's peers as they are.
        return new NotLeaderException(RaftGroupMemberId.valueOf(request.getServerId(), request.getRaftGroupId()), hint,
                List.of());
    }

    @Override
    public CompletableFuture<RaftClientReply> sendRequestAsync(RaftClientRequest request) {
        NotLeaderException redirect = redirection(request);
        return redirect != null ? CompletableFuture.failedFuture(redirect)
                : retryElsewhere(request, counted(request, delegate::sendRequestAsync));
    }

    @Override
    public CompletableFuture<RaftClientReply> sendRequestAsyncUnordered(RaftClientRequest request) {
        NotLeaderException redirect = redirection(request);
        return redirect != null ? CompletableFuture.failedFuture(redirect)
                : retryElsewhere(request, counted(request, delegate::sendRequestAsyncUnordered));
    }

    /**
     * Two answers that Ratis's client takes as final although they only mean "not here, not now",
     * turned into the "not leader" answer (without a suggestion) that makes Ratis retry the same
     * request (same call id, so the retry cache still recognizes it) on another of the peers it
     * knows, within its retry policy:
     * <ul>
     *   <li>{@link GroupMismatchException}: the server has no replica of the partition (any more:
     *       it was moved away and dropped). A client whose view of the replicas is out of date
     *       finds the ones still there instead of failing commands.</li>
     *   <li>{@link LeaderSteppingDownException}: the leader is handing its leadership over (a
     *       transfer: leader balancing, a replica move) and refuses writes until the new leader
     *       takes over. Ratis refuses before it appends the request (and a retry of one it had
     *       appended on an earlier attempt reaches a new leader that applies the old entries, and
     *       so fills its retry cache, before it takes requests), so this retry is as safe as after
     *       any leader change; callers wait out the transfer instead of failing.</li>
     * </ul>
     */
    private static CompletableFuture<RaftClientReply> retryElsewhere(RaftClientRequest request,
                                                                         CompletableFuture<RaftClientReply> reply) {
        return reply.handle((r, error) -> {
            Throwable cause = error;
            while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause == null && r != null) {
                cause = r.getException();
            }
            if (cause instanceof GroupMismatchException || cause instanceof LeaderSteppingDownException) {
                LOG.debug("{}: {} cannot take the request now, trying another: {}", request.getRaftGroupId(),
                        request.getServerId(), cause.toString());
                throw new java.util.concurrent.CompletionException(new NotLeaderException(
                        RaftGroupMemberId.valueOf(request.getServerId(), request.getRaftGroupId()), null, List.of()));
            }
            if (error != null) {
                throw error instanceof java.util.concurrent.CompletionException ce ? ce
                        : new java.util.concurrent.CompletionException(error);
            }
            return r;
        });
    }

    @Override
    public RaftClientReply sendRequest(RaftClientRequest request) throws IOException {
        return delegate.sendRequest(request);
    }

    @Override
    public void addRaftPeers(Collection<RaftPeer> peers) {
        delegate.addRaftPeers(peers);
    }

    @Override
    public boolean handleException(RaftPeerId serverId, Throwable t, boolean reconnect) {
        if (!reconnect && !IOUtils.shouldReconnect(t)) {
            return false; // the delegate would not reset anything either
        }
        LOG.debug("resetting the connection to {} after {}", serverId, t.toString());
        try {
            resets.execute(() -> {
                try {
                    delegate.handleException(serverId, t, true);
                } catch (RuntimeException e) {
                    LOG.debug("resetting the connection to {} failed: {}", serverId, e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debug("connection to {} not reset: the node is closing (its clients close every connection)", serverId);
        }
        return true;
    }

    @Override
    public boolean shouldReconnect(Throwable t) {
        return delegate.shouldReconnect(t);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
