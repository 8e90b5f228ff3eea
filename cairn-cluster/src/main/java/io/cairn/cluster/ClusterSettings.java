package io.cairn.cluster;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * Settings fixed for the whole cluster when it is bootstrapped and replicated in the cluster map,
 * so every controller replica and every node computes the same placement and enforces the same
 * limits. Configuration keys (a node's config at {@code --bootstrap}; ignored when joining):
 * <ul>
 *   <li>{@code cluster-id} ({@value #DEFAULT_CLUSTER_ID}): seeds the Raft group ids.</li>
 *   <li>{@code partitions} (16): the fixed number of partitions, 1..16384.</li>
 *   <li>{@code replication-factor} (3): replicas per partition, 1..{@value #MAX_REPLICATION_FACTOR}.</li>
 *   <li>{@code vnodes-per-node} ({@value #DEFAULT_VNODES_PER_NODE}): ring points per node, 1..4096.
 *       More points spread replicas more evenly, so a joining node takes closer to its fair share
 *       (which is exactly what the planner moves). The default is the fewest points for which a
 *       node joining 3 or 4 others moves at most 1.1x the ideal ({@code RF x P / nodes}) in 9
 *       clusters out of 10 with 64 partitions or more; 64 points miss it (p90 1.13-1.15), 256 are
 *       no better within the noise and double the ring. See {@code VnodeMeasurementTest}.</li>
 *   <li>{@code max-concurrent-moves} ({@value #DEFAULT_MAX_CONCURRENT_MOVES}): replica moves in
 *       flight at once in the whole cluster (each copies a partition to a new node), 1..1024.</li>
 *   <li>{@code max-nodes} ({@value #DEFAULT_MAX_NODES}): members (not counting nodes that left), and
 *       separately tombstones of nodes that left kept in the map, 1..4096.</li>
 * </ul>
 */
public record ClusterSettings(String clusterId, int partitions, int replicationFactor, int vnodesPerNode,
                              int maxConcurrentMoves, int maxNodes) {
    public static final String CLUSTER_ID = "cluster-id";
    public static final String PARTITIONS = "partitions";
    public static final String REPLICATION_FACTOR = "replication-factor";
    public static final String VNODES_PER_NODE = "vnodes-per-node";
    public static final String MAX_CONCURRENT_MOVES = "max-concurrent-moves";
    public static final String MAX_NODES = "max-nodes";

    public static final String DEFAULT_CLUSTER_ID = "cairn";
    public static final int DEFAULT_PARTITIONS = 16;
    public static final int DEFAULT_REPLICATION_FACTOR = 3;
    public static final int DEFAULT_VNODES_PER_NODE = 128;
    public static final int DEFAULT_MAX_CONCURRENT_MOVES = 4;
    public static final int DEFAULT_MAX_NODES = 1024;
    /** Raft groups larger than 7 voters only slow commits down; a hard bound keeps placement walks short. */
    public static final int MAX_REPLICATION_FACTOR = 7;

    private static final Pattern CLUSTER_ID_PATTERN = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    public ClusterSettings {
        if (clusterId == null || !CLUSTER_ID_PATTERN.matcher(clusterId).matches()) {
            throw new IllegalArgumentException(CLUSTER_ID + " must be 1-64 of [A-Za-z0-9_.-], got '" + clusterId + "'");
        }
        check(PARTITIONS, partitions, 1, 16384);
        check(REPLICATION_FACTOR, replicationFactor, 1, MAX_REPLICATION_FACTOR);
        check(VNODES_PER_NODE, vnodesPerNode, 1, 4096);
        check(MAX_CONCURRENT_MOVES, maxConcurrentMoves, 1, 1024);
        check(MAX_NODES, maxNodes, 1, 4096);
    }

    private static void check(String key, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + " must be in " + min + ".." + max + ", got " + value);
        }
    }

    public static ClusterSettings defaults(String clusterId, int partitions, int replicationFactor) {
        return new ClusterSettings(clusterId, partitions, replicationFactor, DEFAULT_VNODES_PER_NODE,
                DEFAULT_MAX_CONCURRENT_MOVES, DEFAULT_MAX_NODES);
    }

    /** Reads the keys above from a node's configuration; a missing key takes its default. */
    public static ClusterSettings fromConfig(Map<String, String> config) {
        return new ClusterSettings(
                config.getOrDefault(CLUSTER_ID, DEFAULT_CLUSTER_ID),
                intValue(config, PARTITIONS, DEFAULT_PARTITIONS),
                intValue(config, REPLICATION_FACTOR, DEFAULT_REPLICATION_FACTOR),
                intValue(config, VNODES_PER_NODE, DEFAULT_VNODES_PER_NODE),
                intValue(config, MAX_CONCURRENT_MOVES, DEFAULT_MAX_CONCURRENT_MOVES),
                intValue(config, MAX_NODES, DEFAULT_MAX_NODES));
    }

    private static int intValue(Map<String, String> config, String key, int fallback) {
        String v = config.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }
}
