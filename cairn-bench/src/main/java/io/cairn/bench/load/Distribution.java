package io.cairn.bench.load;

import java.util.Locale;

/** Key distributions for the existing records an operation reads or updates. */
public enum Distribution {
    /** Every record equally likely. */
    UNIFORM,
    /** YCSB's scrambled zipfian (constant 0.99): a few hot records, spread over the key space by an FNV hash. */
    ZIPFIAN,
    /** YCSB's skewed-latest: zipfian over recency, the newest records hottest. */
    LATEST;

    public static Distribution parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown distribution '" + s + "': expected uniform, zipfian or latest");
        }
    }
}
