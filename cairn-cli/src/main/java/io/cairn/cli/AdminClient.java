package io.cairn.cli;

import io.cairn.cluster.ClusterCodec;
import io.cairn.cluster.ClusterMap;
import io.cairn.storage.SlotHash;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The RESP side of the operator commands ({@code cairn topology}, {@code leave}, {@code
 * rebalance}): one Jedis connection to a node and Cairn's CLUSTER extensions (MAP, LEAVE,
 * REBALANCE [START], LAG) plus CLUSTER SHARDS for the partitions' leaders. Failures become {@link Failure}s
 * carrying the command's exit code: 1 error, 2 not found, 3 no connection, 4 timeout.
 */
final class AdminClient implements AutoCloseable {
    static final int OK = 0;
    static final int ERROR = 1;
    static final int NOT_FOUND = 2;
    static final int CONNECTION = 3;
    static final int TIMEOUT = 4;

    /** A failed admin step, with the exit code the command returns for it. */
    static final class Failure extends Exception {
        final int exitCode;

        Failure(int exitCode, String message) {
            super(message);
            this.exitCode = exitCode;
        }
    }

    /** The options every admin command shares: where to connect and how to print. */
    static final class Options {
        @Option(names = "--host", description = "Host of any cluster node's RESP port (default 127.0.0.1).")
        String host = "127.0.0.1";

        @Option(names = {"-p", "--port"}, description = "RESP port of that node (default 6379).")
        int port = 6379;

        @Option(names = {"-a", "--password"}, description = "requirepass of the nodes, if set.")
        String password;

        @Option(names = {"-o", "--output"}, description = "table (default) or json.")
        String output = "table";

        @Option(names = "--socket-timeout-ms", description = "Socket connect and read timeout per request (default 10000).")
        int socketTimeoutMs = 10_000;

        boolean json() throws Failure {
            return switch (output.toLowerCase(java.util.Locale.ROOT)) {
                case "json" -> true;
                case "table" -> false;
                default -> throw new Failure(ERROR, "--output must be table or json, got '" + output + "'");
            };
        }

        /** After {@link #validate}: whether to print JSON. */
        boolean isJson() {
            return "json".equalsIgnoreCase(output);
        }

        void validate() throws Failure {
            json();
            if (port < 1 || port > 65_535) {
                throw new Failure(ERROR, "--port must be in 1..65535, got " + port);
            }
            if (socketTimeoutMs < 1) {
                throw new Failure(ERROR, "--socket-timeout-ms must be positive");
            }
        }
    }

    private final RespSession session;
    final String address;

    private AdminClient(String host, int port, String password, int timeoutMs) throws Failure {
        this.session = RespSession.connect(host, port, password, timeoutMs);
        this.address = session.address;
    }

    static AdminClient connect(Options o) throws Failure {
        return new AdminClient(o.host, o.port, o.password, o.socketTimeoutMs);
    }

    /** A connection to another node, reached at {@code respAddress} as the map records it ({@code host:port}). */
    static AdminClient connect(Options o, String respAddress) throws Failure {
        return connect(o, respAddress, o.socketTimeoutMs);
    }

    /** As {@link #connect(Options, String)}, with its own connect and read timeout. */
    static AdminClient connect(Options o, String respAddress, int timeoutMs) throws Failure {
        int colon = respAddress.lastIndexOf(':');
        int port;
        try {
            port = colon < 0 ? -1 : Integer.parseInt(respAddress.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65_535) {
            throw new Failure(ERROR, "the map records no usable RESP address ('" + respAddress + "')");
        }
        String host = respAddress.substring(0, colon);
        if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            host = o.host; // a wildcard bind: the node is on the host we were pointed at
        }
        return new AdminClient(host, port, o.password, timeoutMs);
    }

    /** CLUSTER MAP, decoded (and checked) by the controller's own codec. */
    ClusterMap map() throws Failure {
        Object reply = call("CLUSTER MAP", "MAP");
        try {
            return ClusterCodec.decodeMap((byte[]) reply);
        } catch (RuntimeException e) {
            throw new Failure(ERROR, address + " answered CLUSTER MAP with an invalid map: " + e.getMessage());
        }
    }

    /** CLUSTER MYID: the node's CLUSTER NODES id (SHA-1 of its name in an elastic cluster). */
    String myId() throws Failure {
        return text(call("CLUSTER MYID", "MYID"));
    }

    /** CLUSTER LEAVE [node]: the map's epoch once the controller accepted it. */
    long leave(String node) throws Failure {
        Object reply = node == null ? call("CLUSTER LEAVE", "LEAVE") : call("CLUSTER LEAVE", "LEAVE", node);
        String s = text(reply);
        if (!s.startsWith("OK epoch ")) {
            throw new Failure(ERROR, address + " answered CLUSTER LEAVE with '" + s + "'");
        }
        return Long.parseLong(s.substring("OK epoch ".length()).trim());
    }

    /** CLUSTER REBALANCE START: the map's epoch once the controller accepted the request. */
    long requestRebalance() throws Failure {
        String s = text(call("CLUSTER REBALANCE START", "REBALANCE", "START"));
        if (!s.startsWith("OK epoch ")) {
            throw new Failure(ERROR, address + " answered CLUSTER REBALANCE START with '" + s + "'");
        }
        return Long.parseLong(s.substring("OK epoch ".length()).trim());
    }

    /** A partition the asked node leads, as CLUSTER LAG reports it. */
    record PartitionLag(int partition, String leader, long term, long commitIndex, long lastIndex,
                        List<ReplicaLag> replicas) {}

    /** One other replica of a led partition: how far behind the leader's log, and how long silent. */
    record ReplicaLag(String node, String role, long matchIndex, long lag, long lastContactMs) {}

    /** CLUSTER LAG: the partitions this node leads, with their replicas' progress. */
    List<PartitionLag> lag() throws Failure {
        List<PartitionLag> out = new java.util.ArrayList<>();
        try {
            for (Object entry : (List<?>) call("CLUSTER LAG", "LAG")) {
                Map<String, Object> p = pairs(entry);
                List<ReplicaLag> replicas = new java.util.ArrayList<>();
                for (Object r : (List<?>) p.get("replicas")) {
                    Map<String, Object> m = pairs(r);
                    replicas.add(new ReplicaLag(text(m.get("node")), text(m.get("role")), (Long) m.get("match-index"),
                            (Long) m.get("lag"), (Long) m.get("last-contact-ms")));
                }
                out.add(new PartitionLag((int) (long) (Long) p.get("partition"), text(p.get("leader")),
                        (Long) p.get("term"), (Long) p.get("commit-index"), (Long) p.get("last-index"), replicas));
            }
        } catch (ClassCastException | NullPointerException e) {
            throw new Failure(ERROR, address + " answered CLUSTER LAG in an unexpected shape: " + e);
        }
        return out;
    }

    /** CLUSTER REBALANCE: field to value. */
    Map<String, Long> rebalance() throws Failure {
        Map<String, Long> out = new LinkedHashMap<>();
        pairs(call("CLUSTER REBALANCE", "REBALANCE")).forEach((k, v) -> out.put(k, (Long) v));
        return out;
    }

    /**
     * Each partition's leader as the node answers CLUSTER SHARDS (its CLUSTER NODES id; the
     * preferred leader while none is known), for a cluster of {@code partitions} partitions.
     */
    Map<Integer, String> leaders(int partitions) throws Failure {
        Map<Integer, String> out = new HashMap<>();
        for (Object shard : (List<?>) call("CLUSTER SHARDS", "SHARDS")) {
            Map<String, Object> s = pairs(shard);
            List<?> slots = (List<?>) s.get("slots");
            List<?> nodes = (List<?>) s.get("nodes");
            String leader = null;
            for (Object n : nodes) {
                Map<String, Object> node = pairs(n);
                if ("master".equals(text(node.get("role")))) {
                    leader = text(node.get("id"));
                }
            }
            for (int i = 0; i + 1 < slots.size(); i += 2) {
                int first = SlotHash.partitionOfSlot((int) (long) (Long) slots.get(i), partitions);
                int last = SlotHash.partitionOfSlot((int) (long) (Long) slots.get(i + 1), partitions);
                for (int p = first; p <= last; p++) {
                    out.put(p, leader);
                }
            }
        }
        return out;
    }

    /** The id CLUSTER NODES and SHARDS give the member named {@code name} (Cairn hashes names with SHA-1). */
    static String clusterNodeId(String name) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(name.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by the JDK", e);
        }
    }

    private Object call(String what, String... args) throws Failure {
        String[] command = new String[args.length + 1];
        command[0] = "CLUSTER";
        System.arraycopy(args, 0, command, 1, args.length);
        Object reply = session.send(command);
        if (reply instanceof redis.clients.jedis.exceptions.JedisDataException e) {
            throw RespSession.translate(e, what + " on " + address);
        }
        return reply;
    }

    /** A RESP3 map or its RESP2 form (a flat array of key, value, ...), keys as text. */
    private static Map<String, Object> pairs(Object reply) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (reply instanceof Map<?, ?> m) {
            m.forEach((k, v) -> out.put(text(k), v));
            return out;
        }
        List<?> flat = (List<?>) reply;
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            out.put(text(flat.get(i)), flat.get(i + 1));
        }
        return out;
    }

    private static String text(Object o) {
        return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
    }

    @Override
    public void close() {
        session.close();
    }
}
