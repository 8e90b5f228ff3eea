package io.cairn.resp;

import io.cairn.api.service.CommandService;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;

/** Everything the connections of one server share. */
final class RespRuntime {
    final CommandService service;
    final Commands commands;
    final RuntimeConfig config;
    final ClientRegistry clients = new ClientRegistry();
    final ServerStats stats;
    final ServerContext context;
    /** {@code cluster-mode} and its limits (fixed for the server's life). */
    final ClusterModeSettings cluster;
    /** Random id of this server run (INFO run_id), as Redis has. */
    final String runId;
    final long startMillis = System.currentTimeMillis();
    /** "epoll" or "nio" once started; INFO's multiplexing_api. */
    volatile String multiplexingApi = "none";
    /** Set while the server is shutting down: new connections are refused. */
    volatile boolean shuttingDown;

    RespRuntime(CommandService service, Commands commands, RuntimeConfig config, ServerContext context) {
        this.service = Objects.requireNonNull(service, "service");
        this.commands = Objects.requireNonNull(commands, "commands");
        this.config = Objects.requireNonNull(config, "config");
        this.context = Objects.requireNonNull(context, "context");
        this.cluster = Objects.requireNonNull(context.clusterMode(), "cluster mode settings");
        this.stats = new ServerStats(commands.size());
        byte[] id = new byte[20];
        new SecureRandom().nextBytes(id);
        this.runId = HexFormat.of().formatHex(id);
    }
}
