package io.cairn.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.NodeInfo;
import io.cairn.cluster.NodeState;
import io.cairn.cluster.PartitionReplicas;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

/**
 * {@code cairn leave}: decommissions a node of an elastic cluster. CLUSTER LEAVE makes it LEAVING;
 * the controller moves its replicas to the other nodes and marks it LEFT once it holds none. With
 * {@code --wait} the command follows the map (read from another member, since the leaving node
 * stops taking part) until the node is LEFT, printing each step, bounded by {@code --timeout}.
 */
@Command(name = "leave", mixinStandardHelpOptions = true,
        description = {"Drain a node of an elastic cluster: its replicas move to the other nodes, then it is marked "
                + "LEFT (stop its process afterwards). With --wait, follow the drain until it is done.",
                "Exit code: 0 ok, 1 error (refused, e.g. too few nodes would remain), 2 no such node, "
                        + "3 cannot connect, 4 --timeout reached before the node was LEFT."})
final class LeaveCommand implements Callable<Integer> {
    @Mixin
    AdminClient.Options options = new AdminClient.Options();

    @Option(names = "--node", description = "Id of the node to drain, as `cairn topology` shows it "
            + "(default: the node at --host/--port).")
    String node;

    @Option(names = "--wait", description = "Wait until the node is LEFT, printing progress.")
    boolean await;

    @Option(names = "--timeout", description = "Seconds --wait waits at most (default 600).")
    long timeoutSeconds = 600;

    @Option(names = "--interval-ms", description = "How often --wait reads the map (default 500).")
    long intervalMs = 500;

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
            if (timeoutSeconds < 1 || intervalMs < 10) {
                throw new AdminClient.Failure(AdminClient.ERROR, "--timeout must be >= 1 s and --interval-ms >= 10");
            }
            String id;
            long epoch;
            boolean alreadyLeaving = false;
            ClusterMap map;
            try (AdminClient client = AdminClient.connect(options)) {
                map = client.map();
                id = node != null ? resolve(map, node) : self(map, client.myId());
                try {
                    epoch = client.leave(id);
                } catch (AdminClient.Failure f) {
                    // Asked again (a retried command): what was asked for is under way or done.
                    NodeState state = map.node(id).map(NodeInfo::state).orElse(null);
                    if (!f.getMessage().contains("NOCHANGE") && state != NodeState.LEFT) {
                        throw f;
                    }
                    alreadyLeaving = true;
                    epoch = map.epoch();
                }
            }
            if (!await) {
                report(id, alreadyLeaving ? "already leaving" : "leaving", epoch, null);
                return AdminClient.OK;
            }
            if (!options.isJson()) {
                out.println("node " + id + (alreadyLeaving ? " is already leaving" : " is leaving") + " (epoch " + epoch
                        + "); waiting until it is LEFT");
            }
            ClusterMap done = waitUntilLeft(map, id);
            report(id, "left", epoch, done);
            return AdminClient.OK;
        } catch (AdminClient.Failure f) {
            err.println("cairn leave: " + f.getMessage());
            return f.exitCode;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("cairn leave: interrupted");
            return AdminClient.ERROR;
        }
    }

    /** The map's id of {@code given}: a map node id, or a CLUSTER NODES id. */
    static String resolve(ClusterMap map, String given) throws AdminClient.Failure {
        if (map.node(given).isPresent()) {
            return given;
        }
        for (NodeInfo n : map.nodes()) {
            if (AdminClient.clusterNodeId(n.id()).equals(given)) {
                return n.id();
            }
        }
        throw new AdminClient.Failure(AdminClient.NOT_FOUND, "node '" + given + "' is not in the cluster map (epoch "
                + map.epoch() + "); `cairn topology` lists the nodes");
    }

    private static String self(ClusterMap map, String myId) throws AdminClient.Failure {
        for (NodeInfo n : map.nodes()) {
            if (AdminClient.clusterNodeId(n.id()).equals(myId) || n.id().equals(myId)) {
                return n.id();
            }
        }
        throw new AdminClient.Failure(AdminClient.NOT_FOUND, "the node's id " + myId + " is not in its cluster map");
    }

    /**
     * Polls the map until {@code id} is LEFT: from another live member (the leaving node drops out
     * of the cluster's business once drained), falling back to any reachable one.
     */
    private ClusterMap waitUntilLeft(ClusterMap initial, String id) throws AdminClient.Failure, InterruptedException {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        ClusterMap map = initial;
        String lastLine = "";
        AdminClient.Failure lastFailure = null;
        while (true) {
            Optional<ClusterMap> read = readFromAMember(map, id);
            if (read.isPresent()) {
                if (read.get().epoch() >= map.epoch()) {
                    map = read.get();
                }
                lastFailure = null;
            }
            NodeState state = map.node(id).map(NodeInfo::state).orElse(NodeState.LEFT);
            if (state == NodeState.LEFT) {
                return map;
            }
            String line = progress(map, id, state);
            if (!line.equals(lastLine) && !options.isJson()) {
                out.println(line);
                lastLine = line;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AdminClient.Failure(AdminClient.TIMEOUT, "node " + id + " is still " + state + " after "
                        + timeoutSeconds + " s (" + line + ")" + (lastFailure == null ? "" : "; " + lastFailure.getMessage()));
            }
            Thread.sleep(intervalMs);
        }
    }

    private Optional<ClusterMap> readFromAMember(ClusterMap map, String leaving) {
        java.util.List<String> addresses = new java.util.ArrayList<>();
        for (NodeInfo n : map.nodes()) {
            if (!n.id().equals(leaving) && n.state() == NodeState.UP) {
                addresses.add(n.spec().respAddress());
            }
        }
        for (String a : addresses) {
            try (AdminClient c = AdminClient.connect(options, a)) {
                return Optional.of(c.map());
            } catch (AdminClient.Failure | RuntimeException e) {
                // try the next member
            }
        }
        try (AdminClient c = AdminClient.connect(options)) {
            return Optional.of(c.map());
        } catch (AdminClient.Failure | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** "n4 LEAVING: 3 replicas to move, 1 move under way (epoch 31)". */
    static String progress(ClusterMap map, String id, NodeState state) {
        int held = 0;
        int moving = 0;
        for (PartitionReplicas p : map.partitions()) {
            if (p.replicas().contains(id)) {
                held++;
            }
            if (p.move() != null && p.involves(id)) {
                moving++;
            }
        }
        return "node " + id + " " + state + ": " + held + " replica(s) still on it, " + moving + " move(s) under way (epoch "
                + map.epoch() + ")";
    }

    private void report(String id, String outcome, long leaveEpoch, ClusterMap done) {
        if (options.isJson()) {
            ObjectNode o = JsonNodeFactory.instance.objectNode().put("node", id).put("outcome", outcome)
                    .put("leaveEpoch", leaveEpoch);
            if (done != null) {
                o.put("state", NodeState.LEFT.name()).put("epoch", done.epoch());
            }
            out.println(o.toPrettyString());
        } else if (done == null) {
            out.println("node " + id + " is " + outcome + " (epoch " + leaveEpoch + "); `cairn leave --node " + id
                    + " --wait` or `cairn topology` follows the drain");
        } else {
            out.println("node " + id + " is LEFT (epoch " + done.epoch() + "): its process can be stopped");
        }
    }
}
