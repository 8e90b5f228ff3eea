package io.cairn.api.consistency;

import java.util.Locale;

/**
 * When a replica counts a write as stored. A node-wide setting ({@code raft.durability}): Ratis
 * fixes the log's flush policy per server, so it cannot vary per request.
 */
public enum Durability {
    /** The Raft log is fsynced before a replica acknowledges an entry. */
    STRICT,
    /** Replicas acknowledge from the OS page cache; the log is flushed right behind. A crash of
     * every replica at once can lose the writes of the last flush window. */
    RELAXED;

    public static Durability parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("durability must be STRICT or RELAXED, got '" + s + "'");
        }
    }
}
