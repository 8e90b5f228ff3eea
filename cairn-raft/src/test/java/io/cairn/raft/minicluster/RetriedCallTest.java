package io.cairn.raft.minicluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import io.cairn.raft.codec.Command;
import io.cairn.raft.codec.CommandCodec;
import io.cairn.raft.codec.ReplyCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.ratis.client.ClientFactory;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Raft client that retries a write on another server sends the same client id and call id
 * again. Ratis's retry cache only knows calls its server applied since it started, so a replica
 * that got the original entry inside a snapshot (a restart, a snapshot installed from the leader)
 * and then leads appends the retry as a new entry. The partition state machine's client-session
 * table must answer it with the first reply instead of applying it twice ({@code cairn verify}
 * seed 303 saw an APPEND applied twice).
 */
@Timeout(120)
class RetriedCallTest {
    @TempDir
    Path dir;

    @Test
    void aWriteRetriedOnALeaderThatHadItOnlyInASnapshotIsNotAppliedTwice() throws Exception {
        try (MiniCluster c = new MiniCluster(dir, 3, 1, Map.of()).start();
             RawClient raw = new RawClient(c)) {
            c.awaitLeaders(Duration.ofSeconds(30));
            byte[] append = CommandCodec.encode(List.of(new Command.Execute(argv("APPEND", "k", "a"),
                    System.currentTimeMillis(), c.node(0).hlc().now())));

            assertEquals(Reply.integer(1), raw.sendToLeader(77, append), "the original call");
            int leader = c.leaderOf(0);
            int other = (leader + 1) % 3;

            // Every replica snapshots past the entry; the other node restarts from its snapshot,
            // so its retry cache has never seen the call.
            c.awaitConverged(Duration.ofSeconds(30));
            for (int i = 0; i < 3; i++) {
                c.node(i).snapshot(0, Duration.ofSeconds(20));
            }
            c.stop(other);
            c.restart(other);
            MiniCluster.await(Duration.ofSeconds(30), () -> {
                try {
                    return c.appliedIndex(other, 0) >= c.appliedIndex(leader, 0);
                } catch (IOException e) {
                    return false;
                }
            }, "the restarted replica catches up");
            // The same call again, as Ratis's client sends it after a failover: answered, not applied.
            assertEquals(Reply.integer(1), raw.sendWhileLeading(other, 77, append), "the retry gets the first reply");
            Reply value = c.service(leader).execute(argv("GET", "k")).get();
            assertEquals("a", new String(((Reply.Bulk) value).value(), StandardCharsets.UTF_8), "APPEND applied once");
            c.awaitConverged(Duration.ofSeconds(30));
            for (int i = 0; i < 3; i++) {
                assertEquals(c.checksum(leader, 0), c.checksum(i, 0), "replica n" + i);
            }
            assertEquals(1, c.node(other).stateMachine(0).duplicatesAnswered(), "the new leader answered the retry");
        }
    }

    private static byte[][] argv(String... words) {
        byte[][] a = new byte[words.length][];
        for (int i = 0; i < words.length; i++) {
            a[i] = words[i].getBytes(StandardCharsets.UTF_8);
        }
        return a;
    }

    /** Ratis's client transport with the client id fixed and the call id chosen by the test. */
    private static final class RawClient implements AutoCloseable {
        private final MiniCluster cluster;
        private final ClientId clientId = ClientId.randomId();
        private final RaftClientRpc rpc;

        RawClient(MiniCluster cluster) {
            this.cluster = cluster;
            this.rpc = ClientFactory.cast(SupportedRpcType.GRPC.newFactory(new Parameters()))
                    .newRaftClientRpc(clientId, new RaftProperties());
            rpc.addRaftPeers(cluster.peers(0, 1, 2));
        }

        /** Sends to whichever node leads, again while there is none or it is not ready (at most 20 s). */
        Reply sendToLeader(long callId, byte[] batch) throws Exception {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (true) {
                int leader = cluster.leaderOf(0);
                try {
                    if (leader >= 0) {
                        return send(leader, callId, batch);
                    }
                } catch (IOException e) {
                    if (!notLeaderYet(e) || System.nanoTime() > deadline) {
                        throw e;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("no leader for 20 s");
                }
                Thread.sleep(50);
            }
        }

        /** Sends to {@code node} once it leads, moving leadership to it first (at most 30 s). */
        Reply sendWhileLeading(int node, long callId, byte[] batch) throws Exception {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                int leader = cluster.leaderOf(0);
                try {
                    if (leader == node) {
                        return send(node, callId, batch);
                    }
                    if (leader >= 0) {
                        cluster.node(leader).transferLeadership(0, cluster.peer(node).getId(), Duration.ofSeconds(5));
                    }
                } catch (IOException e) {
                    if (!notLeaderYet(e) || System.nanoTime() > deadline) {
                        throw e;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("node " + node + " did not lead within 30 s");
                }
                Thread.sleep(50);
            }
        }

        private static boolean notLeaderYet(IOException e) {
            return e.getMessage().contains("LeaderNotReadyException") || e.getMessage().contains("NotLeaderException");
        }

        Reply send(int node, long callId, byte[] batch) throws IOException {
            RaftGroupId group = cluster.node(node).division(0).getMemberId().getGroupId();
            RaftClientReply reply = rpc.sendRequest(RaftClientRequest.newBuilder()
                    .setClientId(clientId)
                    .setServerId(cluster.peer(node).getId())
                    .setGroupId(group)
                    .setCallId(callId)
                    .setMessage(Message.valueOf(ByteString.copyFrom(batch)))
                    .setType(RaftClientRequest.writeRequestType())
                    .build());
            if (!reply.isSuccess()) {
                throw new IOException("write refused: " + reply.getException());
            }
            return ReplyCodec.decode(reply.getMessage().getContent().toByteArray()).get(0);
        }

        @Override
        public void close() throws IOException {
            rpc.close();
        }
    }
}
