package io.cairn.cluster;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which nodes replicate each partition: consistent hashing with virtual nodes. Every node puts
 * {@code vnodes} points on a 64-bit ring; partition {@code p}'s replicas are the first
 * {@code replicationFactor} distinct nodes clockwise from the hash of {@code p}. The first of them
 * is the preferred leader.
 *
 * <p>Why a ring: when a node joins or leaves, only the partitions whose replica walk crosses its
 * points change, about {@code RF x partitions / nodes} replicas instead of a full reshuffle; and
 * the result depends only on the member names, so every node computes the same map without
 * talking to the others.
 */
public final class Placement {
    private final int partitions;
    private final int replicationFactor;
    private final Map<Integer, List<String>> replicas;

    private Placement(int partitions, int replicationFactor, Map<Integer, List<String>> replicas) {
        this.partitions = partitions;
        this.replicationFactor = replicationFactor;
        this.replicas = replicas;
    }

    public static Placement compute(Collection<String> nodes, int partitions, int replicationFactor, int vnodes) {
        Set<String> distinct = new HashSet<>(nodes);
        if (distinct.size() != nodes.size()) {
            throw new IllegalArgumentException("node names must be distinct: " + nodes);
        }
        Map<String, String> ownZones = new LinkedHashMap<>();
        for (String node : nodes) {
            ownZones.put(node, node);
        }
        return compute(ownZones, partitions, replicationFactor, vnodes);
    }

    /**
     * Ring placement spreading each partition's replicas over distinct zones where possible.
     * Walking clockwise from the partition's hash, a node whose zone already holds a replica is
     * skipped (and remembered); once every zone holds one, the skipped nodes fill the remaining
     * places in ring order, then any further distinct node. With every node in its own zone this
     * is the plain walk: the first {@code replicationFactor} distinct nodes.
     *
     * @param zoneOfNode every node and its zone
     */
    public static Placement compute(Map<String, String> zoneOfNode, int partitions, int replicationFactor, int vnodes) {
        if (zoneOfNode.isEmpty()) {
            throw new IllegalArgumentException("placement needs at least one node");
        }
        if (partitions < 1 || partitions > 16384) {
            throw new IllegalArgumentException("partitions must be in 1..16384, got " + partitions);
        }
        if (replicationFactor < 1 || replicationFactor > zoneOfNode.size()) {
            throw new IllegalArgumentException("replication-factor must be in 1.." + zoneOfNode.size()
                    + " (the number of nodes), got " + replicationFactor);
        }
        if (vnodes < 1 || vnodes > 4096) {
            throw new IllegalArgumentException("vnodes-per-node must be in 1..4096, got " + vnodes);
        }
        TreeMap<Long, String> ring = new TreeMap<>();
        for (String node : zoneOfNode.keySet()) {
            for (int v = 0; v < vnodes; v++) {
                // A collision (two points on one 64-bit position) is resolved by name order, so it is deterministic too.
                ring.merge(hash("node/" + node + "/" + v), node, (a, b) -> a.compareTo(b) <= 0 ? a : b);
            }
        }
        int zones = new HashSet<>(zoneOfNode.values()).size();
        Map<Integer, List<String>> out = new LinkedHashMap<>();
        for (int p = 0; p < partitions; p++) {
            out.put(p, walk(ring, hash("partition/" + p), zoneOfNode, zones, replicationFactor));
        }
        return new Placement(partitions, replicationFactor, Collections.unmodifiableMap(out));
    }

    private static List<String> walk(TreeMap<Long, String> ring, long from, Map<String, String> zoneOfNode, int zones,
                                     int replicationFactor) {
        List<String> chosen = new ArrayList<>(replicationFactor);
        Set<String> usedZones = new HashSet<>();
        List<String> skipped = new ArrayList<>();
        boolean zonesExhausted = false;
        // Bounded: at most one full turn of the ring.
        RingWalk it = new RingWalk(ring, from);
        while (chosen.size() < replicationFactor && it.hasNext()) {
            String node = it.next();
            if (chosen.contains(node) || skipped.contains(node)) {
                continue;
            }
            if (zonesExhausted) {
                chosen.add(node);
            } else if (usedZones.add(zoneOfNode.get(node))) {
                chosen.add(node);
            } else {
                skipped.add(node);
            }
            if (!zonesExhausted && usedZones.size() == zones) {
                // No zone is left unused: distinct zones are no longer possible, take nodes in ring order.
                zonesExhausted = true;
                for (int i = 0; i < skipped.size() && chosen.size() < replicationFactor; i++) {
                    chosen.add(skipped.get(i));
                }
                skipped.clear();
            }
        }
        if (chosen.size() != replicationFactor) {
            throw new IllegalStateException("ring walk found " + chosen.size() + " of " + replicationFactor + " nodes");
        }
        return List.copyOf(chosen);
    }

    public int partitions() {
        return partitions;
    }

    public int replicationFactor() {
        return replicationFactor;
    }

    /** The replicas of {@code partition}, preferred leader first. */
    public List<String> replicas(int partition) {
        List<String> r = replicas.get(partition);
        if (r == null) {
            throw new IllegalArgumentException("partition " + partition + " out of range 0.." + (partitions - 1));
        }
        return r;
    }

    /** Partitions with a replica on {@code node}. */
    public List<Integer> partitionsOf(String node) {
        List<Integer> out = new ArrayList<>();
        replicas.forEach((p, nodes) -> {
            if (nodes.contains(node)) {
                out.add(p);
            }
        });
        return out;
    }

    public Map<Integer, List<String>> asMap() {
        return replicas;
    }

    static long hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(d).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the JDK", e);
        }
    }

    /** Ring points clockwise from a hash, wrapping once. */
    private static final class RingWalk implements java.util.Iterator<String> {
        private final java.util.Iterator<String> tail;
        private final java.util.Iterator<String> head;

        RingWalk(TreeMap<Long, String> ring, long from) {
            this.tail = ring.tailMap(from, true).values().iterator();
            this.head = ring.headMap(from, false).values().iterator();
        }

        @Override
        public boolean hasNext() {
            return tail.hasNext() || head.hasNext();
        }

        @Override
        public String next() {
            return tail.hasNext() ? tail.next() : head.next();
        }
    }
}
