package io.cairn.resp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RespDecoderTest {
    @BeforeAll
    static void leaks() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    /** Limits with switches for the tests. */
    static final class TestLimits implements RespDecoder.Limits {
        int maxBulk = 512 * 1024 * 1024;
        int maxMultibulk = 1024 * 1024;
        long queryLimit = 1L << 30;
        boolean authRequired;
        long received;

        @Override
        public int maxBulkBytes() {
            return maxBulk;
        }

        @Override
        public int maxMultibulkLength() {
            return maxMultibulk;
        }

        @Override
        public long queryBufferLimitBytes() {
            return queryLimit;
        }

        @Override
        public boolean authRequired() {
            return authRequired;
        }

        @Override
        public void bytesReceived(int bytes) {
            received += bytes;
        }
    }

    private final TestLimits limits = new TestLimits();
    private final EmbeddedChannel ch = new EmbeddedChannel(new RespDecoder(limits));

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private List<Object> feed(byte[] bytes) {
        ch.writeInbound(Unpooled.wrappedBuffer(bytes));
        return drain();
    }

    private List<Object> drain() {
        List<Object> out = new ArrayList<>();
        Object o;
        while ((o = ch.readInbound()) != null) {
            out.add(o);
        }
        return out;
    }

    private static List<String> args(Object command) {
        byte[][] argv = assertInstanceOf(byte[][].class, command);
        List<String> s = new ArrayList<>();
        for (byte[] a : argv) {
            s.add(new String(a, StandardCharsets.ISO_8859_1));
        }
        return s;
    }

    private static String protocolError(Object o) {
        return assertInstanceOf(ProtocolError.class, o).message();
    }

    @Test
    void decodesAMultibulkCommand() {
        List<Object> out = feed(b("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"));
        assertEquals(1, out.size());
        assertEquals(List.of("SET", "key", "value"), args(out.get(0)));
        assertEquals(33, limits.received);
    }

    @Test
    void aCommandSplitAtEveryByteDecodesTheSame() {
        byte[] frame = b("*3\r\n$3\r\nSET\r\n$4\r\nk\r\ny\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\nECHO \"a b\"\r\n");
        for (int split = 1; split < frame.length; split++) {
            EmbeddedChannel c = new EmbeddedChannel(new RespDecoder(new TestLimits()));
            c.writeInbound(Unpooled.wrappedBuffer(frame, 0, split));
            c.writeInbound(Unpooled.wrappedBuffer(frame, split, frame.length - split));
            List<List<String>> got = new ArrayList<>();
            Object o;
            while ((o = c.readInbound()) != null) {
                got.add(args(o));
            }
            assertEquals(List.of(List.of("SET", "k\r\ny", ""), List.of("PING"), List.of("ECHO", "a b")), got,
                    "split at " + split);
            assertFalse(c.finish());
        }
    }

    @Test
    void oneByteAtATime() {
        byte[] frame = b("*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\n");
        List<Object> out = new ArrayList<>();
        for (byte x : frame) {
            out.addAll(feed(new byte[] {x}));
        }
        assertEquals(1, out.size());
        assertEquals(List.of("ECHO", "hello world"), args(out.get(0)));
    }

    @Test
    void manyPipelinedCommandsInOneBuffer() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            String k = "key:" + i;
            sb.append("*2\r\n$3\r\nGET\r\n$").append(k.length()).append("\r\n").append(k).append("\r\n");
        }
        List<Object> out = feed(b(sb.toString()));
        assertEquals(1000, out.size());
        for (int i = 0; i < 1000; i++) {
            assertEquals(List.of("GET", "key:" + i), args(out.get(i)));
        }
    }

    @Test
    void binarySafeBulks() {
        byte[] value = new byte[256];
        for (int i = 0; i < 256; i++) {
            value[i] = (byte) i;
        }
        ByteBuf buf = Unpooled.buffer();
        buf.writeBytes(b("*2\r\n$4\r\nECHO\r\n$256\r\n")).writeBytes(value).writeBytes(b("\r\n"));
        ch.writeInbound(buf);
        byte[][] argv = assertInstanceOf(byte[][].class, ch.readInbound());
        assertArrayEquals(value, argv[1]);
    }

    @Test
    void largeBulkArrivingInChunks() {
        int size = 3 * 1024 * 1024 + 17;
        byte[] value = new byte[size];
        for (int i = 0; i < size; i++) {
            value[i] = (byte) (i * 31);
        }
        feed(b("*2\r\n$4\r\nECHO\r\n$" + size + "\r\n"));
        int chunk = 100_000;
        List<Object> out = new ArrayList<>();
        for (int off = 0; off < size; off += chunk) {
            out.addAll(feed(java.util.Arrays.copyOfRange(value, off, Math.min(size, off + chunk))));
        }
        assertTrue(out.isEmpty(), "no command before the trailing CRLF");
        out.addAll(feed(b("\r\n")));
        assertEquals(1, out.size());
        assertArrayEquals(value, ((byte[][]) out.get(0))[1]);
    }

    @Test
    void inlineCommands() {
        List<Object> out = feed(b("PING\r\nSET a b\r\n  get   a \r\nECHO 'it''s'\r\nPING\n\r\n"));
        // "ECHO 'it''s'" is unbalanced in Redis: a closing quote must be followed by a space.
        assertEquals(List.of("PING"), args(out.get(0)));
        assertEquals(List.of("SET", "a", "b"), args(out.get(1)));
        assertEquals(List.of("get", "a"), args(out.get(2)));
        assertEquals("Protocol error: unbalanced quotes in request", protocolError(out.get(3)));
        assertEquals(4, out.size(), "nothing after a protocol error");
    }

    @Test
    void inlineWithBareLineFeedAndQuotes() {
        List<Object> out = feed(b("PING\nECHO \"a\\tb\\x41\\\"\" 'c\\'d'\nSET k \"\"\n"));
        assertEquals(List.of("PING"), args(out.get(0)));
        assertEquals(List.of("ECHO", "a\tbA\"", "c'd"), args(out.get(1)));
        assertEquals(List.of("SET", "k", ""), args(out.get(2)));
    }

    @Test
    void emptyRequestsAreSkipped() {
        List<Object> out = feed(b("\r\n*0\r\n*-1\r\n   \r\n*1\r\n$4\r\nPING\r\n"));
        assertEquals(1, out.size());
        assertEquals(List.of("PING"), args(out.get(0)));
    }

    @Test
    void bytesAfterABulkAreSkippedUnchecked() {
        // Redis does not look at the two bytes after bulk data.
        List<Object> out = feed(b("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n"));
        assertEquals(2, out.size());
    }

    @Test
    void protocolErrorsMatchRedis() {
        assertEquals("Protocol error: invalid bulk length", firstError("*1\r\n$x\r\n"));
        assertEquals("Protocol error: invalid bulk length", firstError("*1\r\n$-1\r\n"));
        assertEquals("Protocol error: invalid multibulk length", firstError("*x\r\n"));
        assertEquals("Protocol error: invalid multibulk length", firstError("*3000000000\r\n"));
        assertEquals("Protocol error: invalid multibulk length", firstError("*01\r\n"));
        assertEquals("Protocol error: expected '$', got '+'", firstError("*1\r\n+foo\r\n"));
        assertEquals("Protocol error: unbalanced quotes in request", firstError("ECHO \"a\r\n"));
    }

    private String firstError(String input) {
        EmbeddedChannel c = new EmbeddedChannel(new RespDecoder(new TestLimits()));
        c.writeInbound(Unpooled.wrappedBuffer(b(input + "*1\r\n$4\r\nPING\r\n")));
        Object o = c.readInbound();
        assertNull(c.readInbound(), "input after a protocol error is discarded");
        return protocolError(o);
    }

    @Test
    void afterAProtocolErrorEverythingIsDiscarded() {
        List<Object> out = feed(b("*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n"));
        assertEquals(2, out.size());
        assertEquals(List.of("PING"), args(out.get(0)));
        protocolError(out.get(1));
        assertTrue(feed(b("*1\r\n$4\r\nPING\r\n")).isEmpty());
    }

    @Test
    void bulkLongerThanTheLimitIsRefusedBeforeItsData() {
        limits.maxBulk = 10;
        List<Object> out = feed(b("*2\r\n$4\r\nECHO\r\n$11\r\n"));
        assertEquals("Protocol error: invalid bulk length", protocolError(out.get(0)));
        limits.maxBulk = 11;
        EmbeddedChannel ok = new EmbeddedChannel(new RespDecoder(limits));
        ok.writeInbound(Unpooled.wrappedBuffer(b("*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\n")));
        assertEquals(List.of("ECHO", "hello world"), args(ok.readInbound()));
    }

    @Test
    void multibulkLongerThanTheLimitIsRefused() {
        limits.maxMultibulk = 3;
        assertEquals("Protocol error: invalid multibulk length", protocolError(feed(b("*4\r\n")).get(0)));
    }

    @Test
    void hugeAnnouncedCountsAllocateNothingUpFront() {
        // A client announcing a million arguments or a 500 MB bulk gets no big allocation until data arrives.
        assertTrue(feed(b("*1000000\r\n$4\r\nPING\r\n")).isEmpty());
        assertTrue(feed(b("$500000000\r\nabc")).isEmpty());
        RespDecoder d = (RespDecoder) ch.pipeline().first();
        assertEquals(4 + 3, d.bufferedBytes());
    }

    @Test
    void lengthLinesAreBounded() {
        byte[] junk = new byte[RespDecoder.INLINE_MAX + 1];
        java.util.Arrays.fill(junk, (byte) '1');
        List<Object> out = feed(concat(b("*"), junk));
        assertEquals("Protocol error: too big mbulk count string", protocolError(out.get(0)));

        EmbeddedChannel c = new EmbeddedChannel(new RespDecoder(new TestLimits()));
        c.writeInbound(Unpooled.wrappedBuffer(concat(b("*1\r\n$"), junk)));
        assertEquals("Protocol error: too big bulk count string", protocolError(c.readInbound()));

        EmbeddedChannel i = new EmbeddedChannel(new RespDecoder(new TestLimits()));
        i.writeInbound(Unpooled.wrappedBuffer(concat(b("PING "), junk)));
        assertEquals("Protocol error: too big inline request", protocolError(i.readInbound()));
    }

    @Test
    void unauthenticatedClientsGetTightLimits() {
        limits.authRequired = true;
        assertEquals("Protocol error: unauthenticated multibulk length", protocolError(feed(b("*11\r\n")).get(0)));
        EmbeddedChannel c = new EmbeddedChannel(new RespDecoder(limits));
        c.writeInbound(Unpooled.wrappedBuffer(b("*2\r\n$4\r\nAUTH\r\n$16385\r\n")));
        assertEquals("Protocol error: unauthenticated bulk length", protocolError(c.readInbound()));
        EmbeddedChannel ok = new EmbeddedChannel(new RespDecoder(limits));
        ok.writeInbound(Unpooled.wrappedBuffer(b("*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n")));
        assertEquals(List.of("AUTH", "secret"), args(ok.readInbound()));
    }

    @Test
    void queryBufferLimitClosesWithoutAReply() {
        limits.queryLimit = 1000;
        assertTrue(feed(b("*2\r\n$3\r\nSET\r\n$2000\r\n")).isEmpty());
        List<Object> out = feed(new byte[600]);
        assertTrue(out.isEmpty());
        out = feed(new byte[600]);
        assertEquals(1, out.size());
        assertNull(protocolError(out.get(0)));
    }

    @Test
    void garbageBytesEndInAProtocolError() {
        java.util.Random r = new java.util.Random(42);
        for (int round = 0; round < 200; round++) {
            byte[] junk = new byte[200];
            r.nextBytes(junk);
            junk[0] = '*';
            EmbeddedChannel c = new EmbeddedChannel(new RespDecoder(new TestLimits()));
            c.writeInbound(Unpooled.wrappedBuffer(junk));
            Object o;
            int errors = 0;
            while ((o = c.readInbound()) != null) {
                if (o instanceof ProtocolError) {
                    errors++;
                }
            }
            assertTrue(errors <= 1, "at most one protocol error");
            c.finishAndReleaseAll();
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void fastPathAndStateMachineAgreeOnRandomStreams() {
        java.util.Random r = new java.util.Random(7);
        for (int round = 0; round < 300; round++) {
            java.io.ByteArrayOutputStream stream = new java.io.ByteArrayOutputStream();
            int commands = 1 + r.nextInt(40);
            for (int c = 0; c < commands; c++) {
                stream.writeBytes(randomRequest(r));
            }
            byte[] bytes = stream.toByteArray();
            TestLimits l = new TestLimits();
            l.maxBulk = 2000;
            l.maxMultibulk = 12;
            List<String> fast = decodeAll(new RespDecoder(l, true), bytes, r.nextLong());
            List<String> slow = decodeAll(new RespDecoder(l, false), bytes, r.nextLong());
            assertEquals(slow, fast, "round " + round);
        }
    }

    /** Mostly well-formed requests, some with the oddities Redis's parser has rules for. */
    private static byte[] randomRequest(java.util.Random r) {
        int kind = r.nextInt(20);
        if (kind == 0) {
            return b("PING " + r.nextInt(100) + "\r\n");
        }
        if (kind == 1) {
            String[] odd = {"*0\r\n", "*-1\r\n", "*01\r\n$1\r\nx\r\n", "*1\r\n$01\r\nx\r\n",
                    "*1\r\n$-1\r\n", "*1\r\n+x\r\n", "*13\r\n", "*1\r\n$2001\r\n", "*1\r\n$1\r\nxAB",
                    "*1\r\n$3\r\nabc\n\n", "*99999999999999999999\r\n"};
            return b(odd[r.nextInt(odd.length)]);
        }
        int argc = 1 + r.nextInt(5);
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.writeBytes(b("*" + argc + "\r\n"));
        for (int i = 0; i < argc; i++) {
            int len = r.nextInt(10) == 0 ? r.nextInt(1900) : r.nextInt(12);
            byte[] arg = new byte[len];
            r.nextBytes(arg);
            b.writeBytes(b("$" + len + "\r\n"));
            b.writeBytes(arg);
            b.writeBytes(b("\r\n"));
        }
        return b.toByteArray();
    }

    /** Decodes in random chunks; commands as their argument bytes, errors as their text. */
    private static List<String> decodeAll(RespDecoder decoder, byte[] bytes, long seed) {
        java.util.Random r = new java.util.Random(seed);
        EmbeddedChannel c = new EmbeddedChannel(decoder);
        List<String> got = new ArrayList<>();
        int off = 0;
        while (off < bytes.length) {
            int n = Math.min(bytes.length - off, 1 + r.nextInt(r.nextBoolean() ? 64 : 40_000));
            c.writeInbound(Unpooled.wrappedBuffer(bytes, off, n));
            off += n;
            Object o;
            while ((o = c.readInbound()) != null) {
                if (o instanceof ProtocolError e) {
                    got.add("error: " + e.message());
                } else {
                    got.add(String.join(" | ", args(o)));
                }
            }
        }
        c.finishAndReleaseAll();
        return got;
    }
}
