package io.cairn.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.cairn.cluster.Peer;
import io.cairn.resp.ClusterModeSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A node's effective configuration: defaults, overridden by a YAML file, overridden by command-line
 * flags, overridden by {@code CAIRN_*} environment variables (the order operators expect from
 * twelve-factor deployments: the environment wins).
 *
 * <p>Every setting has one kebab-case key, the same in all three sources: YAML {@code port: 6381},
 * flag {@code --port 6381}, environment {@code CAIRN_PORT=6381}. Storage options are a map: YAML
 * {@code storage-options: {rocksdb.max_open_files: 512}}, flag {@code --storage-option k=v}
 * (repeatable), environment {@code CAIRN_STORAGE_OPTIONS="k=v,k2=v2"}. Unknown keys are refused
 * with the list of known ones, so a typo never silently falls back to a default.
 */
public final class ServerConfig {
    public static final String STORAGE_OPTIONS = "storage-options";

    /** Keys of the cluster agent and the cluster map, read by {@code ClusterAgentConfig} and {@code ClusterSettings}. */
    static final java.util.List<String> ELASTIC_PASS_THROUGH = java.util.List.of(
            io.cairn.cluster.ClusterSettings.MAX_CONCURRENT_MOVES, io.cairn.cluster.ClusterSettings.MAX_NODES,
            io.cairn.cluster.agent.ClusterAgentConfig.HEARTBEAT_INTERVAL_MS,
            io.cairn.cluster.agent.ClusterAgentConfig.CONTROLLER_LOOP_INTERVAL_MS,
            io.cairn.cluster.agent.ClusterAgentConfig.RECONCILE_INTERVAL_MS,
            io.cairn.cluster.agent.ClusterAgentConfig.MOVE_ATTEMPT_TIMEOUT_MS,
            io.cairn.cluster.agent.ClusterAgentConfig.MOVE_MAX_ATTEMPTS,
            io.cairn.cluster.agent.ClusterAgentConfig.MOVE_HOST_WAIT_MS,
            io.cairn.cluster.agent.ClusterAgentConfig.MOVE_RETRY_PAUSE_MS,
            io.cairn.cluster.agent.ClusterAgentConfig.MOVER_THREADS,
            io.cairn.cluster.agent.ClusterAgentConfig.REPLICA_OP_TIMEOUT_MS,
            io.cairn.cluster.agent.ClusterAgentConfig.JOIN_TIMEOUT_MS,
            io.cairn.cluster.agent.ClusterAgentConfig.CONTROLLER_MAX_VOTERS,
            io.cairn.cluster.agent.ClusterAgentConfig.REBALANCE_AUTO,
            io.cairn.cluster.agent.ClusterAgentConfig.CONTROLLER_CHANGE_TIMEOUT_MS,
            io.cairn.cluster.agent.ClusterAgentConfig.REDISCOVER_AFTER_FAILURES,
            io.cairn.cluster.agent.ClusterAgentConfig.LEADER_BALANCE_INTERVAL_MS,
            io.cairn.cluster.agent.ClusterAgentConfig.AUDIT_PARTITIONS_PER_PASS,
            io.cairn.cluster.ControllerClient.COMMAND_TIMEOUT_MS,
            io.cairn.cluster.FailureDetector.DOWN_AFTER_MS,
            io.cairn.cluster.FailureDetector.SUSPECT_AFTER_MS,
            io.cairn.cluster.FailureDetector.MAX_TRACKED_NODES);

    /** Known scalar keys with their defaults (null = no default). Order is the print order. */
    static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("node-id", null);
        d.put("bind", "127.0.0.1");
        // The host other nodes and cluster clients are told to reach this node at (cluster map, Raft
        // peer address, MOVED); default: bind. Required when bind is a wildcard (0.0.0.0, ::).
        d.put("advertise-host", null);
        d.put("port", "6380");
        d.put("data-dir", null);
        d.put("storage", "memory");
        d.put("partitions", "16");
        d.put("maxclients", "10000");
        d.put("proto-max-bulk-len", String.valueOf(512L * 1024 * 1024));
        d.put("max-multibulk-len", String.valueOf(1024 * 1024));
        d.put("client-query-buffer-limit", String.valueOf(1024L * 1024 * 1024));
        d.put("client-output-buffer-limit", String.valueOf(256L * 1024 * 1024));
        d.put("timeout", "0");
        d.put("protected-mode", "yes");
        d.put("requirepass", null);
        d.put("io-threads", "0");
        d.put("multi-max-queued", "100000");
        d.put("client-max-inflight", "4096");
        d.put("shutdown-timeout", "5");
        // DEBUG (fault injection: clock offset, leader step-down): no, yes, or local (loopback clients only).
        d.put("enable-debug-command", "no");
        d.put("expiry.active.interval-ms", "100");
        d.put("expiry.active.batch", "200");
        d.put("hlc.max-offset-ms", "500");
        d.put("scan.cursor-table.max-entries", "4096");
        d.put("scan.cursor-table.max-bytes", String.valueOf(32L * 1024 * 1024));
        d.put("scan.max-count", "100000");
        d.put("keys.max-results", "1000000");
        // Cluster mode (when peers is set): static membership, placement, consistency defaults.
        d.put("peers", null);
        // Elastic membership (instead of peers): the first node bootstraps, the others join through
        // any member's Raft address; the cluster map lives in the controller group (cairn-cluster).
        d.put("bootstrap", "no");
        d.put("join", null);
        d.put("raft-port", null);
        d.put("zone", null);
        for (String key : ELASTIC_PASS_THROUGH) {
            d.put(key, null); // defaults are ClusterAgentConfig's and ClusterSettings's
        }
        d.put("replication-factor", "3");
        d.put("vnodes-per-node", "128");
        d.put("cluster-id", "cairn");
        d.put("durability", "STRICT");
        d.put("read-consistency", "LINEARIZABLE");
        d.put("write-consistency", "MAJORITY");
        d.put("command-timeout-ms", "10000");
        d.put("cluster-start-timeout-ms", "60000");
        d.put("leader-balance-interval-ms", "5000");
        // A graceful stop (SIGTERM, SHUTDOWN) first hands over the partitions this node leads, all at
        // once, for at most this long: clients then wait for a transfer, not an election timeout.
        d.put("shutdown-leader-handover-ms", "3000");
        // How cluster clients are served: proxy (every node serves every key) or redirect (MOVED to
        // the partition's leader, as Redis Cluster); see io.cairn.resp.ClusterModeSettings.
        d.put(ClusterModeSettings.MODE, "proxy");
        d.put(ClusterModeSettings.LEADER_WAIT_MS, String.valueOf(ClusterModeSettings.DEFAULT_LEADER_WAIT_MS));
        d.put(ClusterModeSettings.SCAN_PAGE_KEYS, String.valueOf(ClusterModeSettings.DEFAULT_SCAN_PAGE_KEYS));
        d.put(ClusterModeSettings.SCAN_MAX_KEYS, String.valueOf(ClusterModeSettings.DEFAULT_SCAN_MAX_KEYS));
        return java.util.Collections.unmodifiableMap(d);
    }

    private final Map<String, String> values;
    private final Map<String, String> storageOptions;

    private ServerConfig(Map<String, String> values, Map<String, String> storageOptions) {
        this.values = values;
        this.storageOptions = storageOptions;
    }

    /**
     * Builds the effective configuration.
     *
     * @param yamlFile       optional YAML file (null = none)
     * @param flags          flags given on the command line, by key (only those given)
     * @param flagStorageOptions {@code --storage-option} values, each {@code key=value}
     * @param env            the process environment (only {@code CAIRN_*} entries are read)
     */
    public static ServerConfig load(Path yamlFile, Map<String, String> flags, Iterable<String> flagStorageOptions,
                                    Map<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
        Map<String, String> storage = new TreeMap<>();
        if (yamlFile != null) {
            readYaml(yamlFile, values, storage);
        }
        for (Map.Entry<String, String> e : flags.entrySet()) {
            set(values, e.getKey(), e.getValue(), "flag --" + e.getKey());
        }
        for (String kv : flagStorageOptions) {
            putOption(storage, kv, "--storage-option");
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            String name = e.getKey();
            if (!name.startsWith("CAIRN_") || name.equals("CAIRN_JAVA_OPTS")) {
                continue;
            }
            if (name.equals("CAIRN_STORAGE_OPTIONS")) {
                for (String kv : e.getValue().split(",")) {
                    if (!kv.isBlank()) {
                        putOption(storage, kv.trim(), "CAIRN_STORAGE_OPTIONS");
                    }
                }
                continue;
            }
            set(values, envToKey(name), e.getValue(), "environment " + name);
        }
        ServerConfig config = new ServerConfig(values, storage);
        config.validate();
        return config;
    }

    /** {@code CAIRN_EXPIRY_ACTIVE_BATCH} → {@code expiry.active.batch}; matched against known keys. */
    static String envToKey(String envName) {
        String wanted = envName.substring("CAIRN_".length()).toLowerCase(Locale.ROOT);
        for (String key : DEFAULTS.keySet()) {
            if (key.replace('-', '_').replace('.', '_').equals(wanted)) {
                return key;
            }
        }
        throw new IllegalArgumentException("unknown setting in environment CAIRN_" + wanted.toUpperCase(Locale.ROOT)
                + "; known settings: " + DEFAULTS.keySet());
    }

    private static void readYaml(Path file, Map<String, String> values, Map<String, String> storage) {
        Map<?, ?> tree;
        try {
            tree = new ObjectMapper(new YAMLFactory()).readValue(Files.readAllBytes(file), Map.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        if (tree == null) {
            return;
        }
        for (Map.Entry<?, ?> e : tree.entrySet()) {
            String key = String.valueOf(e.getKey());
            if (key.equals(STORAGE_OPTIONS)) {
                if (!(e.getValue() instanceof Map<?, ?> m)) {
                    throw new IllegalArgumentException(file + ": " + STORAGE_OPTIONS + " must be a map");
                }
                m.forEach((k, v) -> storage.put(String.valueOf(k), String.valueOf(v)));
            } else if (e.getValue() instanceof Map<?, ?> || e.getValue() instanceof Iterable<?>) {
                throw new IllegalArgumentException(file + ": setting '" + key + "' must be a scalar");
            } else {
                set(values, key, e.getValue() == null ? null : String.valueOf(e.getValue()), file.toString());
            }
        }
    }

    /** Raft settings ({@code raft.*}) pass through to {@code RaftConfig}, which knows and checks them. */
    static boolean isRaftKey(String key) {
        return key.startsWith("raft.") && key.length() > 5;
    }

    /** HTTP settings ({@code http.*}) pass through to {@code HttpSettings}, which checks them. */
    static boolean isHttpKey(String key) {
        return io.cairn.http.HttpSettings.KEYS.contains(key);
    }

    /** gRPC settings ({@code grpc.*}) pass through to {@code GrpcSettings}, which checks them. */
    static boolean isGrpcKey(String key) {
        return io.cairn.grpc.GrpcSettings.KEYS.contains(key);
    }

    private static void set(Map<String, String> values, String key, String value, String source) {
        if (isRaftKey(key) || isHttpKey(key) || isGrpcKey(key)) {
            values.put(key, value);
            return;
        }
        if (!DEFAULTS.containsKey(key)) {
            throw new IllegalArgumentException("unknown setting '" + key + "' (from " + source + "); known settings: "
                    + DEFAULTS.keySet() + ", " + io.cairn.http.HttpSettings.KEYS + ", " + io.cairn.grpc.GrpcSettings.KEYS + " and "
                    + STORAGE_OPTIONS);
        }
        values.put(key, value);
    }

    private static void putOption(Map<String, String> storage, String kv, String source) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException(source + " expects key=value, got '" + kv + "'");
        }
        storage.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
    }

    private void validate() {
        int port = intValue("port");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        }
        int partitions = intValue("partitions");
        if (partitions < 1 || partitions > 16384) {
            throw new IllegalArgumentException("partitions must be in 1..16384, got " + partitions);
        }
        if (!Set.of("memory", "rocksdb").contains(string("storage"))) {
            throw new IllegalArgumentException("storage must be memory or rocksdb, got '" + string("storage") + "'");
        }
        if (string("storage").equals("rocksdb") && string("data-dir") == null) {
            throw new IllegalArgumentException("storage rocksdb needs --data-dir");
        }
        bool("protected-mode");
        long handover = longValue("shutdown-leader-handover-ms");
        if (handover < 0 || handover > 60_000) {
            throw new IllegalArgumentException("shutdown-leader-handover-ms must be in 0..60000, got " + handover);
        }
        debugCommand();
        io.cairn.api.consistency.Durability.parse(string("durability"));
        io.cairn.api.consistency.ReadConsistency.parse(string("read-consistency"));
        io.cairn.api.consistency.WriteConsistency.parse(string("write-consistency"));
        if (string("peers") != null && string("data-dir") == null) {
            throw new IllegalArgumentException("cluster mode (peers) needs --data-dir: the Raft log lives there");
        }
        if (clusterModeSettings().redirect() && string("peers") != null) {
            checkRedirectPeers();
        }
        if (elastic()) {
            if (string("peers") != null) {
                throw new IllegalArgumentException("peers (static membership) cannot be combined with bootstrap/join"
                        + " (elastic membership): choose one");
            }
            if (bool("bootstrap") && string("join") != null) {
                throw new IllegalArgumentException("a node either bootstraps a new cluster or joins one, not both");
            }
            if (string("data-dir") == null) {
                throw new IllegalArgumentException("bootstrap/join need --data-dir: the Raft logs and the cluster map live there");
            }
            if (string("node-id") == null || string("raft-port") == null) {
                throw new IllegalArgumentException("bootstrap/join need --node-id and --raft-port (the Raft address"
                        + " other nodes reach this one at)");
            }
            if (io.cairn.raft.RaftConfig.isWildcard(advertiseHost())) {
                throw new IllegalArgumentException("bind " + string("bind") + " is a wildcard address that no other node"
                        + " can dial: set advertise-host to this node's reachable address");
            }
            int raftPort = intValue("raft-port");
            if (raftPort < 1 || raftPort > 65535) {
                throw new IllegalArgumentException("raft-port must be in 1..65535, got " + raftPort);
            }
        }
        for (String key : DEFAULTS.keySet()) {
            if (DEFAULTS.get(key) != null && DEFAULTS.get(key).chars().allMatch(Character::isDigit)) {
                if (longValue(key) < 0) {
                    throw new IllegalArgumentException(key + " must not be negative");
                }
            }
        }
    }

    public String string(String key) {
        if (!DEFAULTS.containsKey(key) && !isRaftKey(key) && !isHttpKey(key) && !isGrpcKey(key)) {
            throw new IllegalArgumentException("unknown setting " + key);
        }
        return values.get(key);
    }

    public long longValue(String key) {
        String v = string(key);
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException("setting " + key + " must be an integer, got '" + v + "'");
        }
    }

    public int intValue(String key) {
        long v = longValue(key);
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw new IllegalArgumentException("setting " + key + " is out of range: " + v);
        }
        return (int) v;
    }

    public boolean bool(String key) {
        String v = string(key).trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "yes", "true", "on", "1" -> true;
            case "no", "false", "off", "0" -> false;
            default -> throw new IllegalArgumentException("setting " + key + " must be yes or no, got '" + v + "'");
        };
    }

    /** {@code enable-debug-command}: who may run DEBUG (Redis's values {@code no}, {@code yes}, {@code local}). */
    public io.cairn.resp.DebugControl.Access debugCommand() {
        return io.cairn.resp.DebugControl.Access.parse(string("enable-debug-command"));
    }

    /** {@code cluster-mode} and its limits, for the RESP layer. */
    public ClusterModeSettings clusterModeSettings() {
        long wait = longValue(ClusterModeSettings.LEADER_WAIT_MS);
        long page = longValue(ClusterModeSettings.SCAN_PAGE_KEYS);
        if (wait > Integer.MAX_VALUE || page > Integer.MAX_VALUE) {
            throw new IllegalArgumentException((wait > Integer.MAX_VALUE ? ClusterModeSettings.LEADER_WAIT_MS
                    : ClusterModeSettings.SCAN_PAGE_KEYS) + " is out of range");
        }
        return new ClusterModeSettings(ClusterModeSettings.Mode.parse(string(ClusterModeSettings.MODE)), (int) wait,
                (int) page, longValue(ClusterModeSettings.SCAN_MAX_KEYS));
    }

    /**
     * Redirect mode sends clients to other nodes' RESP ports, so every peer must name its RESP
     * port ({@code name@host:raftPort/respPort}), and this node's must be the port it listens on.
     */
    private void checkRedirectPeers() {
        String self = string("node-id");
        for (Peer p : Peer.parseList(string("peers"))) {
            if (p.respPort() == 0) {
                throw new IllegalArgumentException(ClusterModeSettings.MODE + " redirect sends clients to each node's"
                        + " RESP port: give peer " + p.name() + "'s in peers as name@host:raftPort/respPort");
            }
            if (p.name().equals(self) && p.respPort() != intValue("port")) {
                throw new IllegalArgumentException(ClusterModeSettings.MODE + " redirect: peers gives " + self
                        + "'s RESP port as " + p.respPort() + " but port is " + intValue("port")
                        + "; other nodes would redirect clients to the wrong port");
            }
        }
    }

    /** True when the node is one member of a replicated cluster: static ({@code peers}) or elastic. */
    public boolean clustered() {
        return (string("peers") != null && !string("peers").isBlank()) || elastic();
    }

    /** The host this node tells others to reach it at: {@code advertise-host}, else {@code bind}. */
    public String advertiseHost() {
        String a = string("advertise-host");
        return a == null || a.isBlank() ? string("bind") : a.trim();
    }

    /** True when membership is elastic: this node bootstraps a cluster or joins one ({@code join} seeds). */
    public boolean elastic() {
        return bool("bootstrap") || (string("join") != null && !string("join").isBlank());
    }

    /** True when {@code grpc.port} is set: the node also serves the gRPC API. */
    public boolean grpcEnabled() {
        return string(io.cairn.grpc.GrpcSettings.PORT) != null;
    }

    /** True when {@code http.port} is set: the node also serves the HTTP/JSON API. */
    public boolean httpEnabled() {
        return string(io.cairn.http.HttpSettings.PORT) != null;
    }

    /** The {@code raft.*} settings given (without defaults: {@code RaftConfig} has those). */
    public Map<String, String> raftSettings() {
        Map<String, String> out = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (isRaftKey(k) && v != null) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** Scalar settings as given or defaulted (nulls omitted), for modules that read their own keys. */
    public Map<String, String> values() {
        Map<String, String> out = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (v != null) {
                out.put(k, v);
            }
        });
        return out;
    }

    public Map<String, String> storageOptions() {
        return java.util.Collections.unmodifiableMap(storageOptions);
    }

    /** Effective settings, for printing at start and for CONFIG GET (requirepass masked). */
    public Map<String, String> effective() {
        Map<String, String> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, k.equals("requirepass") && v != null ? "********" : v == null ? "" : v));
        storageOptions.forEach((k, v) -> out.put(STORAGE_OPTIONS + "." + k, v));
        return out;
    }
}
