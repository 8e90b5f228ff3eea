package io.cairn.resp;

import java.util.Map;

/**
 * What the RESP layer needs to know about the node it runs in, supplied by the server wiring.
 * Calls may come from any event-loop thread; implementations must be thread-safe and must not
 * block (in particular {@link #requestShutdown()} must hand the shutdown to another thread,
 * because shutting down waits for the event loops).
 */
public interface ServerContext {
    /** 40-character lower-case hex node id, as {@code CLUSTER MYID} reports it. */
    String nodeId();

    /** The Redis version whose semantics the node follows, reported as {@code redis_version}. */
    String version();

    /** Cairn's own version, reported as {@code cairn_version} in INFO. */
    default String cairnVersion() {
        String v = ServerContext.class.getPackage().getImplementationVersion();
        return v == null ? "unknown" : v;
    }

    /**
     * Read-only view of the node's effective configuration for {@code CONFIG GET}. The RESP
     * layer's own keys ({@link RespSettings}) are answered from its live values and override
     * entries of the same name here.
     */
    Map<String, String> config();

    /** {@code SHUTDOWN}: begin a graceful shutdown of the whole node, asynchronously. */
    void requestShutdown();

    /** Slot ownership for the CLUSTER commands and redirect mode. */
    ClusterView cluster();

    /**
     * {@code cluster-mode} and its limits: whether this node serves every key (proxy) or
     * redirects clients to each partition's leader (redirect). Read once, when the server starts.
     */
    default ClusterModeSettings clusterMode() {
        return ClusterModeSettings.DEFAULTS;
    }

    /**
     * A new connection's consistency session, with the node's configured defaults ({@code
     * read-consistency}, {@code write-consistency}); {@code CLIENT CONSISTENCY} changes it per connection.
     */
    default io.cairn.api.service.Session newSession() {
        return io.cairn.api.service.Session.defaults();
    }

    /** The node's wall clock, which {@code TIME} reports (the same one its data commands use). */
    default io.cairn.api.clock.Clock clock() {
        return io.cairn.api.clock.Clock.SYSTEM;
    }

    /**
     * {@code DEBUG}'s hooks and who may use them; {@link DebugControl#DISABLED} (DEBUG refused, as
     * with Redis's {@code enable-debug-command no}) unless the server supplies its own.
     */
    default DebugControl debug() {
        return DebugControl.DISABLED;
    }

    /**
     * The membership hooks of {@code CLUSTER MAP}, {@code CLUSTER LEAVE} and {@code CLUSTER
     * REBALANCE} (Cairn extensions); unavailable, with a reason the commands return, unless the
     * node has elastic membership.
     */
    default ClusterAdmin clusterAdmin() {
        return ClusterAdmin.unavailable(ClusterAdmin.NOT_ELASTIC);
    }
}
