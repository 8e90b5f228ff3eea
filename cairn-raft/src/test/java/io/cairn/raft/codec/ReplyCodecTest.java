package io.cairn.raft.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class ReplyCodecTest {

    @Test
    void roundTripsEveryShape() {
        List<Reply> replies = List.of(Reply.OK, Reply.err("syntax error"), Reply.integer(-5), Reply.bulk("héllo"),
                Reply.Null.BULK, Reply.Null.ARRAY, Reply.array(List.of(Reply.bulk("a"), Reply.Null.BULK)),
                new Reply.MapReply(List.of(Reply.bulk("k"), Reply.integer(1))),
                new Reply.SetReply(List.of(Reply.bulk("x"))), new Reply.DoubleReply(Double.NaN),
                new Reply.BoolReply(true), new Reply.Verbatim("txt", "some text"), Reply.array(List.of()));
        List<Reply> decoded = ReplyCodec.decode(ReplyCodec.encode(replies));
        assertTrue(ReplyEquality.sameAll(replies, decoded), decoded::toString);
        assertTrue(ReplyCodec.decode(ReplyCodec.encode(List.of())).isEmpty());
    }

    @Test
    void equalityHelperCanFail() {
        assertFalse(ReplyEquality.same(Reply.bulk("a"), Reply.bulk("b")));
        assertFalse(ReplyEquality.same(Reply.array(List.of()), new Reply.SetReply(List.of())));
    }

    @Test
    void corruptInputFailsClearly() {
        byte[] good = ReplyCodec.encode(List.of(Reply.bulk("value"), Reply.integer(3)));
        byte[] badTag = good.clone();
        badTag[3] = 99;
        CorruptEntryException e = assertThrows(CorruptEntryException.class, () -> ReplyCodec.decode(badTag));
        assertTrue(e.getMessage().contains("unknown reply tag 99"), e.getMessage());
        assertThrows(CorruptEntryException.class, () -> ReplyCodec.decode(Arrays.copyOf(good, good.length - 2)));
        assertThrows(CorruptEntryException.class, () -> ReplyCodec.decode(new byte[] {(byte) 0xCA, 1, 0}));

        // Nesting deeper than the limit is refused on decode instead of overflowing the stack.
        byte[] deep = new byte[3 + 2 * 200];
        deep[0] = (byte) ReplyCodec.MAGIC;
        deep[1] = 1;
        deep[2] = 1;
        for (int i = 0; i < 200; i++) {
            deep[3 + 2 * i] = 7;
            deep[4 + 2 * i] = 1;
        }
        e = assertThrows(CorruptEntryException.class, () -> ReplyCodec.decode(deep));
        assertTrue(e.getMessage().contains("nested"), e.getMessage());
    }

    @Property(tries = 300)
    void roundTripProperty(@ForAll("replies") List<Reply> replies) {
        assertTrue(ReplyEquality.sameAll(replies, ReplyCodec.decode(ReplyCodec.encode(replies))));
    }

    @Provide
    Arbitrary<List<Reply>> replies() {
        return reply(3).list().ofMaxSize(6);
    }

    private Arbitrary<Reply> reply(int depth) {
        Arbitrary<Reply> leaf = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(20).map(s -> (Reply) new Reply.Error(s)),
                Arbitraries.strings().alpha().ofMaxLength(20).map(s -> (Reply) new Reply.Simple(s)),
                Arbitraries.longs().map(v -> (Reply) Reply.integer(v)),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(30).map(v -> (Reply) new Reply.Bulk(v)),
                Arbitraries.of(Reply.Null.BULK, Reply.Null.ARRAY),
                Arbitraries.doubles().map(d -> (Reply) new Reply.DoubleReply(d)),
                Arbitraries.of(true, false).map(v -> (Reply) new Reply.BoolReply(v)),
                Arbitraries.strings().ofMaxLength(10).map(s -> (Reply) new Reply.Verbatim("txt", s)));
        if (depth == 0) {
            return leaf;
        }
        Arbitrary<List<Reply>> items = Arbitraries.lazy(() -> reply(depth - 1)).list().ofMaxSize(4);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, leaf),
                net.jqwik.api.Tuple.of(1, items.map(Reply::array)),
                net.jqwik.api.Tuple.of(1, items.map(l -> (Reply) new Reply.SetReply(l))),
                net.jqwik.api.Tuple.of(1, items.map(l -> (Reply) new Reply.MapReply(
                        l.size() % 2 == 0 ? l : l.subList(0, l.size() - 1)))));
    }
}
