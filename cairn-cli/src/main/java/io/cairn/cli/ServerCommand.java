package io.cairn.cli;

import io.cairn.server.CairnServer;
import io.cairn.server.ServerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Run a Cairn node that speaks the Redis protocol.",
                "Settings come from defaults < --config YAML < flags < CAIRN_* environment variables."})
class ServerCommand implements Callable<Integer> {
    @Option(names = "--config", description = "YAML file with settings (same keys as the flags).")
    Path configFile;

    @Option(names = "--node-id", description = "Node name or 40-hex id (default: random, kept in --data-dir).")
    String nodeId;

    @Option(names = "--bind", description = "Address to listen on (default 127.0.0.1).")
    String bind;

    @Option(names = "--advertise-host", description = "Address other nodes and cluster clients reach this node at "
            + "(default: --bind; required when --bind is 0.0.0.0 or ::).")
    String advertiseHost;

    @Option(names = "--port", description = "RESP port (default 6380; 0 picks a free one).")
    Integer port;

    @Option(names = "--data-dir", description = "Directory for data (required for rocksdb).")
    Path dataDir;

    @Option(names = "--storage", description = "Storage engine: memory (default) or rocksdb.")
    String storage;

    @Option(names = "--storage-option", description = "Engine setting key=value, passed through (repeatable).")
    List<String> storageOptions = new ArrayList<>();

    @Option(names = "--partitions", description = "Partitions (fixed at creation; default 16).")
    Integer partitions;

    @Option(names = "--requirepass", description = "Password clients must AUTH with.")
    String requirePass;

    @Option(names = "--peers", description = {"Cluster members, this node included: name@host:raftPort[/respPort],...",
            "Every node gets the same list; --node-id names this one."})
    String peers;

    @Option(names = "--replication-factor", description = "Replicas per partition in cluster mode (default 3).")
    Integer replicationFactor;

    @Option(names = "--raft-port", description = {"Raft (gRPC) port. With --peers it must match this node's entry;",
            "with --bootstrap/--join it is where other members reach this node."})
    Integer raftPort;

    @Option(names = "--bootstrap", description = "Create a new elastic cluster with this node as its first member.")
    boolean bootstrap;

    @Option(names = "--join", description = {"Join a running elastic cluster through any member's Raft address",
            "host:raftPort (comma-separated for several seeds)."})
    String join;

    @Option(names = "--zone", description = "Failure zone of this node: replicas of a partition go to distinct zones when possible.")
    String zone;

    @Option(names = "--durability", description = "STRICT (fsync before ack, default) or RELAXED (ack before fsync).")
    String durability;

    @Option(names = {"-s", "--set"}, description = "Any other setting key=value (e.g. maxclients=100) (repeatable).")
    List<String> settings = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        CairnServer server;
        try {
            server = CairnServer.start(load());
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            System.err.println("cairn server: " + e.getMessage());
            return 1;
        }
        System.out.println("cairn " + CairnServer.VERSION + " node " + server.nodeId() + " ready on "
                + server.config().string("bind") + ":" + server.port());
        ShutdownSignals.closeOnTermination(server);
        server.awaitTermination();
        System.out.println("cairn server stopped");
        return 0;
    }

    ServerConfig load() {
        Map<String, String> flags = new LinkedHashMap<>();
        for (String kv : settings) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set expects key=value, got '" + kv + "'");
            }
            flags.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
        putIf(flags, "node-id", nodeId);
        putIf(flags, "bind", bind);
        putIf(flags, "port", port);
        putIf(flags, "data-dir", dataDir);
        putIf(flags, "storage", storage);
        putIf(flags, "partitions", partitions);
        putIf(flags, "requirepass", requirePass);
        putIf(flags, "peers", peers);
        putIf(flags, "replication-factor", replicationFactor);
        putIf(flags, "durability", durability);
        if (bootstrap) {
            flags.put("bootstrap", "yes");
        }
        putIf(flags, "join", join);
        putIf(flags, "zone", zone);
        putIf(flags, "advertise-host", advertiseHost);
        if (raftPort != null && peers == null) {
            if (!bootstrap && join == null) {
                throw new IllegalArgumentException("--raft-port needs --peers, --bootstrap or --join");
            }
            flags.put("raft-port", raftPort.toString());
        } else if (raftPort != null) {
            String self = nodeId + "@";
            boolean matches = java.util.Arrays.stream(peers.split(",")).map(String::trim)
                    .anyMatch(p -> p.startsWith(self) && p.matches(".*:" + raftPort + "(/\\d+)?"));
            if (!matches) {
                throw new IllegalArgumentException("--raft-port " + raftPort + " does not match this node's ("
                        + nodeId + ") entry in --peers " + peers);
            }
        }
        ServerConfig config = ServerConfig.load(configFile, flags, storageOptions, System.getenv());
        System.out.println("effective configuration:");
        config.effective().forEach((k, v) -> System.out.println("  " + k + ": " + v));
        return config;
    }

    private static void putIf(Map<String, String> flags, String key, Object value) {
        if (value != null) {
            flags.put(key, value.toString());
        }
    }
}
