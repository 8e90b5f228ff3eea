package io.cairn.verify.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.verify.support.Simulator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HistoryTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsAwkwardStrings() throws IOException {
        String[] nasty = {"", "\t", "\n", "\r\n", "\\", "\\N", "\\t", "a\tb\nc\\d", " lead and trail ", "ünïcødé ✓ 𝄞", "#not-a-comment"};
        History.Builder b = History.builder();
        for (String s : nasty) {
            b.write(1, s, s, 10, 20).read(2, s, s, 30, 40).read(3, s, null, 30, 40);
        }
        b.cas(4, "k", null, "", true, 50, 60)
                .cas(4, "k", "", null, false, 50, 60)
                .op(5, "k", OpKind.APPEND, null, -5, -1, Status.OK, "", "")
                .info(6, "k", OpKind.WRITE, Long.MIN_VALUE, "x")
                .fail(7, "k", OpKind.INCR, 0, 0)
                .incr(8, "c", -3, Long.MAX_VALUE, 1, 2);
        History h = b.build();
        Path file = dir.resolve("h.tsv");
        h.write(file);
        History back = History.read(file);
        assertEquals(h, back);
        List<Op> ops = back.ops();
        assertEquals(List.of("", ""), ops.get(ops.size() - 4).input());
        assertEquals(Arrays.asList(null, ""), ops.get(ops.size() - 6).input());
        assertEquals(Arrays.asList("", null), ops.get(ops.size() - 5).input());
        assertEquals(null, ops.get(2).output());
    }

    @Test
    void roundTripsSimulatedHistory() throws IOException {
        History h = Simulator.simulate(new Simulator.Config(Simulator.Workload.REGISTER, 5, 3, 2_000, 0.05, 0.05, 4), 7);
        Path file = dir.resolve("sim.tsv");
        h.write(file);
        assertEquals(h, History.read(file));
    }

    @Test
    void rejectsForeignFilesAndBadLines() throws IOException {
        Path noHeader = dir.resolve("a.tsv");
        Files.writeString(noHeader, "0\t1\tOK\tREAD\t1\t2\tk\t\\N\n");
        assertThrows(IOException.class, () -> History.read(noHeader));
        Path bad = dir.resolve("b.tsv");
        Files.writeString(bad, "#cairn-history v1\n0\t1\tOK\tFLY\t1\t2\tk\t\\N\n");
        IOException e = assertThrows(IOException.class, () -> History.read(bad));
        assertTrue(e.getMessage().contains(":2:"), e.getMessage());
        Path badEscape = dir.resolve("c.tsv");
        Files.writeString(badEscape, "#cairn-history v1\n0\t1\tOK\tREAD\t1\t2\tk\\x\t\\N\n");
        assertThrows(IOException.class, () -> History.read(badEscape));
    }

    @Test
    void groupsByKeyAndRejectsDuplicateIds() {
        History h = History.builder().write(0, "b", "1", 5, 6).write(0, "a", "1", 7, 8).read(1, "b", "1", 9, 10).build();
        assertEquals(List.of("a", "b"), List.copyOf(h.byKey().keySet()));
        assertEquals(2, h.byKey().get("b").size());
        assertEquals(5, h.originNanos());
        Op op = h.ops().get(0);
        assertThrows(IllegalArgumentException.class, () -> History.of(List.of(op, op)));
        assertThrows(IllegalArgumentException.class, () -> Op.of(0, 0, "k", OpKind.READ, null, 10, 5, Status.OK));
    }

    @Test
    void describesOpsReadably() {
        Op op = Op.of(12, 3, "k", OpKind.CAS, "true", 1_000_000, 2_500_000, Status.OK, null, "b");
        assertEquals("#12 p3 CAS \"k\" nil \"b\" => \"true\" [+1.000ms .. +2.500ms]", op.describe(0));
        Op info = Op.of(13, 3, "k", OpKind.WRITE, null, 1_000_000, Long.MAX_VALUE, Status.INFO, "x\ty");
        assertEquals("#13 p3 WRITE \"k\" \"x\\ty\" INDETERMINATE [+0.000ms .. inf]", info.describe(1_000_000));
    }
}
