package io.cairn.bench.load;

import java.util.SplittableRandom;

/**
 * Zipfian-distributed integers in {@code [0, items)} with item 0 the most popular, after Gray et
 * al., "Quickly Generating Billion-Record Synthetic Databases" (SIGMOD 1994), as YCSB's {@code
 * ZipfianGenerator} implements it. The item count may grow between draws (inserts): zeta is then
 * extended incrementally, O(growth), rather than recomputed. Not thread-safe: one per client.
 */
final class ZipfianGenerator {
    /** YCSB's default {@code zipfian constant}. */
    static final double ZIPFIAN_CONSTANT = 0.99;

    private final double theta;
    private final double zeta2theta;
    private final double alpha;
    private long items;
    private double zetan;
    private double eta;

    /** A generator over {@code items} items whose zeta(items) the caller already knows (it is costly: O(items)). */
    ZipfianGenerator(long items, double theta, double zetan) {
        if (items < 1) {
            throw new IllegalArgumentException("items must be >= 1");
        }
        if (!(theta > 0 && theta < 1)) {
            throw new IllegalArgumentException("theta must be in (0, 1)");
        }
        this.theta = theta;
        this.zeta2theta = zeta(0, 2, theta, 0);
        this.alpha = 1.0 / (1.0 - theta);
        this.items = items;
        this.zetan = zetan;
        this.eta = eta();
    }

    ZipfianGenerator(long items, double theta) {
        this(items, theta, zeta(0, items, theta, 0));
    }

    /** zeta(to) = sum of 1/i^theta for i in 1..to, continuing from {@code initial} = zeta(from). */
    static double zeta(long from, long to, double theta, double initial) {
        double sum = initial;
        for (long i = from; i < to; i++) {
            sum += 1 / Math.pow(i + 1, theta);
        }
        return sum;
    }

    private double eta() {
        return (1 - Math.pow(2.0 / items, 1 - theta)) / (1 - zeta2theta / zetan);
    }

    /** The next value in {@code [0, itemCount)}. */
    long next(SplittableRandom random, long itemCount) {
        if (itemCount != items) {
            if (itemCount < 1) {
                throw new IllegalArgumentException("itemCount must be >= 1");
            }
            zetan = itemCount > items ? zeta(items, itemCount, theta, zetan) : zeta(0, itemCount, theta, 0);
            items = itemCount;
            eta = eta();
        }
        double u = random.nextDouble();
        double uz = u * zetan;
        if (uz < 1.0) {
            return 0;
        }
        if (uz < 1.0 + Math.pow(0.5, theta)) {
            return Math.min(1, items - 1);
        }
        long value = (long) (items * Math.pow(eta * u - eta + 1, alpha));
        return Math.min(value, items - 1);
    }
}
