package io.cairn.raft.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.service.CommandService;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class CommandCodecTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void roundTripsEveryKind() {
        List<Command> batch = List.of(
                new Command.Execute(new byte[][] {b("SET"), b("k"), b("v"), b("PX"), b("100")}, 1_700_000_000_123L, 42L),
                new Command.Exec(List.of(new byte[][] {b("INCR"), b("k")}, new byte[][] {b("GET"), b("k")}),
                        List.of(new CommandService.Watch(b("k"), -7L), new CommandService.Watch(new byte[0], 0L)),
                        5L, Long.MAX_VALUE),
                new Command.Purge(200, 9L, 10L),
                new Command.WatchToken(b("w"), 11L),
                new Command.Execute(new byte[0][], 0L, 0L));
        byte[] encoded = CommandCodec.encode(batch);
        assertEquals(batch, CommandCodec.decode(encoded));
        assertEquals(CommandCodec.MAGIC, encoded[0] & 0xFF);
        assertEquals(CommandCodec.FORMAT, encoded[1]);
    }

    @Test
    void isCompactForSmallWrites() {
        byte[] encoded = CommandCodec.encode(new Command.Execute(new byte[][] {b("SET"), b("key"), b("value")}, 1L, 2L));
        // 3 header bytes + 17 command header + 1 argc + (1+3)+(1+3)+(1+5)
        assertEquals(3 + 17 + 1 + 4 + 4 + 6, encoded.length);
    }

    @Test
    void decodesFromAnOffset() {
        byte[] inner = CommandCodec.encode(new Command.Purge(3, 4L, 5L));
        byte[] padded = new byte[inner.length + 10];
        System.arraycopy(inner, 0, padded, 5, inner.length);
        assertEquals(List.of(new Command.Purge(3, 4L, 5L)), CommandCodec.decode(padded, 5, inner.length));
    }

    @Test
    void refusesEmptyAndOversizedBatchesOnEncode() {
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.encode(List.of()));
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.encode(new Command.Purge(0, 1, 1)));
    }

    @Test
    void corruptInputFailsWithAClearMessage() {
        byte[] good = CommandCodec.encode(new Command.Execute(new byte[][] {b("GET"), b("k")}, 1L, 2L));
        CorruptEntryException e;

        byte[] badMagic = good.clone();
        badMagic[0] = 0x00;
        e = assertThrows(CorruptEntryException.class, () -> CommandCodec.decode(badMagic));
        assertTrue(e.getMessage().contains("bad magic"), e.getMessage());

        byte[] badFormat = good.clone();
        badFormat[1] = 9;
        e = assertThrows(CorruptEntryException.class, () -> CommandCodec.decode(badFormat));
        assertTrue(e.getMessage().contains("unknown format 9"), e.getMessage());

        byte[] badKind = good.clone();
        badKind[3] = 77;
        e = assertThrows(CorruptEntryException.class, () -> CommandCodec.decode(badKind));
        assertTrue(e.getMessage().contains("unknown command kind 77"), e.getMessage());

        e = assertThrows(CorruptEntryException.class, () -> CommandCodec.decode(Arrays.copyOf(good, good.length - 1)));
        assertTrue(e.getMessage().contains("more bytes"), e.getMessage());

        e = assertThrows(CorruptEntryException.class, () -> CommandCodec.decode(Arrays.copyOf(good, good.length + 1)));
        assertTrue(e.getMessage().contains("trailing"), e.getMessage());

        // A huge argc must be refused before any allocation.
        byte[] hugeArgc = good.clone();
        hugeArgc[20] = (byte) 0xFF;
        assertThrows(CorruptEntryException.class, () -> CommandCodec.decode(hugeArgc));

        assertThrows(CorruptEntryException.class, () -> CommandCodec.decode(new byte[0]));
        assertThrows(CorruptEntryException.class, () -> CommandCodec.decode(new byte[] {(byte) 0xCA, 1, 0}));
    }

    /** Any single-byte change or truncation either decodes to something or fails cleanly. */
    @Test
    void randomCorruptionNeverEscapesAsAnotherException() {
        Random random = new Random(7);
        byte[] good = CommandCodec.encode(List.of(
                new Command.Execute(new byte[][] {b("MSET"), b("a"), b("1"), b("b"), b("2")}, 1L, 2L),
                new Command.Exec(List.<byte[][]>of(new byte[][] {b("GET"), b("a")}),
                        List.of(new CommandService.Watch(b("a"), 3L)), 4L, 5L)));
        for (int i = 0; i < 5_000; i++) {
            byte[] bad = good.clone();
            bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
            byte[] cut = Arrays.copyOf(bad, random.nextInt(bad.length + 1));
            try {
                CommandCodec.decode(cut);
            } catch (CorruptEntryException expected) {
                // the only acceptable failure
            }
        }
    }

    @Property(tries = 300)
    void roundTripProperty(@ForAll("batches") List<Command> batch) {
        byte[] encoded = CommandCodec.encode(batch);
        List<Command> decoded = CommandCodec.decode(encoded);
        assertEquals(batch, decoded);
        // Encoding is canonical: re-encoding gives the same bytes.
        assertArrayEquals(encoded, CommandCodec.encode(decoded));
    }

    @Property(tries = 100)
    void differentBatchesEncodeDifferently(@ForAll("batches") List<Command> a, @ForAll("batches") List<Command> b) {
        if (!a.equals(b)) {
            assertNotEquals(Arrays.toString(CommandCodec.encode(a)), Arrays.toString(CommandCodec.encode(b)));
        }
    }

    @Provide
    Arbitrary<List<Command>> batches() {
        Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(40);
        Arbitrary<byte[][]> argv = bytes.array(byte[][].class).ofMaxSize(6);
        Arbitrary<Long> longs = Arbitraries.longs();
        Arbitrary<Command> execute = Combinators.combine(argv, longs, longs).as(Command.Execute::new);
        Arbitrary<CommandService.Watch> watch = Combinators.combine(bytes, longs).as(CommandService.Watch::new);
        Arbitrary<Command> exec = Combinators.combine(argv.list().ofMaxSize(4).map(ArrayList::new),
                watch.list().ofMaxSize(3), longs, longs).as(Command.Exec::new);
        Arbitrary<Command> purge = Combinators.combine(Arbitraries.integers().between(1, Integer.MAX_VALUE), longs, longs)
                .as(Command.Purge::new);
        Arbitrary<Command> watchToken = Combinators.combine(bytes, longs).as(Command.WatchToken::new);
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(6, execute), net.jqwik.api.Tuple.of(2, exec),
                        net.jqwik.api.Tuple.of(1, purge), net.jqwik.api.Tuple.of(1, watchToken))
                .list().ofMinSize(1).ofMaxSize(8);
    }
}
