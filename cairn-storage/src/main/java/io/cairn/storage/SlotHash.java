package io.cairn.storage;

/**
 * Redis Cluster key slots: CRC16-XMODEM (poly 0x1021, init 0) of the key, or of its hash tag,
 * modulo 16384. The hash tag is the part between the first '{' and the first '}' after it,
 * if that part is non-empty; otherwise the whole key is hashed.
 */
public final class SlotHash {
    public static final int SLOTS = 16_384;
    private static final int[] TABLE = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int crc = i << 8;
            for (int b = 0; b < 8; b++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            TABLE[i] = crc & 0xFFFF;
        }
    }

    private SlotHash() {}

    public static int crc16(byte[] data, int from, int to) {
        int crc = 0;
        for (int i = from; i < to; i++) {
            crc = ((crc << 8) ^ TABLE[((crc >>> 8) ^ data[i]) & 0xFF]) & 0xFFFF;
        }
        return crc;
    }

    public static int crc16(byte[] data) {
        return crc16(data, 0, data.length);
    }

    public static int slot(byte[] key) {
        int open = -1;
        for (int i = 0; i < key.length; i++) {
            if (key[i] == '{') {
                open = i;
                break;
            }
        }
        if (open >= 0) {
            for (int close = open + 1; close < key.length; close++) {
                if (key[close] == '}') {
                    if (close > open + 1) {
                        return crc16(key, open + 1, close) & (SLOTS - 1);
                    }
                    break;
                }
            }
        }
        return crc16(key) & (SLOTS - 1);
    }

    /**
     * The fixed slot → partition map: partition {@code p} owns the contiguous slot range
     * {@code [ceil(p*16384/P), ceil((p+1)*16384/P))}, so a partition's slots show up as one
     * range in CLUSTER SLOTS.
     */
    public static int partitionOfSlot(int slot, int partitions) {
        if (slot < 0 || slot >= SLOTS) {
            throw new IllegalArgumentException("slot out of range: " + slot);
        }
        if (partitions < 1 || partitions > SLOTS) {
            throw new IllegalArgumentException("partitions must be in 1.." + SLOTS + ", got " + partitions);
        }
        return (int) ((long) slot * partitions / SLOTS);
    }

    /** The first slot of {@code partition}: the smallest {@code slot} with {@code slot * P / SLOTS == partition}. */
    public static int firstSlotOf(int partition, int partitions) {
        if (partition < 0 || partition >= partitions) {
            throw new IllegalArgumentException("partition " + partition + " out of range 0.." + (partitions - 1));
        }
        return (int) (((long) partition * SLOTS + partitions - 1) / partitions);
    }

    /** The last slot of {@code partition} (partitions own contiguous slot ranges). */
    public static int lastSlotOf(int partition, int partitions) {
        return partition == partitions - 1 ? SLOTS - 1 : firstSlotOf(partition + 1, partitions) - 1;
    }

    /** Convenience: {@code partitionOfSlot(slot(key), partitions)}. */
    public static int partitionOf(byte[] key, int partitions) {
        return partitionOfSlot(slot(key), partitions);
    }
}
