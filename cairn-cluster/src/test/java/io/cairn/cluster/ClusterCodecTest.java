package io.cairn.cluster;

import static io.cairn.cluster.Maps.cluster;
import static io.cairn.cluster.Maps.ok;
import static io.cairn.cluster.Maps.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.cluster.ClusterCodec.ClusterCodecException;
import io.cairn.cluster.ClusterCodec.ControlReply;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterCodecTest {
    private static final List<ControlCommand> EVERY_KIND = List.of(
            new ControlCommand.Bootstrap(new ClusterSettings("c-1", 64, 3, 128, 4, 100), new NodeSpec("n1", "h1:7001", "h1:6380", "eu-1a")),
            new ControlCommand.Join(new NodeSpec("n2", "[::1]:7002", "h2:6380", "")),
            new ControlCommand.MarkUp("n2", 7),
            new ControlCommand.MarkSuspect("n2", 8),
            new ControlCommand.MarkDown("n2", 9),
            new ControlCommand.Leave("n3"),
            new ControlCommand.Remove("n3"),
            new ControlCommand.BeginMove(5, "n4", "n3", 11),
            new ControlCommand.BeginMove(6, "n4", null, 12),
            new ControlCommand.CompleteMove(5, "n4", "n3", 12),
            new ControlCommand.CompleteMove(6, "n4", null, 13),
            new ControlCommand.AbortMove(5, "n4", "n3", 12),
            new ControlCommand.AbortMove(6, "n4", null, 13),
            new ControlCommand.SetPreferredLeader(2, "n1", 14),
            new ControlCommand.RequestRebalance(),
            new ControlCommand.ClearRebalance(15));

    @Test
    void everyCommandKindRoundTrips() {
        for (ControlCommand c : EVERY_KIND) {
            byte[] bytes = ClusterCodec.encode(c);
            assertEquals(c, ClusterCodec.decodeCommand(bytes), new String(bytes, StandardCharsets.UTF_8));
            // Equal values, equal bytes: the encoding has no hidden ordering freedom.
            assertArrayEquals(bytes, ClusterCodec.encode(ClusterCodec.decodeCommand(bytes)));
        }
    }

    @Test
    void mapsRoundTrip() {
        assertEquals(ClusterMap.EMPTY, ClusterCodec.decodeMap(ClusterCodec.encode(ClusterMap.EMPTY)));
        ClusterMap m = cluster(new ClusterSettings("rt", 4, 3, 16, 4, 8), 3);
        m = ok(m, new ControlCommand.Join(spec("n4", "zone-b")));
        m = ok(m, new ControlCommand.BeginMove(1, "n2", null, m.epoch()));
        m = ok(m, new ControlCommand.CompleteMove(1, "n2", null, m.epoch()));
        m = ok(m, new ControlCommand.BeginMove(2, "n3", null, m.epoch()));
        m = ok(m, new ControlCommand.BeginMove(1, "n3", "n1", m.epoch()));
        m = ok(m, new ControlCommand.MarkDown("n2", m.epoch()));
        m = ok(m, new ControlCommand.Join(spec("n5")));
        m = ok(m, new ControlCommand.Leave("n5"));
        m = ok(m, new ControlCommand.Remove("n5"));
        byte[] bytes = ClusterCodec.encode(m);
        ClusterMap back = ClusterCodec.decodeMap(bytes);
        assertEquals(m, back);
        assertArrayEquals(bytes, ClusterCodec.encode(back));
        assertEquals(new ReplicaMove("n3", "n1", back.partition(1).move().startedAtEpoch()), back.partition(1).move());
        assertEquals(NodeState.LEFT, back.node("n5").orElseThrow().state());
        assertEquals("zone-b", back.node("n4").orElseThrow().spec().zone());
    }

    @Test
    void aPendingRebalanceRequestRoundTripsAndAMapWithoutOneReadsAsNone() {
        ClusterMap m = cluster(new ClusterSettings("rt", 4, 3, 16, 4, 8), 3);
        assertEquals(0, ClusterCodec.decodeMap(ClusterCodec.encode(m)).rebalanceRequestedAtEpoch());
        assertTrue(!new String(ClusterCodec.encode(m), StandardCharsets.UTF_8).contains("rebalance"),
                "no field when none is pending: maps written before it existed read the same");
        m = ok(m, new ControlCommand.RequestRebalance());
        long requested = m.epoch();
        m = ok(m, new ControlCommand.MarkDown("n3", m.epoch()));
        byte[] bytes = ClusterCodec.encode(m);
        ClusterMap back = ClusterCodec.decodeMap(bytes);
        assertEquals(m, back);
        assertEquals(requested, back.rebalanceRequestedAtEpoch());
        assertArrayEquals(bytes, ClusterCodec.encode(back));
        // A request from the future is refused like any other broken invariant.
        String future = new String(bytes, StandardCharsets.UTF_8).replace("\"rebalanceRequestedAtEpoch\":" + requested,
                "\"rebalanceRequestedAtEpoch\":" + (m.epoch() + 1));
        ClusterCodecException e = assertThrows(ClusterCodecException.class,
                () -> ClusterCodec.decodeMap(future.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("rebalance requested at epoch"), e.getMessage());
    }

    @Test
    void repliesRoundTrip() {
        ControlReply accepted = new ControlReply(true, 42, null, "");
        assertEquals(accepted, ClusterCodec.decodeReply(ClusterCodec.encode(accepted)));
        assertEquals("OK", accepted.errorLine());
        ControlReply refused = ControlReply.of(new ApplyResult.Rejected(ApplyResult.Reason.STALE_EPOCH, "partition 3 changed"), 41);
        assertEquals(refused, ClusterCodec.decodeReply(ClusterCodec.encode(refused)));
        assertEquals("STALEEPOCH partition 3 changed", refused.errorLine());
        assertEquals(41, refused.epoch());
    }

    private static void malformedCommand(String json, String expectedInMessage) {
        ClusterCodecException e = assertThrows(ClusterCodecException.class,
                () -> ClusterCodec.decodeCommand(json.getBytes(StandardCharsets.UTF_8)), json);
        assertTrue(e.getMessage().contains(expectedInMessage), e.getMessage());
    }

    @Test
    void malformedCommandsAreRefusedWithTheReason() {
        assertThrows(ClusterCodecException.class, () -> ClusterCodec.decodeCommand(new byte[0]));
        malformedCommand("not json", "not valid JSON");
        malformedCommand("[1,2]", "must be a JSON object");
        malformedCommand("{}", "missing field 'type'");
        malformedCommand("{\"type\":\"explode\"}", "unknown command type 'explode'");
        malformedCommand("{\"type\":\"leave\"}", "missing field 'node'");
        malformedCommand("{\"type\":\"leave\",\"node\":7}", "'node' must be a string");
        malformedCommand("{\"type\":\"mark-down\",\"node\":\"n1\",\"observedAtEpoch\":\"5\"}", "must be an integer");
        malformedCommand("{\"type\":\"begin-move\",\"partition\":1e3,\"add\":\"a\",\"expectedEpoch\":1}", "32-bit integer");
        malformedCommand("{\"type\":\"begin-move\",\"partition\":4294967296,\"add\":\"a\",\"expectedEpoch\":1}", "32-bit integer");
        malformedCommand("{\"type\":\"leave\",\"node\":\"a\",\"node\":\"b\"}", "not valid JSON");
        malformedCommand("{\"type\":\"leave\",\"node\":\"a\"} trailing", "not valid JSON");
        malformedCommand("{\"type\":\"join\",\"node\":{\"id\":\"bad id\",\"raft\":\"h:1\",\"resp\":\"h:2\"}}", "invalid join command");
        malformedCommand("{\"type\":\"bootstrap\",\"node\":{\"id\":\"a\",\"raft\":\"h:1\",\"resp\":\"h:2\"},"
                + "\"settings\":{\"clusterId\":\"c\",\"partitions\":0,\"replicationFactor\":1,\"vnodesPerNode\":1,"
                + "\"maxConcurrentMoves\":1,\"maxNodes\":1}}", "partitions must be in");
        // Unknown fields are ignored (a newer writer may add some).
        assertEquals(new ControlCommand.Leave("a"),
                ClusterCodec.decodeCommand("{\"type\":\"leave\",\"node\":\"a\",\"reason\":\"maintenance\"}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void malformedMapsAreRefused() {
        ClusterMap m = cluster(Maps.settings(2, 1), 1);
        String good = new String(ClusterCodec.encode(m), StandardCharsets.UTF_8);
        assertEquals(m, ClusterCodec.decodeMap(good.getBytes(StandardCharsets.UTF_8)));
        ClusterCodecException e = assertThrows(ClusterCodecException.class,
                () -> ClusterCodec.decodeMap(good.replace("\"format\":1", "\"format\":2").getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("format 2 is not supported"), e.getMessage());
        // A replica on a node the map does not know breaks an invariant.
        e = assertThrows(ClusterCodecException.class,
                () -> ClusterCodec.decodeMap(good.replace("[\"n1\"]", "[\"ghost\"]").getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("ghost"), e.getMessage());
        e = assertThrows(ClusterCodecException.class,
                () -> ClusterCodec.decodeMap(good.replace("\"UP\"", "\"SLEEPY\"").getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("SLEEPY"), e.getMessage());
        assertThrows(ClusterCodecException.class, () -> ClusterCodec.decodeMap("{\"format\":1,\"epoch\":3}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(ClusterCodecException.class, () -> ClusterCodec.decodeReply("{\"accepted\":\"yes\",\"epoch\":1}".getBytes(StandardCharsets.UTF_8)));
    }
}
