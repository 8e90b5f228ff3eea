package io.cairn.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.Arrays;
import java.util.List;

/**
 * Turns the bytes a client sends into commands ({@code byte[][]}, argv[0] is the name), following
 * Redis's request parser ({@code processMultibulkBuffer} / {@code processInlineBuffer} in
 * networking.c) byte for byte: a request starting with '*' is a multibulk array of '$' bulk
 * strings, anything else is an inline command line ending in LF (optionally CR LF).
 *
 * <p>Why not netty-codec-redis's RedisDecoder and aggregators: measured on this machine they cost
 * about 385 ns per pipelined SET against under 150 ns here (they emit seven messages and several
 * retained slices per command, then aggregate each bulk through a CompositeByteBuf); the decoder's
 * bulk limit is fixed at 512 MiB and its length lines are unbounded; it cannot apply Redis's
 * tighter limits before AUTH; and inline commands ending in a bare LF, which Redis accepts, fail
 * there. Tests still use it, as an independent parser of what this server writes.
 *
 * <p>Two paths: complete, well-formed multibulk commands are cut out of a heap copy of the input
 * in bulk ({@link #decodeWholeCommands}); everything else goes through a one-command-at-a-time
 * state machine that follows Redis's rules and error texts. While the client must still
 * authenticate, only the state machine runs, one command per {@link #decode} call, so the handler
 * sees AUTH before the next command's limits are checked (Redis's "unauthenticated" limits).
 *
 * <p>Errors produce a {@link ProtocolError} after the commands before it; the decoder then
 * discards everything else the connection sends, and the handler closes after replying.
 */
final class RespDecoder extends ByteToMessageDecoder {
    /** Redis's PROTO_INLINE_MAX_SIZE: longest inline command and longest length line. */
    static final int INLINE_MAX = 64 * 1024;
    /** Redis: before AUTH a command may have at most this many arguments... */
    static final int UNAUTHENTICATED_MAX_MULTIBULK = 10;
    /** ...each at most this long. */
    static final int UNAUTHENTICATED_MAX_BULK = 16 * 1024;
    /** Initial argv capacity; grown as arguments arrive, never preallocated from a client's count. */
    private static final int INITIAL_ARGV = 16;
    /** Bulk buffers start at most this big and double as data arrives, never preallocated in full. */
    private static final int INITIAL_BULK_CHUNK = 64 * 1024;

    /** What the decoder needs to know about its connection. */
    interface Limits {
        int maxBulkBytes();

        int maxMultibulkLength();

        long queryBufferLimitBytes();

        /** True while the connection must authenticate before running commands. */
        boolean authRequired();

        /** Bytes arrived from the network (INFO's total_net_input_bytes). */
        default void bytesReceived(int bytes) {}
    }

    private final Limits limits;
    /** False only in tests that compare the fast path against the state machine alone. */
    private final boolean fastPath;

    private boolean failed;
    /** Current multibulk command: its arguments so far, or null between commands. */
    private byte[][] argv;
    private int argc;
    private int expectedArgs;
    /** Bytes of completed arguments of the current command, for the query buffer limit. */
    private long argBytes;
    /** Current bulk: -1 while reading its length line. */
    private int bulkLength = -1;
    private byte[] bulk;
    private int bulkFilled;

    // Result of readLengthLine.
    private static final int LINE_OK = 0;
    private static final int NO_LINE = 1;
    private static final int NEED_LF = 2;
    private int lineStatus;
    private long lineValue;
    private int lineEnd;
    /** The start of a length line, copied out in one go: type byte, up to 19 digits, CR. */
    private final byte[] line = new byte[21];

    RespDecoder(Limits limits) {
        this(limits, true);
    }

    RespDecoder(Limits limits, boolean fastPath) {
        this.limits = limits;
        this.fastPath = fastPath;
    }

    /**
     * Reads a length line "Xdigits\r" (X is the type byte at {@code start}) into lineValue/lineEnd,
     * {@link RespNumbers#INVALID} for anything string2ll refuses. False, with lineStatus saying
     * why, while the line (or the byte after its CR, which Redis also waits for) is incomplete.
     */
    private boolean readLengthLine(ByteBuf in, int start) {
        int w = in.writerIndex();
        int n = Math.min(w - start, line.length);
        in.getBytes(start, line, 0, n);
        // Fast path: the usual "*3\r" / "$16\r": plain digits, no leading zero, at most 18 of them.
        long value = 0;
        int i = 1;
        while (i < n && i <= 18) {
            int d = line[i] - '0';
            if (d < 0 || d > 9) {
                break;
            }
            value = value * 10 + d;
            i++;
        }
        int cr;
        if (i < n && line[i] == '\r' && i > 1 && (i == 2 || line[1] != '0')) {
            cr = start + i;
        } else {
            // Anything unusual (sign, leading zero, 19+ digits, junk, no CR yet): Redis's exact rules.
            cr = in.indexOf(start, w, (byte) '\r');
            if (cr < 0) {
                lineStatus = NO_LINE;
                return false;
            }
            value = cr + 1 < w ? RespNumbers.parseLong(in, start + 1, cr) : 0;
        }
        if (cr + 1 >= w) {
            lineStatus = NEED_LF;
            return false;
        }
        lineStatus = LINE_OK;
        lineEnd = cr;
        lineValue = value;
        return true;
    }

    /** Bytes received but not yet part of a complete command (CLIENT LIST's qbuf). */
    long bufferedBytes() {
        return argBytes + bulkFilled + actualReadableBytes();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof ByteBuf b) {
            limits.bytesReceived(b.readableBytes());
        }
        super.channelRead(ctx, msg);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (fastPath && argv == null && !limits.authRequired() && decodeWholeCommands(in, out)) {
            return;
        }
        if (argv == null) {
            if (!in.isReadable()) {
                return;
            }
            if (in.getByte(in.readerIndex()) != '*') {
                decodeInline(in, out);
                return;
            }
            if (!decodeMultibulkLength(in, out)) {
                return;
            }
        }
        decodeArguments(in, out);
    }

    /** Per-thread copy of the input for {@link #decodeWholeCommands}; no connection keeps data in it. */
    private static final FastThreadLocal<byte[]> WINDOW = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[WINDOW_SIZE];
        }
    };
    static final int WINDOW_SIZE = 16 * 1024;

    /**
     * Fast path for the common case, pipelined multibulk commands that are complete in the buffer:
     * copy the input to a heap window once and cut every complete, well-formed command out of it
     * with plain array reads (ByteBuf accessors check bounds and reference counts per call).
     * Whatever this path does not handle (inline commands, partial commands, bulks bigger than the
     * window, anything the limits or Redis's number rules refuse) is left to the one-command state
     * machine below, which produces the exact errors. Returns true if it emitted commands.
     */
    private boolean decodeWholeCommands(ByteBuf in, List<Object> out) {
        byte[] w = WINDOW.get();
        boolean emitted = false;
        while (true) {
            int avail = in.readableBytes();
            if (avail < 4) {
                return emitted;
            }
            int n = Math.min(avail, w.length);
            in.getBytes(in.readerIndex(), w, 0, n);
            int pos = 0;
            int end;
            while (pos < n && (end = wholeCommand(w, pos, n, out)) > 0) {
                pos = end;
                emitted = true;
            }
            in.skipBytes(pos);
            if (pos < n || n == avail) {
                return emitted; // the rest is partial or unusual, or everything is consumed
            }
        }
    }

    /** One complete multibulk command in {@code w[pos, n)}: emits it and returns its end, else -1. */
    private int wholeCommand(byte[] w, int pos, int n, List<Object> out) {
        if (w[pos] != '*') {
            return -1;
        }
        long count = windowLength(w, pos, n);
        if (count <= 0 || count > limits.maxMultibulkLength()) {
            return -1;
        }
        int p = lineEnd + 2;
        int argc = (int) count;
        if (argc > n - p) {
            return -1; // each argument takes at least four bytes: cannot be complete in the window
        }
        byte[][] args = new byte[argc][];
        int maxBulk = limits.maxBulkBytes();
        for (int i = 0; i < argc; i++) {
            if (p >= n || w[p] != '$') {
                return -1;
            }
            long len = windowLength(w, p, n);
            if (len < 0 || len > maxBulk) {
                return -1;
            }
            int data = lineEnd + 2;
            if (data + len + 2 > n) {
                return -1;
            }
            args[i] = Arrays.copyOfRange(w, data, data + (int) len);
            p = data + (int) len + 2; // the two bytes after the data are skipped unchecked, as Redis does
        }
        out.add(args);
        return p;
    }

    /**
     * A length line at {@code w[pos]} made of plain digits (no sign, no leading zero, at most 18)
     * and CR, followed by one more byte; sets {@link #lineEnd} to the CR. -1 for anything else.
     */
    private long windowLength(byte[] w, int pos, int n) {
        long value = 0;
        int i = pos + 1;
        int limit = Math.min(n, pos + 19);
        while (i < limit) {
            int d = w[i] - '0';
            if (d < 0 || d > 9) {
                break;
            }
            value = value * 10 + d;
            i++;
        }
        if (i == pos + 1 || i + 1 >= n || w[i] != '\r' || (w[pos + 1] == '0' && i > pos + 2)) {
            return -1;
        }
        lineEnd = i;
        return value;
    }

    private void decodeInline(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int lf = in.indexOf(start, in.writerIndex(), (byte) '\n');
        if (lf < 0) {
            if (in.readableBytes() > INLINE_MAX) {
                fail(in, out, "Protocol error: too big inline request");
            }
            return;
        }
        int end = lf > start && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
        byte[] line = new byte[end - start];
        in.getBytes(start, line);
        in.readerIndex(lf + 1);
        byte[][] args = InlineParser.split(line);
        if (args == null) {
            fail(in, out, "Protocol error: unbalanced quotes in request");
            return;
        }
        if (args.length > 0) {
            out.add(args);
        }
    }

    /** Reads "*N\r\n"; true if a command with arguments follows. */
    private boolean decodeMultibulkLength(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        if (!readLengthLine(in, start)) {
            if (lineStatus == NO_LINE && in.readableBytes() > INLINE_MAX) {
                fail(in, out, "Protocol error: too big mbulk count string");
            }
            return false;
        }
        int cr = lineEnd;
        long n = lineValue;
        if (n == RespNumbers.INVALID || n > limits.maxMultibulkLength()) {
            fail(in, out, "Protocol error: invalid multibulk length");
            return false;
        }
        if (n > UNAUTHENTICATED_MAX_MULTIBULK && limits.authRequired()) {
            fail(in, out, "Protocol error: unauthenticated multibulk length");
            return false;
        }
        in.readerIndex(cr + 2);
        if (n <= 0) {
            return false; // "*0" and "*-1" are empty requests: nothing to run
        }
        expectedArgs = (int) n;
        argv = new byte[Math.min(expectedArgs, INITIAL_ARGV)][];
        argc = 0;
        argBytes = 0;
        return true;
    }

    private void decodeArguments(ByteBuf in, List<Object> out) {
        while (argc < expectedArgs) {
            if (bulkLength < 0 && !decodeBulkLength(in, out)) {
                checkQueryBuffer(in, out);
                return;
            }
            if (!decodeBulkBody(in)) {
                checkQueryBuffer(in, out);
                return;
            }
        }
        byte[][] command = argv.length == argc ? argv : Arrays.copyOf(argv, argc);
        argv = null;
        argBytes = 0;
        out.add(command);
    }

    private boolean decodeBulkLength(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        if (!readLengthLine(in, start)) {
            if (lineStatus == NO_LINE && in.readableBytes() > INLINE_MAX) {
                fail(in, out, "Protocol error: too big bulk count string");
            }
            return false;
        }
        int cr = lineEnd;
        byte type = in.getByte(start);
        if (type != '$') {
            fail(in, out, "Protocol error: expected '$', got '" + (char) (type & 0xff) + "'");
            return false;
        }
        long n = lineValue;
        if (n < 0 || n > limits.maxBulkBytes()) { // INVALID is negative too
            fail(in, out, "Protocol error: invalid bulk length");
            return false;
        }
        if (n > UNAUTHENTICATED_MAX_BULK && limits.authRequired()) {
            fail(in, out, "Protocol error: unauthenticated bulk length");
            return false;
        }
        in.readerIndex(cr + 2);
        bulkLength = (int) n;
        bulk = new byte[Math.min(bulkLength, INITIAL_BULK_CHUNK)];
        bulkFilled = 0;
        return true;
    }

    /** Copies what has arrived of the current bulk; true once it and its trailing two bytes are in. */
    private boolean decodeBulkBody(ByteBuf in) {
        int wanted = bulkLength - bulkFilled;
        if (wanted > 0) {
            int n = Math.min(wanted, in.readableBytes());
            if (bulkFilled + n > bulk.length) {
                bulk = Arrays.copyOf(bulk, (int) Math.min(bulkLength, Math.max(2L * bulk.length, bulkFilled + n)));
            }
            in.readBytes(bulk, bulkFilled, n);
            bulkFilled += n;
            if (bulkFilled < bulkLength) {
                return false;
            }
        }
        // Redis skips the two bytes after the data without looking at them; so do we.
        if (in.readableBytes() < 2) {
            return false;
        }
        in.skipBytes(2);
        assert bulk.length == bulkLength : "bulk buffer grows to exactly the announced length";
        if (argc == argv.length) {
            argv = Arrays.copyOf(argv, (int) Math.min(expectedArgs, 2L * argv.length));
        }
        argv[argc++] = bulk;
        argBytes += bulkLength;
        bulk = null;
        bulkLength = -1;
        bulkFilled = 0;
        return true;
    }

    /** Redis closes a client whose unparsed input exceeds client-query-buffer-limit, without a reply. */
    private void checkQueryBuffer(ByteBuf in, List<Object> out) {
        if (argBytes + bulkFilled + in.readableBytes() > limits.queryBufferLimitBytes()) {
            fail(in, out, ProtocolError.QUERY_BUFFER_LIMIT);
        }
    }

    private void fail(ByteBuf in, List<Object> out, String message) {
        fail(in, out, new ProtocolError(message));
    }

    /** Emits the error and drops all input: nothing after a protocol error is ever run. */
    private void fail(ByteBuf in, List<Object> out, ProtocolError error) {
        failed = true;
        release();
        in.skipBytes(in.readableBytes());
        out.add(error);
    }

    private void release() {
        argv = null;
        bulk = null;
        argBytes = 0;
        bulkFilled = 0;
        bulkLength = -1;
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        // A half-sent command at disconnect is dropped, as Redis does; complete ones still run.
        if (in.isReadable()) {
            decode(ctx, in, out);
        }
    }
}
