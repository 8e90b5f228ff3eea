package io.cairn.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The token bucket behind {@code raft.snapshot.receive-bytes-per-sec}, and the settings around it. */
class SnapshotReceiveThrottleTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void chunksAreSpacedByTheirSizeOverTheRate() {
        SnapshotReceiveThrottle t = new SnapshotReceiveThrottle(1 << 20, null);
        long t0 = System.nanoTime() + 1000 * MS; // the bucket starts empty, paid up to its creation
        // Each 256 KiB chunk pays for a quarter second; chunks arriving together queue up.
        assertEquals(t0 + 250 * MS, t.charge(256 << 10, t0));
        assertEquals(t0 + 500 * MS, t.charge(256 << 10, t0));
        assertEquals(t0 + 750 * MS, t.charge(256 << 10, t0 + 100 * MS));
        // An idle bucket saves no credit: after a pause the rate is the same, not a burst.
        long later = t0 + 10_000 * MS;
        assertEquals(later + 250 * MS, t.charge(256 << 10, later));
        assertEquals(4L * (256 << 10), t.bytesReceived());
        assertEquals(4, t.chunksReceived());
    }

    @Test
    void unlimitedOnlyCounts() {
        SnapshotReceiveThrottle t = new SnapshotReceiveThrottle(0, null);
        assertEquals(42L, t.charge(1 << 30, 42L));
        assertEquals(1L << 30, t.bytesReceived());
    }

    @Test
    void settingsAreValidatedAndShapeTheChunkSize() {
        Path dir = Path.of("/tmp/unused");
        RaftConfig unlimited = RaftConfig.defaults(dir);
        assertEquals(0, unlimited.snapshotReceiveBytesPerSec());
        assertEquals(16 << 20, unlimited.snapshotChunkBytes());
        assertEquals(2, unlimited.moveMaxConcurrent());
        assertTrue(unlimited.moveStagingTimeoutMs() >= 30_000);

        RaftConfig throttled = RaftConfig.from(Map.of(RaftConfig.STORAGE_DIR, dir.toString(),
                RaftConfig.SNAPSHOT_RECEIVE_BYTES_PER_SEC, Integer.toString(1 << 20)));
        assertEquals(256 << 10, throttled.snapshotChunkBytes(), "a quarter second's worth");
        RaftConfig slow = RaftConfig.from(Map.of(RaftConfig.STORAGE_DIR, dir.toString(),
                RaftConfig.SNAPSHOT_RECEIVE_BYTES_PER_SEC, Integer.toString(64 << 10)));
        assertEquals(16 << 10, slow.snapshotChunkBytes());

        assertThrows(IllegalArgumentException.class, () -> RaftConfig.from(Map.of(RaftConfig.STORAGE_DIR, dir.toString(),
                RaftConfig.SNAPSHOT_RECEIVE_BYTES_PER_SEC, "1000")));
        assertThrows(IllegalArgumentException.class, () -> RaftConfig.from(Map.of(RaftConfig.STORAGE_DIR, dir.toString(),
                RaftConfig.MOVE_STAGING_TIMEOUT_MS, "1500")), "must exceed the election timeout (2000 by default)");
        assertThrows(IllegalArgumentException.class, () -> RaftConfig.from(Map.of(RaftConfig.STORAGE_DIR, dir.toString(),
                RaftConfig.MOVE_MAX_CONCURRENT, "0")));
        assertThrows(IllegalArgumentException.class, () -> RaftConfig.from(Map.of(RaftConfig.STORAGE_DIR, dir.toString(),
                RaftConfig.CLIENT_DRAIN_MS, "0")));
        assertThrows(IllegalArgumentException.class, () -> RaftConfig.from(Map.of(RaftConfig.STORAGE_DIR, dir.toString(),
                RaftConfig.MOVE_CATCH_UP_GAP, "0")));
    }
}
