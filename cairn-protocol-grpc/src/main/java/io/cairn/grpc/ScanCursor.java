package io.cairn.grpc;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;

/**
 * The resumable position of a gRPC Scan, sent to clients as opaque bytes.
 *
 * <p>The server's SCAN cursor ({@code token << 16 | partition}) alone only promises Redis's
 * at-least-once: its token indexes a bounded per-node table, so after an eviction, or on another
 * node (a leader change), SCAN restarts the partition from its first key and repeats keys. This
 * cursor adds the last key returned in that partition: keys of the partition at or before it are
 * skipped on resumption, which makes the restart invisible (partitions are scanned in key order).
 *
 * <p>Layout: version byte {@value #FORMAT}, the SCAN cursor (8 bytes), then the last key (the rest;
 * empty when nothing of the cursor's partition was returned yet). The partition is the SCAN
 * cursor's low 16 bits.
 *
 * @param scanCursor the server SCAN cursor to continue from (unsigned); 0 with {@code started} false is the start
 * @param lastKey    the last key handled in the cursor's partition, or null
 */
record ScanCursor(long scanCursor, byte[] lastKey, boolean started) {
    static final byte FORMAT = 1;
    static final ScanCursor START = new ScanCursor(0, null, false);

    int partition() {
        return (int) (scanCursor & 0xFFFF);
    }

    ByteString encode() {
        byte[] key = lastKey == null ? new byte[0] : lastKey;
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + key.length);
        b.put(FORMAT).putLong(scanCursor).put(key);
        return ByteString.copyFrom(b.array());
    }

    /** Parses a client's cursor; throws IllegalArgumentException if it is not one this server made. */
    static ScanCursor decode(ByteString bytes, int maxKeyBytes) {
        if (bytes.isEmpty()) {
            return START;
        }
        if (bytes.size() < 9 || bytes.byteAt(0) != FORMAT) {
            throw new IllegalArgumentException("not a cursor returned by Scan");
        }
        ByteBuffer b = bytes.asReadOnlyByteBuffer();
        b.get();
        long scan = b.getLong();
        byte[] key = new byte[b.remaining()];
        b.get(key);
        if (key.length > maxKeyBytes) {
            throw new IllegalArgumentException("not a cursor returned by Scan (its key is over the key limit)");
        }
        return new ScanCursor(scan, key.length == 0 ? null : key, true);
    }
}
