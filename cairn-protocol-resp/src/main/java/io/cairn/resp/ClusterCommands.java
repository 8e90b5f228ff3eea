package io.cairn.resp;

import io.cairn.api.reply.Errors;
import io.cairn.api.reply.Reply;
import io.cairn.storage.SlotHash;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CLUSTER KEYSLOT/INFO/MYID/NODES/SLOTS/SHARDS/COUNTKEYSINSLOT/GETKEYSINSLOT from the {@link
 * ClusterView}, in Redis 7's shapes. A partition's slots are reported as served by its leader's
 * node (the preferred leader while none is known); CLUSTER SLOTS and SHARDS list the partition's
 * other replicas as replicas. CLUSTER NODES, whose format gives a node one role, lists every node
 * as a primary with the slots it leads: a Cairn node leads some partitions and follows others.
 */
final class ClusterCommands {
    private ClusterCommands() {}

    static Reply keyslot(RespConnection c, byte[][] a) {
        return Reply.integer(SlotHash.slot(a[2]));
    }

    static Reply myid(RespConnection c, byte[][] a) {
        return Reply.bulk(c.rt.context.cluster().myId());
    }

    static Reply info(RespConnection c, byte[][] a) {
        ClusterView view = c.rt.context.cluster();
        List<ClusterView.Node> nodes = view.nodes();
        int assigned = 0;
        int ok = 0;
        for (ClusterView.Partition p : view.partitions()) {
            assigned += p.slots().size();
            if (p.leaderId() != null) {
                ok += p.slots().size();
            }
        }
        int size = 0;
        long myEpoch = 0;
        for (ClusterView.Node n : nodes) {
            if (n.primary() && !n.slots().isEmpty()) {
                size++;
            }
            if (n.id().equals(view.myId())) {
                myEpoch = n.configEpoch();
            }
        }
        String text = "cluster_state:" + view.state() + "\r\n"
                + "cluster_slots_assigned:" + assigned + "\r\n"
                + "cluster_slots_ok:" + ok + "\r\n"
                + "cluster_slots_pfail:0\r\n"
                + "cluster_slots_fail:" + (assigned - ok) + "\r\n"
                + "cluster_known_nodes:" + nodes.size() + "\r\n"
                + "cluster_size:" + size + "\r\n"
                + "cluster_current_epoch:" + view.currentEpoch() + "\r\n"
                + "cluster_my_epoch:" + myEpoch + "\r\n";
        return new Reply.Verbatim("txt", text);
    }

    /** CLUSTER NODES: "id ip:port@cport flags primary ping pong epoch link slots...\n" per node. */
    static Reply nodes(RespConnection c, byte[][] a) {
        ClusterView view = c.rt.context.cluster();
        StringBuilder sb = new StringBuilder();
        for (ClusterView.Node n : view.nodes()) {
            boolean myself = n.id().equals(view.myId());
            sb.append(n.id()).append(' ').append(host(c, n, myself)).append(':').append(n.port()).append('@')
                    .append(n.busPort()).append(' ');
            if (myself) {
                sb.append("myself,");
            }
            sb.append(n.primary() ? "master" : "slave");
            if (!n.healthy()) {
                sb.append(",fail");
            }
            sb.append(' ').append(n.primary() ? "-" : n.primaryId()).append(" 0 0 ").append(n.configEpoch())
                    .append(n.healthy() ? " connected" : " disconnected");
            for (ClusterView.SlotRange r : n.slots()) {
                sb.append(' ').append(r.start());
                if (r.end() != r.start()) {
                    sb.append('-').append(r.end());
                }
            }
            sb.append('\n');
        }
        return new Reply.Verbatim("txt", sb.toString());
    }

    /**
     * Partitions next to each other with the same leader and the same other replicas, as one
     * Redis "shard" range: what CLUSTER SLOTS prints as one entry.
     */
    private record Run(ClusterView.SlotRange slots, String leaderId, List<String> followerIds) {}

    private static List<Run> runs(ClusterView view) {
        List<Run> runs = new ArrayList<>();
        for (ClusterView.Partition p : view.partitions()) {
            String leader = p.advertisedLeaderId();
            List<String> followers = p.followerIds();
            if (!runs.isEmpty()) {
                Run last = runs.get(runs.size() - 1);
                if (last.leaderId().equals(leader) && sameMembers(last.followerIds(), followers)
                        && last.slots().end() + 1 == p.slots().start()) {
                    runs.set(runs.size() - 1, new Run(new ClusterView.SlotRange(last.slots().start(), p.slots().end()),
                            leader, last.followerIds()));
                    continue;
                }
            }
            runs.add(new Run(p.slots(), leader, followers));
        }
        return runs;
    }

    private static boolean sameMembers(List<String> a, List<String> b) {
        return a.size() == b.size() && new HashSet<>(a).equals(new HashSet<>(b));
    }

    private static Map<String, ClusterView.Node> byId(List<ClusterView.Node> nodes) {
        Map<String, ClusterView.Node> m = new HashMap<>();
        for (ClusterView.Node n : nodes) {
            m.put(n.id(), n);
        }
        return m;
    }

    /**
     * CLUSTER SLOTS: [start, end, [host, port, id, {}], replicas...] per slot range: the range's
     * partition leader first, then the partition's other replicas (which serve READONLY reads).
     */
    static Reply slots(RespConnection c, byte[][] a) {
        ClusterView view = c.rt.context.cluster();
        Map<String, ClusterView.Node> nodes = byId(view.nodes());
        List<Reply> out = new ArrayList<>();
        for (Run run : runs(view)) {
            ClusterView.Node leader = nodes.get(run.leaderId());
            if (leader == null) {
                continue; // a leader this node has no address for: clients cannot use the range
            }
            List<Reply> entry = new ArrayList<>();
            entry.add(Reply.integer(run.slots().start()));
            entry.add(Reply.integer(run.slots().end()));
            entry.add(slotNode(c, view, leader));
            for (String id : run.followerIds()) {
                ClusterView.Node replica = nodes.get(id);
                if (replica != null && replica.healthy()) {
                    entry.add(slotNode(c, view, replica));
                }
            }
            out.add(Reply.array(entry));
        }
        return Reply.array(out);
    }

    private static Reply slotNode(RespConnection c, ClusterView view, ClusterView.Node n) {
        return Reply.array(List.of(Reply.bulk(host(c, n, n.id().equals(view.myId()))), Reply.integer(n.port()),
                Reply.bulk(n.id()), new Reply.MapReply(List.of())));
    }

    /**
     * CLUSTER SHARDS: one map per shard, a leader with its set of other replicas: its slot ranges,
     * then its nodes, the leader (role master) first and the other replicas (role replica) after.
     * A Cairn node leads some partitions and follows others, so it may appear in several shards.
     */
    static Reply shards(RespConnection c, byte[][] a) {
        ClusterView view = c.rt.context.cluster();
        Map<String, ClusterView.Node> nodes = byId(view.nodes());
        // A shard: one leader with one set of other replicas (in the order first seen).
        Map<List<Object>, List<Run>> shards = new LinkedHashMap<>();
        for (Run run : runs(view)) {
            List<Object> identity = List.of(run.leaderId(), new HashSet<>(run.followerIds()));
            shards.computeIfAbsent(identity, k -> new ArrayList<>()).add(run);
        }
        List<Reply> out = new ArrayList<>();
        for (List<Run> shard : shards.values()) {
            List<Reply> slots = new ArrayList<>();
            for (Run r : shard) {
                slots.add(Reply.integer(r.slots().start()));
                slots.add(Reply.integer(r.slots().end()));
            }
            List<String> memberIds = new ArrayList<>();
            memberIds.add(shard.get(0).leaderId());
            memberIds.addAll(shard.get(0).followerIds());
            List<Reply> members = new ArrayList<>();
            boolean first = true;
            for (String id : memberIds) {
                ClusterView.Node n = nodes.get(id);
                if (n != null) {
                    members.add(shardNode(c, view, n, first));
                }
                first = false;
            }
            out.add(new Reply.MapReply(List.of(Reply.bulk("slots"), Reply.array(slots), Reply.bulk("nodes"),
                    Reply.array(members))));
        }
        return Reply.array(out);
    }

    private static Reply shardNode(RespConnection c, ClusterView view, ClusterView.Node n, boolean leader) {
        String host = host(c, n, n.id().equals(view.myId()));
        return new Reply.MapReply(List.of(
                Reply.bulk("id"), Reply.bulk(n.id()),
                Reply.bulk("port"), Reply.integer(n.port()),
                Reply.bulk("ip"), Reply.bulk(host),
                Reply.bulk("endpoint"), Reply.bulk(host),
                Reply.bulk("role"), Reply.bulk(leader ? "master" : "replica"),
                Reply.bulk("replication-offset"), Reply.integer(0),
                Reply.bulk("health"), Reply.bulk(n.healthy() ? "online" : "fail")));
    }

    /**
     * CLUSTER COUNTKEYSINSLOT slot: the keys of the slot, wherever it is led (every node can
     * read every partition through Raft), by a walk of its partition ({@link PartitionScans}).
     */
    static Reply countkeysinslot(RespConnection c, byte[][] a) {
        long slot = RespNumbers.parseLong(a[2]);
        if (slot == RespNumbers.INVALID) {
            return Errors.NOT_INTEGER;
        }
        if (slot < 0 || slot >= ClusterView.SLOTS) {
            return Reply.err("Invalid slot");
        }
        return c.later(() -> PartitionScans.countKeysInSlot(c.rt, c.session(), (int) slot));
    }

    /** CLUSTER GETKEYSINSLOT slot count: up to count keys of the slot, in key order. */
    static Reply getkeysinslot(RespConnection c, byte[][] a) {
        long slot = RespNumbers.parseLong(a[2]);
        if (slot == RespNumbers.INVALID) {
            return Errors.NOT_INTEGER;
        }
        long max = RespNumbers.parseLong(a[3]);
        if (max == RespNumbers.INVALID) {
            return Errors.NOT_INTEGER;
        }
        if (slot < 0 || slot >= ClusterView.SLOTS || max < 0) {
            return Reply.err("Invalid slot or number of keys");
        }
        return c.later(() -> PartitionScans.getKeysInSlot(c.rt, c.session(), (int) slot, max));
    }

    /**
     * The address to advertise: a wildcard bind ("0.0.0.0", "::", "") tells clients nothing, so for
     * this node it is replaced by the local address the asking client reached.
     */
    private static String host(RespConnection c, ClusterView.Node n, boolean myself) {
        String h = n.host();
        boolean wildcard = h.isEmpty() || h.equals("0.0.0.0") || h.equals("::") || h.equals("[::]");
        if (wildcard && myself) {
            InetSocketAddress local = c.localAddress();
            if (local != null && local.getAddress() != null) {
                return NetUtil.toAddressString(local.getAddress());
            }
        }
        return h;
    }

    // ---------------------------------------------------------------- Cairn extensions (elastic membership)

    /** The error of a membership command on a node without elastic membership (static peers, or a single node). */
    private static Reply.Error unavailable(ClusterAdmin admin) {
        String reason = admin.unavailableReason();
        return reason == null ? null : Reply.err(reason);
    }

    /** CLUSTER MAP: the node's current cluster map as JSON (a bulk string), its epoch included. */
    static Reply map(RespConnection c, byte[][] a) {
        ClusterAdmin admin = c.rt.context.clusterAdmin();
        Reply.Error refused = unavailable(admin);
        return refused != null ? refused : Reply.bulk(admin.mapJson());
    }

    /**
     * CLUSTER LEAVE [node-id]: asks the controller to drain the node (default: this one); {@code
     * +OK epoch <n>} once the controller accepted it (the node is LEAVING in that map), or the
     * controller's refusal with its own code word ({@code -STALEEPOCH}, {@code -TOOFEWNODES},
     * {@code -UNKNOWNNODE}, ...). The controller round trip runs off the event loop.
     */
    static Reply leave(RespConnection c, byte[][] a) {
        if (a.length > 3) {
            return Builtins.subcommandSyntaxError("CLUSTER", a[1]);
        }
        ClusterAdmin admin = c.rt.context.clusterAdmin();
        Reply.Error refused = unavailable(admin);
        if (refused != null) {
            return refused;
        }
        String node = a.length == 3 ? Builtins.ascii(a[2]) : null;
        if (node != null && node.isBlank()) {
            return Reply.err("node id must not be empty");
        }
        return c.later(() -> admin.leave(node).thenApply(ClusterCommands::verdict));
    }

    /**
     * CLUSTER REBALANCE [START]. Plain: what the planner makes of this node's map now (moves under
     * way, moves it would start, replicas still misplaced), so an operator can see whether and
     * how far a rebalance is off. START: asks the controller for a rebalance ({@code +OK epoch
     * <n>} with the map's epoch once it accepted the request, or its refusal with its own code
     * word); with {@code cluster.rebalance.auto=false} balance moves wait for such a request, with
     * auto on it makes the planner run at once. The controller round trip runs off the event loop.
     */
    static Reply rebalance(RespConnection c, byte[][] a) {
        boolean start = a.length == 3 && Builtins.ascii(a[2]).equalsIgnoreCase("START");
        if (a.length > 3 || (a.length == 3 && !start)) {
            return Builtins.subcommandSyntaxError("CLUSTER", a[1]);
        }
        ClusterAdmin admin = c.rt.context.clusterAdmin();
        Reply.Error refused = unavailable(admin);
        if (refused != null) {
            return refused;
        }
        if (start) {
            return c.later(() -> admin.requestRebalance().thenApply(ClusterCommands::verdict));
        }
        ClusterAdmin.RebalanceStatus s = admin.rebalance();
        return new Reply.MapReply(List.of(
                Reply.bulk("epoch"), Reply.integer(s.epoch()),
                Reply.bulk("moves-in-progress"), Reply.integer(s.movesInProgress()),
                Reply.bulk("moves-startable"), Reply.integer(s.movesStartable()),
                Reply.bulk("other-proposals"), Reply.integer(s.otherProposals()),
                Reply.bulk("replicas-misplaced"), Reply.integer(s.replicasMisplaced()),
                Reply.bulk("controller-loop-interval-ms"), Reply.integer(s.loopIntervalMs())));
    }

    /** A controller verdict as a reply: {@code +OK epoch <n>}, or the refusal's own error line. */
    private static Reply verdict(ClusterAdmin.Verdict v) {
        return v.accepted() ? new Reply.Simple("OK epoch " + v.epoch()) : Reply.error(v.errorLine());
    }

    /**
     * CLUSTER LAG: for each partition this node leads, one map: partition, leader (this node's
     * name), term, commit-index, last-index (of the leader's log), and replicas: one map per other
     * replica with node, role (voter, listener, catching-up), match-index (the last log index the
     * leader knows it holds), lag (entries behind last-index) and last-contact-ms (since it last
     * answered the leader). Only a leader knows its followers' progress, so a cluster-wide view
     * asks every node ({@code cairn topology} does). Partitions this node follows are left out.
     */
    static Reply lag(RespConnection c, byte[][] a) {
        ClusterAdmin admin = c.rt.context.clusterAdmin();
        Reply.Error refused = unavailable(admin);
        if (refused != null) {
            return refused;
        }
        List<Reply> out = new ArrayList<>();
        for (ClusterAdmin.PartitionLag p : admin.lag()) {
            List<Reply> replicas = new ArrayList<>(p.replicas().size());
            for (ClusterAdmin.ReplicaLag r : p.replicas()) {
                replicas.add(new Reply.MapReply(List.of(
                        Reply.bulk("node"), Reply.bulk(r.node()),
                        Reply.bulk("role"), Reply.bulk(r.role()),
                        Reply.bulk("match-index"), Reply.integer(r.matchIndex()),
                        Reply.bulk("lag"), Reply.integer(r.lagEntries()),
                        Reply.bulk("last-contact-ms"), Reply.integer(r.lastContactMs()))));
            }
            out.add(new Reply.MapReply(List.of(
                    Reply.bulk("partition"), Reply.integer(p.partition()),
                    Reply.bulk("leader"), Reply.bulk(p.leader()),
                    Reply.bulk("term"), Reply.integer(p.term()),
                    Reply.bulk("commit-index"), Reply.integer(p.commitIndex()),
                    Reply.bulk("last-index"), Reply.integer(p.lastIndex()),
                    Reply.bulk("replicas"), Reply.array(replicas))));
        }
        return Reply.array(out);
    }

    static Reply help(RespConnection c, byte[][] a) {
        return Builtins.help("CLUSTER",
                "COUNTKEYSINSLOT <slot>",
                "    Return the number of keys in <slot>.",
                "GETKEYSINSLOT <slot> <count>",
                "    Return key names stored by current node in a slot.",
                "INFO",
                "    Return information about the cluster.",
                "KEYSLOT <key>",
                "    Return the hash slot for <key>.",
                "LAG",
                "    For each partition this node leads: term, commit and last log index, and per other replica",
                "    its role, match index, lag in entries and ms since it last answered. Cairn extension.",
                "LEAVE [<node-id>]",
                "    Drain <node-id> (default: this node): the controller moves its replicas to other nodes, then",
                "    marks it LEFT. Replies OK and the map's new epoch. Cairn extension (elastic membership).",
                "MAP",
                "    Return the cluster map (epoch, nodes and their states, replicas of every partition, moves",
                "    in progress) as JSON. Cairn extension (elastic membership).",
                "MYID",
                "    Return the node id.",
                "NODES",
                "    Return cluster configuration seen by node. Output format:",
                "    <id> <ip:port@bus-port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
                "REBALANCE [START]",
                "    Return what the planner makes of the map now: moves in progress, moves it would start,",
                "    replicas not yet where the placement wants them. START asks the controller to rebalance",
                "    (needed when cluster.rebalance.auto is off; otherwise it plans at once) and replies OK and",
                "    the map's new epoch. Cairn extension (elastic membership).",
                "SHARDS",
                "    Return information about slot range mappings and the nodes associated with them.",
                "SLOTS",
                "    Return information about slots range mappings. Each range is made of:",
                "    start, end, master and replicas IP addresses, ports and ids");
    }
}
