package io.cairn.commands.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import io.cairn.commands.support.ExecutorHarness;
import io.cairn.commands.support.Replies;
import io.cairn.storage.SlotHash;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Keyless commands confined to one partition, as a cluster runs them (each partition's group over
 * its own range): combined over every partition they must give what the whole keyspace gives.
 */
class PartitionScopedTest {
    private static final int PARTITIONS = 8;
    private final ExecutorHarness h = new ExecutorHarness(PARTITIONS, java.util.Map.of());

    @AfterEach
    void close() {
        h.close();
    }

    private Reply in(int p, String... args) {
        return h.executor.executeInPartition(p, Replies.argv(args), h.clock.currentTimeMillis(), h.hlc.now());
    }

    private static int partitionOf(String key) {
        return SlotHash.partitionOf(key.getBytes(StandardCharsets.UTF_8), PARTITIONS);
    }

    private static List<String> strings(Reply array) {
        return ((Reply.Array) array).items().stream().map(r -> ((Reply.Bulk) r).utf8()).toList();
    }

    @Test
    void dbsizeAndKeysAddUpOverPartitions() {
        for (int i = 0; i < 500; i++) {
            h.run("SET", "k" + i, "v");
        }
        long total = 0;
        Set<String> keys = new HashSet<>();
        for (int p = 0; p < PARTITIONS; p++) {
            total += ((Reply.Int) in(p, "DBSIZE")).value();
            for (String k : strings(in(p, "KEYS", "k*"))) {
                assertEquals(p, partitionOf(k), "KEYS in partition " + p + " listed " + k);
                keys.add(k);
            }
        }
        assertEquals(500, total);
        assertEquals(500, keys.size());
    }

    @Test
    void scanWalksOnePartitionAtATimeAndNamesTheNext() {
        for (int i = 0; i < 300; i++) {
            h.run("SET", "s" + i, "v");
        }
        Set<String> seen = new HashSet<>();
        long cursor = 0;
        int calls = 0;
        do {
            int p = (int) (cursor & 0xFFFF);
            Reply.Array page = (Reply.Array) in(p, "SCAN", Long.toUnsignedString(cursor), "COUNT", "7");
            cursor = Long.parseUnsignedLong(((Reply.Bulk) page.items().get(0)).utf8());
            for (String k : strings(page.items().get(1))) {
                assertEquals(p, partitionOf(k));
                seen.add(k);
            }
            if (cursor != 0) {
                assertTrue((cursor & 0xFFFF) >= p, "cursors never go back to an earlier partition");
            }
            calls++;
        } while (cursor != 0 && calls < 1000);
        assertEquals(300, seen.size());
    }

    @Test
    void flushallEmptiesOnlyItsPartition() {
        for (int i = 0; i < 200; i++) {
            h.run("SET", "f" + i, "v");
        }
        int target = partitionOf("f0");
        long before = ((Reply.Int) h.run("DBSIZE")).value();
        long inTarget = ((Reply.Int) in(target, "DBSIZE")).value();
        long watched = h.token("f0");
        assertEquals(Reply.OK, in(target, "FLUSHALL"));
        assertEquals(before - inTarget, ((Reply.Int) h.run("DBSIZE")).value());
        assertEquals(0, ((Reply.Int) in(target, "DBSIZE")).value());
        assertTrue(h.token("f0") != watched, "the flush changes the watch token of its keys");
    }

    @Test
    void randomkeyStaysInItsPartition() {
        h.run("SET", "only", "v");
        int p = partitionOf("only");
        assertEquals("only", ((Reply.Bulk) in(p, "RANDOMKEY")).utf8());
        assertEquals(Reply.Null.BULK, in((p + 1) % PARTITIONS, "RANDOMKEY"));
    }
}
