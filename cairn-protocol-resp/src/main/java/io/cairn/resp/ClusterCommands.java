package io.cairn.resp;

import io.cairn.api.reply.Reply;
import io.cairn.storage.SlotHash;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** CLUSTER KEYSLOT/INFO/MYID/NODES/SLOTS/SHARDS from the {@link ClusterView}, in Redis 7's shapes. */
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
        int size = 0;
        long myEpoch = 0;
        for (ClusterView.Node n : nodes) {
            int slots = 0;
            for (ClusterView.SlotRange r : n.slots()) {
                slots += r.size();
            }
            if (n.primary()) {
                assigned += slots;
                if (n.healthy()) {
                    ok += slots;
                }
                if (slots > 0) {
                    size++;
                }
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

    /** CLUSTER SLOTS: [start, end, [host, port, id, {}], replicas...] per slot range. */
    static Reply slots(RespConnection c, byte[][] a) {
        ClusterView view = c.rt.context.cluster();
        List<ClusterView.Node> nodes = view.nodes();
        List<Reply> out = new ArrayList<>();
        for (ClusterView.Node primary : nodes) {
            if (!primary.primary()) {
                continue;
            }
            for (ClusterView.SlotRange r : primary.slots()) {
                List<Reply> entry = new ArrayList<>();
                entry.add(Reply.integer(r.start()));
                entry.add(Reply.integer(r.end()));
                entry.add(slotNode(c, view, primary));
                for (ClusterView.Node replica : nodes) {
                    if (!replica.primary() && primary.id().equals(replica.primaryId()) && replica.healthy()) {
                        entry.add(slotNode(c, view, replica));
                    }
                }
                out.add(Reply.array(entry));
            }
        }
        return Reply.array(out);
    }

    private static Reply slotNode(RespConnection c, ClusterView view, ClusterView.Node n) {
        return Reply.array(List.of(Reply.bulk(host(c, n, n.id().equals(view.myId()))), Reply.integer(n.port()),
                Reply.bulk(n.id()), new Reply.MapReply(List.of())));
    }

    /** CLUSTER SHARDS: one map per primary with its slots and its nodes (primary first). */
    static Reply shards(RespConnection c, byte[][] a) {
        ClusterView view = c.rt.context.cluster();
        List<ClusterView.Node> nodes = view.nodes();
        List<Reply> out = new ArrayList<>();
        for (ClusterView.Node primary : nodes) {
            if (!primary.primary()) {
                continue;
            }
            List<Reply> slots = new ArrayList<>();
            for (ClusterView.SlotRange r : primary.slots()) {
                slots.add(Reply.integer(r.start()));
                slots.add(Reply.integer(r.end()));
            }
            List<Reply> members = new ArrayList<>();
            members.add(shardNode(c, view, primary));
            for (ClusterView.Node replica : nodes) {
                if (!replica.primary() && primary.id().equals(replica.primaryId())) {
                    members.add(shardNode(c, view, replica));
                }
            }
            out.add(new Reply.MapReply(List.of(Reply.bulk("slots"), Reply.array(slots), Reply.bulk("nodes"),
                    Reply.array(members))));
        }
        return Reply.array(out);
    }

    private static Reply shardNode(RespConnection c, ClusterView view, ClusterView.Node n) {
        String host = host(c, n, n.id().equals(view.myId()));
        return new Reply.MapReply(List.of(
                Reply.bulk("id"), Reply.bulk(n.id()),
                Reply.bulk("port"), Reply.integer(n.port()),
                Reply.bulk("ip"), Reply.bulk(host),
                Reply.bulk("endpoint"), Reply.bulk(host),
                Reply.bulk("role"), Reply.bulk(n.primary() ? "master" : "replica"),
                Reply.bulk("replication-offset"), Reply.integer(0),
                Reply.bulk("health"), Reply.bulk(n.healthy() ? "online" : "fail")));
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

    static Reply help(RespConnection c, byte[][] a) {
        return Builtins.help("CLUSTER",
                "INFO",
                "    Return information about the cluster.",
                "KEYSLOT <key>",
                "    Return the hash slot for <key>.",
                "MYID",
                "    Return the node id.",
                "NODES",
                "    Return cluster configuration seen by node. Output format:",
                "    <id> <ip:port@bus-port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
                "SHARDS",
                "    Return information about slot range mappings and the nodes associated with them.",
                "SLOTS",
                "    Return information about slots range mappings. Each range is made of:",
                "    start, end, master and replicas IP addresses, ports and ids");
    }
}
