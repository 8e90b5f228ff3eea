package io.cairn.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlacementTest {
    private static List<String> nodes(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add("n" + i);
        }
        return out;
    }

    @Test
    void everyPartitionGetsDistinctReplicasAndTheMapIsDeterministic() {
        Placement a = Placement.compute(nodes(5), 64, 3, 64);
        Placement b = Placement.compute(List.of("n5", "n3", "n1", "n4", "n2"), 64, 3, 64);
        for (int p = 0; p < 64; p++) {
            assertEquals(3, new HashSet<>(a.replicas(p)).size(), "partition " + p);
            assertEquals(a.replicas(p), b.replicas(p), "member order must not matter");
        }
    }

    @Test
    void threeNodesWithRf3PutEveryPartitionEverywhere() {
        Placement p = Placement.compute(nodes(3), 16, 3, 64);
        for (String n : nodes(3)) {
            assertEquals(16, p.partitionsOf(n).size());
        }
    }

    @Test
    void replicasAreSpreadEvenly() {
        Placement p = Placement.compute(nodes(8), 256, 3, 128);
        double mean = 256.0 * 3 / 8;
        for (String n : nodes(8)) {
            int count = p.partitionsOf(n).size();
            assertTrue(count > mean * 0.6 && count < mean * 1.4, n + " holds " + count + " replicas, mean " + mean);
        }
    }

    @Test
    void addingANodeMovesFewReplicas() {
        Placement before = Placement.compute(nodes(6), 256, 3, 128);
        Placement after = Placement.compute(nodes(7), 256, 3, 128);
        int moved = 0;
        for (int p = 0; p < 256; p++) {
            Map<String, Boolean> was = new HashMap<>();
            before.replicas(p).forEach(n -> was.put(n, true));
            for (String n : after.replicas(p)) {
                if (!was.containsKey(n)) {
                    moved++;
                }
            }
        }
        // The minimum is RF x P / N = 3 x 256 / 7 ~ 110; a full reshuffle would move ~ 400.
        assertTrue(moved < 110 * 1.5, "moved " + moved + " replicas");
        assertTrue(moved > 0);
    }

    @Test
    void zonesAreDistinctWhenPossibleAndFilledInRingOrderOtherwise() {
        Map<String, String> zones = new java.util.LinkedHashMap<>();
        for (int i = 1; i <= 9; i++) {
            zones.put("n" + i, "z" + (i % 3));
        }
        Placement three = Placement.compute(zones, 128, 3, 64);
        for (int p = 0; p < 128; p++) {
            Set<String> used = new HashSet<>();
            three.replicas(p).forEach(n -> used.add(zones.get(n)));
            assertEquals(3, used.size(), "partition " + p + " " + three.replicas(p));
        }
        // Two zones for RF 3: both used, the third replica from either, all distinct nodes.
        Map<String, String> two = new java.util.LinkedHashMap<>();
        for (int i = 1; i <= 6; i++) {
            two.put("n" + i, "z" + (i % 2));
        }
        Placement p2 = Placement.compute(two, 128, 3, 64);
        for (int p = 0; p < 128; p++) {
            List<String> r = p2.replicas(p);
            assertEquals(3, new HashSet<>(r).size());
            assertEquals(2, r.stream().map(two::get).distinct().count(), "partition " + p + " " + r);
        }
        // One zone: plain ring order.
        Map<String, String> one = new java.util.LinkedHashMap<>();
        nodes(5).forEach(n -> one.put(n, "same"));
        assertEquals(Placement.compute(nodes(5), 64, 3, 64).asMap(), Placement.compute(one, 64, 3, 64).asMap());
    }

    @Test
    void invalidInputsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Placement.compute(nodes(2), 16, 3, 64));
        assertThrows(IllegalArgumentException.class, () -> Placement.compute(List.of("a", "a"), 16, 1, 64));
        assertThrows(IllegalArgumentException.class, () -> Placement.compute(nodes(3), 0, 1, 64));
    }

    @Test
    void peersParse() {
        List<Peer> peers = Peer.parseList("n1@127.0.0.1:7001/6381, n2@localhost:7002");
        assertEquals(new Peer("n1", "127.0.0.1", 7001, 6381), peers.get(0));
        assertEquals(new Peer("n2", "localhost", 7002, 0), peers.get(1));
        assertThrows(IllegalArgumentException.class, () -> Peer.parseList("n1@h:1,n1@h:2"));
        assertThrows(IllegalArgumentException.class, () -> Peer.parseList("n1@h:1,n2@h:1"));
        assertThrows(IllegalArgumentException.class, () -> Peer.parseList("n1:7001"));
        assertThrows(IllegalArgumentException.class, () -> Peer.parseList("n1@h:x"));
    }
}
