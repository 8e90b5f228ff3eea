package io.cairn.commands;

import io.cairn.api.command.CommandSpec;
import io.cairn.api.reply.Errors;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.commands.RedisNumbers.NotANumber;
import io.cairn.storage.Record;
import io.cairn.storage.ScanResult;
import io.cairn.storage.SlotHash;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageLimits;
import io.cairn.storage.WriteBatch;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Redis 7.0 data-command semantics over a {@link StorageEngine}, deterministic: the result of
 * {@link #execute} depends only on the engine's contents, the argv, {@code nowMillis} and
 * {@code version}. No wall clock, no unseeded randomness, no I/O outside the engine, so every
 * replica applying the same commands with the same {@code (nowMillis, version)} ends up with the
 * same state (the Raft leader will assign both at propose time).
 *
 * <ul>
 *   <li>Every write of one command (or of one EXEC block) is stamped with the same
 *       {@code version}, a positive HLC timestamp, and lands in the engine as one atomic batch.</li>
 *   <li>Relative expiries (EX, PX, EXPIRE, SETEX, ...) become absolute from {@code nowMillis}.</li>
 *   <li>Input is validated before anything is written, so a command that replies with an error
 *       has changed nothing.</li>
 *   <li>Keys map to partitions with {@link SlotHash#partitionOf}; the partition count is fixed.</li>
 * </ul>
 *
 * <p>Concurrency contract: calls that write (commands whose spec has the {@code write} flag,
 * {@link #exec} with such commands, {@link #purgeExpired}) must be serialized by the caller and
 * exclusive against everything else; read-only calls may run concurrently with each other.
 * {@link LocalCommandService} does this with one read/write lock.
 */
public final class CommandExecutor {

    /** Tunables with their configuration keys. */
    public record Settings(int scanCursorMaxEntries, long scanCursorMaxBytes, int scanMaxCount, int keysMaxResults) {
        public static final String SCAN_CURSOR_MAX_ENTRIES = "scan.cursor-table.max-entries";
        public static final String SCAN_CURSOR_MAX_BYTES = "scan.cursor-table.max-bytes";
        public static final String SCAN_MAX_COUNT = "scan.max-count";
        public static final String KEYS_MAX_RESULTS = "keys.max-results";
        public static final Settings DEFAULTS = new Settings(4096, 32L * 1024 * 1024, 100_000, 1_000_000);

        public Settings {
            if (scanCursorMaxEntries < 1) {
                throw new IllegalArgumentException(SCAN_CURSOR_MAX_ENTRIES + " must be positive, got " + scanCursorMaxEntries);
            }
            if (scanCursorMaxBytes < 1) {
                throw new IllegalArgumentException(SCAN_CURSOR_MAX_BYTES + " must be positive, got " + scanCursorMaxBytes);
            }
            if (scanMaxCount < 1) {
                throw new IllegalArgumentException(SCAN_MAX_COUNT + " must be positive, got " + scanMaxCount);
            }
            if (keysMaxResults < 1) {
                throw new IllegalArgumentException(KEYS_MAX_RESULTS + " must be positive, got " + keysMaxResults);
            }
        }

        /** Reads the keys above from string settings; missing keys keep their defaults. */
        public static Settings from(Map<String, String> settings) {
            return new Settings(
                    intSetting(settings, SCAN_CURSOR_MAX_ENTRIES, DEFAULTS.scanCursorMaxEntries),
                    longSetting(settings, SCAN_CURSOR_MAX_BYTES, DEFAULTS.scanCursorMaxBytes),
                    intSetting(settings, SCAN_MAX_COUNT, DEFAULTS.scanMaxCount),
                    intSetting(settings, KEYS_MAX_RESULTS, DEFAULTS.keysMaxResults));
        }

        private static int intSetting(Map<String, String> m, String key, int dflt) {
            String v = m.get(key);
            try {
                return v == null ? dflt : Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
            }
        }

        private static long longSetting(Map<String, String> m, String key, long dflt) {
            String v = m.get(key);
            try {
                return v == null ? dflt : Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
            }
        }
    }

    /** How a command touches the keyspace, for the caller's locking. */
    public enum Kind { READ, WRITE, UNKNOWN }

    /** Redis's default number of logical databases; COPY ... DB n checks against it. */
    private static final int REDIS_DATABASES = 16;
    /** Engine scans return at most this many entries per call. */
    private static final int ENGINE_SCAN_LIMIT = 100_000;
    private static final int KEYS_PAGE = 1024;
    private static final int RANDOMKEY_MAX_DEPTH = 64;
    /** Engine pages that end early with only dead records, tolerated per SCAN/RANDOMKEY step. */
    private static final int MAX_DEAD_PAGES_PER_SCAN = 8;

    private final StorageEngine engine;
    private final int partitions;
    private final StorageLimits limits;
    private final Settings settings;
    private final Map<String, CommandSpec> specs = new HashMap<>();
    private final ScanCursorTable cursors;
    /**
     * Per partition, the version of the last operation that physically removed records (FLUSHALL,
     * expiry purge), 0 if none. A key with nothing stored has watch token {@code -removalVersion}:
     * a record written after WATCH and then purged or flushed away leaves no trace in the engine,
     * so the removal itself must change the token of "nothing stored".
     */
    private final AtomicLongArray removalVersion;

    public CommandExecutor(StorageEngine engine, int partitions) {
        this(engine, partitions, Settings.DEFAULTS);
    }

    public CommandExecutor(StorageEngine engine, int partitions, Settings settings) {
        if (partitions < 1 || partitions > SlotHash.SLOTS) {
            throw new IllegalArgumentException("partitions must be in 1.." + SlotHash.SLOTS + ", got " + partitions);
        }
        this.engine = engine;
        this.partitions = partitions;
        this.limits = engine.limits();
        this.settings = settings;
        this.cursors = new ScanCursorTable(settings.scanCursorMaxEntries(), settings.scanCursorMaxBytes());
        this.removalVersion = new AtomicLongArray(partitions);
        for (CommandSpec spec : DataCommands.specs()) {
            specs.put(spec.name(), spec);
        }
    }

    public int partitions() {
        return partitions;
    }

    public StorageEngine engine() {
        return engine;
    }

    /** READ or WRITE by the command's spec; UNKNOWN for commands this executor does not run. */
    public Kind classify(byte[][] argv) {
        if (argv == null || argv.length == 0) {
            return Kind.UNKNOWN;
        }
        CommandSpec spec = specs.get(commandName(argv[0]));
        if (spec == null) {
            return Kind.UNKNOWN;
        }
        return spec.isWrite() ? Kind.WRITE : Kind.READ;
    }

    /**
     * Runs one command. Writes are stamped with {@code version} (positive, required for write
     * commands); for read-only commands {@code version} only seeds RANDOMKEY's choice.
     */
    public Reply execute(byte[][] argv, long nowMillis, long version) {
        Tx tx = new Tx(engine, nowMillis, version);
        Reply reply = runOne(argv, tx);
        if (!(reply instanceof Reply.Error)) {
            // An error reply writes nothing: commands validate before they buffer a write, and
            // skipping the commit keeps that true even for a failure after buffering.
            commit(tx);
        }
        return reply;
    }

    /**
     * Runs one command with keyless commands (KEYS, SCAN, DBSIZE, RANDOMKEY, FLUSHALL/FLUSHDB)
     * confined to {@code partition}: a cluster runs them once per partition, each in that
     * partition's Raft group, and combines the answers. SCAN then ends at the partition's last key
     * with a cursor naming the next partition (0 after the last). Keyed commands run as usual.
     */
    public Reply executeInPartition(int partition, byte[][] argv, long nowMillis, long version) {
        if (partition < 0 || partition >= partitions) {
            throw new IllegalArgumentException("partition " + partition + " out of range 0.." + (partitions - 1));
        }
        Tx tx = new Tx(engine, nowMillis, version);
        tx.onlyPartition = partition;
        Reply reply = runOne(argv, tx);
        if (!(reply instanceof Reply.Error)) {
            commit(tx);
        }
        return reply;
    }

    /**
     * Runs a MULTI/EXEC block atomically: if any watched key's token differs from
     * {@link #watchToken} now, nothing runs and the reply is a null array; otherwise one reply per
     * command, errors inline (later commands still run, as in Redis). All writes share
     * {@code version} and are applied as one batch at the end.
     */
    public Reply exec(List<byte[][]> commands, List<CommandService.Watch> watches, long nowMillis, long version) {
        for (CommandService.Watch w : watches) {
            if (watchToken(w.key(), nowMillis) != w.token()) {
                return Reply.Null.ARRAY;
            }
        }
        Tx tx = new Tx(engine, nowMillis, version);
        List<Reply> replies = new ArrayList<>(commands.size());
        for (byte[][] argv : commands) {
            replies.add(runOne(argv, tx));
        }
        commit(tx);
        return Reply.array(replies);
    }

    /** One command against {@code tx}: checks name, arity and version, then runs it; errors as replies. */
    private Reply runOne(byte[][] argv, Tx tx) {
        if (argv == null || argv.length == 0) {
            return CommandErrors.EMPTY_COMMAND;
        }
        String name = commandName(argv[0]);
        CommandSpec spec = specs.get(name);
        if (spec == null) {
            return CommandErrors.unknownCommand(argv);
        }
        if (!spec.arityAccepts(argv.length)) {
            return Errors.wrongArity(name);
        }
        if (spec.isWrite() && tx.version <= 0) {
            throw new IllegalArgumentException("write command " + name + " needs a positive version, got " + tx.version);
        }
        try {
            return run(name, argv, tx);
        } catch (ReplyError e) {
            return e.reply;
        } catch (IllegalArgumentException e) {
            // An engine limit we did not anticipate: report it, write nothing.
            return Reply.err(e.getMessage());
        }
    }

    /**
     * The WATCH token of {@code key} at {@code nowMillis}: the version of its live record; the
     * negated version of a tombstone or of an expired record ("absent since v"); for nothing stored,
     * the negated version of the partition's last physical removal (0 if there never was one).
     * Every write of the key produces a new token, and so does its expiry: a key present at WATCH
     * and expired at EXEC has {@code +v} then {@code -v}. A key that was already expired at WATCH
     * keeps {@code -v} until something happens to it; if a purge or FLUSHALL removes it meanwhile,
     * the token changes too and EXEC aborts (safe, but stricter than Redis, which ignores the
     * deletion of an already-expired key).
     */
    public long watchToken(byte[] key, long nowMillis) {
        int p = SlotHash.partitionOf(key, partitions);
        Record r = key.length > 0 && key.length <= limits.maxKeyBytes() ? engine.getRaw(p, key) : null;
        if (r == null) {
            return -removalVersion.get(p);
        }
        return r.isDeadAt(engineTime(nowMillis)) ? -r.version() : r.version();
    }

    /**
     * Physically removes up to {@code limit} records of {@code partition} that expired at or before
     * {@code nowMillis}: one step of active expiry. Returns how many were removed. A write: the caller
     * serializes it like one, and {@code version} (positive) marks the removal for WATCH.
     */
    public int purgeExpired(int partition, long nowMillis, int limit, long version) {
        if (partition < 0 || partition >= partitions) {
            throw new IllegalArgumentException("partition " + partition + " out of range 0.." + (partitions - 1));
        }
        if (limit < 1 || limit > ENGINE_SCAN_LIMIT) {
            throw new IllegalArgumentException("purge limit must be in 1.." + ENGINE_SCAN_LIMIT + ", got " + limit);
        }
        if (version <= 0) {
            throw new IllegalArgumentException("purge needs a positive version, got " + version);
        }
        List<byte[]> expired = engine.expiredKeys(partition, null, limit, engineTime(nowMillis));
        if (expired.isEmpty()) {
            return 0;
        }
        WriteBatch batch = new WriteBatch();
        for (byte[] key : expired) {
            batch.remove(partition, key);
        }
        engine.write(batch);
        removalVersion.set(partition, version);
        return expired.size();
    }

    /**
     * The partition's removal marker (see {@link #watchToken}): part of the replicated state, so a
     * snapshot must carry it and a restore must put it back, or WATCH tokens of absent keys would
     * differ between a replica that applied the log and one that installed a snapshot.
     */
    public long removalVersion(int partition) {
        return removalVersion.get(partition);
    }

    /** Puts back the removal marker saved with a snapshot of {@code partition}. */
    public void restoreRemovalVersion(int partition, long version) {
        if (version < 0) {
            throw new IllegalArgumentException("removal version must be >= 0, got " + version);
        }
        removalVersion.set(partition, version);
    }

    /**
     * Removes every record of one partition (FLUSHALL as the cluster runs it: once per partition,
     * through each partition's log). Returns how many live keys were dropped.
     */
    public long flushPartition(int partition, long version) {
        if (partition < 0 || partition >= partitions) {
            throw new IllegalArgumentException("partition " + partition + " out of range 0.." + (partitions - 1));
        }
        if (version <= 0) {
            throw new IllegalArgumentException("flush needs a positive version, got " + version);
        }
        long keys = engine.stats(partition).keys();
        engine.dropPartition(partition);
        removalVersion.set(partition, version);
        return keys;
    }

    /** True if {@code partition} holds a record that expired at {@code nowMillis} (a cheap probe). */
    public boolean hasExpired(int partition, long nowMillis) {
        return !engine.expiredKeys(partition, null, 1, engineTime(nowMillis)).isEmpty();
    }

    /**
     * The time to hand the engine for a command running at {@code nowMillis}. Redis keeps a key
     * until {@code now > expireAt} (alive, with TTL 0, in its last millisecond), while
     * {@link Record#isDeadAt} treats it as dead from {@code expireAt} on: asking the engine about
     * one millisecond earlier gives Redis's rule everywhere (reads, scans, purges).
     */
    static long engineTime(long nowMillis) {
        return nowMillis - 1;
    }

    /** Records stored in this executor's partitions, tombstones excluded (expired-but-unpurged included, like Redis). */
    public long dbSize() {
        long n = 0;
        for (int p = 0; p < partitions; p++) {
            n += engine.stats(p).keys();
        }
        return n;
    }

    private void commit(Tx tx) {
        if (tx.commit()) {
            for (int p = tx.flushedFrom(); p <= tx.flushedTo(); p++) {
                removalVersion.set(p, tx.version);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // dispatch

    private Reply run(String name, byte[][] a, Tx tx) {
        return switch (name) {
            case "get" -> get(a, tx);
            case "set" -> set(a, tx);
            case "setnx" -> setGeneric(tx, "setnx", a[1], a[2], NX, null, Reply.ONE, Reply.ZERO);
            case "setex" -> setGeneric(tx, "setex", a[1], a[3], EX, a[2], null, null);
            case "psetex" -> setGeneric(tx, "psetex", a[1], a[3], PX, a[2], null, null);
            case "getset" -> getset(a, tx);
            case "getdel" -> getdel(a, tx);
            case "getex" -> getex(a, tx);
            case "mget" -> mget(a, tx);
            case "mset" -> mset(a, tx, false);
            case "msetnx" -> mset(a, tx, true);
            case "append" -> append(a, tx);
            case "strlen" -> strlen(a, tx);
            case "getrange", "substr" -> getrange(a, tx);
            case "setrange" -> setrange(a, tx);
            case "incr" -> incrDecr(a[1], 1, tx);
            case "decr" -> incrDecr(a[1], -1, tx);
            case "incrby" -> incrDecr(a[1], parseLongArg(a[2]), tx);
            case "decrby" -> decrby(a, tx);
            case "incrbyfloat" -> incrbyfloat(a, tx);
            case "del", "unlink" -> del(a, tx);
            case "exists", "touch" -> exists(a, tx);
            case "type" -> tx.live(partition(a[1]), a[1]) == null ? NONE : STRING;
            case "expire" -> expire(a, tx, "expire", tx.nowMillis, true);
            case "pexpire" -> expire(a, tx, "pexpire", tx.nowMillis, false);
            case "expireat" -> expire(a, tx, "expireat", 0, true);
            case "pexpireat" -> expire(a, tx, "pexpireat", 0, false);
            case "ttl" -> ttl(a, tx, false, false);
            case "pttl" -> ttl(a, tx, true, false);
            case "expiretime" -> ttl(a, tx, false, true);
            case "pexpiretime" -> ttl(a, tx, true, true);
            case "persist" -> persist(a, tx);
            case "rename" -> rename(a, tx, false);
            case "renamenx" -> rename(a, tx, true);
            case "copy" -> copy(a, tx);
            case "keys" -> keys(a, tx);
            case "scan" -> scan(a, tx);
            case "randomkey" -> randomKey(tx);
            case "dbsize" -> dbsize(tx);
            case "flushdb", "flushall" -> flush(a, tx);
            default -> throw new IllegalStateException("spec without implementation: " + name);
        };
    }

    private static final Reply.Simple STRING = new Reply.Simple("string");
    private static final Reply.Simple NONE = new Reply.Simple("none");
    private static final Reply.Bulk EMPTY_BULK = new Reply.Bulk(new byte[0]);

    // ---------------------------------------------------------------------------------------------
    // strings

    private static final int NX = 1, XX = 1 << 1, EX = 1 << 2, PX = 1 << 3, KEEPTTL = 1 << 4, GET = 1 << 5,
            EXAT = 1 << 6, PXAT = 1 << 7, PERSIST = 1 << 8, IFEQ = 1 << 9;
    private static final int ANY_EXPIRE = EX | PX | EXAT | PXAT;

    private Reply get(byte[][] a, Tx tx) {
        Record r = tx.live(partition(a[1]), a[1]);
        return r == null ? Reply.Null.BULK : Reply.bulk(r.value());
    }

    private Reply set(byte[][] a, Tx tx) {
        int[] argIndex = {-1, -1};
        int flags = parseExtendedOptions(a, true, argIndex);
        return setGeneric(tx, "set", a[1], a[2], flags, argIndex[0] < 0 ? null : a[argIndex[0]],
                argIndex[1] < 0 ? null : a[argIndex[1]], null, null);
    }

    /**
     * Redis's parseExtendedStringArgumentsOrReply: SET takes NX XX GET KEEPTTL EX PX EXAT PXAT,
     * GETEX takes PERSIST EX PX EXAT PXAT; conflicting combinations and a missing value are syntax
     * errors. The same expiry kind may repeat (the last one wins), as in Redis.
     *
     * <p>SET also takes Valkey 8.1's {@code IFEQ comparison-value} (compare-and-set, the one
     * conditional write a RESP client can express without MULTI/WATCH or scripts). As in Valkey,
     * IFEQ and NX/XX exclude each other in either order ({@code -ERR syntax error}), because "set if
     * absent" and "set if equal to v" cannot both be meant. A repeated IFEQ is refused too: unlike a
     * repeated EX, a silent last-one-wins between two comparison values would turn a caller's
     * mistake into a lost update.
     *
     * @param argIndex out: {@code [0]} the index of the expiry argument, {@code [1]} (SET only) the
     *                 index of IFEQ's comparison value; -1 when absent
     */
    private static int parseExtendedOptions(byte[][] a, boolean isSet, int[] argIndex) {
        int flags = 0;
        for (int j = isSet ? 3 : 2; j < a.length; j++) {
            byte[] opt = a[j];
            boolean hasNext = j < a.length - 1;
            if (isSet && is(opt, "nx") && (flags & (XX | IFEQ)) == 0) {
                flags |= NX;
            } else if (isSet && is(opt, "xx") && (flags & (NX | IFEQ)) == 0) {
                flags |= XX;
            } else if (isSet && is(opt, "ifeq") && (flags & (NX | XX | IFEQ)) == 0 && hasNext) {
                flags |= IFEQ;
                argIndex[1] = ++j;
            } else if (isSet && is(opt, "get")) {
                flags |= GET;
            } else if (isSet && is(opt, "keepttl") && (flags & (PERSIST | ANY_EXPIRE)) == 0) {
                flags |= KEEPTTL;
            } else if (!isSet && is(opt, "persist") && (flags & (ANY_EXPIRE | KEEPTTL)) == 0) {
                flags |= PERSIST;
            } else if (is(opt, "ex") && (flags & (KEEPTTL | PERSIST | EXAT | PX | PXAT)) == 0 && hasNext) {
                flags |= EX;
                argIndex[0] = ++j;
            } else if (is(opt, "px") && (flags & (KEEPTTL | PERSIST | EX | EXAT | PXAT)) == 0 && hasNext) {
                flags |= PX;
                argIndex[0] = ++j;
            } else if (is(opt, "exat") && (flags & (KEEPTTL | PERSIST | EX | PX | PXAT)) == 0 && hasNext) {
                flags |= EXAT;
                argIndex[0] = ++j;
            } else if (is(opt, "pxat") && (flags & (KEEPTTL | PERSIST | EX | EXAT | PX)) == 0 && hasNext) {
                flags |= PXAT;
                argIndex[0] = ++j;
            } else {
                throw new ReplyError(Errors.SYNTAX);
            }
        }
        return flags;
    }

    /**
     * Redis's getExpireMillisecondsOrReply: the expiry argument as an absolute millisecond time.
     * Non-positive values and overflow are "invalid expire time"; EX/PX are relative to now.
     */
    private static long expireMillis(byte[] arg, int flags, String command, long nowMillis) {
        long ms = parseLongArg(arg);
        boolean seconds = (flags & (EX | EXAT)) != 0;
        if (ms <= 0 || (seconds && ms > Long.MAX_VALUE / 1000)) {
            throw new ReplyError(Errors.invalidExpire(command));
        }
        if (seconds) {
            ms *= 1000;
        }
        if ((flags & (EX | PX)) != 0) {
            if (ms > Long.MAX_VALUE - nowMillis) {
                throw new ReplyError(Errors.invalidExpire(command));
            }
            ms += nowMillis;
        }
        assert ms > 0;
        return ms;
    }

    /**
     * Redis's setGenericCommand: SET and its variants; {@code expireArg} is null without an expiry,
     * {@code comparison} is IFEQ's value (null without IFEQ).
     *
     * <p>IFEQ follows Valkey 8.1: the write happens only if the key holds a live string equal
     * byte for byte to {@code comparison}; an absent (or expired) key never matches. When it does
     * not happen the reply is the abort reply (nil), or with GET the old value, exactly like a
     * failed NX/XX, so a client tells "set" from "not set" the same way for all three. Cairn only
     * stores strings, so Valkey's WRONGTYPE branch of IFEQ cannot arise here.
     */
    private Reply setGeneric(Tx tx, String command, byte[] key, byte[] value, int flags, byte[] expireArg,
                             Reply okReply, Reply abortReply) {
        return setGeneric(tx, command, key, value, flags, expireArg, null, okReply, abortReply);
    }

    private Reply setGeneric(Tx tx, String command, byte[] key, byte[] value, int flags, byte[] expireArg,
                             byte[] comparison, Reply okReply, Reply abortReply) {
        long expireAt = Record.NO_EXPIRY;
        if (expireArg != null) {
            expireAt = expireMillis(expireArg, flags, command, tx.nowMillis);
        }
        checkWritableKey(key);
        checkValueSize(value.length);
        int p = partition(key);
        Record current = tx.live(p, key);
        Reply oldValue = (flags & GET) != 0 ? (current == null ? Reply.Null.BULK : Reply.bulk(current.value())) : null;
        boolean found = current != null;
        boolean ifeqFails = (flags & IFEQ) != 0 && (!found || !Arrays.equals(current.value(), comparison));
        if (((flags & NX) != 0 && found) || ((flags & XX) != 0 && !found) || ifeqFails) {
            if (oldValue != null) {
                return oldValue;
            }
            return abortReply != null ? abortReply : Reply.Null.BULK;
        }
        if ((flags & KEEPTTL) != 0 && found) {
            tx.putKeepingExpiry(p, key, value, current.expireAtMillis());
        } else {
            tx.put(p, key, value, expireAt);
        }
        if (oldValue != null) {
            return oldValue;
        }
        return okReply != null ? okReply : Reply.OK;
    }

    private Reply getset(byte[][] a, Tx tx) {
        checkWritableKey(a[1]);
        checkValueSize(a[2].length);
        int p = partition(a[1]);
        Record current = tx.live(p, a[1]);
        tx.put(p, a[1], a[2], Record.NO_EXPIRY);
        return current == null ? Reply.Null.BULK : Reply.bulk(current.value());
    }

    private Reply getdel(byte[][] a, Tx tx) {
        int p = partition(a[1]);
        Record current = tx.live(p, a[1]);
        if (current == null) {
            return Reply.Null.BULK;
        }
        tx.delete(p, a[1]);
        return Reply.bulk(current.value());
    }

    private Reply getex(byte[][] a, Tx tx) {
        int[] expireIndex = {-1, -1};
        int flags = parseExtendedOptions(a, false, expireIndex);
        int p = partition(a[1]);
        Record current = tx.live(p, a[1]);
        if (current == null) {
            return Reply.Null.BULK;
        }
        long when = expireIndex[0] >= 0 ? expireMillis(a[expireIndex[0]], flags, "getex", tx.nowMillis) : 0;
        Reply reply = Reply.bulk(current.value());
        if ((flags & (EXAT | PXAT)) != 0 && when <= tx.nowMillis) {
            tx.delete(p, a[1]);
        } else if (expireIndex[0] >= 0) {
            tx.put(p, a[1], current.value(), when);
        } else if ((flags & PERSIST) != 0 && current.hasExpiry()) {
            tx.put(p, a[1], current.value(), Record.NO_EXPIRY);
        }
        return reply;
    }

    private Reply mget(byte[][] a, Tx tx) {
        List<Reply> out = new ArrayList<>(a.length - 1);
        for (int j = 1; j < a.length; j++) {
            Record r = tx.live(partition(a[j]), a[j]);
            out.add(r == null ? Reply.Null.BULK : Reply.bulk(r.value()));
        }
        return Reply.array(out);
    }

    private Reply mset(byte[][] a, Tx tx, boolean nx) {
        if (a.length % 2 == 0) {
            return Errors.wrongArity(nx ? "msetnx" : "mset");
        }
        for (int j = 1; j < a.length; j += 2) {
            checkWritableKey(a[j]);
            checkValueSize(a[j + 1].length);
        }
        if (nx) {
            for (int j = 1; j < a.length; j += 2) {
                if (tx.live(partition(a[j]), a[j]) != null) {
                    return Reply.ZERO;
                }
            }
        }
        for (int j = 1; j < a.length; j += 2) {
            tx.put(partition(a[j]), a[j], a[j + 1], Record.NO_EXPIRY);
        }
        return nx ? Reply.ONE : Reply.OK;
    }

    private Reply append(byte[][] a, Tx tx) {
        checkWritableKey(a[1]);
        int p = partition(a[1]);
        Record current = tx.live(p, a[1]);
        if (current == null) {
            checkValueSize(a[2].length);
            tx.put(p, a[1], a[2], Record.NO_EXPIRY);
            return Reply.integer(a[2].length);
        }
        byte[] old = current.value();
        checkStringLength(old.length, a[2].length);
        byte[] value = Arrays.copyOf(old, old.length + a[2].length);
        System.arraycopy(a[2], 0, value, old.length, a[2].length);
        tx.putKeepingExpiry(p, a[1], value, current.expireAtMillis());
        return Reply.integer(value.length);
    }

    private Reply strlen(byte[][] a, Tx tx) {
        Record r = tx.live(partition(a[1]), a[1]);
        return r == null ? Reply.ZERO : Reply.integer(r.value().length);
    }

    private Reply getrange(byte[][] a, Tx tx) {
        long start = parseLongArg(a[2]);
        long end = parseLongArg(a[3]);
        Record r = tx.live(partition(a[1]), a[1]);
        if (r == null) {
            return EMPTY_BULK;
        }
        byte[] s = r.value();
        long len = s.length;
        if (start < 0 && end < 0 && start > end) {
            return EMPTY_BULK;
        }
        if (start < 0) {
            start = len + start;
        }
        if (end < 0) {
            end = len + end;
        }
        if (start < 0) {
            start = 0;
        }
        if (end < 0) {
            end = 0;
        }
        if (end >= len) {
            end = len - 1;
        }
        if (start > end || len == 0) {
            return EMPTY_BULK;
        }
        return Reply.bulk(Arrays.copyOfRange(s, (int) start, (int) end + 1));
    }

    private Reply setrange(byte[][] a, Tx tx) {
        long offset = parseLongArg(a[2]);
        if (offset < 0) {
            return CommandErrors.OFFSET_OUT_OF_RANGE;
        }
        byte[] patch = a[3];
        int p = partition(a[1]);
        Record current = tx.live(p, a[1]);
        if (current == null) {
            if (patch.length == 0) {
                return Reply.ZERO;
            }
            checkStringLength(offset, patch.length);
            checkWritableKey(a[1]);
            byte[] value = new byte[(int) offset + patch.length];
            System.arraycopy(patch, 0, value, (int) offset, patch.length);
            tx.put(p, a[1], value, Record.NO_EXPIRY);
            return Reply.integer(value.length);
        }
        byte[] old = current.value();
        if (patch.length == 0) {
            return Reply.integer(old.length);
        }
        checkStringLength(offset, patch.length);
        byte[] value = Arrays.copyOf(old, Math.max(old.length, (int) offset + patch.length));
        System.arraycopy(patch, 0, value, (int) offset, patch.length);
        tx.putKeepingExpiry(p, a[1], value, current.expireAtMillis());
        return Reply.integer(value.length);
    }

    private Reply decrby(byte[][] a, Tx tx) {
        long decrement = parseLongArg(a[2]);
        if (decrement == Long.MIN_VALUE) {
            return CommandErrors.DECREMENT_OVERFLOW;
        }
        return incrDecr(a[1], -decrement, tx);
    }

    private Reply incrDecr(byte[] key, long increment, Tx tx) {
        checkWritableKey(key);
        int p = partition(key);
        Record current = tx.live(p, key);
        long value = current == null ? 0 : parseLongValue(current.value());
        if ((increment < 0 && value < 0 && increment < Long.MIN_VALUE - value)
                || (increment > 0 && value > 0 && increment > Long.MAX_VALUE - value)) {
            return Errors.OVERFLOW;
        }
        value += increment;
        // INCR keeps the key's TTL (Redis overwrites the value in place).
        tx.putKeepingExpiry(p, key, RedisNumbers.toBytes(value), current == null ? Record.NO_EXPIRY : current.expireAtMillis());
        return Reply.integer(value);
    }

    private Reply incrbyfloat(byte[][] a, Tx tx) {
        checkWritableKey(a[1]);
        int p = partition(a[1]);
        Record current = tx.live(p, a[1]);
        LongDouble value = current == null ? LongDouble.ZERO : LongDouble.parse(current.value());
        LongDouble increment = value == null ? null : LongDouble.parse(a[2]);
        if (value == null || increment == null) {
            return Errors.NOT_FLOAT;
        }
        LongDouble sum = value.add(increment);
        if (sum.isInfinite()) {
            return CommandErrors.NAN_OR_INFINITY;
        }
        byte[] bytes = sum.toHumanString().getBytes(StandardCharsets.US_ASCII);
        checkValueSize(bytes.length);
        tx.putKeepingExpiry(p, a[1], bytes, current == null ? Record.NO_EXPIRY : current.expireAtMillis());
        return Reply.bulk(bytes);
    }

    // ---------------------------------------------------------------------------------------------
    // keys

    private Reply del(byte[][] a, Tx tx) {
        long deleted = 0;
        for (int j = 1; j < a.length; j++) {
            int p = partition(a[j]);
            if (tx.live(p, a[j]) != null) {
                tx.delete(p, a[j]);
                deleted++;
            }
        }
        return Reply.integer(deleted);
    }

    private Reply exists(byte[][] a, Tx tx) {
        long n = 0;
        for (int j = 1; j < a.length; j++) {
            if (tx.live(partition(a[j]), a[j]) != null) {
                n++;
            }
        }
        return Reply.integer(n);
    }

    private static final int EXPIRE_NX = 1, EXPIRE_XX = 2, EXPIRE_GT = 4, EXPIRE_LT = 8;

    /** Redis's expireGenericCommand; {@code basetime} is now for relative variants, 0 for *AT. */
    private Reply expire(byte[][] a, Tx tx, String command, long basetime, boolean seconds) {
        int flags = 0;
        for (int j = 3; j < a.length; j++) {
            byte[] opt = a[j];
            if (is(opt, "nx")) {
                flags |= EXPIRE_NX;
            } else if (is(opt, "xx")) {
                flags |= EXPIRE_XX;
            } else if (is(opt, "gt")) {
                flags |= EXPIRE_GT;
            } else if (is(opt, "lt")) {
                flags |= EXPIRE_LT;
            } else {
                return CommandErrors.unsupportedOption(opt);
            }
        }
        if ((flags & EXPIRE_NX) != 0 && (flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) != 0) {
            return CommandErrors.EXPIRE_NX_COMBINATION;
        }
        if ((flags & EXPIRE_GT) != 0 && (flags & EXPIRE_LT) != 0) {
            return CommandErrors.EXPIRE_GT_LT;
        }
        long when = parseLongArg(a[2]);
        if (seconds) {
            if (when > Long.MAX_VALUE / 1000 || when < Long.MIN_VALUE / 1000) {
                return Errors.invalidExpire(command);
            }
            when *= 1000;
        }
        if (when > Long.MAX_VALUE - basetime) {
            return Errors.invalidExpire(command);
        }
        when += basetime;
        int p = partition(a[1]);
        Record current = tx.live(p, a[1]);
        if (current == null) {
            return Reply.ZERO;
        }
        long currentExpire = current.hasExpiry() ? current.expireAtMillis() : -1;
        if ((flags & EXPIRE_NX) != 0 && currentExpire != -1) {
            return Reply.ZERO;
        }
        if ((flags & EXPIRE_XX) != 0 && currentExpire == -1) {
            return Reply.ZERO;
        }
        if ((flags & EXPIRE_GT) != 0 && (when <= currentExpire || currentExpire == -1)) {
            return Reply.ZERO;
        }
        if ((flags & EXPIRE_LT) != 0 && currentExpire != -1 && when >= currentExpire) {
            return Reply.ZERO;
        }
        if (when <= tx.nowMillis) {
            tx.delete(p, a[1]);
        } else {
            tx.put(p, a[1], current.value(), when);
        }
        return Reply.ONE;
    }

    private Reply ttl(byte[][] a, Tx tx, boolean millis, boolean absolute) {
        Record r = tx.live(partition(a[1]), a[1]);
        if (r == null) {
            return Reply.integer(-2);
        }
        if (!r.hasExpiry()) {
            return Reply.integer(-1);
        }
        long ttl = absolute ? r.expireAtMillis() : r.expireAtMillis() - tx.nowMillis;
        if (ttl < 0) {
            ttl = 0;
        }
        return Reply.integer(millis ? ttl : (ttl + 500) / 1000);
    }

    private Reply persist(byte[][] a, Tx tx) {
        int p = partition(a[1]);
        Record r = tx.live(p, a[1]);
        if (r == null || !r.hasExpiry()) {
            return Reply.ZERO;
        }
        tx.put(p, a[1], r.value(), Record.NO_EXPIRY);
        return Reply.ONE;
    }

    private Reply rename(byte[][] a, Tx tx, boolean nx) {
        byte[] src = a[1];
        byte[] dst = a[2];
        boolean sameKey = Arrays.equals(src, dst);
        int ps = partition(src);
        Record r = tx.live(ps, src);
        if (r == null) {
            return Errors.NO_SUCH_KEY;
        }
        if (sameKey) {
            return nx ? Reply.ZERO : Reply.OK;
        }
        checkWritableKey(dst);
        int pd = partition(dst);
        if (nx && tx.live(pd, dst) != null) {
            return Reply.ZERO;
        }
        tx.putKeepingExpiry(pd, dst, r.value(), r.expireAtMillis());
        tx.delete(ps, src);
        return nx ? Reply.ONE : Reply.OK;
    }

    private Reply copy(byte[][] a, Tx tx) {
        boolean replace = false;
        int db = 0;
        for (int j = 3; j < a.length; j++) {
            int additional = a.length - j - 1;
            if (is(a[j], "replace")) {
                replace = true;
            } else if (is(a[j], "db") && additional >= 1) {
                long id = parseLongArg(a[j + 1]);
                if (id < Integer.MIN_VALUE || id > Integer.MAX_VALUE) {
                    return CommandErrors.INT_OUT_OF_RANGE;
                }
                if (id < 0 || id >= REDIS_DATABASES) {
                    return CommandErrors.DB_INDEX_OUT_OF_RANGE;
                }
                db = (int) id;
                j++;
            } else {
                return Errors.SYNTAX;
            }
        }
        // Cairn has one keyspace, like Redis in cluster mode.
        if (db != 0) {
            return CommandErrors.COPY_OTHER_DB;
        }
        byte[] src = a[1];
        byte[] dst = a[2];
        if (Arrays.equals(src, dst)) {
            return CommandErrors.SAME_OBJECT;
        }
        Record r = tx.live(partition(src), src);
        if (r == null) {
            return Reply.ZERO;
        }
        checkWritableKey(dst);
        int pd = partition(dst);
        if (tx.live(pd, dst) != null && !replace) {
            return Reply.ZERO;
        }
        tx.putKeepingExpiry(pd, dst, r.value(), r.expireAtMillis());
        return Reply.ONE;
    }

    // ---------------------------------------------------------------------------------------------
    // keyspace iteration

    /** Inside EXEC, applies earlier writes of the block so the engine's iteration sees them. */
    private void syncForIteration(Tx tx) {
        if (tx.hasPendingWrites()) {
            commit(tx);
        }
    }

    private Reply keys(byte[][] a, Tx tx) {
        syncForIteration(tx);
        KeyPattern pattern = new KeyPattern(a[1], partitions, limits.maxKeyBytes());
        List<Reply> out = new ArrayList<>();
        if (pattern.impossible) {
            return Reply.array(out);
        }
        int first = pattern.tagPartition >= 0 ? pattern.tagPartition : 0;
        int last = pattern.tagPartition >= 0 ? pattern.tagPartition : partitions - 1;
        if (tx.onlyPartition >= 0) {
            if (tx.onlyPartition < first || tx.onlyPartition > last) {
                return Reply.array(out);
            }
            first = last = tx.onlyPartition;
        }
        for (int p = first; p <= last; p++) {
            byte[] after = pattern.seekAfter();
            boolean partitionDone = false;
            while (!partitionDone) {
                ScanResult page = engine.scan(p, after, KEYS_PAGE, tx.engineNow);
                for (ScanResult.Entry e : page.entries()) {
                    if (pattern.pastPrefix(e.key())) {
                        partitionDone = true;
                        break;
                    }
                    if (pattern.matches(e.key())) {
                        if (out.size() >= settings.keysMaxResults()) {
                            return CommandErrors.keysTooMany(settings.keysMaxResults());
                        }
                        out.add(Reply.bulk(e.key()));
                    }
                }
                if (page.done()) {
                    partitionDone = true;
                }
                after = page.nextCursor();
            }
        }
        return Reply.array(out);
    }

    /**
     * SCAN over the partitions in order, each in key order. The cursor is
     * {@code token << 16 | partition} (see {@link ScanCursorTable}). Each call examines at most
     * COUNT live keys (capped by {@code scan.max-count}) and visits at most every partition once.
     */
    private Reply scan(byte[][] a, Tx tx) {
        syncForIteration(tx);
        long cursor;
        try {
            cursor = RedisNumbers.parseCursor(a[1]);
        } catch (NotANumber e) {
            return CommandErrors.INVALID_CURSOR;
        }
        long count = 10;
        byte[] match = null;
        byte[] type = null;
        for (int i = 2; i < a.length; ) {
            int remaining = a.length - i;
            if (is(a[i], "count") && remaining >= 2) {
                count = parseLongArg(a[i + 1]);
                if (count < 1) {
                    return Errors.SYNTAX;
                }
                i += 2;
            } else if (is(a[i], "match") && remaining >= 2) {
                match = a[i + 1];
                i += 2;
            } else if (is(a[i], "type") && remaining >= 2) {
                type = a[i + 1];
                i += 2;
            } else {
                return Errors.SYNTAX;
            }
        }
        KeyPattern pattern = match == null ? null : new KeyPattern(match, partitions, limits.maxKeyBytes());
        // Cairn only has strings: any other type name filters every key out.
        boolean typeMatches = type == null || new String(type, StandardCharsets.ISO_8859_1).equalsIgnoreCase("string");
        int budget = (int) Math.min(count, settings.scanMaxCount());

        int p;
        byte[] after = null;
        if (cursor == 0) {
            p = pattern != null && pattern.tagPartition >= 0 ? pattern.tagPartition : 0;
        } else {
            p = ScanCursorTable.partitionOf(cursor);
            long token = ScanCursorTable.tokenOf(cursor);
            if (p >= partitions) {
                return scanReply(0, List.of());
            }
            if (token != 0) {
                ScanCursorTable.Position pos = cursors.lookup(token);
                if (pos != null && pos.partition() == p) {
                    after = pos.afterKey();
                }
            }
        }
        int lastPartition = pattern != null && pattern.tagPartition >= 0 ? pattern.tagPartition : partitions - 1;
        if (pattern != null && pattern.impossible) {
            return scanReply(0, List.of());
        }
        // Confined to one partition: stop at its end and hand back a cursor naming the next one to visit.
        int scopeEnd = lastPartition;
        if (tx.onlyPartition >= 0) {
            int firstPartition = pattern != null && pattern.tagPartition >= 0 ? pattern.tagPartition : 0;
            if (tx.onlyPartition < firstPartition) {
                return scanReply(ScanCursorTable.cursorFor(0, firstPartition), List.of());
            }
            if (tx.onlyPartition > lastPartition) {
                return scanReply(0, List.of());
            }
            if (p != tx.onlyPartition) {
                p = tx.onlyPartition;
                after = null;
            }
            scopeEnd = tx.onlyPartition;
        }
        List<Reply> keys = new ArrayList<>();
        int examined = 0;
        int deadPages = 0;
        boolean partitionStart = after == null;
        while (true) {
            if (partitionStart && pattern != null) {
                after = pattern.seekAfter();
            }
            partitionStart = false;
            boolean partitionDone = false;
            ScanResult page = engine.scan(p, after, Math.min(budget - examined, ENGINE_SCAN_LIMIT), tx.engineNow);
            byte[] lastKey = after;
            for (ScanResult.Entry e : page.entries()) {
                if (pattern != null && pattern.pastPrefix(e.key())) {
                    partitionDone = true;
                    break;
                }
                examined++;
                lastKey = e.key();
                if (typeMatches && (pattern == null || pattern.matches(e.key()))) {
                    keys.add(Reply.bulk(e.key()));
                }
            }
            if (page.done()) {
                partitionDone = true;
            }
            if (partitionDone) {
                if (p >= lastPartition) {
                    return scanReply(0, keys);
                }
                if (p >= scopeEnd) {
                    return scanReply(ScanCursorTable.cursorFor(0, p + 1), keys);
                }
                p++;
                after = null;
                partitionStart = true;
                if (examined >= budget) {
                    return scanReply(ScanCursorTable.cursorFor(0, p), keys);
                }
            } else {
                after = page.nextCursor() != null ? page.nextCursor() : lastKey;
                // The engine ends a page early after skipping many dead records: bound those per call too.
                if (page.entries().isEmpty()) {
                    deadPages++;
                }
                if (examined >= budget || deadPages >= MAX_DEAD_PAGES_PER_SCAN) {
                    return scanReply(cursors.register(p, after), keys);
                }
            }
        }
    }

    private static Reply scanReply(long cursor, List<Reply> keys) {
        return Reply.array(List.of(Reply.bulk(Long.toUnsignedString(cursor)), Reply.array(keys)));
    }

    /**
     * A random live key, chosen deterministically from {@code (version, nowMillis)}: a partition
     * weighted by its key count, then a random descent through the partition's key order (at
     * each byte position jump to a random byte value at or above the smallest present one). Not
     * uniform, but it reaches every key and costs a bounded number of point scans.
     */
    private Reply randomKey(Tx tx) {
        syncForIteration(tx);
        SplittableRandom random = new SplittableRandom(tx.version * 0x9E3779B97F4A7C15L ^ tx.nowMillis);
        long[] counts = new long[partitions];
        long total = 0;
        for (int p = 0; p < partitions; p++) {
            counts[p] = tx.onlyPartition < 0 || tx.onlyPartition == p ? engine.stats(p).keys() : 0;
            total += counts[p];
        }
        if (total == 0) {
            return Reply.Null.BULK;
        }
        long pick = random.nextLong(total);
        int start = 0;
        while (pick >= counts[start]) {
            pick -= counts[start];
            start++;
        }
        // Counts include expired-but-unpurged records, so a chosen partition may have no live key.
        for (int i = 0; i < partitions; i++) {
            int p = (start + i) % partitions;
            if (counts[p] == 0) {
                continue;
            }
            byte[] key = randomKeyIn(p, random, tx.engineNow);
            if (key != null) {
                return Reply.bulk(key);
            }
        }
        return Reply.Null.BULK;
    }

    private byte[] randomKeyIn(int p, SplittableRandom random, long engineNow) {
        byte[] candidate = firstAfter(p, null, engineNow);
        if (candidate == null) {
            return null;
        }
        for (int depth = 0; depth < RANDOMKEY_MAX_DEPTH; depth++) {
            // Invariant: candidate is the smallest live key starting with candidate[0..depth).
            if (candidate.length == depth) {
                if (random.nextBoolean()) {
                    return candidate;
                }
                byte[] longer = firstAfter(p, candidate, engineNow);
                if (longer == null || !startsWith(longer, candidate, depth)) {
                    return candidate;
                }
                candidate = longer;
            }
            int lo = candidate[depth] & 0xFF;
            int b = lo + random.nextInt(256 - lo);
            if (b > lo) {
                byte[] probeAfter = Arrays.copyOf(candidate, depth + 1);
                probeAfter[depth] = (byte) (b - 1);
                byte[] probe = firstAfterPrefix(p, probeAfter, engineNow);
                if (probe != null && startsWith(probe, candidate, depth)) {
                    candidate = probe;
                }
            }
        }
        return candidate;
    }

    /**
     * About the smallest live key above every key that starts with {@code prefix}: seeks past
     * {@code prefix + 0xFF x 8}, so with prefix = P + (b-1) the probe lands on the first key whose
     * byte after P is at least b (keys continuing with eight 0xFF bytes are the rare exception).
     */
    private byte[] firstAfterPrefix(int p, byte[] prefix, long engineNow) {
        byte[] seek = Arrays.copyOf(prefix, Math.min(prefix.length + 8, limits.maxKeyBytes()));
        Arrays.fill(seek, prefix.length, seek.length, (byte) 0xFF);
        return firstAfter(p, seek, engineNow);
    }

    private byte[] firstAfter(int p, byte[] after, long engineNow) {
        for (int page = 0; page < MAX_DEAD_PAGES_PER_SCAN; page++) {
            ScanResult r = engine.scan(p, after, 1, engineNow);
            if (!r.entries().isEmpty()) {
                return r.entries().get(0).key();
            }
            if (r.done()) {
                return null;
            }
            after = r.nextCursor(); // the page ended early on dead records
        }
        return null;
    }

    private static boolean startsWith(byte[] key, byte[] prefixSource, int prefixLength) {
        return key.length >= prefixLength && Arrays.equals(key, 0, prefixLength, prefixSource, 0, prefixLength);
    }

    private Reply dbsize(Tx tx) {
        syncForIteration(tx);
        return Reply.integer(tx.onlyPartition >= 0 ? engine.stats(tx.onlyPartition).keys() : dbSize());
    }

    private Reply flush(byte[][] a, Tx tx) {
        if (a.length > 2 || (a.length == 2 && !is(a[1], "sync") && !is(a[1], "async"))) {
            return Errors.SYNTAX;
        }
        tx.flushAll(partitions);
        return Reply.OK;
    }

    // ---------------------------------------------------------------------------------------------
    // helpers

    private int partition(byte[] key) {
        return SlotHash.partitionOf(key, partitions);
    }

    private void checkWritableKey(byte[] key) {
        if (key.length == 0) {
            throw new ReplyError(CommandErrors.EMPTY_KEY);
        }
        if (key.length > limits.maxKeyBytes()) {
            throw new ReplyError(CommandErrors.keyTooLong(limits.maxKeyBytes()));
        }
    }

    private void checkValueSize(long length) {
        if (length > limits.maxValueBytes()) {
            throw new ReplyError(CommandErrors.STRING_TOO_LONG);
        }
    }

    /** Redis's checkStringLength for APPEND/SETRANGE: the result must fit, without overflow. */
    private void checkStringLength(long size, long append) {
        long total = size + append;
        if (total < size || total < append || total > limits.maxValueBytes()) {
            throw new ReplyError(CommandErrors.STRING_TOO_LONG);
        }
    }

    private static long parseLongArg(byte[] arg) {
        try {
            return RedisNumbers.parseLong(arg);
        } catch (NotANumber e) {
            throw new ReplyError(Errors.NOT_INTEGER);
        }
    }

    private static long parseLongValue(byte[] value) {
        return parseLongArg(value);
    }

    /** Case-insensitive ASCII comparison with a lower-case literal. */
    static boolean is(byte[] arg, String lowerLiteral) {
        int n = lowerLiteral.length();
        if (arg.length != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            int c = arg[i];
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            if (c != lowerLiteral.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Lower-case ASCII name; names longer than any command map to a string no spec has. */
    static String commandName(byte[] b) {
        if (b.length > 32) {
            return "";
        }
        char[] c = new char[b.length];
        for (int i = 0; i < b.length; i++) {
            int x = b[i] & 0xFF;
            c[i] = (char) (x >= 'A' && x <= 'Z' ? x + ('a' - 'A') : x);
        }
        return new String(c);
    }

    /** An error reply raised from deep inside a command; nothing has been written when it is thrown. */
    static final class ReplyError extends RuntimeException {
        final Reply.Error reply;

        ReplyError(Reply.Error reply) {
            super(reply.text(), null, false, false);
            this.reply = reply;
        }
    }

    /** A MATCH/KEYS pattern with what can be derived from its literal prefix. */
    static final class KeyPattern {
        final byte[] pattern;
        final boolean all;
        /** Bytes every matching key starts with. */
        final byte[] prefix;
        /** The only partition a matching key can live in (hash tag in the prefix), or -1. */
        final int tagPartition;
        /** No key the engine can hold matches (the literal prefix is longer than the key limit). */
        final boolean impossible;
        private final int maxKeyBytes;

        KeyPattern(byte[] pattern, int partitions, int maxKeyBytes) {
            this.pattern = pattern;
            this.maxKeyBytes = maxKeyBytes;
            this.all = pattern.length == 1 && pattern[0] == '*';
            this.prefix = literalPrefix(pattern);
            this.impossible = prefix.length > maxKeyBytes;
            this.tagPartition = tagPartition(prefix, partitions);
        }

        boolean matches(byte[] key) {
            return all || GlobMatcher.matches(pattern, key);
        }

        /** Where a scan of one partition starts: strictly after this key (null = beginning). */
        byte[] seekAfter() {
            int n = prefix.length;
            if (n == 0) {
                return null;
            }
            int last = prefix[n - 1] & 0xFF;
            if (last == 0 || n - 1 + 1 + 8 > maxKeyBytes) {
                // Every key >= prefix sorts after the prefix minus its last byte.
                return n == 1 ? null : Arrays.copyOf(prefix, n - 1);
            }
            // Closer: prefix with its last byte decremented and padded with 0xFF skips almost every
            // key that sorts below the prefix.
            byte[] seek = Arrays.copyOf(prefix, n + 8);
            seek[n - 1] = (byte) (last - 1);
            Arrays.fill(seek, n, n + 8, (byte) 0xFF);
            return seek;
        }

        /** True once the ordered scan has passed every key that starts with the prefix. */
        boolean pastPrefix(byte[] key) {
            return prefix.length > 0 && !startsWith(key, prefix, prefix.length) && Arrays.compareUnsigned(key, prefix) > 0;
        }

        /** The bytes up to the first glob metacharacter, escapes resolved as stringmatchlen does. */
        static byte[] literalPrefix(byte[] pattern) {
            byte[] out = new byte[pattern.length];
            int n = 0;
            for (int i = 0; i < pattern.length; i++) {
                byte b = pattern[i];
                if (b == '*' || b == '?' || b == '[') {
                    break;
                }
                if (b == '\\' && i + 1 < pattern.length) {
                    i++;
                    b = pattern[i];
                }
                out[n++] = b;
            }
            return Arrays.copyOf(out, n);
        }

        private static int tagPartition(byte[] prefix, int partitions) {
            int open = -1;
            for (int i = 0; i < prefix.length; i++) {
                if (prefix[i] == '{') {
                    open = i;
                    break;
                }
            }
            if (open < 0) {
                return -1;
            }
            for (int close = open + 1; close < prefix.length; close++) {
                if (prefix[close] == '}') {
                    if (close == open + 1) {
                        return -1; // "{}": Redis hashes the whole key
                    }
                    int slot = SlotHash.crc16(prefix, open + 1, close) & (SlotHash.SLOTS - 1);
                    return SlotHash.partitionOfSlot(slot, partitions);
                }
            }
            return -1;
        }
    }
}
