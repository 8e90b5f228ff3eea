package io.cairn.api.consistency;

import java.util.Locale;

/** When a write is acknowledged. */
public enum WriteConsistency {
    /** Once committed on a majority of the partition's replicas and applied on the leader. */
    MAJORITY,
    /** Additionally once every replica of the partition has committed it (slower; stalls while a replica is down). */
    ALL;

    public static WriteConsistency parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("write consistency must be MAJORITY or ALL, got '" + s + "'");
        }
    }
}
