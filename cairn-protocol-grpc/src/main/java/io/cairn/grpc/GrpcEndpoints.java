package io.cairn.grpc;

import io.cairn.api.consistency.Durability;
import io.cairn.api.grpc.TopologyResponse;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What the hosting server supplies to the gRPC front end beyond the {@link io.cairn.api.service.CommandService}.
 *
 * @param nodeId     this node's id, reported by Ping, Stats and Health
 * @param partitions the cluster's fixed partition count (a key's partition is
 *                   {@code SlotHash.partitionOf(key, partitions)}); Scan cursors name partitions
 * @param durability the node-wide {@code raft.durability} (STRICT on a single node, which fsyncs
 *                   per its engine); a request asking for STRICT on a RELAXED node is refused
 * @param readiness  whether data calls can be served (e.g. "every partition has a leader"); feeds
 *                   Cluster.Health and grpc.health.v1. Called per Health call and per health poll,
 *                   on gRPC's threads: it must be quick and must not block
 * @param topology   answers Cluster.Topology; same threading rule as {@code readiness}
 */
public record GrpcEndpoints(String nodeId, int partitions, Durability durability, Supplier<Readiness> readiness,
                            Supplier<TopologyResponse> topology) {

    public GrpcEndpoints {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(durability, "durability");
        Objects.requireNonNull(readiness, "readiness");
        Objects.requireNonNull(topology, "topology");
        if (partitions < 1 || partitions > 16_384) {
            throw new IllegalArgumentException("partitions must be in 1..16384, got " + partitions);
        }
    }

    /**
     * The answer of a readiness check.
     *
     * @param reason why the node is not ready; ignored when ready
     */
    public record Readiness(boolean ready, String reason) {
        public static final Readiness READY = new Readiness(true, null);

        public static Readiness notReady(String reason) {
            return new Readiness(false, Objects.requireNonNull(reason, "reason"));
        }
    }
}
