package io.cairn.storage.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.storage.SlotHash;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SlotHashTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int crcSlot(String s) {
        return SlotHash.crc16(b(s)) & (SlotHash.SLOTS - 1);
    }

    @Test
    void crc16MatchesTheXmodemCheckValue() {
        assertEquals(0x31C3, SlotHash.crc16(b("123456789")));
        assertEquals(0, SlotHash.crc16(new byte[0]));
        byte[] padded = b("xx123456789yy");
        assertEquals(0x31C3, SlotHash.crc16(padded, 2, 11));
    }

    @Test
    void knownRedisSlots() {
        // Values from Redis's CLUSTER KEYSLOT.
        assertEquals(12182, SlotHash.slot(b("foo")));
        assertEquals(5061, SlotHash.slot(b("bar")));
        assertEquals(866, SlotHash.slot(b("hello")));
    }

    @Test
    void hashTagsGroupKeys() {
        assertEquals(SlotHash.slot(b("{user1000}.following")), SlotHash.slot(b("{user1000}.followers")));
        assertEquals(crcSlot("user1000"), SlotHash.slot(b("{user1000}.following")));
        assertNotEquals(SlotHash.slot(b("user1000.following")), SlotHash.slot(b("user1000.followers")));
    }

    @Test
    void hashTagEdgeCases() {
        assertEquals(crcSlot("foo{}{bar}"), SlotHash.slot(b("foo{}{bar}")), "empty tag: whole key");
        assertEquals(crcSlot("{bar"), SlotHash.slot(b("foo{{bar}}zap")), "tag is '{bar'");
        assertEquals(crcSlot("bar"), SlotHash.slot(b("foo{bar}{zap}")), "first tag only");
        assertEquals(crcSlot("foo{bar"), SlotHash.slot(b("foo{bar")), "unclosed: whole key");
        assertEquals(crcSlot("foo}bar{"), SlotHash.slot(b("foo}bar{")), "close before open: whole key");
        assertEquals(crcSlot(""), SlotHash.slot(new byte[0]));
    }

    @Test
    void slotsAreInRangeForBinaryKeys() {
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < 10_000; i++) {
            byte[] k = new byte[r.nextInt(20)];
            r.nextBytes(k);
            int slot = SlotHash.slot(k);
            assertTrue(slot >= 0 && slot < SlotHash.SLOTS);
        }
    }

    @Test
    void partitionsCoverSlotsContiguouslyAndEvenly() {
        for (int partitions : new int[] {1, 2, 3, 7, 16, 100, 1000, 16_384}) {
            int previous = 0;
            int[] sizes = new int[partitions];
            for (int slot = 0; slot < SlotHash.SLOTS; slot++) {
                int p = SlotHash.partitionOfSlot(slot, partitions);
                assertTrue(p == previous || p == previous + 1, "partition jumps at slot " + slot + " for P=" + partitions);
                previous = p;
                sizes[p]++;
            }
            assertEquals(0, SlotHash.partitionOfSlot(0, partitions));
            assertEquals(partitions - 1, SlotHash.partitionOfSlot(SlotHash.SLOTS - 1, partitions), "every partition used, P=" + partitions);
            int min = Integer.MAX_VALUE;
            int max = 0;
            for (int s : sizes) {
                min = Math.min(min, s);
                max = Math.max(max, s);
            }
            assertTrue(min >= 1 && max - min <= 1, "uneven split for P=" + partitions + ": " + min + ".." + max);
        }
        assertEquals(SlotHash.partitionOfSlot(SlotHash.slot(b("k")), 10), SlotHash.partitionOf(b("k"), 10));
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> SlotHash.partitionOfSlot(-1, 4));
        assertThrows(IllegalArgumentException.class, () -> SlotHash.partitionOfSlot(SlotHash.SLOTS, 4));
        assertThrows(IllegalArgumentException.class, () -> SlotHash.partitionOfSlot(0, 0));
        assertThrows(IllegalArgumentException.class, () -> SlotHash.partitionOfSlot(0, SlotHash.SLOTS + 1));
    }

    @Test
    void slotRangesOfPartitionsAreContiguousAndMatchPartitionOfSlot() {
        for (int partitions : new int[] {1, 3, 16, 100, 16384}) {
            int next = 0;
            for (int p = 0; p < partitions; p++) {
                int first = SlotHash.firstSlotOf(p, partitions);
                int last = SlotHash.lastSlotOf(p, partitions);
                org.junit.jupiter.api.Assertions.assertEquals(next, first, partitions + " partitions, partition " + p);
                org.junit.jupiter.api.Assertions.assertEquals(p, SlotHash.partitionOfSlot(first, partitions));
                org.junit.jupiter.api.Assertions.assertEquals(p, SlotHash.partitionOfSlot(last, partitions));
                next = last + 1;
            }
            org.junit.jupiter.api.Assertions.assertEquals(SlotHash.SLOTS, next);
        }
    }
}
