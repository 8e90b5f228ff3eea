package io.cairn.storage;

import java.util.List;

/**
 * One page of an ordered scan.
 *
 * @param entries    live records in unsigned-byte key order
 * @param nextCursor pass as {@code afterKey} to continue, or null when the range is exhausted
 */
public record ScanResult(List<Entry> entries, byte[] nextCursor) {
    public record Entry(byte[] key, Record record) {}

    public boolean done() {
        return nextCursor == null;
    }
}
