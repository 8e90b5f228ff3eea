package io.cairn.api.kv;

import java.util.ArrayList;
import java.util.List;

/**
 * One page of a scan: the entries found and where to continue.
 *
 * @param entries    keys in this page, with values if the request asked for them (otherwise null values)
 * @param nextCursor the cursor for the next request; {@code "0"} when the scan is complete
 */
public record ScanPage(List<Entry> entries, String nextCursor) {
    /** A key and, when requested, its value (null when values were not requested). */
    public record Entry(byte[] key, byte[] value) {
        public Entry {
            if (key == null) {
                throw new IllegalArgumentException("key is required");
            }
        }
    }

    public ScanPage {
        entries = List.copyOf(entries);
        if (nextCursor == null) {
            throw new IllegalArgumentException("nextCursor is required");
        }
    }

    /** True when this was the last page. */
    public boolean done() {
        return "0".equals(nextCursor);
    }

    public List<byte[]> keys() {
        List<byte[]> keys = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            keys.add(e.key());
        }
        return keys;
    }
}
