package io.cairn.verify.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One node's view of an elastic cluster's map, read from {@code CLUSTER MAP} (JSON): the epoch, the
 * replication factor, each node's state and each partition's replicas and move in progress. The
 * verifier reads the map the way an operator does, over RESP; it never links the server's code.
 *
 * @param epoch             the map's epoch (grows by one per accepted change)
 * @param replicationFactor replicas per partition the cluster wants
 * @param states            node id → state (JOINING, UP, SUSPECT, DOWN, LEAVING, LEFT), LEFT tombstones included
 * @param replicas          per partition (index = partition), its replicas' node ids, preferred leader first
 * @param moving            per partition, whether a replica move is in progress
 */
public record ClusterMapView(long epoch, int replicationFactor, Map<String, String> states, List<List<String>> replicas,
                             List<Boolean> moving) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public ClusterMapView {
        states = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(states));
        replicas = replicas.stream().map(List::copyOf).toList();
        moving = List.copyOf(moving);
        if (replicas.size() != moving.size()) {
            throw new IllegalArgumentException("replicas and moving differ in length");
        }
    }

    /**
     * Parses the JSON of {@code CLUSTER MAP}.
     *
     * @throws IllegalArgumentException if it is not a bootstrapped map in the expected shape
     */
    public static ClusterMapView parse(String json) {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("CLUSTER MAP is not JSON: " + e.getMessage(), e);
        }
        if (o == null || !o.path("epoch").canConvertToLong()) {
            throw new IllegalArgumentException("CLUSTER MAP has no epoch: " + abbreviate(json));
        }
        if (!o.has("settings") || !o.path("nodes").isArray() || !o.path("partitions").isArray()) {
            throw new IllegalArgumentException("CLUSTER MAP is not bootstrapped yet: " + abbreviate(json));
        }
        Map<String, String> states = new LinkedHashMap<>();
        for (JsonNode n : o.get("nodes")) {
            states.put(n.path("id").asText(), n.path("state").asText());
        }
        List<List<String>> replicas = new ArrayList<>();
        List<Boolean> moving = new ArrayList<>();
        for (JsonNode p : o.get("partitions")) {
            List<String> r = new ArrayList<>();
            p.path("replicas").forEach(x -> r.add(x.asText()));
            replicas.add(r);
            moving.add(p.hasNonNull("move"));
        }
        int rf = o.path("settings").path("replicationFactor").asInt(-1);
        if (rf < 1) {
            throw new IllegalArgumentException("CLUSTER MAP has no replication factor: " + abbreviate(json));
        }
        return new ClusterMapView(o.get("epoch").asLong(), rf, states, replicas, moving);
    }

    /** The node's state, or {@code "ABSENT"} if the map does not list it. */
    public String state(String node) {
        return states.getOrDefault(node, "ABSENT");
    }

    /** Nodes in state UP. */
    public Set<String> up() {
        Set<String> out = new TreeSet<>();
        states.forEach((n, s) -> {
            if (s.equals("UP")) {
                out.add(n);
            }
        });
        return out;
    }

    /** Partitions with a replica move in progress. */
    public int moves() {
        return (int) moving.stream().filter(m -> m).count();
    }

    /** Whether {@code node} holds a replica of any partition. */
    public boolean hosts(String node) {
        return replicas.stream().anyMatch(r -> r.contains(node));
    }

    /**
     * Why this map is not the settled map of a cluster whose members are exactly {@code members}
     * (every one UP; every other node it lists LEFT; every partition on {@link #replicationFactor}
     * distinct members, none moving), or null if it is.
     */
    public String unsettledBecause(Collection<String> members) {
        for (String m : members) {
            if (!state(m).equals("UP")) {
                return m + " is " + state(m);
            }
        }
        for (Map.Entry<String, String> e : states.entrySet()) {
            if (!members.contains(e.getKey()) && !e.getValue().equals("LEFT")) {
                return e.getKey() + " is " + e.getValue() + " (not a member any more: LEFT expected)";
            }
        }
        for (int p = 0; p < replicas.size(); p++) {
            List<String> r = replicas.get(p);
            if (moving.get(p)) {
                return "partition " + p + " has a move in progress";
            }
            if (r.size() != replicationFactor || new HashSet<>(r).size() != r.size()) {
                return "partition " + p + " on " + r + ", not " + replicationFactor + " distinct nodes";
            }
            for (String n : r) {
                if (!members.contains(n)) {
                    return "partition " + p + " has a replica on " + n + " (" + state(n) + "), not a member";
                }
            }
        }
        return null;
    }

    private static String abbreviate(String s) {
        return s == null ? "null" : s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }
}
