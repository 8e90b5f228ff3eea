package io.cairn.commands.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import io.cairn.commands.CommandExecutor;
import io.cairn.commands.support.ExecutorHarness;
import io.cairn.commands.support.Replies;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** KEYS and SCAN: glob filtering, cursor encoding, and SCAN's guarantees. */
class ScanAndKeysTest {
    private final ExecutorHarness h = new ExecutorHarness();

    @AfterEach
    void close() {
        h.close();
    }

    @Test
    void keysFiltersWithGlob() {
        h.run("MSET", "user:1", "a", "user:2", "b", "user:10", "c", "other", "d", "{t}x", "e", "{t}y", "f");
        assertEquals(Set.of("user:1", "user:2", "user:10"), keys("KEYS", "user:*"));
        assertEquals(Set.of("user:1", "user:2"), keys("KEYS", "user:?"));
        assertEquals(Set.of("user:1", "user:10"), keys("KEYS", "user:1*"));
        assertEquals(Set.of("{t}x", "{t}y"), keys("KEYS", "{t}*"));
        assertEquals(Set.of("{t}y"), keys("KEYS", "\\{t}[y]"));
        assertEquals(6, keys("KEYS", "*").size());
        assertEquals(Set.of(), keys("KEYS", "nothing*"));
        h.run("SET", "user:3", "x", "PX", "10");
        h.advance(11);
        assertEquals(Set.of("user:1", "user:2", "user:10"), keys("KEYS", "user:*"), "expired keys are not listed");
    }

    @Test
    void keysHasAResultBound() {
        try (ExecutorHarness small = new ExecutorHarness(4, Map.of(),
                new CommandExecutor.Settings(16, 1 << 20, 1000, 5))) {
            for (int i = 0; i < 6; i++) {
                small.run("SET", "k" + i, "v");
            }
            small.expect("(error) ERR KEYS would return more than 5 keys (keys.max-results); use SCAN", "KEYS", "*");
            assertEquals("[\"k1\"]", small.r("KEYS", "k1"));
        }
    }

    @Test
    void scanArgumentErrorsMatchRedis() {
        h.expect("(error) ERR invalid cursor", "SCAN", "abc");
        h.expect("(error) ERR invalid cursor", "SCAN", " 1");
        h.expect("(error) ERR invalid cursor", "SCAN", "18446744073709551616");
        h.expect("(error) ERR invalid cursor", "SCAN", "-");
        h.expect("(error) ERR syntax error", "SCAN", "0", "count", "0");
        h.expect("(error) ERR value is not an integer or out of range", "SCAN", "0", "count", "abc");
        h.expect("(error) ERR syntax error", "SCAN", "0", "match");
        h.expect("(error) ERR syntax error", "SCAN", "0", "foo", "bar");
        h.run("SET", "b", "1");
        h.expect("[\"0\", [\"b\"]]", "SCAN", "");
        h.expect("[\"0\", [\"b\"]]", "SCAN", "+0");
        h.expect("[\"0\", []]", "SCAN", "0", "TYPE", "list");
        h.expect("[\"0\", [\"b\"]]", "SCAN", "0", "TYPE", "STRING");
        h.expect("[\"0\", []]", "SCAN", "18446744073709551615"); // partition 65535 does not exist: done
    }

    @Test
    void fullIterationReturnsEveryKeyWithBoundedPages() {
        Set<String> all = new TreeSet<>();
        for (int i = 0; i < 1000; i++) {
            all.add("key:" + i);
            h.run("SET", "key:" + i, "v");
        }
        Set<String> seen = new HashSet<>();
        String cursor = "0";
        int calls = 0;
        do {
            Reply.Array r = (Reply.Array) h.run("SCAN", cursor, "COUNT", "37");
            cursor = ((Reply.Bulk) r.items().get(0)).utf8();
            List<Reply> page = ((Reply.Array) r.items().get(1)).items();
            assertTrue(page.size() <= 37, "page bounded by COUNT: " + page.size());
            for (Reply k : page) {
                seen.add(((Reply.Bulk) k).utf8());
            }
            calls++;
            assertTrue(calls < 200, "iteration must terminate");
        } while (!cursor.equals("0"));
        assertEquals(all, seen);
    }

    @Test
    void keysPresentThroughoutAreReturnedDespiteConcurrentChanges() {
        for (int i = 0; i < 500; i++) {
            h.run("SET", "stable:" + i, "v");
            h.run("SET", "churn:" + i, "v");
        }
        Set<String> seen = new HashSet<>();
        String cursor = "0";
        int round = 0;
        do {
            Reply.Array r = (Reply.Array) h.run("SCAN", cursor, "COUNT", "20");
            cursor = ((Reply.Bulk) r.items().get(0)).utf8();
            for (Reply k : ((Reply.Array) r.items().get(1)).items()) {
                seen.add(((Reply.Bulk) k).utf8());
            }
            // Between calls: delete some churn keys, add new ones.
            h.run("DEL", "churn:" + round);
            h.run("SET", "new:" + round, "v");
            round++;
        } while (!cursor.equals("0"));
        for (int i = 0; i < 500; i++) {
            assertTrue(seen.contains("stable:" + i), "missing stable:" + i);
        }
    }

    @Test
    void matchWithPrefixAndHashTagStillFindsAll() {
        for (int i = 0; i < 200; i++) {
            h.run("SET", "{tag}:" + i, "v");
            h.run("SET", "pre:" + i, "v");
            h.run("SET", "zzz:" + i, "v");
        }
        assertEquals(200, scanAll("MATCH", "{tag}:*").size());
        assertEquals(200, scanAll("MATCH", "pre:*").size());
        Set<String> oneAndMore = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            if (String.valueOf(i).matches("1.+")) {
                oneAndMore.add("pre:" + i);
            }
        }
        assertEquals(110, oneAndMore.size());
        assertEquals(oneAndMore, scanAll("MATCH", "pre:1?*"));
        assertEquals(Set.of("pre:1"), scanAll("MATCH", "pre:1"));
        assertEquals(600, scanAll().size());
        assertEquals(0, scanAll("MATCH", "pre:*", "TYPE", "hash").size());
    }

    @Test
    void unknownOrEvictedCursorRestartsItsPartitionInsteadOfFailing() {
        try (ExecutorHarness tiny = new ExecutorHarness(1, Map.of(),
                new CommandExecutor.Settings(2, 1 << 20, 1000, 1000))) {
            for (int i = 0; i < 50; i++) {
                tiny.run("SET", "k" + i, "v");
            }
            Reply.Array first = (Reply.Array) tiny.run("SCAN", "0", "COUNT", "10");
            String cursor = ((Reply.Bulk) first.items().get(0)).utf8();
            // Three more cursors evict the first from a two-entry table.
            for (int i = 0; i < 3; i++) {
                tiny.run("SCAN", "0", "COUNT", "5");
            }
            Reply.Array resumed = (Reply.Array) tiny.run("SCAN", cursor, "COUNT", "100");
            assertEquals("\"0\"", Replies.render(resumed.items().get(0)));
            assertEquals(50, ((Reply.Array) resumed.items().get(1)).items().size(), "restarted from the beginning");
        }
    }

    private Set<String> keys(String... cmd) {
        Set<String> out = new HashSet<>();
        for (Reply r : ((Reply.Array) h.run(cmd)).items()) {
            out.add(new String(((Reply.Bulk) r).value(), StandardCharsets.UTF_8));
        }
        return out;
    }

    private Set<String> scanAll(String... options) {
        Set<String> out = new HashSet<>();
        String cursor = "0";
        int calls = 0;
        do {
            List<String> cmd = new ArrayList<>(List.of("SCAN", cursor, "COUNT", "7"));
            cmd.addAll(List.of(options));
            Reply.Array r = (Reply.Array) h.run(cmd.toArray(String[]::new));
            cursor = ((Reply.Bulk) r.items().get(0)).utf8();
            for (Reply k : ((Reply.Array) r.items().get(1)).items()) {
                out.add(((Reply.Bulk) k).utf8());
            }
            assertTrue(++calls < 10_000, "iteration must terminate");
        } while (!cursor.equals("0"));
        return out;
    }
}
