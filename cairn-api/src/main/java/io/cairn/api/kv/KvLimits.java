package io.cairn.api.kv;

/**
 * Size limits checked before a call leaves the caller. The store enforces its own (configurable)
 * limits as well and reports violations with the same exception types; checking early saves a
 * round trip and, for oversize values, keeps a remote client from streaming hundreds of megabytes
 * only to have them refused. The defaults equal the storage engine's defaults.
 *
 * @param maxKeyBytes   longest key accepted (storage default: 64 KiB)
 * @param maxValueBytes largest value accepted (storage default and Redis's proto-max-bulk-len: 512 MiB)
 */
public record KvLimits(int maxKeyBytes, long maxValueBytes) {
    public static final int DEFAULT_MAX_KEY_BYTES = 64 * 1024;
    public static final long DEFAULT_MAX_VALUE_BYTES = 512L * 1024 * 1024;
    public static final KvLimits DEFAULT = new KvLimits(DEFAULT_MAX_KEY_BYTES, DEFAULT_MAX_VALUE_BYTES);

    public KvLimits {
        if (maxKeyBytes < 1) {
            throw new IllegalArgumentException("maxKeyBytes must be positive, got " + maxKeyBytes);
        }
        if (maxValueBytes < 0) {
            throw new IllegalArgumentException("maxValueBytes must be >= 0, got " + maxValueBytes);
        }
    }
}
