package io.cairn.cluster;

import java.util.Objects;

/** The outcome of {@link ClusterMap#apply}: the next map, or why the command was refused. */
public sealed interface ApplyResult {

    /** The command was accepted; {@code map} has the previous epoch plus one. */
    record Applied(ClusterMap map) implements ApplyResult {
        public Applied {
            Objects.requireNonNull(map, "map");
        }
    }

    /** The command was refused; the map is unchanged. */
    record Rejected(Reason reason, String message) implements ApplyResult {
        public Rejected {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
        }

        /** Redis-style error text: an upper-case code word, then the explanation. */
        public String errorLine() {
            return reason.code() + " " + message;
        }

        @Override
        public String toString() {
            return errorLine();
        }
    }

    /** Why a command was refused. The callers that retry look only at this. */
    enum Reason {
        /** Nothing but Bootstrap is accepted before the cluster exists. */
        NOT_BOOTSTRAPPED,
        ALREADY_BOOTSTRAPPED,
        /** What the command was based on changed: read the map again and re-decide. */
        STALE_EPOCH,
        UNKNOWN_NODE,
        NODE_EXISTS,
        ADDRESS_IN_USE,
        /** The node's state does not allow the transition. */
        WRONG_STATE,
        UNKNOWN_PARTITION,
        NOT_A_REPLICA,
        MOVE_IN_PROGRESS,
        NO_SUCH_MOVE,
        INVALID_MOVE,
        /** The move would leave the partition without a live majority. */
        UNSAFE_MOVE,
        /** {@code max-concurrent-moves} moves are already in flight. */
        MOVE_LIMIT,
        /** Too few UP nodes would remain to hold the replication factor. */
        TOO_FEW_NODES,
        HOLDS_REPLICAS,
        /** {@code max-nodes} members already. */
        NODE_LIMIT,
        /** The command would change nothing (already done). */
        NO_CHANGE,
        /** The replicated entry did not decode (rejected alike on every replica). */
        CORRUPT,
        /** The transition would have broken an invariant of the map: a bug, refused alike on every replica. */
        INVARIANT;

        /** {@code STALE_EPOCH} → {@code STALEEPOCH}, the way Redis spells error codes. */
        public String code() {
            return name().replace("_", "");
        }
    }
}
