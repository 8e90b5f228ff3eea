package io.cairn.commands.unit;

import static io.cairn.commands.support.Replies.argv;
import static io.cairn.commands.support.Replies.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.service.CommandService.Watch;
import io.cairn.commands.support.ExecutorHarness;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** MULTI/EXEC/WATCH at the executor: atomic blocks, inline errors, and WATCH tokens. */
class TransactionTest {
    private final ExecutorHarness h = new ExecutorHarness();

    @AfterEach
    void close() {
        h.close();
    }

    private Watch watch(String key) {
        return new Watch(key.getBytes(StandardCharsets.UTF_8), h.token(key));
    }

    @Test
    void execRunsEveryCommandWithReadYourWrites() {
        String r = render(h.exec(List.<byte[][]>of(argv("SET", "a", "1"), argv("INCR", "a"), argv("GET", "a"),
                argv("MGET", "a", "b")), List.of()));
        assertEquals("[OK, (integer) 2, \"2\", [\"2\", (nil)]]", r);
        h.expect("\"2\"", "GET", "a");
    }

    @Test
    void runtimeErrorsAreInlineAndLaterCommandsStillRun() {
        h.run("SET", "s", "notanumber");
        String r = render(h.exec(List.<byte[][]>of(argv("INCR", "s"), argv("SET", "x", "1"), argv("SET", "k", "v", "EX", "0"),
                argv("INCR", "x"), argv("NOPE")), List.of()));
        assertEquals("[(error) ERR value is not an integer or out of range, OK, "
                + "(error) ERR invalid expire time in 'set' command, (integer) 2, "
                + "(error) ERR unknown command 'NOPE', with args beginning with: ]", r);
        h.expect("\"2\"", "GET", "x");
        h.expect("(integer) 0", "EXISTS", "k");
    }

    @Test
    void unchangedWatchedKeysLetExecRun() {
        h.run("SET", "a", "1");
        List<Watch> w = List.of(watch("a"), watch("absent"));
        h.run("GET", "a"); // reads do not change tokens
        h.run("SET", "unrelated", "1");
        assertEquals("[(integer) 2]", render(h.exec(List.<byte[][]>of(argv("INCR", "a")), w)));
    }

    @Test
    void watchAbortsOnWrite() {
        h.run("SET", "a", "1");
        List<Watch> w = List.of(watch("a"));
        h.run("SET", "a", "1"); // same value, still a write
        assertEquals("(nil)", render(h.exec(List.<byte[][]>of(argv("SET", "b", "x")), w)));
        h.expect("(integer) 0", "EXISTS", "b"); // nothing ran
    }

    @Test
    void watchAbortsOnDeleteAndOnExpireChange() {
        h.run("SET", "a", "1");
        List<Watch> w = List.of(watch("a"));
        h.run("DEL", "a");
        assertEquals("(nil)", render(h.exec(List.<byte[][]>of(argv("PING")), w)));

        h.run("SET", "b", "1");
        w = List.of(watch("b"));
        h.run("EXPIRE", "b", "100");
        assertEquals("(nil)", render(h.exec(List.of(), w)));
    }

    @Test
    void watchAbortsWhenTheKeyExpiresBetweenWatchAndExec() {
        h.run("SET", "a", "1", "PX", "100");
        List<Watch> w = List.of(watch("a"));
        h.advance(101);
        assertEquals("(nil)", render(h.exec(List.<byte[][]>of(argv("INCR", "a")), w)));
    }

    @Test
    void watchingAnAlreadyExpiredKeyIsNotAChange() {
        h.run("SET", "a", "1", "PX", "1");
        h.advance(2);
        List<Watch> w = List.of(watch("a"));
        h.run("DEL", "a"); // deleting a logically absent key writes nothing
        assertEquals("[(integer) 0]", render(h.exec(List.<byte[][]>of(argv("EXISTS", "a")), w)));
    }

    @Test
    void absentKeyWrittenAndDeletedAgainStillAborts() {
        List<Watch> w = List.of(watch("a"));
        assertEquals(0, w.get(0).token(), "never written, never removed: token 0");
        h.run("SET", "a", "1");
        h.run("DEL", "a");
        assertEquals("(nil)", render(h.exec(List.<byte[][]>of(argv("SET", "a", "2")), w)));
    }

    @Test
    void absentKeyWrittenThenPurgedStillAborts() {
        List<Watch> w = List.of(watch("a"));
        h.run("SET", "a", "1", "PX", "5");
        h.advance(10);
        int purged = 0;
        for (int p = 0; p < h.executor.partitions(); p++) {
            purged += h.executor.purgeExpired(p, h.now(), 100, h.hlc.now());
        }
        assertEquals(1, purged);
        assertEquals("(nil)", render(h.exec(List.<byte[][]>of(argv("SET", "a", "2")), w)));
    }

    @Test
    void absentKeyWrittenThenFlushedStillAborts() {
        List<Watch> w = List.of(watch("a"));
        h.run("SET", "a", "1");
        h.run("FLUSHALL");
        assertEquals("(nil)", render(h.exec(List.<byte[][]>of(argv("SET", "a", "2")), w)));
    }

    @Test
    void writesOfOneExecShareOneVersion() {
        h.exec(List.<byte[][]>of(argv("SET", "a", "1"), argv("SET", "b", "2"), argv("DEL", "a")), List.of());
        long b = h.token("b");
        assertTrue(b > 0);
        assertEquals(-b, h.token("a"), "a was deleted by the same block, at the same version");
        h.run("SET", "c", "3");
        assertNotEquals(b, h.token("c"));
    }

    @Test
    void iterationInsideExecSeesEarlierWritesOfTheBlock() {
        h.run("SET", "old", "1");
        String r = render(h.exec(List.<byte[][]>of(argv("FLUSHALL"), argv("SET", "new", "1"), argv("DBSIZE"), argv("KEYS", "*"),
                argv("GET", "old")), List.of()));
        assertEquals("[OK, OK, (integer) 1, [\"new\"], (nil)]", r);
        h.expect("(integer) 0", "EXISTS", "old");
        h.expect("(integer) 1", "EXISTS", "new");
    }

    @Test
    void flushInsideExecHidesEverythingForLaterCommands() {
        h.run("MSET", "a", "1", "b", "2");
        String r = render(h.exec(List.<byte[][]>of(argv("FLUSHDB"), argv("MGET", "a", "b"), argv("SET", "c", "3"),
                argv("EXISTS", "a", "c")), List.of()));
        assertEquals("[OK, [(nil), (nil)], OK, (integer) 1]", r);
        h.expect("[(nil), (nil), \"3\"]", "MGET", "a", "b", "c");
    }
}
