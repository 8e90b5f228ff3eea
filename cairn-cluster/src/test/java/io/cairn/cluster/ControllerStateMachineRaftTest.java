package io.cairn.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cairn.cluster.ClusterCodec.ControlReply;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller state machine on three real Ratis servers in this process, talking gRPC over
 * 127.0.0.1: commands replicate, every replica ends with the same map, a restarted follower
 * comes back from its snapshot plus the log, and one that fell behind the leader's purged log
 * gets the leader's snapshot installed.
 */
@Timeout(value = 100, unit = TimeUnit.SECONDS)
class ControllerStateMachineRaftTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String CLUSTER = "ctl-test";

    @TempDir
    Path root;

    private final RaftGroupId groupId = ControllerStateMachine.groupId(CLUSTER);
    private final RaftServer[] servers = new RaftServer[3];
    private final ControllerStateMachine[] machines = new ControllerStateMachine[3];
    private final int[] ports = new int[3];
    private RaftGroup group;
    private ControllerClient client;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private RaftProperties properties(int i) {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(p, List.of(root.resolve("c" + i).toFile()));
        GrpcConfigKeys.Server.setHost(p, "127.0.0.1");
        GrpcConfigKeys.Server.setPort(p, ports[i]);
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(400, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(800, TimeUnit.MILLISECONDS));
        // Snapshots only when the test asks; small segments so that a snapshot lets the log be purged.
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, false);
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf("8KB"));
        RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf("8KB"));
        RaftServerConfigKeys.Log.setPurgeGap(p, 1);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, true);
        return p;
    }

    @BeforeEach
    void start() throws Exception {
        List<RaftPeer> peers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ports[i] = freePort();
            peers.add(RaftPeer.newBuilder().setId("c" + i).setAddress("127.0.0.1:" + ports[i]).build());
        }
        group = RaftGroup.valueOf(groupId, peers);
        for (int i = 0; i < 3; i++) {
            startServer(i);
        }
        client = ControllerClient.create(group, new RaftProperties(), Duration.ofSeconds(20));
    }

    private void startServer(int i) throws IOException {
        machines[i] = new ControllerStateMachine();
        servers[i] = RaftServer.newBuilder()
                .setServerId(RaftPeerId.valueOf("c" + i))
                .setProperties(properties(i))
                .setGroup(group)
                .setStateMachine(machines[i])
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        servers[i].start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (client != null) {
            client.close();
        }
        for (RaftServer s : servers) {
            if (s != null) {
                s.close();
            }
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + WAIT + " waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    private ControlReply submit(ControlCommand c) throws Exception {
        return client.submit(c).get(30, TimeUnit.SECONDS);
    }

    private ClusterMap accepted(ControlCommand c) throws Exception {
        ControlReply r = submit(c);
        assertTrue(r.accepted(), c + " refused: " + r.errorLine());
        ClusterMap m = client.readMap().get(30, TimeUnit.SECONDS);
        assertEquals(r.epoch(), m.epoch(), "a read after the reply sees the command (linearizable)");
        return m;
    }

    private int leaderIndex() throws IOException {
        for (int i = 0; i < 3; i++) {
            if (servers[i] != null && servers[i].getDivision(groupId).getInfo().isLeader()) {
                return i;
            }
        }
        return -1;
    }

    private void awaitSameMapEverywhere(ClusterMap expected) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            int n = i;
            await("replica c" + n + " reaches epoch " + expected.epoch(), () -> machines[n].currentMap().epoch() >= expected.epoch());
            assertEquals(expected, machines[n].currentMap(), "replica c" + n);
        }
    }

    /** Bootstraps a 3-node cluster of 8 partitions and converges it through the planner, over Raft. */
    private ClusterMap bootstrapAndConverge() throws Exception {
        ClusterMap m = accepted(new ControlCommand.Bootstrap(new ClusterSettings(CLUSTER, 4, 3, 64, 4, 16), Maps.spec("n1")));
        for (String id : List.of("n2", "n3")) {
            m = accepted(new ControlCommand.Join(Maps.spec(id)));
            m = accepted(new ControlCommand.MarkUp(id, m.epoch()));
        }
        Planner planner = new Planner();
        for (int round = 0; round < 100; round++) {
            List<ControlCommand> plan = planner.plan(m);
            if (plan.isEmpty()) {
                return m;
            }
            for (ControlCommand c : plan) {
                ControlReply r = submit(c);
                if (r.accepted() && c instanceof ControlCommand.BeginMove b) {
                    // The mover's part, done at once: the new replica caught up.
                    m = client.readMap().get(30, TimeUnit.SECONDS);
                    ReplicaMove mv = m.partition(b.partition()).move();
                    submit(new ControlCommand.CompleteMove(b.partition(), mv.add(), mv.remove(), mv.startedAtEpoch()));
                }
            }
            m = client.readMap().get(30, TimeUnit.SECONDS);
        }
        fail("no convergence in 100 rounds: " + m);
        return m;
    }

    @Test
    void commandsReplicateAndEveryReplicaHoldsTheSameMap() throws Exception {
        List<List<Long>> seen = new ArrayList<>();
        for (ControllerStateMachine sm : machines) {
            List<Long> epochs = new CopyOnWriteArrayList<>();
            seen.add(epochs);
            closeables.add(sm.addMapListener(m -> epochs.add(m.epoch())));
        }
        ClusterMap m = bootstrapAndConverge();
        for (PartitionReplicas p : m.partitions()) {
            assertEquals(3, p.replicas().size());
        }
        assertEquals(m.epoch(), client.readEpoch().get(30, TimeUnit.SECONDS));

        // A refusal replicates too (every replica refuses alike) and changes nothing.
        ControlReply stale = submit(new ControlCommand.MarkDown("n2", 1));
        assertFalse(stale.accepted());
        assertEquals(ApplyResult.Reason.STALE_EPOCH, stale.reason());
        assertEquals(m.epoch(), stale.epoch());
        ControlReply unknown = submit(new ControlCommand.Leave("nobody"));
        assertEquals(ApplyResult.Reason.UNKNOWN_NODE, unknown.reason());

        // An entry that does not decode is refused as corrupt on every replica alike.
        try (RaftClient raw = RaftClient.newBuilder().setProperties(new RaftProperties()).setRaftGroup(group)
                .setClientId(ClientId.randomId())
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(100, TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build()) {
            RaftClientReply r = raw.async().send(Message.valueOf("{not a command")).get(30, TimeUnit.SECONDS);
            assertTrue(r.isSuccess());
            ControlReply corrupt = ClusterCodec.decodeReply(r.getMessage().getContent().toByteArray());
            assertEquals(ApplyResult.Reason.CORRUPT, corrupt.reason());
        }
        // An unknown query is an error, not an answer (asked of the leader, once).
        try (RaftClient once = RaftClient.newBuilder().setProperties(new RaftProperties()).setRaftGroup(group)
                .setClientId(ClientId.randomId()).setRetryPolicy(RetryPolicies.noRetry()).build()) {
            RaftPeerId leader = RaftPeerId.valueOf("c" + leaderIndex());
            try {
                RaftClientReply q = once.io().sendReadOnly(Message.valueOf("everything"), leader);
                assertFalse(q.isSuccess(), "an unknown query got an answer");
            } catch (IOException expected) {
                assertTrue(String.valueOf(expected.getMessage()).contains("unknown controller query")
                        || String.valueOf(expected.getCause()).contains("unknown controller query"), expected.toString());
            }
        }
        assertEquals(m, client.readMap().get(30, TimeUnit.SECONDS));
        awaitSameMapEverywhere(m);

        // Every replica told its listeners of every epoch, in order.
        for (int i = 0; i < 3; i++) {
            List<Long> epochs = seen.get(i);
            int n = i;
            await("c" + n + "'s listener hears epoch " + m.epoch(), () -> !epochs.isEmpty() && epochs.get(epochs.size() - 1) == m.epoch());
            for (int k = 0; k < epochs.size(); k++) {
                assertEquals(k + 1, epochs.get(k), "c" + i + " listener saw " + epochs);
            }
            assertEquals(m.epoch(), machines[i].appliedCommands());
            // Our three refusals, plus planner proposals made stale by an earlier one of the same round.
            assertTrue(machines[i].rejectedCommands() >= 3);
            assertEquals(machines[0].rejectedCommands(), machines[i].rejectedCommands(), "every replica refuses alike");
        }
    }

    /** Toggles n2 between SUSPECT and UP {@code times} times (two accepted commands each); returns the map after. */
    private ClusterMap churn(ClusterMap m, int times) throws Exception {
        long epoch = m.epoch();
        for (int k = 0; k < times; k++) {
            ControlReply r = submit(new ControlCommand.MarkSuspect("n2", epoch));
            assertTrue(r.accepted(), r.errorLine());
            r = submit(new ControlCommand.MarkUp("n2", r.epoch()));
            assertTrue(r.accepted(), r.errorLine());
            epoch = r.epoch();
        }
        ClusterMap after = client.readMap().get(30, TimeUnit.SECONDS);
        assertEquals(epoch, after.epoch());
        return after;
    }

    private long snapshot(int i) throws IOException {
        RaftClientReply r = servers[i].snapshotManagement(SnapshotManagementRequest.newCreate(ClientId.randomId(),
                RaftPeerId.valueOf("c" + i), groupId, 1, 30_000, 1));
        assertTrue(r.isSuccess(), "snapshot on c" + i + ": " + r.getException());
        return r.getLogIndex();
    }

    @Test
    void aRestartedFollowerReloadsFromItsSnapshotAndTheLog() throws Exception {
        ClusterMap m = bootstrapAndConverge();
        int leader = leaderIndex();
        assertTrue(leader >= 0);
        int follower = (leader + 1) % 3;
        awaitSameMapEverywhere(m);
        long index = snapshot(follower);
        assertTrue(index > 0);
        assertEquals(1, machines[follower].snapshotsTaken());
        m = churn(m, 5);

        servers[follower].close();
        servers[follower] = null;
        m = churn(m, 5);
        startServer(follower);
        ControllerStateMachine restarted = machines[follower];
        assertEquals(1, restarted.snapshotsLoaded(), "the restarted replica starts from its snapshot");
        assertTrue(restarted.currentMap().epoch() >= 1);
        awaitSameMapEverywhere(m);
        // And it keeps up with what follows.
        m = churn(m, 2);
        awaitSameMapEverywhere(m);
    }

    @Test
    void aFollowerBehindThePurgedLogGetsTheLeadersSnapshot() throws Exception {
        ClusterMap m = bootstrapAndConverge();
        int leader = leaderIndex();
        assertTrue(leader >= 0);
        int behind = (leader + 1) % 3;
        awaitSameMapEverywhere(m);
        long stoppedAt = machines[behind].getLastAppliedTermIndex().getIndex();
        servers[behind].close();
        servers[behind] = null;
        // Enough entries to fill several log segments, then snapshots let the live replicas purge them.
        m = churn(m, 100);
        for (int i = 0; i < 3; i++) {
            if (i != behind) {
                snapshot(i);
            }
        }
        ClusterMap before = m;
        int lead = leaderIndex();
        assertTrue(lead >= 0 && lead != behind);
        // Purging runs after the snapshot, asynchronously.
        await("the leader purges its log past index " + stoppedAt, () -> {
            try {
                return servers[lead].getDivision(groupId).getRaftLog().getStartIndex() > stoppedAt + 1;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        startServer(behind);
        ControllerStateMachine restarted = machines[behind];
        awaitSameMapEverywhere(before);
        assertTrue(restarted.snapshotsLoaded() >= 1, "the leader's snapshot was installed");
        m = churn(m, 1);
        awaitSameMapEverywhere(m);
        assertEquals(new String(ClusterCodec.encode(m), StandardCharsets.UTF_8),
                new String(ClusterCodec.encode(restarted.currentMap()), StandardCharsets.UTF_8));
    }
}
