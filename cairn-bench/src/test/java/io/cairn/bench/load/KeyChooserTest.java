package io.cairn.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Shape sanity of the key distributions: ranges, flatness, skew, recency. */
class KeyChooserTest {
    private static final int DRAWS = 200_000;

    private static long[] histogram(KeyChooser chooser, long records, int draws) {
        long[] counts = new long[(int) records];
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < draws; i++) {
            long k = chooser.next(random, records);
            assertTrue(k >= 0 && k < records, "out of range: " + k);
            counts[(int) k]++;
        }
        return counts;
    }

    /** Share of all draws taken by the hottest {@code fraction} of records. */
    private static double topShare(long[] counts, double fraction) {
        long[] sorted = counts.clone();
        Arrays.sort(sorted);
        int top = Math.max(1, (int) (sorted.length * fraction));
        long sum = 0;
        for (int i = sorted.length - top; i < sorted.length; i++) {
            sum += sorted[i];
        }
        return (double) sum / Arrays.stream(counts).sum();
    }

    @Test
    void uniformIsFlat() {
        long[] counts = histogram(KeyChooser.of(Distribution.UNIFORM, 1000), 1000, DRAWS);
        // 200 expected per record; a binomial's sd is ~14: every record within 5 sd.
        for (long c : counts) {
            assertTrue(c > 200 - 70 && c < 200 + 70, "count " + c);
        }
        assertEquals(0.01, topShare(counts, 0.01), 0.005);
    }

    @Test
    void zipfianIsSkewedAndScrambled() {
        long[] counts = histogram(KeyChooser.of(Distribution.ZIPFIAN, 10_000), 10_000, DRAWS);
        double top1 = topShare(counts, 0.01);
        assertTrue(top1 > 0.15, "the hottest 1% of records should take far more than 1% of draws, took " + top1);
        // Scrambled: the hottest records are not the lowest record numbers.
        long lowest100 = Arrays.stream(counts, 0, 100).sum();
        assertTrue(lowest100 < 0.1 * DRAWS, "records 0..99 took " + lowest100 + " of " + DRAWS);
        // Yet a long tail: most records are drawn at least once in 20 draws per record.
        long seen = Arrays.stream(counts).filter(c -> c > 0).count();
        assertTrue(seen > 3_000, "only " + seen + " distinct records drawn");
    }

    @Test
    void zipfianGeneratorFavoursLowItemsAndGrows() {
        ZipfianGenerator z = new ZipfianGenerator(1000, ZipfianGenerator.ZIPFIAN_CONSTANT);
        SplittableRandom random = new SplittableRandom(7);
        long zeros = 0;
        for (int i = 0; i < DRAWS; i++) {
            long v = z.next(random, 1000);
            assertTrue(v >= 0 && v < 1000);
            if (v == 0) {
                zeros++;
            }
        }
        // P(0) = 1/zeta(1000, 0.99) ~ 0.13.
        assertEquals(0.13, (double) zeros / DRAWS, 0.02);
        // Growing the item count extends zeta incrementally: same value as computing it afresh.
        for (int i = 0; i < 10; i++) {
            assertTrue(z.next(random, 5000) < 5000);
        }
        assertEquals(ZipfianGenerator.zeta(0, 5000, 0.99, 0),
                ZipfianGenerator.zeta(1000, 5000, 0.99, ZipfianGenerator.zeta(0, 1000, 0.99, 0)), 1e-9);
    }

    @Test
    void latestFavoursNewestRecordsAndFollowsInserts() {
        long[] counts = histogram(KeyChooser.of(Distribution.LATEST, 10_000), 10_000, DRAWS);
        long newest1000 = Arrays.stream(counts, 9_000, 10_000).sum();
        assertTrue(newest1000 > 0.5 * DRAWS, "the newest 10% of records took only " + newest1000);
        assertTrue(counts[9_999] > counts[5_000] * 10L, "the newest record should be the hottest");
        // After inserts the newest record is the new last one.
        KeyChooser latest = KeyChooser.of(Distribution.LATEST, 100);
        SplittableRandom random = new SplittableRandom(3);
        long[] after = new long[200];
        for (int i = 0; i < 20_000; i++) {
            after[(int) latest.next(random, 200)]++;
        }
        assertTrue(after[199] > after[99] * 5L, "newest " + after[199] + " vs old " + after[99]);
    }

    @Test
    void fnvMatchesYcsb() {
        // YCSB Utils.fnvhash64 of 0: FNV-1a of eight zero bytes (then Math.abs).
        long h = KeyChooser.ScrambledZipfian.fnv1a64(0);
        long expected = 0xCBF29CE484222325L;
        for (int i = 0; i < 8; i++) {
            expected *= 1099511628211L;
        }
        assertEquals(expected, h);
    }
}
