package io.cairn.verify.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Reading {@code CLUSTER MAP} (the JSON of the server's ClusterCodec) and deciding whether a map is settled. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ClusterMapViewTest {
    private static String node(String id, String state) {
        return "{\"id\":\"" + id + "\",\"raft\":\"" + id + ".cairn:7000\",\"resp\":\"127.0.0.1:6000\",\"zone\":\"\","
                + "\"state\":\"" + state + "\",\"since\":3}";
    }

    private static String map(long epoch, String nodes, String partitions) {
        return "{\"format\":1,\"epoch\":" + epoch + ",\"settings\":{\"clusterId\":\"cairn\",\"partitions\":2,"
                + "\"replicationFactor\":3,\"vnodesPerNode\":128,\"maxConcurrentMoves\":4,\"maxNodes\":1024},"
                + "\"nodes\":[" + nodes + "],\"partitions\":[" + partitions + "]}";
    }

    private static final String SETTLED = map(31,
            node("n1", "UP") + "," + node("n2", "LEFT") + "," + node("n3", "UP") + "," + node("n4", "UP"),
            "{\"replicas\":[\"n1\",\"n3\",\"n4\"],\"changed\":30},{\"replicas\":[\"n4\",\"n1\",\"n3\"],\"changed\":29}");

    @Test
    void parsesEpochStatesReplicasAndMoves() {
        ClusterMapView m = ClusterMapView.parse(SETTLED);
        assertEquals(31, m.epoch());
        assertEquals(3, m.replicationFactor());
        assertEquals("LEFT", m.state("n2"));
        assertEquals("ABSENT", m.state("n9"));
        assertEquals(Set.of("n1", "n3", "n4"), m.up());
        assertEquals(List.of("n4", "n1", "n3"), m.replicas().get(1));
        assertEquals(0, m.moves());
        assertTrue(m.hosts("n4"));
        assertFalse(m.hosts("n2"));

        ClusterMapView moving = ClusterMapView.parse(map(32, node("n1", "UP") + "," + node("n2", "LEAVING"),
                "{\"replicas\":[\"n1\",\"n2\",\"n3\"],\"changed\":30,\"move\":{\"add\":\"n4\",\"remove\":\"n2\",\"started\":32}},"
                        + "{\"replicas\":[\"n1\",\"n3\",\"n4\"],\"changed\":29}"));
        assertEquals(1, moving.moves());
        assertEquals(List.of(true, false), moving.moving());
    }

    @Test
    void aMapIsSettledOnlyWithEveryMemberUpEveryOtherNodeLeftAndRfReplicasOnMembers() {
        ClusterMapView m = ClusterMapView.parse(SETTLED);
        assertNull(m.unsettledBecause(List.of("n1", "n3", "n4")));
        assertTrue(m.unsettledBecause(List.of("n1", "n2", "n3", "n4")).contains("n2 is LEFT"));
        assertTrue(m.unsettledBecause(List.of("n1", "n3")).contains("n4 is UP (not a member any more"));

        ClusterMapView suspect = ClusterMapView.parse(SETTLED.replace(node("n3", "UP"), node("n3", "SUSPECT")));
        assertTrue(suspect.unsettledBecause(List.of("n1", "n3", "n4")).contains("n3 is SUSPECT"));

        ClusterMapView shortList = ClusterMapView.parse(SETTLED.replace("[\"n4\",\"n1\",\"n3\"]", "[\"n4\",\"n1\"]"));
        assertTrue(shortList.unsettledBecause(List.of("n1", "n3", "n4")).contains("partition 1 on [n4, n1], not 3"));

        ClusterMapView onLeft = ClusterMapView.parse(SETTLED.replace("[\"n4\",\"n1\",\"n3\"]", "[\"n4\",\"n1\",\"n2\"]"));
        assertTrue(onLeft.unsettledBecause(List.of("n1", "n3", "n4")).contains("replica on n2 (LEFT), not a member"));

        ClusterMapView moving = ClusterMapView.parse(SETTLED.replace("\"changed\":29}",
                "\"changed\":29,\"move\":{\"add\":\"n2\",\"remove\":null,\"started\":31}}"));
        assertTrue(moving.unsettledBecause(List.of("n1", "n3", "n4")).contains("partition 1 has a move in progress"));
    }

    @Test
    void refusesWhatIsNotABootstrappedMap() {
        assertThrows(IllegalArgumentException.class, () -> ClusterMapView.parse("not json"));
        assertThrows(IllegalArgumentException.class, () -> ClusterMapView.parse("{\"format\":1,\"epoch\":0}"));
        assertThrows(IllegalArgumentException.class, () -> ClusterMapView.parse("{\"format\":1}"));
    }
}
