package io.cairn.resp;

import io.cairn.api.reply.Reply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes {@link Reply} values as RESP2 or RESP3 straight into an output buffer. RESP3-only shapes
 * downgrade for RESP2 clients as Redis does: maps flatten to arrays, sets become arrays, doubles
 * become bulk strings, booleans become integers 1/0, verbatim strings become bulk strings, and
 * the two RESP2 nulls ({@code $-1}, {@code *-1}) both become RESP3's {@code _}.
 *
 * <p>Status and error lines must not contain CR or LF; like Redis's addReplyErrorFormat, any
 * that slip in are replaced by spaces so a reply can never break the framing.
 */
final class ReplyEncoder {
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] OK = bytes("+OK\r\n");
    private static final byte[] PONG = bytes("+PONG\r\n");
    private static final byte[] QUEUED = bytes("+QUEUED\r\n");
    private static final byte[] NULL_BULK = bytes("$-1\r\n");
    private static final byte[] NULL_ARRAY = bytes("*-1\r\n");
    private static final byte[] NULL3 = bytes("_\r\n");
    private static final byte[] TRUE3 = bytes("#t\r\n");
    private static final byte[] FALSE3 = bytes("#f\r\n");
    /** ":0\r\n" .. ":1023\r\n" and "$0\r\n" .. "$1023\r\n": the common small integers and lengths. */
    private static final int SMALL = 1024;
    private static final byte[][] SMALL_INTS = new byte[SMALL][];
    private static final byte[][] BULK_HEADERS = new byte[SMALL][];

    static {
        for (int i = 0; i < SMALL; i++) {
            SMALL_INTS[i] = bytes(":" + i + "\r\n");
            BULK_HEADERS[i] = bytes("$" + i + "\r\n");
        }
    }

    private ReplyEncoder() {}

    static void encode(Reply reply, ByteBuf out, boolean resp3) {
        // Most frequent shapes first: the hot path of GET/SET/INCR avoids the type switch.
        if (reply instanceof Reply.Bulk b) {
            writeBulk(out, b.value());
        } else if (reply == Reply.OK) {
            out.writeBytes(OK);
        } else if (reply instanceof Reply.Int i) {
            writeInt(out, i.value());
        } else if (reply instanceof Reply.Null n) {
            out.writeBytes(resp3 ? NULL3 : n == Reply.Null.BULK ? NULL_BULK : NULL_ARRAY);
        } else {
            encodeOther(reply, out, resp3);
        }
    }

    private static void encodeOther(Reply reply, ByteBuf out, boolean resp3) {
        switch (reply) {
            case Reply.Simple s -> {
                if (s == Reply.PONG) {
                    out.writeBytes(PONG);
                } else if (s == Reply.QUEUED) {
                    out.writeBytes(QUEUED);
                } else {
                    writeLine(out, '+', s.text());
                }
            }
            case Reply.Error e -> writeLine(out, '-', e.text());
            case Reply.Array a -> {
                writeHeader(out, '*', a.items().size());
                writeAll(a.items(), out, resp3);
            }
            case Reply.MapReply m -> {
                List<Reply> entries = m.entries();
                if (resp3) {
                    writeHeader(out, '%', entries.size() / 2);
                } else {
                    writeHeader(out, '*', entries.size());
                }
                writeAll(entries, out, resp3);
            }
            case Reply.SetReply s -> {
                writeHeader(out, resp3 ? '~' : '*', s.items().size());
                writeAll(s.items(), out, resp3);
            }
            case Reply.DoubleReply d -> {
                String text = formatDouble(d.value());
                if (resp3) {
                    writeLine(out, ',', text);
                } else {
                    writeBulk(out, text.getBytes(StandardCharsets.US_ASCII));
                }
            }
            case Reply.BoolReply b -> {
                if (resp3) {
                    out.writeBytes(b.value() ? TRUE3 : FALSE3);
                } else {
                    out.writeBytes(b.value() ? SMALL_INTS[1] : SMALL_INTS[0]);
                }
            }
            case Reply.Verbatim v -> {
                byte[] text = v.text().getBytes(StandardCharsets.UTF_8);
                if (resp3) {
                    if (v.format().length() != 3) {
                        throw new IllegalArgumentException("verbatim format must be 3 characters: " + v.format());
                    }
                    writeHeader(out, '=', text.length + 4);
                    out.writeCharSequence(v.format(), StandardCharsets.US_ASCII);
                    out.writeByte(':');
                    out.writeBytes(text);
                    out.writeBytes(CRLF);
                } else {
                    writeBulk(out, text);
                }
            }
            case Reply.Bulk b -> writeBulk(out, b.value());
            case Reply.Int i -> writeInt(out, i.value());
            case Reply.Null n -> out.writeBytes(resp3 ? NULL3 : n == Reply.Null.BULK ? NULL_BULK : NULL_ARRAY);
        }
    }

    private static void writeAll(List<Reply> items, ByteBuf out, boolean resp3) {
        for (int i = 0, n = items.size(); i < n; i++) {
            encode(items.get(i), out, resp3);
        }
    }

    static void writeBulk(ByteBuf out, byte[] value) {
        int len = value.length;
        if (len < SMALL) {
            byte[] header = BULK_HEADERS[len];
            out.ensureWritable(header.length + len + 2);
            out.writeBytes(header);
        } else {
            out.ensureWritable(len + 16);
            writeHeader(out, '$', len);
        }
        out.writeBytes(value);
        out.writeBytes(CRLF);
    }

    static void writeInt(ByteBuf out, long v) {
        if (v >= 0 && v < SMALL) {
            out.writeBytes(SMALL_INTS[(int) v]);
        } else {
            out.writeByte(':');
            RespNumbers.writeLong(out, v);
            out.writeBytes(CRLF);
        }
    }

    private static void writeHeader(ByteBuf out, char type, long n) {
        out.writeByte(type);
        RespNumbers.writeLong(out, n);
        out.writeBytes(CRLF);
    }

    /** A status/error/double line; CR and LF inside become spaces (Redis's sanitizing). */
    private static void writeLine(ByteBuf out, char type, String text) {
        out.writeByte(type);
        if (text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0) {
            text = text.replace('\r', ' ').replace('\n', ' ');
        }
        ByteBufUtil.writeUtf8(out, text);
        out.writeBytes(CRLF);
    }

    /**
     * Redis's d2string (util.c, 7.2): "nan", "inf", "-inf", "-0", integers without a fraction when
     * exactly representable, otherwise the shortest round-trip digits laid out like fpconv_dtoa:
     * plain when the exponent is small, else d.ddde+XX.
     */
    static String formatDouble(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d < 0 ? "-inf" : "inf";
        }
        if (d == 0) {
            return 1.0 / d < 0 ? "-0" : "0";
        }
        if (d >= -(double) (Long.MAX_VALUE / 2) && d <= (double) (Long.MAX_VALUE / 2) && (long) d == d) {
            return Long.toString((long) d);
        }
        // Double.toString yields the shortest digits that round-trip (JDK 19+); re-lay them out.
        BigDecimal exact = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = exact.unscaledValue().toString();
        int ndigits = digits.length();
        int k = -exact.scale(); // value = digits * 10^k
        boolean neg = d < 0;
        StringBuilder sb = new StringBuilder(32);
        if (neg) {
            sb.append('-');
        }
        int exp = Math.abs(k + ndigits - 1);
        if (k >= 0 && exp < ndigits + 7) {
            sb.append(digits);
            sb.append("0".repeat(k));
            return sb.toString();
        }
        if (k < 0 && (k > -7 || exp < 4)) {
            int offset = ndigits - Math.abs(k);
            if (offset <= 0) {
                sb.append("0.").append("0".repeat(-offset)).append(digits);
            } else {
                sb.append(digits, 0, offset).append('.').append(digits, offset, ndigits);
            }
            return sb.toString();
        }
        int shown = Math.min(ndigits, 18 - (neg ? 1 : 0));
        sb.append(digits.charAt(0));
        if (shown > 1) {
            sb.append('.').append(digits, 1, shown);
        }
        sb.append('e').append(k + ndigits - 1 < 0 ? '-' : '+');
        int e = exp;
        if (e > 99) {
            sb.append((char) ('0' + e / 100));
            e %= 100;
            sb.append((char) ('0' + e / 10));
        } else if (e > 9) {
            sb.append((char) ('0' + e / 10));
        }
        sb.append((char) ('0' + e % 10));
        return sb.toString();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
