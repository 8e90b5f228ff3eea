package io.cairn.cluster;

import java.util.Objects;

/**
 * A change to the cluster map, proposed to the controller group and applied by every controller
 * replica in log order ({@link ClusterMap#apply}). Commands carry everything the transition needs
 * (no clock, no randomness on apply), so every replica computes the same map.
 *
 * <p>Compare-and-set: commands that act on an observation (a silence measured, a plan computed
 * from some map) carry the epoch of the map they were based on and are refused as
 * {@link ApplyResult.Reason#STALE_EPOCH} if what they depend on changed since, so a deposed
 * controller leader or a slow failure detector cannot clobber a newer decision. Operator
 * commands (join, leave, remove) need no epoch: they are checked against the current state.
 */
public sealed interface ControlCommand {

    /** Creates the cluster on an empty map: {@code firstNode} UP, holding one replica of every partition. */
    record Bootstrap(ClusterSettings settings, NodeSpec firstNode) implements ControlCommand {
        public Bootstrap {
            Objects.requireNonNull(settings, "settings");
            Objects.requireNonNull(firstNode, "firstNode");
        }
    }

    /**
     * Registers a node as JOINING (it becomes UP once the failure detector hears it). For a
     * DOWN member this records that it restarted, possibly at new addresses.
     */
    record Join(NodeSpec node) implements ControlCommand {
        public Join {
            Objects.requireNonNull(node, "node");
        }
    }

    /** JOINING, SUSPECT or DOWN → UP: the node was heard from in the map of {@code observedAtEpoch}. */
    record MarkUp(String node, long observedAtEpoch) implements ControlCommand {
        public MarkUp {
            Objects.requireNonNull(node, "node");
        }
    }

    /** UP → SUSPECT: silent for a while as of the map of {@code observedAtEpoch}. */
    record MarkSuspect(String node, long observedAtEpoch) implements ControlCommand {
        public MarkSuspect {
            Objects.requireNonNull(node, "node");
        }
    }

    /** Any state but DOWN or LEFT → DOWN: silent for {@code down-after} as of the map of {@code observedAtEpoch}. */
    record MarkDown(String node, long observedAtEpoch) implements ControlCommand {
        public MarkDown {
            Objects.requireNonNull(node, "node");
        }
    }

    /** → LEAVING: the planner drains the node's replicas away, then removes it. */
    record Leave(String node) implements ControlCommand {
        public Leave {
            Objects.requireNonNull(node, "node");
        }
    }

    /** LEAVING or DOWN → LEFT, once the node holds no replica and takes part in no move. */
    record Remove(String node) implements ControlCommand {
        public Remove {
            Objects.requireNonNull(node, "node");
        }
    }

    /**
     * Starts a replica swap on partition {@code partition}: a replica on {@code add}, then drop
     * the one on {@code remove} (null: only add, growing back to the replication factor).
     * Refused as stale if the partition or either node changed after {@code expectedEpoch}.
     */
    record BeginMove(int partition, String add, String remove, long expectedEpoch) implements ControlCommand {
        public BeginMove {
            Objects.requireNonNull(add, "add");
        }
    }

    /** The mover finished the swap {@code (add, remove, startedAtEpoch)}: the replica list now reflects it. */
    record CompleteMove(int partition, String add, String remove, long startedAtEpoch) implements ControlCommand {
        public CompleteMove {
            Objects.requireNonNull(add, "add");
        }
    }

    /** The swap {@code (add, remove, startedAtEpoch)} was given up and undone: the replica list stays. */
    record AbortMove(int partition, String add, String remove, long startedAtEpoch) implements ControlCommand {
        public AbortMove {
            Objects.requireNonNull(add, "add");
        }
    }

    /** Puts {@code node}, already a replica, first in the partition's list. */
    record SetPreferredLeader(int partition, String node, long expectedEpoch) implements ControlCommand {
        public SetPreferredLeader {
            Objects.requireNonNull(node, "node");
        }
    }

    /**
     * An operator asks for a rebalance: recorded in the map ({@link ClusterMap#rebalanceRequestedAtEpoch}).
     * With {@code cluster.rebalance.auto} off the planner makes balance moves only while a request
     * is recorded, and proposes {@link ClearRebalance} once the placement is reached; with it on
     * (the default) balance moves never wait, and the request only wakes the planner.
     */
    record RequestRebalance() implements ControlCommand {
    }

    /**
     * The rebalance requested at {@code requestedAtEpoch} is done (the placement is reached):
     * clears the request. Refused as stale if a newer request was recorded meanwhile.
     */
    record ClearRebalance(long requestedAtEpoch) implements ControlCommand {
        public ClearRebalance {
            if (requestedAtEpoch < 1) {
                throw new IllegalArgumentException("requestedAtEpoch must be >= 1, got " + requestedAtEpoch);
            }
        }
    }
}
