package io.cairn.resp;

import io.cairn.api.command.CommandSpec;
import io.cairn.api.reply.Reply;
import io.cairn.storage.SlotHash;

/**
 * Redirect mode's decision for one request, after Redis Cluster's {@code getNodeByQuery}
 * (cluster.c): a request is a command, or a transaction's queued commands with its watched keys.
 *
 * <ul>
 *   <li>No key: served here.</li>
 *   <li>Keys in more than one partition: {@code -CROSSSLOT}. Cairn's unit is the partition, not the
 *       slot: keys in different slots of one partition are served together, atomically (Redis
 *       refuses them; cluster clients never send such requests unless the slots share a node).</li>
 *   <li>This node leads the partition: served here.</li>
 *   <li>A read on a connection that sent READONLY, and this node holds a copy of the partition:
 *       served here as a FOLLOWER read (Redis: a replica serves READONLY reads of its primary's slots).</li>
 *   <li>Another node leads it: {@code -MOVED <slot of the first key> <host>:<port>}.</li>
 *   <li>No leader is known (an election or a leader transfer under way): the caller waits for one,
 *       bounded by {@code cluster-leader-wait-ms}, then answers {@link #CLUSTERDOWN}.</li>
 * </ul>
 *
 * <p>{@code ASK} is never sent: Redis sends it while a slot's keys are split between two nodes
 * during a migration. Cairn moves a partition as a whole by Raft membership change; its data is
 * never split between two owners, so a request is either served or MOVED.
 */
final class ClusterRouting {
    private ClusterRouting() {}

    static final Reply.Error CROSSSLOT = Reply.error("CROSSSLOT Keys in request don't hash to the same slot");
    /** Redis's reply while a slot has no serving node (clusterRedirectClient, CLUSTER_REDIR_DOWN_STATE). */
    static final Reply.Error CLUSTERDOWN = Reply.error("CLUSTERDOWN The cluster is down");

    /** What to do with a request. */
    sealed interface Decision permits Serve, Wait, Refuse {}

    /** Run it here. */
    enum Serve implements Decision { HERE }

    /** The partition has no known leader: ask again shortly. */
    enum Wait implements Decision { FOR_LEADER }

    /** Answer {@code error} (MOVED or CROSSSLOT) without running anything. */
    record Refuse(Reply.Error error) implements Decision {}

    /** The keys of one request: where they live and whether the request writes. */
    static final class Keys {
        private final ClusterView view;
        private int firstSlot = -1;
        private int partition = -1;
        private boolean crossPartition;
        private boolean write;

        Keys(ClusterView view) {
            this.view = view;
        }

        /** Adds a command's keys (positions from its spec, as Redis's first/last/step key spec). */
        Keys command(CommandSpec spec, byte[][] argv) {
            write |= spec.isWrite();
            if (!spec.hasKeys()) {
                return this;
            }
            int last = spec.lastKey() < 0 ? argv.length + spec.lastKey() : Math.min(spec.lastKey(), argv.length - 1);
            int step = Math.max(1, spec.step());
            for (int i = spec.firstKey(); i <= last && i < argv.length; i += step) {
                key(argv[i]);
            }
            return this;
        }

        /** Adds one key (a watched key, a command's key). */
        Keys key(byte[] key) {
            int slot = SlotHash.slot(key);
            int p = view.partitionOfSlot(slot);
            if (firstSlot < 0) {
                firstSlot = slot;
                partition = p;
            } else if (p != partition) {
                crossPartition = true;
            }
            return this;
        }

        boolean none() {
            return firstSlot < 0;
        }

        int firstSlot() {
            return firstSlot;
        }

        boolean write() {
            return write;
        }
    }

    /** The decision for {@code keys} now; {@code readonlyConnection}: the connection sent READONLY. */
    static Decision decide(ClusterView view, Keys keys, boolean readonlyConnection) {
        if (keys.none()) {
            return Serve.HERE;
        }
        if (keys.crossPartition) {
            return new Refuse(CROSSSLOT);
        }
        ClusterView.Route route = view.route(keys.firstSlot);
        assert route.partition() == keys.partition
                : "slot " + keys.firstSlot + " routed to partition " + route.partition() + ", mapped to " + keys.partition;
        if (route.leaderHere()) {
            return Serve.HERE;
        }
        if (readonlyConnection && !keys.write && route.hostedHere()) {
            return Serve.HERE;
        }
        if (route.leader() == null) {
            return Wait.FOR_LEADER;
        }
        return new Refuse(moved(keys.firstSlot, route.leader()));
    }

    /** {@code MOVED <slot> <host>:<port>}, exactly as Redis prints it (an IPv6 address unbracketed). */
    static Reply.Error moved(int slot, ClusterView.Endpoint to) {
        return Reply.error("MOVED " + slot + " " + to.host() + ":" + to.port());
    }
}
