package io.cairn.api.kv;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One step of a key scan: Redis {@code SCAN cursor [MATCH pattern] [COUNT count]}, optionally
 * followed by fetching the values. Start with cursor {@code "0"}, pass each page's
 * {@link ScanPage#nextCursor()} back in, and stop when {@link ScanPage#done()}.
 *
 * <p>Guarantees are SCAN's: a key present for the whole scan is returned at least once; keys
 * written or deleted meanwhile may or may not appear; a key may appear more than once (for
 * example when a remote client fails over to another node mid-scan, since cursors are per node).
 * Pages may be empty before the scan is done. Nothing is locked, so a scan never blocks writers.
 *
 * @param pattern    Redis glob ({@code *}, {@code ?}, {@code [..]}, backslash escapes), or null for every key
 * @param count      work hint per page (SCAN's COUNT): roughly how many keys to examine; at least 1
 * @param cursor     where to continue; {@code "0"} to start
 * @param withValues also fetch each key's value; the values are read after the keys, not atomically
 *                   with them, and keys deleted in between are left out of the page
 * @param options    consistency and timeout; {@code null} means the KeyValue's defaults
 */
public record ScanRequest(byte[] pattern, int count, String cursor, boolean withValues, CallOptions options) {
    public static final int DEFAULT_COUNT = 100;

    public ScanRequest {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, got " + count);
        }
        cursor = cursor == null || cursor.isEmpty() ? "0" : cursor;
        for (int i = 0; i < cursor.length(); i++) {
            if (cursor.charAt(i) < '0' || cursor.charAt(i) > '9') {
                throw new IllegalArgumentException("cursor must be the decimal number a previous page returned, got '"
                        + cursor + "'");
            }
        }
    }

    /** Every key, keys only, from the start. */
    public static ScanRequest all() {
        return new ScanRequest(null, DEFAULT_COUNT, "0", false, null);
    }

    /** Keys starting with {@code prefix} (glob metacharacters in it are escaped, so they match literally). */
    public static ScanRequest prefix(byte[] prefix) {
        return new ScanRequest(globForPrefix(prefix), DEFAULT_COUNT, "0", false, null);
    }

    public static ScanRequest prefix(String prefix) {
        return prefix(prefix.getBytes(StandardCharsets.UTF_8));
    }

    /** Keys matching a Redis glob pattern. */
    public static ScanRequest match(byte[] glob) {
        return new ScanRequest(glob, DEFAULT_COUNT, "0", false, null);
    }

    public static ScanRequest match(String glob) {
        return match(glob.getBytes(StandardCharsets.UTF_8));
    }

    public ScanRequest withCount(int c) {
        return new ScanRequest(pattern, c, cursor, withValues, options);
    }

    public ScanRequest withCursor(String c) {
        return new ScanRequest(pattern, count, c, withValues, options);
    }

    public ScanRequest withValues(boolean v) {
        return new ScanRequest(pattern, count, cursor, v, options);
    }

    public ScanRequest withOptions(CallOptions o) {
        return new ScanRequest(pattern, count, cursor, withValues, o);
    }

    /**
     * The glob matching exactly the keys that start with {@code prefix}: the prefix with
     * {@code * ? [ ] \} escaped, then {@code *}. The server recognizes the literal prefix and seeks
     * to it, so a prefix scan does not walk the whole keyspace.
     */
    public static byte[] globForPrefix(byte[] prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("prefix must not be null");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(prefix.length + 2);
        for (byte b : prefix) {
            if (b == '*' || b == '?' || b == '[' || b == ']' || b == '\\') {
                out.write('\\');
            }
            out.write(b);
        }
        out.write('*');
        return out.toByteArray();
    }
}
