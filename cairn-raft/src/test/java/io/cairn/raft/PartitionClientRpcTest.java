package io.cairn.raft;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.junit.jupiter.api.Test;

/**
 * The answers {@link PartitionClientRpc} turns into "not leader" (so that Ratis's client retries
 * the same request elsewhere) and the ones it passes on untouched.
 */
class PartitionClientRpcTest {
    private static final RaftGroupId GROUP = RaftGroupId.randomId();
    private static final RaftPeerId SERVER = RaftPeerId.valueOf("s1");

    /** A delegate whose every async request is answered by {@code answer}. */
    private static PartitionClientRpc rpc(Function<RaftClientRequest, CompletableFuture<RaftClientReply>> answer) {
        RaftClientRpc delegate = new RaftClientRpc() {
            @Override
            public CompletableFuture<RaftClientReply> sendRequestAsync(RaftClientRequest request) {
                return answer.apply(request);
            }

            @Override
            public CompletableFuture<RaftClientReply> sendRequestAsyncUnordered(RaftClientRequest request) {
                return answer.apply(request);
            }

            @Override
            public RaftClientReply sendRequest(RaftClientRequest request) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void addRaftPeers(Collection<RaftPeer> peers) {
            }

            @Override
            public boolean handleException(RaftPeerId serverId, Throwable t, boolean reconnect) {
                return false;
            }

            @Override
            public void close() {
            }
        };
        return new PartitionClientRpc(delegate, Runnable::run);
    }

    private static RaftClientRequest write() {
        return RaftClientRequest.newBuilder().setClientId(ClientId.randomId()).setServerId(SERVER).setGroupId(GROUP)
                .setCallId(7).setMessage(Message.valueOf("x")).setType(RaftClientRequest.writeRequestType()).build();
    }

    private static Throwable failure(CompletableFuture<RaftClientReply> f) {
        CompletionException e = assertThrows(CompletionException.class, f::join);
        return e.getCause();
    }

    @Test
    void aServerWithoutTheGroupIsAnsweredAsNotLeader() {
        RaftClientRequest request = write();
        GroupMismatchException gone = new GroupMismatchException("s1: group not found");
        // (Ratis never puts this exception in a reply: it fails the call.)
        for (PartitionClientRpc rpc : new PartitionClientRpc[] {rpc(r -> CompletableFuture.failedFuture(gone)),
                rpc(r -> CompletableFuture.failedFuture(new CompletionException(gone)))}) {
            for (CompletableFuture<RaftClientReply> f : java.util.List.of(rpc.sendRequestAsync(request),
                    rpc.sendRequestAsyncUnordered(request))) {
                NotLeaderException nle = assertInstanceOf(NotLeaderException.class, failure(f));
                assertNull(nle.getSuggestedLeader(), "no suggestion: Ratis picks another peer");
                assertTrue(nle.getMessage().contains("s1"), nle.getMessage());
            }
        }
    }

    @Test
    void aLeaderSteppingDownIsAnsweredAsNotLeader() {
        RaftClientRequest request = write();
        PartitionClientRpc rpc = rpc(r -> CompletableFuture.completedFuture(RaftClientReply.newBuilder().setRequest(r)
                .setException(new LeaderSteppingDownException("s1 is stepping down")).build()));
        assertInstanceOf(NotLeaderException.class, failure(rpc.sendRequestAsync(request)));
    }

    @Test
    void otherAnswersPassUntouched() throws IOException {
        RaftClientRequest request = write();
        RaftClientReply ok = RaftClientReply.newBuilder().setRequest(request).setSuccess().build();
        assertSame(ok, rpc(r -> CompletableFuture.completedFuture(ok)).sendRequestAsync(request).join());
        RaftClientReply smFailure = RaftClientReply.newBuilder().setRequest(request)
                .setException(new StateMachineException(RaftGroupMemberId.valueOf(SERVER, GROUP), new IOException("boom"))).build();
        assertSame(smFailure, rpc(r -> CompletableFuture.completedFuture(smFailure)).sendRequestAsync(request).join());
        IOException broken = new IOException("connection reset");
        assertSame(broken, failure(rpc(r -> CompletableFuture.failedFuture(broken)).sendRequestAsync(request)));
    }
}
