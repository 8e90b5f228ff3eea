package io.cairn.cluster;

import java.util.Objects;

/**
 * A node as the cluster map records it.
 *
 * @param spec       what the node announced when it (last) joined
 * @param state      where it stands now
 * @param sinceEpoch the epoch at which {@code state} (or {@code spec}) last changed: observations
 *                   made before it (a heartbeat seen, a silence measured) are stale and the
 *                   commands based on them are refused ({@link ControlCommand.MarkDown} and kin)
 */
public record NodeInfo(NodeSpec spec, NodeState state, long sinceEpoch) {
    public NodeInfo {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(state, "state");
        if (sinceEpoch < 1) {
            throw new IllegalArgumentException("node " + spec.id() + ": sinceEpoch must be >= 1, got " + sinceEpoch);
        }
    }

    public String id() {
        return spec.id();
    }

    /**
     * The zone placement spreads replicas over: the configured one, or the node itself when it
     * has none (so without zones every node is its own zone and placement is plain ring order).
     */
    public String placementZone() {
        return spec.zone().isEmpty() ? "node:" + spec.id() : "zone:" + spec.zone();
    }

    NodeInfo with(NodeState newState, long epoch) {
        return new NodeInfo(spec, newState, epoch);
    }
}
