package io.cairn.bench.load;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * An operation mix: the proportions of each {@link OperationType} (summing to 1) and the key
 * distribution the YCSB core workload gives it by default.
 *
 * <ul>
 *   <li>{@code load}: 100% insert of records 0..records-1, each exactly once (the YCSB load phase).</li>
 *   <li>{@code a}: 50% read, 50% update, zipfian (update heavy).</li>
 *   <li>{@code b}: 95% read, 5% update, zipfian (read mostly).</li>
 *   <li>{@code c}: 100% read, zipfian (read only).</li>
 *   <li>{@code d}: 95% read, 5% insert, latest (read latest).</li>
 *   <li>{@code e}: 95% scan (1..{@value #MAX_SCAN_LENGTH} records, uniform), 5% insert, zipfian (short ranges).</li>
 *   <li>{@code f}: 50% read, 50% read-modify-write, zipfian.</li>
 * </ul>
 */
public record Workload(String name, double read, double update, double insert, double scan, double readModifyWrite,
                       Distribution defaultDistribution, int maxScanLength) {
    /** YCSB's default {@code maxscanlength}. */
    public static final int MAX_SCAN_LENGTH = 100;
    private static final double EPSILON = 1e-9;

    public Workload {
        for (double p : new double[] {read, update, insert, scan, readModifyWrite}) {
            if (p < 0 || p > 1) {
                throw new IllegalArgumentException("proportions must be in [0, 1]");
            }
        }
        if (Math.abs(read + update + insert + scan + readModifyWrite - 1.0) > EPSILON) {
            throw new IllegalArgumentException("proportions of workload " + name + " do not sum to 1");
        }
        if (maxScanLength < 1) {
            throw new IllegalArgumentException("maxScanLength must be >= 1");
        }
    }

    /** The named workload: {@code load} or {@code a}..{@code f} (case-insensitive). */
    public static Workload named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "load" -> new Workload("load", 0, 0, 1, 0, 0, Distribution.UNIFORM, MAX_SCAN_LENGTH);
            case "a" -> new Workload("a", 0.5, 0.5, 0, 0, 0, Distribution.ZIPFIAN, MAX_SCAN_LENGTH);
            case "b" -> new Workload("b", 0.95, 0.05, 0, 0, 0, Distribution.ZIPFIAN, MAX_SCAN_LENGTH);
            case "c" -> new Workload("c", 1, 0, 0, 0, 0, Distribution.ZIPFIAN, MAX_SCAN_LENGTH);
            case "d" -> new Workload("d", 0.95, 0, 0.05, 0, 0, Distribution.LATEST, MAX_SCAN_LENGTH);
            case "e" -> new Workload("e", 0, 0, 0.05, 0.95, 0, Distribution.ZIPFIAN, MAX_SCAN_LENGTH);
            case "f" -> new Workload("f", 0.5, 0, 0, 0, 0.5, Distribution.ZIPFIAN, MAX_SCAN_LENGTH);
            default -> throw new IllegalArgumentException("unknown workload '" + name + "': expected load or a..f");
        };
    }

    /** Whether this is the load phase: every record inserted once, in record order per claim. */
    public boolean isLoad() {
        return name.equals("load");
    }

    /** Draws the next operation kind. */
    public OperationType next(SplittableRandom random) {
        double u = random.nextDouble();
        if ((u -= read) < 0) {
            return OperationType.READ;
        }
        if ((u -= update) < 0) {
            return OperationType.UPDATE;
        }
        if ((u -= insert) < 0) {
            return OperationType.INSERT;
        }
        if ((u -= scan) < 0) {
            return OperationType.SCAN;
        }
        if (readModifyWrite > 0) {
            return OperationType.READ_MODIFY_WRITE;
        }
        // Rounding left u a hair above 0 with rmw unused: fall back to the last non-zero kind.
        return scan > 0 ? OperationType.SCAN : insert > 0 ? OperationType.INSERT
                : update > 0 ? OperationType.UPDATE : OperationType.READ;
    }

    /** The proportion of one kind. */
    public double proportion(OperationType type) {
        return switch (type) {
            case READ -> read;
            case UPDATE -> update;
            case INSERT -> insert;
            case SCAN -> scan;
            case READ_MODIFY_WRITE -> readModifyWrite;
        };
    }
}
