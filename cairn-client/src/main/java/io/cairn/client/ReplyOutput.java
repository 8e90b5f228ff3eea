package io.cairn.client;

import io.cairn.api.reply.Reply;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.CommandOutput;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A Lettuce output that rebuilds the server's reply as a protocol-neutral {@link Reply}, the type
 * the server's command service produces. That lets the client decode replies with exactly the
 * code the embedded node uses ({@link io.cairn.api.kv.KvCommands}), instead of a second decoder
 * that could disagree with it.
 *
 * <p>Error replies become {@link Reply.Error} values, at the top level too, rather than Lettuce
 * exceptions: the future then fails only for transport problems, which is the distinction the
 * client's retry rules need (a server's "no" is an answer; a lost connection is not).
 *
 * <p>Lettuce hands simple strings to {@link #set(ByteBuffer)} like bulk strings, so "OK" may
 * arrive as a bulk; the decoders accept both. Nesting is tracked by element counts: each
 * aggregate announces its size, and is complete when that many elements have been added.
 */
final class ReplyOutput extends CommandOutput<byte[], byte[], Reply> {
    private enum Kind { ARRAY, MAP, SET }

    private static final class Frame {
        final Kind kind;
        final int expected;
        final List<Reply> items;

        Frame(Kind kind, int expected) {
            this.kind = kind;
            this.expected = expected;
            this.items = new ArrayList<>(Math.min(expected, 1024));
        }

        Reply build() {
            return switch (kind) {
                case ARRAY -> Reply.array(items);
                case MAP -> new Reply.MapReply(items);
                case SET -> new Reply.SetReply(items);
            };
        }
    }

    private final Deque<Frame> stack = new ArrayDeque<>();
    private Reply reply;

    ReplyOutput() {
        super(ByteArrayCodec.INSTANCE, null);
    }

    @Override
    public Reply get() {
        return reply;
    }

    @Override
    public void set(ByteBuffer bytes) {
        add(bytes == null ? Reply.Null.BULK : new Reply.Bulk(copy(bytes)));
    }

    @Override
    public void setSingle(ByteBuffer bytes) {
        add(bytes == null ? Reply.Null.BULK : new Reply.Simple(new String(copy(bytes), StandardCharsets.UTF_8)));
    }

    @Override
    public void setBigNumber(ByteBuffer bytes) {
        add(bytes == null ? Reply.Null.BULK : new Reply.Bulk(copy(bytes)));
    }

    @Override
    public void set(long integer) {
        add(Reply.integer(integer));
    }

    @Override
    public void set(double number) {
        add(new Reply.DoubleReply(number));
    }

    @Override
    public void set(boolean value) {
        add(new Reply.BoolReply(value));
    }

    @Override
    public void setError(ByteBuffer error) {
        add(new Reply.Error(error == null ? "" : new String(copy(error), StandardCharsets.UTF_8)));
    }

    @Override
    public void setError(String error) {
        add(new Reply.Error(error == null ? "" : error));
    }

    @Override
    public void multi(int count) {
        open(Kind.ARRAY, count);
    }

    @Override
    public void multiArray(int count) {
        open(Kind.ARRAY, count);
    }

    @Override
    public void multiPush(int count) {
        open(Kind.ARRAY, count);
    }

    @Override
    public void multiSet(int count) {
        open(Kind.SET, count);
    }

    @Override
    public void multiMap(int count) {
        // Lettuce announces a map by its number of pairs; its elements arrive as key, value, ...
        open(Kind.MAP, count < 0 ? count : 2 * count);
    }

    @Override
    public void complete(int depth) {
        // Nesting is driven by the announced counts (see open/add); nothing to do per element.
    }

    private void open(Kind kind, int count) {
        if (count < 0) {
            add(Reply.Null.ARRAY);
        } else if (count == 0) {
            add(new Frame(kind, 0).build());
        } else {
            stack.push(new Frame(kind, count));
        }
    }

    private void add(Reply r) {
        Reply done = r;
        while (true) {
            Frame top = stack.peek();
            if (top == null) {
                reply = done;
                return;
            }
            top.items.add(done);
            if (top.items.size() < top.expected) {
                return;
            }
            stack.pop();
            done = top.build();
        }
    }

    /** Lettuce reuses its read buffer: the bytes must be copied before the call returns. */
    private static byte[] copy(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
