package io.cairn.raft.codec;

import io.cairn.api.service.CommandService;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary format of a Raft log entry (and of a read-only query): a batch of {@link Command}s.
 *
 * <pre>
 * entry   = magic:u8 (0xCA) format:u8 (1) count:varint command{count}
 * command = kind:u8 nowMillis:i64 version:i64 body
 *   EXECUTE     body = argv
 *   EXEC        body = ncommands:varint argv{ncommands} nwatches:varint (key:bytes token:i64){nwatches}
 *   PURGE       body = limit:varint
 *   WATCH_TOKEN body = key:bytes                       (queries only)
 * argv    = argc:varint bytes{argc}
 * bytes   = length:varint u8{length}
 * </pre>
 * Integers are big-endian; varints are unsigned LEB128 of a non-negative int. The format byte
 * lets a later release add kinds or fields: decoders refuse formats they do not know rather than
 * guessing, so a mixed-version cluster fails loudly instead of diverging.
 *
 * <p>No checksum: the Raft log already checksums every entry, and gRPC frames are checked by TCP
 * and HTTP/2. Decoding is still strict (every length checked against the bytes left, no trailing
 * bytes) so corruption surfaces as {@link CorruptEntryException} naming the offset.
 */
public final class CommandCodec {
    public static final int MAGIC = 0xCA;
    public static final int FORMAT = 1;
    /** Most commands in one entry; the batcher's own limit must be at most this. */
    public static final int MAX_BATCH = 1 << 16;

    static final int EXECUTE = 1, EXEC = 2, PURGE = 3, WATCH_TOKEN = 4;

    private CommandCodec() {}

    public static byte[] encode(List<? extends Command> batch) {
        if (batch.isEmpty() || batch.size() > MAX_BATCH) {
            throw new IllegalArgumentException("a batch holds 1.." + MAX_BATCH + " commands, got " + batch.size());
        }
        Writer w = new Writer(estimate(batch));
        w.u8(MAGIC);
        w.u8(FORMAT);
        w.varint(batch.size());
        for (Command c : batch) {
            switch (c) {
                case Command.Execute e -> {
                    header(w, EXECUTE, e);
                    argv(w, e.argv());
                }
                case Command.Exec e -> {
                    header(w, EXEC, e);
                    w.varint(e.commands().size());
                    for (byte[][] argv : e.commands()) {
                        argv(w, argv);
                    }
                    w.varint(e.watches().size());
                    for (CommandService.Watch watch : e.watches()) {
                        w.bytes(watch.key());
                        w.i64(watch.token());
                    }
                }
                case Command.Purge p -> {
                    if (p.limit() < 1) {
                        throw new IllegalArgumentException("purge limit must be positive, got " + p.limit());
                    }
                    header(w, PURGE, p);
                    w.varint(p.limit());
                }
                case Command.WatchToken t -> {
                    header(w, WATCH_TOKEN, t);
                    w.bytes(t.key());
                }
            }
        }
        return w.toByteArray();
    }

    public static byte[] encode(Command single) {
        return encode(List.of(single));
    }

    public static List<Command> decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }

    public static List<Command> decode(byte[] bytes, int offset, int length) {
        Reader r = new Reader(bytes, offset, length, "command entry");
        int magic = r.u8();
        if (magic != MAGIC) {
            throw r.corrupt("bad magic 0x" + Integer.toHexString(magic) + ", expected 0xca");
        }
        int format = r.u8();
        if (format != FORMAT) {
            throw r.corrupt("unknown format " + format + " (this build reads format " + FORMAT + ")");
        }
        // Each command takes at least 17 bytes: bounds the list allocation by the input size.
        int count = r.varint(Math.min(MAX_BATCH, r.remaining() / 17), "command count");
        if (count == 0) {
            throw r.corrupt("empty batch");
        }
        List<Command> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int kind = r.u8();
            long now = r.i64();
            long version = r.i64();
            out.add(switch (kind) {
                case EXECUTE -> new Command.Execute(argv(r), now, version);
                case EXEC -> {
                    int n = r.varint(r.remaining(), "exec command count");
                    List<byte[][]> commands = new ArrayList<>(n);
                    for (int j = 0; j < n; j++) {
                        commands.add(argv(r));
                    }
                    int nw = r.varint(r.remaining() / 9, "watch count");
                    List<CommandService.Watch> watches = new ArrayList<>(nw);
                    for (int j = 0; j < nw; j++) {
                        byte[] key = r.bytes(r.remaining(), "watch key");
                        watches.add(new CommandService.Watch(key, r.i64()));
                    }
                    yield new Command.Exec(commands, watches, now, version);
                }
                case PURGE -> {
                    int limit = r.varint(Integer.MAX_VALUE, "purge limit");
                    if (limit < 1) {
                        throw r.corrupt("purge limit must be positive");
                    }
                    yield new Command.Purge(limit, now, version);
                }
                case WATCH_TOKEN -> new Command.WatchToken(r.bytes(r.remaining(), "watch key"), now);
                default -> throw r.corrupt("unknown command kind " + kind);
            });
        }
        r.expectEnd();
        return out;
    }

    private static void header(Writer w, int kind, Command c) {
        w.u8(kind);
        w.i64(c.nowMillis());
        w.i64(c.version());
    }

    private static void argv(Writer w, byte[][] argv) {
        w.varint(argv.length);
        for (byte[] a : argv) {
            w.bytes(a);
        }
    }

    private static byte[][] argv(Reader r) {
        int argc = r.varint(r.remaining(), "argc");
        byte[][] argv = new byte[argc][];
        for (int i = 0; i < argc; i++) {
            argv[i] = r.bytes(r.remaining(), "argument");
        }
        return argv;
    }

    private static int estimate(List<? extends Command> batch) {
        long n = 8;
        for (Command c : batch) {
            n += 24;
            if (c instanceof Command.Execute e) {
                for (byte[] a : e.argv()) {
                    n += a.length + 2;
                }
            } else {
                n += 64;
            }
        }
        return (int) Math.min(n, 1 << 20);
    }
}
