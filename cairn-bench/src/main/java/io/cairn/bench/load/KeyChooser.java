package io.cairn.bench.load;

import java.util.SplittableRandom;

/**
 * Picks the record an operation reads or updates among the {@code records} that exist (record
 * numbers {@code 0..records-1}). One chooser per client thread: implementations keep state and are
 * not thread-safe.
 */
public interface KeyChooser {
    /** A record number in {@code [0, records)}; {@code records >= 1}. */
    long next(SplittableRandom random, long records);

    /** A fresh chooser of {@code distribution}, starting with {@code records} records. */
    static KeyChooser of(Distribution distribution, long records) {
        return switch (distribution) {
            case UNIFORM -> new Uniform();
            case ZIPFIAN -> new ScrambledZipfian();
            case LATEST -> new Latest(records);
        };
    }

    /** Every record equally likely. */
    final class Uniform implements KeyChooser {
        @Override
        public long next(SplittableRandom random, long records) {
            return random.nextLong(records);
        }
    }

    /**
     * YCSB's {@code ScrambledZipfianGenerator}: a zipfian draw over a fixed space of 10^10 items
     * (zeta precomputed by YCSB), hashed with FNV-1a 64 and reduced modulo the record count, so
     * the popular records are scattered over the key space instead of being the lowest numbers.
     * The popularity skew is that of zipfian 0.99 regardless of the record count.
     */
    final class ScrambledZipfian implements KeyChooser {
        static final long ITEM_COUNT = 10_000_000_000L;
        /** zeta(10^10, 0.99), as YCSB hard-codes it (computing it takes minutes). */
        static final double ZETAN = 26.46902820178302;
        private final ZipfianGenerator zipfian = new ZipfianGenerator(ITEM_COUNT, ZipfianGenerator.ZIPFIAN_CONSTANT, ZETAN);

        @Override
        public long next(SplittableRandom random, long records) {
            return Math.floorMod(fnv1a64(zipfian.next(random, ITEM_COUNT)), records);
        }

        /** FNV-1a over the 8 bytes of {@code value}, low byte first (YCSB's {@code Utils.fnvhash64}). */
        static long fnv1a64(long value) {
            long hash = 0xCBF29CE484222325L;
            for (int i = 0; i < 8; i++) {
                hash ^= value & 0xff;
                hash *= 1099511628211L;
                value >>>= 8;
            }
            return hash;
        }
    }

    /**
     * YCSB's {@code SkewedLatestGenerator}: the newest record most likely, then zipfian over age.
     * The zipfian's item count follows the record count as inserts land (zeta extended
     * incrementally).
     */
    final class Latest implements KeyChooser {
        private final ZipfianGenerator zipfian;

        Latest(long records) {
            zipfian = new ZipfianGenerator(Math.max(1, records), ZipfianGenerator.ZIPFIAN_CONSTANT);
        }

        @Override
        public long next(SplittableRandom random, long records) {
            return records - 1 - zipfian.next(random, records);
        }
    }
}
