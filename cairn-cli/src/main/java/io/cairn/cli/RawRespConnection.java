package io.cairn.cli;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisArrayAggregator;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A blocking RESP2 connection that keeps each reply's type (status vs bulk string, error, integer,
 * nil), which the REPL needs to print replies as redis-cli does and which Jedis folds together.
 * Bytes read from the socket go through Netty's own Redis decoder in an {@link EmbeddedChannel}.
 */
final class RawRespConnection implements AutoCloseable {
    /** A decoded reply: one of {@link Status}, {@link Bulk}, {@link Error}, {@link Int}, {@link Nil}, {@link Multi}. */
    sealed interface Reply permits Status, Bulk, Error, Int, Nil, Multi {}

    record Status(String text) implements Reply {}

    record Bulk(byte[] value) implements Reply {}

    record Error(String text) implements Reply {}

    record Int(long value) implements Reply {}

    record Nil() implements Reply {}

    record Multi(List<Reply> items) implements Reply {}

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final EmbeddedChannel decoder = new EmbeddedChannel(new RedisDecoder(), new RedisBulkStringAggregator(),
            new RedisArrayAggregator());
    private final byte[] buffer = new byte[64 * 1024];
    final String address;

    RawRespConnection(String host, int port, int timeoutMs) throws IOException {
        this.address = host + ":" + port;
        socket = new Socket();
        socket.connect(new InetSocketAddress(host, port), timeoutMs);
        socket.setSoTimeout(timeoutMs);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Sends one command (an array of bulk strings) and waits for its reply. */
    Reply execute(List<byte[]> args) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("*" + args.size() + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (byte[] a : args) {
            b.writeBytes(("$" + a.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            b.writeBytes(a);
            b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.write(b.toByteArray());
        out.flush();
        return read();
    }

    private Reply read() throws IOException {
        while (true) {
            Object m = decoder.readInbound();
            if (m != null) {
                try {
                    return convert((RedisMessage) m);
                } finally {
                    ReferenceCountUtil.release(m);
                }
            }
            int n = in.read(buffer);
            if (n < 0) {
                throw new IOException("the server closed the connection");
            }
            ByteBuf chunk = Unpooled.copiedBuffer(buffer, 0, n);
            try {
                decoder.writeInbound(chunk);
            } catch (RuntimeException e) {
                throw new IOException("the server sent something that is not RESP: " + e.getMessage(), e);
            }
        }
    }

    private static Reply convert(RedisMessage m) {
        if (m instanceof SimpleStringRedisMessage s) {
            return new Status(s.content());
        }
        if (m instanceof ErrorRedisMessage e) {
            return new Error(e.content());
        }
        if (m instanceof IntegerRedisMessage i) {
            return new Int(i.value());
        }
        if (m instanceof FullBulkStringRedisMessage b) {
            if (b.isNull()) {
                return new Nil();
            }
            byte[] v = new byte[b.content().readableBytes()];
            b.content().getBytes(b.content().readerIndex(), v);
            return new Bulk(v);
        }
        if (m instanceof ArrayRedisMessage a) {
            if (a.isNull()) {
                return new Nil();
            }
            List<Reply> items = new ArrayList<>(a.children().size());
            for (RedisMessage child : a.children()) {
                items.add(convert(child));
            }
            return new Multi(items);
        }
        throw new IllegalStateException("unexpected RESP message " + m.getClass().getSimpleName());
    }

    @Override
    public void close() {
        decoder.finishAndReleaseAll();
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing: nothing left to do
        }
    }
}
