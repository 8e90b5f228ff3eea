package io.cairn.cluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.cluster.ClusterCodec;
import io.cairn.cluster.ControllerStateMachine;
import io.cairn.cluster.FailureDetector;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.Message;
import org.junit.jupiter.api.Test;

/** The agent's pieces that need no cluster: settings, the heartbeat query and its answer, the move steps. */
class AgentPartsTest {

    @Test
    void settingsHaveDefaultsAndRefuseNonsense() {
        ClusterAgentConfig d = ClusterAgentConfig.defaults();
        assertEquals(1000, d.heartbeatIntervalMs());
        assertEquals(5, d.controllerMaxVoters());
        assertEquals(FailureDetector.DEFAULT_DOWN_AFTER_MS, d.downAfterMs());
        assertEquals(250, ClusterAgentConfig.from(Map.of(ClusterAgentConfig.HEARTBEAT_INTERVAL_MS, "250")).heartbeatIntervalMs());

        IllegalArgumentException voters = assertThrows(IllegalArgumentException.class,
                () -> ClusterAgentConfig.from(Map.of(ClusterAgentConfig.CONTROLLER_MAX_VOTERS, "4")));
        assertTrue(voters.getMessage().contains(ClusterAgentConfig.CONTROLLER_MAX_VOTERS), voters.getMessage());
        // Heartbeats as slow as the suspicion threshold would have live nodes suspected.
        IllegalArgumentException slow = assertThrows(IllegalArgumentException.class, () -> ClusterAgentConfig.from(Map.of(
                ClusterAgentConfig.HEARTBEAT_INTERVAL_MS, "2000", FailureDetector.SUSPECT_AFTER_MS, "2000")));
        assertTrue(slow.getMessage().contains(ClusterAgentConfig.HEARTBEAT_INTERVAL_MS), slow.getMessage());
        IllegalArgumentException notNumber = assertThrows(IllegalArgumentException.class,
                () -> ClusterAgentConfig.from(Map.of(ClusterAgentConfig.MOVE_MAX_ATTEMPTS, "three")));
        assertTrue(notNumber.getMessage().contains("must be an integer"), notNumber.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClusterAgentConfig.from(Map.of(ClusterAgentConfig.MOVER_THREADS, "0")));
    }

    @Test
    void startupNeedsSeedsUnlessItBootstraps() {
        assertThrows(IllegalArgumentException.class, () -> ClusterAgent.Startup.join(List.of()));
        assertEquals(List.of("127.0.0.1:7001"), ClusterAgent.Startup.join(List.of("127.0.0.1:7001")).seeds());
    }

    @Test
    void heartbeatRepliesRoundTrip() {
        ClusterCodec.HeartbeatReply r = new ClusterCodec.HeartbeatReply(42, Map.of("n2", "127.0.0.1:7002", "n1", "127.0.0.1:7001"));
        ClusterCodec.HeartbeatReply back = ClusterCodec.decodeHeartbeatReply(ClusterCodec.encode(r));
        assertEquals(r, back);
        assertEquals(List.of("n1", "n2"), new ArrayList<>(back.controllers().keySet()));
        assertThrows(ClusterCodec.ClusterCodecException.class,
                () -> ClusterCodec.decodeHeartbeatReply("{\"epoch\":1}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(ClusterCodec.ClusterCodecException.class,
                () -> ClusterCodec.decodeHeartbeatReply("{\"epoch\":-1,\"controllers\":{}}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(ClusterCodec.ClusterCodecException.class,
                () -> ClusterCodec.decodeHeartbeatReply("{\"epoch\":1,\"controllers\":{\"n1\":7}}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aHeartbeatQueryReachesTheListenersAndAnswersTheEpoch() throws Exception {
        ControllerStateMachine sm = new ControllerStateMachine();
        List<String> heard = new ArrayList<>();
        AutoCloseable handle = sm.addHeartbeatListener(heard::add);
        Message answer = sm.query(Message.valueOf(ControllerStateMachine.QUERY_HEARTBEAT + "n7")).get(5, TimeUnit.SECONDS);
        ClusterCodec.HeartbeatReply r = ClusterCodec.decodeHeartbeatReply(answer.getContent().toByteArray());
        assertEquals(0, r.epoch());
        assertEquals(List.of("n7"), heard);

        CompletableFuture<Message> bad = sm.query(Message.valueOf(ControllerStateMachine.QUERY_HEARTBEAT + "no such id!"));
        ExecutionException e = assertThrows(ExecutionException.class, () -> bad.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("node id"), e.getCause().getMessage());
        assertEquals(List.of("n7"), heard, "a malformed heartbeat is not recorded");

        handle.close();
        sm.query(Message.valueOf(ControllerStateMachine.QUERY_HEARTBEAT + "n8")).get(5, TimeUnit.SECONDS);
        assertEquals(List.of("n7"), heard, "an unregistered listener hears nothing");
    }

    @Test
    void movesTakeTheStepsRatisAccepts() {
        // Fewer new voters than kept ones, or 1 -> 2: one configuration change.
        assertTrue(ControllerDuties.oneChange(List.of("a"), List.of("a", "b")));
        assertTrue(ControllerDuties.oneChange(List.of("a", "b"), List.of("a", "b", "c")));
        assertTrue(ControllerDuties.oneChange(List.of("a", "b", "c"), List.of("b", "c", "d")));
        assertTrue(ControllerDuties.oneChange(List.of("a", "b", "c", "d"), List.of("a", "b", "c")));
        // Swapping one of two voters, or the only one: through the union (add, then remove).
        assertFalse(ControllerDuties.oneChange(List.of("a", "b"), List.of("b", "c")));
        assertFalse(ControllerDuties.oneChange(List.of("a"), List.of("b")));
        assertEquals(List.of("a", "b", "c"), ControllerDuties.union(List.of("a", "b"), List.of("b", "c")));
        assertEquals(List.of("a", "b"), ControllerDuties.union(List.of("a"), List.of("b")));
    }
}
