package io.cairn.storage.codec;

import io.cairn.storage.CorruptDataException;
import io.cairn.storage.Record;

/**
 * The binary form of a {@link Record}, shared by the RocksDB value format and the snapshot file:
 * <pre>
 *   byte   header   = FORMAT &lt;&lt; 4 | flags   (flags: bit0 tombstone, bit1 has expiry)
 *   long   version  (big-endian)
 *   long   expireAtMillis   only if the expiry flag is set
 *   byte[] value    the rest
 * </pre>
 * The format nibble lets a later version change the layout and still read old data.
 */
public final class RecordCodec {
    public static final int FORMAT = 1;
    private static final int FLAG_TOMBSTONE = 1;
    private static final int FLAG_EXPIRY = 2;
    private static final int KNOWN_FLAGS = FLAG_TOMBSTONE | FLAG_EXPIRY;
    /** Header byte + version. */
    public static final int MIN_LENGTH = 1 + 8;
    /** Header byte + version + expiry. */
    public static final int MAX_OVERHEAD = 1 + 8 + 8;

    private RecordCodec() {}

    public static int encodedLength(Record r) {
        return MIN_LENGTH + (r.hasExpiry() ? 8 : 0) + r.value().length;
    }

    public static byte[] encode(Record r) {
        byte[] value = r.value();
        boolean expiry = r.hasExpiry();
        byte[] out = new byte[encodedLength(r)];
        int flags = (r.tombstone() ? FLAG_TOMBSTONE : 0) | (expiry ? FLAG_EXPIRY : 0);
        out[0] = (byte) (FORMAT << 4 | flags);
        putLong(out, 1, r.version());
        int pos = MIN_LENGTH;
        if (expiry) {
            putLong(out, pos, r.expireAtMillis());
            pos += 8;
        }
        System.arraycopy(value, 0, out, pos, value.length);
        return out;
    }

    public static Record decode(byte[] b) {
        int flags = checkHeader(b);
        long version = getLong(b, 1);
        int pos = MIN_LENGTH;
        long expireAt = Record.NO_EXPIRY;
        if ((flags & FLAG_EXPIRY) != 0) {
            expireAt = getLong(b, pos);
            pos += 8;
            if (expireAt == Record.NO_EXPIRY) {
                throw new CorruptDataException("corrupt record: expiry flag set but expiry is 0");
            }
        }
        byte[] value = new byte[b.length - pos];
        System.arraycopy(b, pos, value, 0, value.length);
        try {
            return new Record(value, version, expireAt, (flags & FLAG_TOMBSTONE) != 0);
        } catch (IllegalArgumentException e) {
            throw new CorruptDataException("corrupt record: " + e.getMessage(), e);
        }
    }

    /** True if the encoded record is a tombstone, without decoding the value. */
    public static boolean isTombstone(byte[] b) {
        return (checkHeader(b) & FLAG_TOMBSTONE) != 0;
    }

    /** The encoded record's expiry, or {@link Record#NO_EXPIRY}, without decoding the value. */
    public static long expireAt(byte[] b) {
        int flags = checkHeader(b);
        return (flags & FLAG_EXPIRY) != 0 ? getLong(b, MIN_LENGTH) : Record.NO_EXPIRY;
    }

    /** The encoded record's version, without decoding the value. */
    public static long version(byte[] b) {
        checkHeader(b);
        return getLong(b, 1);
    }

    /** Length of the value inside an encoded record. */
    public static int valueLength(byte[] b) {
        int flags = checkHeader(b);
        return b.length - MIN_LENGTH - ((flags & FLAG_EXPIRY) != 0 ? 8 : 0);
    }

    /** Same as {@code decode(b).isDeadAt(now)} without copying the value. */
    public static boolean isDeadAt(byte[] b, long nowMillis) {
        int flags = checkHeader(b);
        if ((flags & FLAG_TOMBSTONE) != 0) {
            return true;
        }
        return (flags & FLAG_EXPIRY) != 0 && getLong(b, MIN_LENGTH) <= nowMillis;
    }

    /** True if the record carries an expiry that has passed (tombstones never expire). */
    public static boolean isExpiredAt(byte[] b, long nowMillis) {
        int flags = checkHeader(b);
        return (flags & FLAG_TOMBSTONE) == 0 && (flags & FLAG_EXPIRY) != 0 && getLong(b, MIN_LENGTH) <= nowMillis;
    }

    private static int checkHeader(byte[] b) {
        if (b == null || b.length < MIN_LENGTH) {
            throw new CorruptDataException("corrupt record: " + (b == null ? "null" : b.length + " bytes")
                    + ", need at least " + MIN_LENGTH);
        }
        int format = (b[0] & 0xFF) >>> 4;
        int flags = b[0] & 0x0F;
        if (format != FORMAT) {
            throw new CorruptDataException("corrupt record: unknown record format " + format + " (expected " + FORMAT + ")");
        }
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw new CorruptDataException("corrupt record: unknown flags 0x" + Integer.toHexString(flags));
        }
        if ((flags & FLAG_EXPIRY) != 0 && b.length < MIN_LENGTH + 8) {
            throw new CorruptDataException("corrupt record: expiry flag set but only " + b.length + " bytes");
        }
        return flags;
    }

    static void putLong(byte[] b, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            b[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    static long getLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b[off + i] & 0xFF);
        }
        return v;
    }
}
