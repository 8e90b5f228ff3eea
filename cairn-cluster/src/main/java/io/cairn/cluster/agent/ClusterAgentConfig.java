package io.cairn.cluster.agent;

import io.cairn.cluster.ControllerClient;
import io.cairn.cluster.FailureDetector;
import java.util.Map;

/**
 * Settings of a {@link ClusterAgent}, each with a configuration key and a documented default.
 * Times are milliseconds. Every loop, wait and retry of the agent is bounded by one of these.
 *
 * @param heartbeatIntervalMs      {@code cluster.heartbeat-interval-ms} (1000): how often the node heartbeats
 *                                 the controller leader, and so how soon it notices a newer map. Must be well
 *                                 below {@code suspect-after-ms}
 * @param controllerLoopIntervalMs {@code cluster.controller.loop-interval-ms} (1000): on the controller leader,
 *                                 how often the failure detector and the planner run (also woken by every map
 *                                 change)
 * @param reconcileIntervalMs      {@code cluster.reconcile-interval-ms} (10000): every node compares the
 *                                 replicas it hosts with the map at least this often, besides on every map
 *                                 change (a drop refused earlier because a change was half done, say)
 * @param moveAttemptTimeoutMs     {@code cluster.move.attempt-timeout-ms} (120000): one attempt to change a
 *                                 partition's replicas (its new replica catching up included)
 * @param moveMaxAttempts          {@code cluster.move.max-attempts} (3): failed attempts after which a move is
 *                                 given up ({@code AbortMove}) — only once the partition's Raft group is
 *                                 confirmed to still have its old replicas; a group that already has the new
 *                                 ones completes the move instead
 * @param moveHostWaitMs           {@code cluster.move.host-wait-ms} (60000): how long a move waits for its
 *                                 destination to host the new replica (the destination's reconciler does it
 *                                 when it sees the move) before the attempt counts as failed
 * @param moveRetryPauseMs         {@code cluster.move.retry-pause-ms} (1000): pause between two attempts of a
 *                                 move, and between two looks at a destination that does not host it yet
 * @param moverThreads             {@code cluster.mover.threads} (4): moves the controller leader drives at
 *                                 once, at most {@code raft.move.max-concurrent} (the node's own limit) and in
 *                                 any case at most the map's {@code max-concurrent-moves} (only moves in the map
 *                                 are driven); the others wait for a free thread
 * @param replicaOpTimeoutMs       {@code cluster.replica-op-timeout-ms} (30000): hosting or dropping one replica,
 *                                 asking a group's leader for its state, hosting the controller group
 * @param joinTimeoutMs            {@code cluster.join-timeout-ms} (60000): how long {@link ClusterAgent#start}
 *                                 may take (finding the controller, joining, reading the map, setting up the
 *                                 partitions' clients)
 * @param controllerMaxVoters      {@code cluster.controller.max-voters} (5; 1, 3 or 5): the controller group
 *                                 grows to 3 voters once 3 nodes are UP and to this many once as many are
 * @param controllerChangeTimeoutMs {@code cluster.controller.change-timeout-ms} (30000): one change of the
 *                                 controller group's members (the new member catching up included)
 * @param rediscoverAfterFailures  {@code cluster.controller.rediscover-after-failures} (3): consecutive failed
 *                                 heartbeats after which the node looks for the controller's members again,
 *                                 asking every node of its map and its seeds
 * @param leaderBalanceIntervalMs  {@code cluster.leader-balance-interval-ms} (0 = off): how often the agent asks
 *                                 the Raft node to hand leaderships to the map's preferred leaders (the map's
 *                                 replica order is fed to the node either way; a server that runs its own
 *                                 balancer leaves this off)
 * @param auditPartitionsPerPass   {@code cluster.controller.audit-partitions-per-pass} (2; 0 = off): partitions
 *                                 whose Raft voters the controller leader compares with the map per pass (round
 *                                 robin; one group-info request each), to repair a map and a group that disagree
 *                                 after an interrupted move
 * @param commandTimeoutMs         {@code controller.command-timeout-ms} ({@value ControllerClient#DEFAULT_COMMAND_TIMEOUT_MS}):
 *                                 one controller command or query
 * @param downAfterMs              {@code down-after-ms} ({@value FailureDetector#DEFAULT_DOWN_AFTER_MS}): see {@link FailureDetector}
 * @param suspectAfterMs           {@code suspect-after-ms} ({@value FailureDetector#DEFAULT_SUSPECT_AFTER_MS})
 * @param maxTrackedNodes          {@code failure-detector.max-tracked-nodes} ({@value FailureDetector#DEFAULT_MAX_TRACKED_NODES})
 * @param rebalanceAuto            {@code cluster.rebalance.auto} (true): the planner moves replicas to balance the
 *                                 placement whenever it changes (a node joins, one comes back); false: it still
 *                                 restores replication (replaces DOWN replicas, drains LEAVING nodes) and sets
 *                                 preferred leaders, but makes balance moves only after an operator asks for a
 *                                 rebalance ({@link ClusterAgent#requestRebalance}), until the placement is reached
 */
public record ClusterAgentConfig(long heartbeatIntervalMs, long controllerLoopIntervalMs, long reconcileIntervalMs,
                                 long moveAttemptTimeoutMs, int moveMaxAttempts, long moveHostWaitMs, long moveRetryPauseMs,
                                 int moverThreads, long replicaOpTimeoutMs, long joinTimeoutMs, int controllerMaxVoters,
                                 long controllerChangeTimeoutMs, int rediscoverAfterFailures, long leaderBalanceIntervalMs,
                                 int auditPartitionsPerPass, long commandTimeoutMs, long downAfterMs, long suspectAfterMs,
                                 int maxTrackedNodes, boolean rebalanceAuto) {
    public static final String HEARTBEAT_INTERVAL_MS = "cluster.heartbeat-interval-ms";
    public static final String CONTROLLER_LOOP_INTERVAL_MS = "cluster.controller.loop-interval-ms";
    public static final String RECONCILE_INTERVAL_MS = "cluster.reconcile-interval-ms";
    public static final String MOVE_ATTEMPT_TIMEOUT_MS = "cluster.move.attempt-timeout-ms";
    public static final String MOVE_MAX_ATTEMPTS = "cluster.move.max-attempts";
    public static final String MOVE_HOST_WAIT_MS = "cluster.move.host-wait-ms";
    public static final String MOVE_RETRY_PAUSE_MS = "cluster.move.retry-pause-ms";
    public static final String MOVER_THREADS = "cluster.mover.threads";
    public static final String REPLICA_OP_TIMEOUT_MS = "cluster.replica-op-timeout-ms";
    public static final String JOIN_TIMEOUT_MS = "cluster.join-timeout-ms";
    public static final String CONTROLLER_MAX_VOTERS = "cluster.controller.max-voters";
    public static final String CONTROLLER_CHANGE_TIMEOUT_MS = "cluster.controller.change-timeout-ms";
    public static final String REDISCOVER_AFTER_FAILURES = "cluster.controller.rediscover-after-failures";
    public static final String LEADER_BALANCE_INTERVAL_MS = "cluster.leader-balance-interval-ms";
    public static final String AUDIT_PARTITIONS_PER_PASS = "cluster.controller.audit-partitions-per-pass";
    public static final String REBALANCE_AUTO = "cluster.rebalance.auto";

    public ClusterAgentConfig {
        positive(HEARTBEAT_INTERVAL_MS, heartbeatIntervalMs);
        positive(CONTROLLER_LOOP_INTERVAL_MS, controllerLoopIntervalMs);
        positive(RECONCILE_INTERVAL_MS, reconcileIntervalMs);
        positive(MOVE_ATTEMPT_TIMEOUT_MS, moveAttemptTimeoutMs);
        range(MOVE_MAX_ATTEMPTS, moveMaxAttempts, 1, 1000);
        positive(MOVE_HOST_WAIT_MS, moveHostWaitMs);
        positive(MOVE_RETRY_PAUSE_MS, moveRetryPauseMs);
        range(MOVER_THREADS, moverThreads, 1, 256);
        positive(REPLICA_OP_TIMEOUT_MS, replicaOpTimeoutMs);
        positive(JOIN_TIMEOUT_MS, joinTimeoutMs);
        if (controllerMaxVoters != 1 && controllerMaxVoters != 3 && controllerMaxVoters != 5) {
            throw new IllegalArgumentException(CONTROLLER_MAX_VOTERS + " must be 1, 3 or 5, got " + controllerMaxVoters);
        }
        positive(CONTROLLER_CHANGE_TIMEOUT_MS, controllerChangeTimeoutMs);
        range(REDISCOVER_AFTER_FAILURES, rediscoverAfterFailures, 1, 1000);
        if (leaderBalanceIntervalMs < 0) {
            throw new IllegalArgumentException(LEADER_BALANCE_INTERVAL_MS + " must be >= 0 (0 = off), got " + leaderBalanceIntervalMs);
        }
        range(AUDIT_PARTITIONS_PER_PASS, auditPartitionsPerPass, 0, 16384);
        positive(ControllerClient.COMMAND_TIMEOUT_MS, commandTimeoutMs);
        positive(FailureDetector.DOWN_AFTER_MS, downAfterMs);
        if (suspectAfterMs < 1 || suspectAfterMs > downAfterMs) {
            throw new IllegalArgumentException(FailureDetector.SUSPECT_AFTER_MS + " must be in 1.." + downAfterMs + ", got "
                    + suspectAfterMs);
        }
        range(FailureDetector.MAX_TRACKED_NODES, maxTrackedNodes, 1, 1 << 20);
        if (heartbeatIntervalMs >= suspectAfterMs) {
            throw new IllegalArgumentException(HEARTBEAT_INTERVAL_MS + " (" + heartbeatIntervalMs + ") must be below "
                    + FailureDetector.SUSPECT_AFTER_MS + " (" + suspectAfterMs + "), or live nodes would be suspected");
        }
    }

    /** Every key at its default. */
    public static ClusterAgentConfig defaults() {
        return from(Map.of());
    }

    /** Reads the keys above from a node's configuration; a missing key takes its default. */
    public static ClusterAgentConfig from(Map<String, String> c) {
        return new ClusterAgentConfig(
                longValue(c, HEARTBEAT_INTERVAL_MS, 1000),
                longValue(c, CONTROLLER_LOOP_INTERVAL_MS, 1000),
                longValue(c, RECONCILE_INTERVAL_MS, 10_000),
                longValue(c, MOVE_ATTEMPT_TIMEOUT_MS, 120_000),
                (int) longValue(c, MOVE_MAX_ATTEMPTS, 3),
                longValue(c, MOVE_HOST_WAIT_MS, 60_000),
                longValue(c, MOVE_RETRY_PAUSE_MS, 1000),
                (int) longValue(c, MOVER_THREADS, 4),
                longValue(c, REPLICA_OP_TIMEOUT_MS, 30_000),
                longValue(c, JOIN_TIMEOUT_MS, 60_000),
                (int) longValue(c, CONTROLLER_MAX_VOTERS, 5),
                longValue(c, CONTROLLER_CHANGE_TIMEOUT_MS, 30_000),
                (int) longValue(c, REDISCOVER_AFTER_FAILURES, 3),
                longValue(c, LEADER_BALANCE_INTERVAL_MS, 0),
                (int) longValue(c, AUDIT_PARTITIONS_PER_PASS, 2),
                longValue(c, ControllerClient.COMMAND_TIMEOUT_MS, ControllerClient.DEFAULT_COMMAND_TIMEOUT_MS),
                longValue(c, FailureDetector.DOWN_AFTER_MS, FailureDetector.DEFAULT_DOWN_AFTER_MS),
                longValue(c, FailureDetector.SUSPECT_AFTER_MS, FailureDetector.DEFAULT_SUSPECT_AFTER_MS),
                (int) longValue(c, FailureDetector.MAX_TRACKED_NODES, FailureDetector.DEFAULT_MAX_TRACKED_NODES),
                booleanValue(c, REBALANCE_AUTO, true));
    }

    private static long longValue(Map<String, String> c, String key, long fallback) {
        String v = c.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }

    private static boolean booleanValue(Map<String, String> c, String key, boolean fallback) {
        String v = c.get(key);
        if (v == null) {
            return fallback;
        }
        return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException(key + " must be true or false, got '" + v + "'");
        };
    }

    private static void positive(String key, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(key + " must be >= 1, got " + value);
        }
    }

    private static void range(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + " must be in " + min + ".." + max + ", got " + value);
        }
    }
}
