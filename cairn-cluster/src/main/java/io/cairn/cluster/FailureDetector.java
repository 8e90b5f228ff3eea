package io.cairn.cluster;

import io.cairn.api.clock.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Heartbeat bookkeeping on the controller leader: nodes heartbeat the controller, and
 * {@link #evaluate} turns silences (and voices heard again) into the {@link ControlCommand}s the
 * leader should propose. Pure logic over an injected {@link Clock} (its monotonic
 * {@code nanoTime}), so tests move time by hand and nothing here sleeps or schedules.
 *
 * <p>Rules, per node of the map (silence = time since the last heartbeat):
 * <ul>
 *   <li>UP: silent longer than {@code down-after-ms} → MarkDown; longer than
 *       {@code suspect-after-ms} → MarkSuspect.</li>
 *   <li>SUSPECT: silent longer than {@code down-after-ms} → MarkDown; heard within
 *       {@code suspect-after-ms} → MarkUp.</li>
 *   <li>JOINING and DOWN: heard within {@code suspect-after-ms} → MarkUp (a DOWN node that comes
 *       back is then reconciled by the planner: replicas already re-created elsewhere are no
 *       longer in the map, so the node drops them rather than merging them back). A JOINING
 *       node silent longer than {@code down-after-ms} → MarkDown.</li>
 *   <li>LEAVING: silent longer than {@code down-after-ms} → MarkDown (its replicas are then
 *       re-created with DOWN priority).</li>
 * </ul>
 * A detector that has never heard a node (a newly elected controller leader) counts its silence
 * from the first time it sees the node in a map, never from the node's last heartbeat to a
 * previous leader, and does not mark a node UP before hearing it. Every command carries the
 * evaluated map's epoch, so one that arrives after the node changed state is refused as stale.
 *
 * <p>Configuration: {@code down-after-ms} ({@value #DEFAULT_DOWN_AFTER_MS}),
 * {@code suspect-after-ms} ({@value #DEFAULT_SUSPECT_AFTER_MS}; equal to down-after-ms disables
 * SUSPECT), {@code failure-detector.max-tracked-nodes} ({@value #DEFAULT_MAX_TRACKED_NODES}):
 * memory is one entry per node of the map, and heartbeats from ids beyond that bound are refused.
 */
public final class FailureDetector {
    public static final String DOWN_AFTER_MS = "down-after-ms";
    public static final String SUSPECT_AFTER_MS = "suspect-after-ms";
    public static final String MAX_TRACKED_NODES = "failure-detector.max-tracked-nodes";
    public static final long DEFAULT_DOWN_AFTER_MS = 30_000;
    public static final long DEFAULT_SUSPECT_AFTER_MS = 15_000;
    public static final int DEFAULT_MAX_TRACKED_NODES = 4096;

    private final Clock clock;
    private final long downAfterNanos;
    private final long suspectAfterNanos;
    private final int maxTrackedNodes;

    private record Entry(long lastHeardNanos, boolean heard) {
    }

    // Guarded by this.
    private final Map<String, Entry> entries = new HashMap<>();

    public FailureDetector(Clock clock, long downAfterMillis, long suspectAfterMillis, int maxTrackedNodes) {
        if (downAfterMillis < 1) {
            throw new IllegalArgumentException(DOWN_AFTER_MS + " must be >= 1, got " + downAfterMillis);
        }
        if (suspectAfterMillis < 1 || suspectAfterMillis > downAfterMillis) {
            throw new IllegalArgumentException(SUSPECT_AFTER_MS + " must be in 1.." + DOWN_AFTER_MS + " (" + downAfterMillis
                    + "), got " + suspectAfterMillis);
        }
        if (maxTrackedNodes < 1) {
            throw new IllegalArgumentException(MAX_TRACKED_NODES + " must be >= 1, got " + maxTrackedNodes);
        }
        this.clock = clock;
        this.downAfterNanos = downAfterMillis * 1_000_000L;
        this.suspectAfterNanos = suspectAfterMillis * 1_000_000L;
        this.maxTrackedNodes = maxTrackedNodes;
    }

    public static FailureDetector fromConfig(Clock clock, Map<String, String> config) {
        return new FailureDetector(clock,
                Long.parseLong(config.getOrDefault(DOWN_AFTER_MS, Long.toString(DEFAULT_DOWN_AFTER_MS))),
                Long.parseLong(config.getOrDefault(SUSPECT_AFTER_MS, Long.toString(DEFAULT_SUSPECT_AFTER_MS))),
                Integer.parseInt(config.getOrDefault(MAX_TRACKED_NODES, Integer.toString(DEFAULT_MAX_TRACKED_NODES))));
    }

    /**
     * Records a heartbeat from {@code nodeId} now. Returns false (and records nothing) if the
     * node is not tracked yet and {@code failure-detector.max-tracked-nodes} are.
     */
    public synchronized boolean heartbeat(String nodeId) {
        if (!entries.containsKey(nodeId) && entries.size() >= maxTrackedNodes) {
            return false;
        }
        entries.put(nodeId, new Entry(clock.nanoTime(), true));
        return true;
    }

    /** Nodes tracked now (for tests and metrics). */
    public synchronized int tracked() {
        return entries.size();
    }

    /** The state changes {@code map}'s nodes call for now; see the class comment. */
    public synchronized List<ControlCommand> evaluate(ClusterMap map) {
        long now = clock.nanoTime();
        // Only the map's members are tracked: ids it no longer lists (or lists as LEFT) are forgotten.
        entries.keySet().removeIf(id -> map.node(id).map(n -> n.state() == NodeState.LEFT).orElse(true));
        List<ControlCommand> out = new ArrayList<>();
        long epoch = map.epoch();
        for (NodeInfo n : map.nodes()) {
            if (n.state() == NodeState.LEFT) {
                continue;
            }
            Entry e = entries.get(n.id());
            if (e == null) {
                if (entries.size() >= maxTrackedNodes) {
                    continue;
                }
                // First sight: the grace period starts now, whatever a previous leader heard.
                e = new Entry(now, false);
                entries.put(n.id(), e);
            }
            long silent = now - e.lastHeardNanos();
            boolean recentlyHeard = e.heard() && silent <= suspectAfterNanos;
            ControlCommand c = switch (n.state()) {
                case UP -> silent > downAfterNanos ? new ControlCommand.MarkDown(n.id(), epoch)
                        : silent > suspectAfterNanos ? new ControlCommand.MarkSuspect(n.id(), epoch) : null;
                case SUSPECT -> silent > downAfterNanos ? new ControlCommand.MarkDown(n.id(), epoch)
                        : recentlyHeard ? new ControlCommand.MarkUp(n.id(), epoch) : null;
                case JOINING -> recentlyHeard ? new ControlCommand.MarkUp(n.id(), epoch)
                        : silent > downAfterNanos ? new ControlCommand.MarkDown(n.id(), epoch) : null;
                case DOWN -> recentlyHeard ? new ControlCommand.MarkUp(n.id(), epoch) : null;
                case LEAVING -> silent > downAfterNanos ? new ControlCommand.MarkDown(n.id(), epoch) : null;
                case LEFT -> null;
            };
            if (c != null) {
                out.add(c);
            }
        }
        return out;
    }
}
