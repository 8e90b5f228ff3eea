package io.cairn.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.NodeInfo;
import io.cairn.cluster.NodeState;
import io.cairn.cluster.PartitionReplicas;
import io.cairn.cluster.ReplicaMove;
import io.cairn.storage.SlotHash;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cairn topology}: an elastic cluster's map as one node knows it (CLUSTER MAP) with each
 * partition's leader (CLUSTER SHARDS): nodes with their state, addresses, zone, replicas held and
 * leaderships; partitions with their slots, replicas, leader, replica lag and any move under way.
 *
 * <p>Replica lag: only a partition's leader knows how far its followers are behind, so the command
 * asks every node of the map that has not LEFT for CLUSTER LAG (the partitions it leads), in
 * parallel, each with its own short timeout ({@code --lag-timeout-ms}, default 2000 ms, for the
 * connection and for each request). A partition claimed by two nodes (an old leader that has not
 * yet noticed its successor) is shown with the higher term's; nodes that do not answer are listed
 * with the reason, and the partitions only they could report show no lag. A replica that has not
 * answered its leader for {@code --silent-after-ms} (default 1000 ms) is shown as silent.
 */
@Command(name = "topology", mixinStandardHelpOptions = true,
        description = {"Print an elastic cluster's nodes (state, addresses, zone, replicas, leaderships) and "
                + "partitions (slots, replicas, leader, replica lag, move in progress), as a table or JSON.",
                "Replica lag comes from each partition's leader: every node is asked (CLUSTER LAG); nodes that "
                        + "do not answer are listed.",
                "Exit code: 0 ok, 1 error (e.g. the node has static membership), 3 cannot connect, 4 timeout."})
final class TopologyCommand implements Callable<Integer> {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Mixin
    AdminClient.Options options = new AdminClient.Options();

    @Option(names = "--lag-timeout-ms", description = "Connect and read timeout when asking each node for the lag of "
            + "the partitions it leads (default 2000).")
    int lagTimeoutMs = 2000;

    @Option(names = "--silent-after-ms", description = "Show a replica as silent once it has not answered its leader "
            + "for this long (default 1000).")
    long silentAfterMs = 1000;

    @Option(names = "--no-lag", description = "Ask only the given node (map and leaders), not every node for replica lag.")
    boolean noLag;

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
            if (lagTimeoutMs < 1 || silentAfterMs < 0) {
                throw new AdminClient.Failure(AdminClient.ERROR, "--lag-timeout-ms must be positive and --silent-after-ms"
                        + " not negative");
            }
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
            Lag lag = noLag ? null : collectLag(map, options, lagTimeoutMs);
            if (lag != null) {
                // A node saying it leads a partition now is fresher than the asked node's view of it.
                lag.byPartition().forEach((p, l) -> leaders.put(p, l.leader()));
            }
            if (options.isJson()) {
                out.println(JSON.writeValueAsString(json(map, leaders, lag, silentAfterMs)));
            } else {
                table(map, leaders, lag, silentAfterMs, out);
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

    /**
     * Replica lag as the leaders report it: per partition, the answer of the node claiming it with
     * the highest term; the nodes asked that did not answer, with why.
     */
    record Lag(Map<Integer, AdminClient.PartitionLag> byPartition, Map<String, String> unanswered) {}

    /**
     * Asks every node of the map that has not LEFT for CLUSTER LAG, in parallel (one virtual thread
     * per node), each connection with {@code timeoutMs} for connecting and for each request.
     */
    static Lag collectLag(ClusterMap map, AdminClient.Options options, int timeoutMs) {
        Map<String, java.util.concurrent.Future<List<AdminClient.PartitionLag>>> asked = new LinkedHashMap<>();
        Map<Integer, AdminClient.PartitionLag> byPartition = new TreeMap<>();
        Map<String, String> unanswered = new TreeMap<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (NodeInfo n : map.nodes()) {
                if (n.state() == NodeState.LEFT) {
                    continue; // drained and gone: no process to ask
                }
                asked.put(n.id(), pool.submit(() -> {
                    try (AdminClient c = AdminClient.connect(options, n.spec().respAddress(), timeoutMs)) {
                        return c.lag();
                    }
                }));
            }
            // Each step of a task is bounded by the socket timeout (connect, AUTH or PING, CLUSTER LAG).
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(4L * timeoutMs);
            for (Map.Entry<String, java.util.concurrent.Future<List<AdminClient.PartitionLag>>> e : asked.entrySet()) {
                String node = e.getKey();
                try {
                    List<AdminClient.PartitionLag> led = e.getValue().get(
                            Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    for (AdminClient.PartitionLag l : led) {
                        if (l.partition() < 0 || l.partition() >= map.settings().partitions()) {
                            unanswered.put(node, "reported lag of partition " + l.partition() + ", which the map does not have");
                            continue;
                        }
                        byPartition.merge(l.partition(), l, (a, b) -> a.term() >= b.term() ? a : b);
                    }
                } catch (java.util.concurrent.ExecutionException x) {
                    unanswered.put(node, x.getCause() instanceof AdminClient.Failure f ? f.getMessage()
                            : String.valueOf(x.getCause()));
                } catch (java.util.concurrent.TimeoutException x) {
                    e.getValue().cancel(true);
                    unanswered.put(node, "no answer within " + 4L * timeoutMs + " ms");
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                    unanswered.put(node, "interrupted");
                }
            }
        }
        return new Lag(byPartition, unanswered);
    }

    private static int[] slots(int partition, int partitions) {
        // partitionOfSlot is monotonic: a partition's slots are one contiguous range.
        int start = (int) (((long) partition * SlotHash.SLOTS + partitions - 1) / partitions);
        int end = (int) (((long) (partition + 1) * SlotHash.SLOTS + partitions - 1) / partitions) - 1;
        assert SlotHash.partitionOfSlot(start, partitions) == partition && SlotHash.partitionOfSlot(end, partitions) == partition;
        return new int[] {start, end};
    }

    static ObjectNode json(ClusterMap map, Map<Integer, String> leaders, Lag lag, long silentAfterMs) {
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
            AdminClient.PartitionLag l = lag == null ? null : lag.byPartition().get(p.partition());
            if (l == null) {
                j.putNull("lag");
            } else {
                ObjectNode lj = j.putObject("lag").put("leader", l.leader()).put("term", l.term())
                        .put("commitIndex", l.commitIndex()).put("lastIndex", l.lastIndex());
                ArrayNode rl = lj.putArray("replicas");
                for (AdminClient.ReplicaLag r : l.replicas()) {
                    rl.addObject().put("node", r.node()).put("role", r.role()).put("matchIndex", r.matchIndex())
                            .put("lag", r.lag()).put("lastContactMs", r.lastContactMs())
                            .put("silent", r.lastContactMs() >= silentAfterMs);
                }
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
        if (lag != null) {
            ObjectNode un = o.putObject("lagUnanswered");
            lag.unanswered().forEach(un::put);
        }
        return o;
    }

    static void table(ClusterMap map, Map<Integer, String> leaders, Lag lag, long silentAfterMs, PrintWriter out) {
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
        rows.add(new String[] {"PARTITION", "SLOTS", "LEADER", "REPLICAS", "LAG", "MOVE"});
        for (PartitionReplicas p : map.partitions()) {
            int[] s = slots(p.partition(), map.settings().partitions());
            rows.add(new String[] {String.valueOf(p.partition()), s[0] + "-" + s[1],
                    leaders.getOrDefault(p.partition(), "-"), String.join(",", p.replicas()),
                    lag == null ? "-" : describe(lag.byPartition().get(p.partition()), silentAfterMs), describe(p.move())});
        }
        print(rows, out);
        if (lag != null) {
            out.println();
            out.println("LAG: log entries each other replica lacks of its leader's log (as the leader knows it); silent: no"
                    + " answer to the leader for " + silentAfterMs + " ms or more; ?: no node reported the partition's lag.");
            lag.unanswered().forEach((node, why) -> out.println("lag unknown from " + node + ": " + why));
        }
    }

    /** "n2 0, n3 152 (silent 4.1 s)"; "?" if no leader reported it; "-" if the partition has no other replica. */
    static String describe(AdminClient.PartitionLag l, long silentAfterMs) {
        if (l == null) {
            return "?";
        }
        if (l.replicas().isEmpty()) {
            return "-";
        }
        StringBuilder b = new StringBuilder();
        for (AdminClient.ReplicaLag r : l.replicas()) {
            if (!b.isEmpty()) {
                b.append(", ");
            }
            b.append(r.node()).append(' ').append(r.lag());
            List<String> notes = new ArrayList<>();
            if (!r.role().equals("voter")) {
                notes.add(r.role());
            }
            if (r.lastContactMs() >= silentAfterMs) {
                notes.add(String.format(java.util.Locale.ROOT, "silent %.1f s", r.lastContactMs() / 1000.0));
            }
            if (!notes.isEmpty()) {
                b.append(" (").append(String.join(", ", notes)).append(')');
            }
        }
        return b.toString();
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
