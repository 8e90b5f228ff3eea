package io.cairn.bench.load;

import java.nio.charset.StandardCharsets;

/**
 * Record number to key: {@code "user"} followed by the number zero-padded to fill {@code keySize}
 * bytes (YCSB names records "user..."). Keys of consecutive records hash to unrelated slots, so
 * the load spreads over every partition.
 */
public final class KeyFormat {
    static final String PREFIX = "user";
    private final int keySize;
    private final int digits;

    public KeyFormat(int keySize) {
        if (keySize <= PREFIX.length()) {
            throw new IllegalArgumentException("key size must exceed " + PREFIX.length());
        }
        this.keySize = keySize;
        this.digits = keySize - PREFIX.length();
    }

    /** How many distinct record numbers fit. */
    public long capacity() {
        return digits >= 18 ? Long.MAX_VALUE : (long) Math.pow(10, digits);
    }

    public byte[] key(long record) {
        if (record < 0 || record >= capacity()) {
            throw new IllegalArgumentException("record " + record + " does not fit a " + keySize + "-byte key");
        }
        byte[] key = new byte[keySize];
        byte[] prefix = PREFIX.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(prefix, 0, key, 0, prefix.length);
        long n = record;
        for (int i = keySize - 1; i >= prefix.length; i--) {
            key[i] = (byte) ('0' + n % 10);
            n /= 10;
        }
        return key;
    }
}
