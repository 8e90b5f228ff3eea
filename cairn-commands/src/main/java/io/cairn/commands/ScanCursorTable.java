package io.cairn.commands;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Server-side SCAN positions. A SCAN cursor is a number, but resuming an ordered per-partition
 * scan needs the last key seen (up to 64 KiB), so the cursor carries a token into this table:
 * {@code cursor = token << 16 | partition}. Token 0 means "start of the partition", so cursor 0
 * is a fresh iteration and cursor {@code p} starts partition {@code p}.
 *
 * <p>Bounded by entry count and by key bytes; the oldest positions are evicted first. An unknown
 * token (evicted, from before a restart, or made up) restarts its partition from the beginning:
 * SCAN may return a key more than once, so this keeps SCAN's guarantee (every key present for the
 * whole iteration is returned) at the cost of duplicates. Thread-safe: SCAN runs on concurrent
 * readers.
 */
final class ScanCursorTable {
    static final int PARTITION_BITS = 16;
    static final long PARTITION_MASK = (1L << PARTITION_BITS) - 1;
    private static final long MAX_TOKEN = (1L << (64 - PARTITION_BITS)) - 1;

    record Position(int partition, byte[] afterKey) {}

    private final int maxEntries;
    private final long maxBytes;
    private final LinkedHashMap<Long, Position> entries = new LinkedHashMap<>();
    private long bytes;
    private long nextToken = 1;

    ScanCursorTable(int maxEntries, long maxBytes) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("scan cursor table needs at least one entry, got " + maxEntries);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("scan cursor table byte bound must be positive, got " + maxBytes);
        }
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
    }

    static long cursorFor(long token, int partition) {
        assert partition >= 0 && partition <= PARTITION_MASK : "partition out of cursor range: " + partition;
        return (token << PARTITION_BITS) | partition;
    }

    static int partitionOf(long cursor) {
        return (int) (cursor & PARTITION_MASK);
    }

    static long tokenOf(long cursor) {
        return cursor >>> PARTITION_BITS;
    }

    /** Remembers "continue partition {@code partition} after {@code afterKey}" and returns its cursor. */
    synchronized long register(int partition, byte[] afterKey) {
        long token = nextToken;
        nextToken = nextToken == MAX_TOKEN ? 1 : nextToken + 1;
        Position previous = entries.put(token, new Position(partition, afterKey));
        if (previous != null) {
            bytes -= previous.afterKey().length;
        }
        bytes += afterKey.length;
        Iterator<Map.Entry<Long, Position>> it = entries.entrySet().iterator();
        while ((entries.size() > maxEntries || bytes > maxBytes) && it.hasNext()) {
            Map.Entry<Long, Position> eldest = it.next();
            if (eldest.getKey() == token) {
                break; // never evict the position just handed out
            }
            bytes -= eldest.getValue().afterKey().length;
            it.remove();
        }
        assert bytes >= 0 : "scan cursor byte accounting went negative";
        return cursorFor(token, partition);
    }

    /** The position for a token, or null if unknown. */
    synchronized Position lookup(long token) {
        return entries.get(token);
    }

    synchronized int size() {
        return entries.size();
    }
}
