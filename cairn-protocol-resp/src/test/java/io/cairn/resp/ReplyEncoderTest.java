package io.cairn.resp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.cairn.api.reply.Reply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisArrayAggregator;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.SimpleStringRedisMessage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplyEncoderTest {

    private static String enc(Reply r, boolean resp3) {
        ByteBuf b = Unpooled.buffer();
        ReplyEncoder.encode(r, b, resp3);
        String s = b.toString(StandardCharsets.UTF_8);
        b.release();
        return s;
    }

    private static void both(Reply r, String resp2, String resp3) {
        assertEquals(resp2, enc(r, false), "RESP2");
        assertEquals(resp3, enc(r, true), "RESP3");
    }

    @Test
    void scalars() {
        both(Reply.OK, "+OK\r\n", "+OK\r\n");
        both(Reply.PONG, "+PONG\r\n", "+PONG\r\n");
        both(new Reply.Simple("RESET"), "+RESET\r\n", "+RESET\r\n");
        both(Reply.err("syntax error"), "-ERR syntax error\r\n", "-ERR syntax error\r\n");
        both(Reply.integer(0), ":0\r\n", ":0\r\n");
        both(Reply.integer(1023), ":1023\r\n", ":1023\r\n");
        both(Reply.integer(1024), ":1024\r\n", ":1024\r\n");
        both(Reply.integer(-7), ":-7\r\n", ":-7\r\n");
        both(Reply.integer(Long.MIN_VALUE), ":-9223372036854775808\r\n", ":-9223372036854775808\r\n");
        both(Reply.integer(Long.MAX_VALUE), ":9223372036854775807\r\n", ":9223372036854775807\r\n");
        both(Reply.bulk(""), "$0\r\n\r\n", "$0\r\n\r\n");
        both(Reply.bulk("héllo"), "$6\r\nhéllo\r\n", "$6\r\nhéllo\r\n");
        both(Reply.Null.BULK, "$-1\r\n", "_\r\n");
        both(Reply.Null.ARRAY, "*-1\r\n", "_\r\n");
    }

    @Test
    void largeBulkHeader() {
        byte[] v = new byte[100_000];
        String s = enc(Reply.bulk(v), false);
        assertEquals("$100000\r\n", s.substring(0, 9));
        assertEquals(9 + 100_000 + 2, s.length());
    }

    @Test
    void resp3ShapesDowngradeForResp2() {
        Reply map = new Reply.MapReply(List.of(Reply.bulk("a"), Reply.integer(1)));
        both(map, "*2\r\n$1\r\na\r\n:1\r\n", "%1\r\n$1\r\na\r\n:1\r\n");
        both(new Reply.SetReply(List.of(Reply.bulk("x"))), "*1\r\n$1\r\nx\r\n", "~1\r\n$1\r\nx\r\n");
        both(new Reply.BoolReply(true), ":1\r\n", "#t\r\n");
        both(new Reply.BoolReply(false), ":0\r\n", "#f\r\n");
        both(new Reply.DoubleReply(1.5), "$3\r\n1.5\r\n", ",1.5\r\n");
        both(new Reply.Verbatim("txt", "a\nb"), "$3\r\na\nb\r\n", "=7\r\ntxt:a\nb\r\n");
        both(Reply.array(List.of()), "*0\r\n", "*0\r\n");
        both(Reply.array(List.of(Reply.Null.BULK, Reply.array(List.of(Reply.OK)))), "*2\r\n$-1\r\n*1\r\n+OK\r\n",
                "*2\r\n_\r\n*1\r\n+OK\r\n");
    }

    @Test
    void statusAndErrorLinesCannotBreakFraming() {
        both(Reply.err("bad\r\nthing"), "-ERR bad  thing\r\n", "-ERR bad  thing\r\n");
        both(new Reply.Simple("a\nb"), "+a b\r\n", "+a b\r\n");
    }

    @Test
    void doublesFormatLikeRedis() {
        // Expected texts are what Redis 7.2's d2string prints.
        assertEquals("0", ReplyEncoder.formatDouble(0.0));
        assertEquals("-0", ReplyEncoder.formatDouble(-0.0));
        assertEquals("inf", ReplyEncoder.formatDouble(Double.POSITIVE_INFINITY));
        assertEquals("-inf", ReplyEncoder.formatDouble(Double.NEGATIVE_INFINITY));
        assertEquals("nan", ReplyEncoder.formatDouble(Double.NaN));
        assertEquals("3", ReplyEncoder.formatDouble(3.0));
        assertEquals("-12345678", ReplyEncoder.formatDouble(-12345678.0));
        assertEquals("1.5", ReplyEncoder.formatDouble(1.5));
        assertEquals("0.1", ReplyEncoder.formatDouble(0.1));
        assertEquals("3.14159", ReplyEncoder.formatDouble(3.14159));
        assertEquals("0.0001", ReplyEncoder.formatDouble(0.0001));
        assertEquals("1e-7", ReplyEncoder.formatDouble(1e-7));
        assertEquals("1.2345e-10", ReplyEncoder.formatDouble(1.2345e-10));
        assertEquals("1e+300", ReplyEncoder.formatDouble(1e300));
        assertEquals("-1.5e+300", ReplyEncoder.formatDouble(-1.5e300));
        assertEquals("4611686018427387904", ReplyEncoder.formatDouble(4.611686018427387904E18));
        assertEquals("1e+19", ReplyEncoder.formatDouble(1e19));
        assertEquals("1.7976931348623157e+308", ReplyEncoder.formatDouble(Double.MAX_VALUE));
    }

    @Test
    void resp2OutputParsesWithNettysIndependentDecoder() {
        Reply r = Reply.array(List.of(Reply.bulk("k"), Reply.integer(42), Reply.OK,
                new Reply.MapReply(List.of(Reply.bulk("f"), new Reply.DoubleReply(2.5)))));
        ByteBuf b = Unpooled.buffer();
        ReplyEncoder.encode(r, b, false);
        EmbeddedChannel ch = new EmbeddedChannel(new RedisDecoder(), new RedisBulkStringAggregator(),
                new RedisArrayAggregator(16, 16));
        ch.writeInbound(b);
        ArrayRedisMessage top = assertInstanceOf(ArrayRedisMessage.class, ch.readInbound());
        assertEquals(4, top.children().size());
        assertEquals("k", ((FullBulkStringRedisMessage) top.children().get(0)).content()
                .toString(StandardCharsets.UTF_8));
        assertEquals(42, ((IntegerRedisMessage) top.children().get(1)).value());
        assertEquals("OK", ((SimpleStringRedisMessage) top.children().get(2)).content());
        ArrayRedisMessage map = (ArrayRedisMessage) top.children().get(3);
        assertEquals("2.5", ((FullBulkStringRedisMessage) map.children().get(1)).content()
                .toString(StandardCharsets.UTF_8));
        top.release();
    }
}
