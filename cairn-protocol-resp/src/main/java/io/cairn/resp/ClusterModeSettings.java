package io.cairn.resp;

import java.util.Locale;
import java.util.Objects;

/**
 * How the RESP layer presents the cluster to clients, with the configuration key of each setting.
 *
 * @param mode                 {@link #MODE}: {@code proxy} (default) serves every key on every node,
 *                             forwarding to the partition's leader; {@code redirect} answers {@code
 *                             -MOVED <slot> <host>:<port>} for a key whose partition another node leads,
 *                             as a Redis Cluster node does, so cluster clients send each key to its leader
 * @param leaderWaitMillis     {@link #LEADER_WAIT_MS}: in redirect mode, how long a command whose partition
 *                             has no known leader (an election, a leader transfer) waits for one before it
 *                             is answered {@code -CLUSTERDOWN The cluster is down}; keep it below the
 *                             clients' read timeout (Jedis and Lettuce default to 2 s and more)
 * @param scanPageKeys         {@link #SCAN_PAGE_KEYS}: keys per SCAN page when the RESP layer walks a
 *                             partition itself (CLUSTER COUNTKEYSINSLOT/GETKEYSINSLOT; KEYS in redirect mode)
 * @param scanMaxKeys          {@link #SCAN_MAX_KEYS}: most keys one such walk may examine; a command that
 *                             would examine more fails with an error naming this key
 */
public record ClusterModeSettings(Mode mode, int leaderWaitMillis, int scanPageKeys, long scanMaxKeys) {
    public static final String MODE = "cluster-mode";
    public static final String LEADER_WAIT_MS = "cluster-leader-wait-ms";
    public static final String SCAN_PAGE_KEYS = "cluster-scan-page-keys";
    public static final String SCAN_MAX_KEYS = "cluster-scan-max-keys";

    public static final int DEFAULT_LEADER_WAIT_MS = 2000;
    public static final int DEFAULT_SCAN_PAGE_KEYS = 1000;
    public static final long DEFAULT_SCAN_MAX_KEYS = 10_000_000L;

    public static final ClusterModeSettings DEFAULTS =
            new ClusterModeSettings(Mode.PROXY, DEFAULT_LEADER_WAIT_MS, DEFAULT_SCAN_PAGE_KEYS, DEFAULT_SCAN_MAX_KEYS);

    /** {@code cluster-mode}. */
    public enum Mode {
        PROXY,
        REDIRECT;

        /** {@code proxy} or {@code redirect}, any case. */
        public static Mode parse(String s) {
            if (s != null) {
                switch (s.trim().toLowerCase(Locale.ROOT)) {
                    case "proxy" -> {
                        return PROXY;
                    }
                    case "redirect" -> {
                        return REDIRECT;
                    }
                    default -> { }
                }
            }
            throw new IllegalArgumentException(MODE + " must be proxy or redirect, got '" + s + "'");
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public ClusterModeSettings {
        Objects.requireNonNull(mode, MODE);
        if (leaderWaitMillis < 0 || leaderWaitMillis > 600_000) {
            throw new IllegalArgumentException(LEADER_WAIT_MS + " must be between 0 and 600000, got " + leaderWaitMillis);
        }
        if (scanPageKeys < 1 || scanPageKeys > 100_000) {
            throw new IllegalArgumentException(SCAN_PAGE_KEYS + " must be between 1 and 100000, got " + scanPageKeys);
        }
        if (scanMaxKeys < 1) {
            throw new IllegalArgumentException(SCAN_MAX_KEYS + " must be positive, got " + scanMaxKeys);
        }
    }

    public boolean redirect() {
        return mode == Mode.REDIRECT;
    }

    public ClusterModeSettings withMode(Mode newMode) {
        return new ClusterModeSettings(newMode, leaderWaitMillis, scanPageKeys, scanMaxKeys);
    }
}
