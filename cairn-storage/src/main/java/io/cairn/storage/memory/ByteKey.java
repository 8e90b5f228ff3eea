package io.cairn.storage.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

/** A byte[] with content equality, a cached hash and unsigned lexicographic order. */
final class ByteKey implements Comparable<ByteKey> {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /**
     * Per-JVM seed: clients cannot precompute colliding keys. (Collisions would still only
     * degrade a bin to a tree, since ByteKey is Comparable, but they need not be easy.)
     * The hash never influences anything observable: order comes from the skip list.
     */
    private static final long SEED = new SplittableRandom().nextLong();

    final byte[] bytes;
    private final int hash;
    private final int length;
    /**
     * The first 16 bytes, little-endian, zero-padded: equals() on keys of up to 16 bytes (the
     * common case) compares these fields and never dereferences the stored key's array, one
     * dependent cache miss less per lookup.
     */
    private final long head0;
    private final long head1;

    /** Wraps without copying: for lookups with the caller's array. */
    ByteKey(byte[] bytes) {
        this.bytes = bytes;
        this.length = bytes.length;
        this.head0 = word(bytes, 0);
        this.head1 = word(bytes, 8);
        this.hash = hash(bytes, head0, head1);
    }

    /** Copies, so a caller mutating its array later cannot corrupt the map or the order. */
    static ByteKey copyOf(byte[] bytes) {
        return new ByteKey(bytes.clone());
    }

    /** Bytes [from, from+8) as a little-endian long, zero-padded past the end. */
    private static long word(byte[] b, int from) {
        if (from + 8 <= b.length) {
            return (long) LONGS.get(b, from);
        }
        long v = 0;
        for (int i = Math.min(b.length, from + 8) - 1; i >= from; i--) {
            v = v << 8 | (b[i] & 0xFF);
        }
        return v;
    }

    /**
     * Eight bytes per multiply instead of {@link Arrays#hashCode(byte[])}'s one: measured 9 ns
     * against 15 ns for a 16-byte key (HashBenchmark), a noticeable part of a cached GET.
     */
    static int hash(byte[] b) {
        return hash(b, word(b, 0), word(b, 8));
    }

    private static int hash(byte[] b, long head0, long head1) {
        long h = SEED ^ (b.length * 0x9E3779B97F4A7C15L);
        h = (h ^ head0) * 0xBF58476D1CE4E5B9L;
        h ^= h >>> 31;
        h = (h ^ head1) * 0xBF58476D1CE4E5B9L;
        h ^= h >>> 31;
        for (int i = 16; i + 8 <= b.length; i += 8) {
            h = (h ^ (long) LONGS.get(b, i)) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        for (int i = Math.max(16, b.length & ~7); i < b.length; i++) {
            h = (h ^ (b[i] & 0xFF)) * 0x94D049BB133111EBL;
        }
        h ^= h >>> 29;
        return (int) (h ^ (h >>> 32));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteKey k && hash == k.hash && length == k.length && head0 == k.head0 && head1 == k.head1
                && (length <= 16 || Arrays.equals(bytes, k.bytes));
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public int compareTo(ByteKey o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }
}
