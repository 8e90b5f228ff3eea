package io.cairn.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.NodeInfo;
import io.cairn.cluster.PartitionReplicas;
import io.cairn.cluster.ReplicaMove;
import io.cairn.storage.SlotHash;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code cairn topology}: an elastic cluster's map as one node knows it (CLUSTER MAP) with each
 * partition's leader (CLUSTER SHARDS): nodes with their state, addresses, zone, replicas held and
 * leaderships; partitions with their slots, replicas, leader and any move under way.
 */
@Command(name = "topology", mixinStandardHelpOptions = true,
        description = {"Print an elastic cluster's nodes (state, addresses, zone, replicas, leaderships) and "
                + "partitions (slots, replicas, leader, move in progress), as a table or JSON.",
                "Exit code: 0 ok, 1 error (e.g. the node has static membership), 3 cannot connect, 4 timeout."})
final class TopologyCommand implements Callable<Integer> {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Mixin
    AdminClient.Options options = new AdminClient.Options();

    @Spec
    CommandSpec spec;
    private PrintWriter out;
    private PrintWriter err;

    @Override
    public Integer call() {
        out = spec.commandLine().getOut();
        err = spec.commandLine().getErr();
        try {
            options.validate();
            ClusterMap map;
            Map<Integer, String> leaderIds;
            try (AdminClient client = AdminClient.connect(options)) {
                map = client.map();
                if (!map.isBootstrapped()) {
                    throw new AdminClient.Failure(AdminClient.ERROR, client.address + " knows no cluster map yet");
                }
                leaderIds = client.leaders(map.settings().partitions());
            }
            Map<Integer, String> leaders = leaderNames(map, leaderIds);
            if (options.isJson()) {
                out.println(JSON.writeValueAsString(json(map, leaders)));
            } else {
                table(map, leaders, out);
            }
            return AdminClient.OK;
        } catch (AdminClient.Failure f) {
            err.println("cairn topology: " + f.getMessage());
            return f.exitCode;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            err.println("cairn topology: " + e.getMessage());
            return AdminClient.ERROR;
        }
    }

    /** CLUSTER SHARDS names nodes by their CLUSTER NODES id: back to the map's node names. */
    static Map<Integer, String> leaderNames(ClusterMap map, Map<Integer, String> leaderIds) {
        Map<String, String> nameOfId = new HashMap<>();
        for (NodeInfo n : map.nodes()) {
            nameOfId.put(AdminClient.clusterNodeId(n.id()), n.id());
        }
        Map<Integer, String> out = new HashMap<>();
        leaderIds.forEach((p, id) -> {
            if (id != null) {
                out.put(p, nameOfId.getOrDefault(id, id));
            }
        });
        return out;
    }

    private static int[] slots(int partition, int partitions) {
        // partitionOfSlot is monotonic: a partition's slots are one contiguous range.
        int start = (int) (((long) partition * SlotHash.SLOTS + partitions - 1) / partitions);
        int end = (int) (((long) (partition + 1) * SlotHash.SLOTS + partitions - 1) / partitions) - 1;
        assert SlotHash.partitionOfSlot(start, partitions) == partition && SlotHash.partitionOfSlot(end, partitions) == partition;
        return new int[] {start, end};
    }

    static ObjectNode json(ClusterMap map, Map<Integer, String> leaders) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode();
        o.put("clusterId", map.settings().clusterId()).put("epoch", map.epoch())
                .put("replicationFactor", map.settings().replicationFactor())
                .put("movesInProgress", map.movesInProgress());
        ArrayNode nodes = o.putArray("nodes");
        for (NodeInfo n : map.nodes()) {
            nodes.addObject().put("id", n.id()).put("state", n.state().name()).put("resp", n.spec().respAddress())
                    .put("raft", n.spec().raftAddress()).put("zone", n.spec().zone()).put("replicas", map.replicaCount(n.id()))
                    .put("leads", (int) leaders.values().stream().filter(n.id()::equals).count());
        }
        ArrayNode parts = o.putArray("partitions");
        for (PartitionReplicas p : map.partitions()) {
            int[] s = slots(p.partition(), map.settings().partitions());
            ObjectNode j = parts.addObject().put("partition", p.partition());
            j.putArray("slots").add(s[0]).add(s[1]);
            ArrayNode rs = j.putArray("replicas");
            p.replicas().forEach(rs::add);
            j.put("preferredLeader", p.preferredLeader());
            String leader = leaders.get(p.partition());
            if (leader == null) {
                j.putNull("leader");
            } else {
                j.put("leader", leader);
            }
            ReplicaMove m = p.move();
            if (m == null) {
                j.putNull("move");
            } else {
                ObjectNode mj = j.putObject("move").put("add", m.add());
                if (m.remove() == null) {
                    mj.putNull("remove");
                } else {
                    mj.put("remove", m.remove());
                }
                mj.put("startedAtEpoch", m.startedAtEpoch());
            }
        }
        return o;
    }

    static void table(ClusterMap map, Map<Integer, String> leaders, PrintWriter out) {
        out.printf("cluster %s  epoch %d  partitions %d  replication factor %d  moves in progress %d%n",
                map.settings().clusterId(), map.epoch(), map.settings().partitions(), map.settings().replicationFactor(),
                map.movesInProgress());
        out.println();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NODE", "STATE", "RESP", "RAFT", "ZONE", "REPLICAS", "LEADS"});
        for (NodeInfo n : map.nodes()) {
            rows.add(new String[] {n.id(), n.state().name(), n.spec().respAddress(), n.spec().raftAddress(),
                    n.spec().zone().isEmpty() ? "-" : n.spec().zone(), String.valueOf(map.replicaCount(n.id())),
                    String.valueOf(leaders.values().stream().filter(n.id()::equals).count())});
        }
        print(rows, out);
        out.println();
        rows = new ArrayList<>();
        rows.add(new String[] {"PARTITION", "SLOTS", "LEADER", "REPLICAS", "MOVE"});
        for (PartitionReplicas p : map.partitions()) {
            int[] s = slots(p.partition(), map.settings().partitions());
            rows.add(new String[] {String.valueOf(p.partition()), s[0] + "-" + s[1],
                    leaders.getOrDefault(p.partition(), "-"), String.join(",", p.replicas()), describe(p.move())});
        }
        print(rows, out);
    }

    static String describe(ReplicaMove m) {
        if (m == null) {
            return "-";
        }
        return "+" + m.add() + (m.remove() == null ? "" : " -" + m.remove()) + " (since epoch " + m.startedAtEpoch() + ")";
    }

    /** Left-aligned columns, two spaces apart. */
    static void print(List<String[]> rows, PrintWriter out) {
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                b.append(r[i]);
                if (i < r.length - 1) {
                    b.append(" ".repeat(width[i] - r[i].length() + 2));
                }
            }
            out.println(b);
        }
    }
}
