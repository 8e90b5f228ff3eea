package io.cairn.raft.minicluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import io.cairn.raft.RaftNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A non-partition group (what the cluster controller will be) hosted in the nodes' Raft servers
 * next to the partitions, with the caller's state machine: registered, hosted, used through
 * {@link RaftNode#newClient}, and given the right state machine again when a restarted node
 * reopens it from disk.
 */
class ExtraGroupTest {
    static final RaftGroupId CONTROLLER = RaftGroupId.valueOf(UUID.nameUUIDFromBytes("test/controller".getBytes(StandardCharsets.UTF_8)));

    /** Adds the numbers it is sent; answers queries with the sum. */
    static final class SumStateMachine extends BaseStateMachine {
        final AtomicLong sum = new AtomicLong();

        @Override
        public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
            LogEntryProto entry = trx.getLogEntry();
            long v = sum.addAndGet(Long.parseLong(entry.getStateMachineLogEntry().getLogData().toStringUtf8()));
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
            return CompletableFuture.completedFuture(Message.valueOf(Long.toString(v)));
        }

        @Override
        public CompletableFuture<Message> query(Message request) {
            return CompletableFuture.completedFuture(Message.valueOf(Long.toString(sum.get())));
        }
    }

    @TempDir
    Path dir;

    static String send(RaftClient client, long n) throws IOException {
        RaftClientReply reply = client.io().send(Message.valueOf(Long.toString(n)));
        assertTrue(reply.isSuccess(), reply.toString());
        return reply.getMessage().getContent().toStringUtf8();
    }

    @Test
    @Timeout(90)
    void anExtraGroupRunsBesideThePartitionsAndSurvivesARestart() throws Exception {
        Map<String, SumStateMachine> machines = new ConcurrentHashMap<>();
        try (MiniCluster c = new MiniCluster(dir, 3, 2, Map.of())
                .withNodeSetup(node -> node.registerGroup(CONTROLLER, () -> {
                    SumStateMachine m = new SumStateMachine();
                    machines.put(node.nodeId(), m);
                    return m;
                })).start()) {
            RaftGroup group = RaftGroup.valueOf(CONTROLLER, c.peers(0, 1, 2));
            for (int n = 0; n < 3; n++) {
                c.node(n).hostGroup(group, Duration.ofSeconds(30));
                c.node(n).hostGroup(group, Duration.ofSeconds(30)); // idempotent
            }
            try (RaftClient client = c.node(0).newClient(group)) {
                for (int i = 1; i <= 10; i++) {
                    assertEquals(Long.toString(5L * i), send(client, 5));
                }
                assertEquals("50", client.io().sendReadOnly(Message.EMPTY).getMessage().getContent().toStringUtf8());
            }
            // The partitions work as before, in the same servers.
            assertEquals(Reply.OK, c.service(1).execute(MoveWorkload.argv("SET", "k", "v")).get(20, TimeUnit.SECONDS));
            assertTrue(MoveWorkload.matches(c.service(2).execute(MoveWorkload.argv("GET", "k")).get(20, TimeUnit.SECONDS), "v"));

            // A restarted node reopens the group from disk with a new machine from the factory, which the log refills.
            SumStateMachine before = machines.get("n1");
            c.stop(1);
            c.restart(1);
            MiniCluster.await(Duration.ofSeconds(30), () -> machines.get("n1") != before && machines.get("n1").sum.get() == 50,
                    "n1's new controller machine to replay the log");
            assertNotSame(before, machines.get("n1"));
            assertTrue(c.node(1).groupDivision(CONTROLLER).getStateMachine() == machines.get("n1"));
            try (RaftClient client = c.node(1).newClient(group)) {
                assertEquals("51", send(client, 1));
            }
            MiniCluster.await(Duration.ofSeconds(20), () -> machines.values().stream().allMatch(m -> m.sum.get() == 51),
                    "every replica to apply the last entry");

            // Misuse is refused.
            assertThrows(IllegalStateException.class, () -> c.node(0).registerGroup(CONTROLLER, SumStateMachine::new));
            assertThrows(IllegalArgumentException.class,
                    () -> c.node(0).registerGroup(RaftNode.groupId("cairn", 0), SumStateMachine::new));
            RaftGroup unknown = RaftGroup.valueOf(RaftGroupId.randomId(), c.peers(0));
            assertThrows(IllegalStateException.class, () -> c.node(0).hostGroup(unknown, Duration.ofSeconds(5)));
        }
    }
}
