package io.cairn.storage;

import java.util.Map;

/**
 * Size limits every engine enforces, with their configuration keys. Violations are
 * {@link IllegalArgumentException}s whose message names the limit and its key.
 */
public record StorageLimits(int maxKeyBytes, long maxValueBytes) {
    public static final String MAX_KEY_BYTES = "storage.max-key-bytes";
    public static final String MAX_VALUE_BYTES = "storage.max-value-bytes";
    /** 64 KiB. */
    public static final int DEFAULT_MAX_KEY_BYTES = 64 * 1024;
    /** 512 MiB, Redis's proto-max-bulk-len. */
    public static final long DEFAULT_MAX_VALUE_BYTES = 512L * 1024 * 1024;

    public static final StorageLimits DEFAULT = new StorageLimits(DEFAULT_MAX_KEY_BYTES, DEFAULT_MAX_VALUE_BYTES);

    public StorageLimits {
        if (maxKeyBytes <= 0) {
            throw new IllegalArgumentException(MAX_KEY_BYTES + " must be positive, got " + maxKeyBytes);
        }
        if (maxValueBytes <= 0 || maxValueBytes > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException(MAX_VALUE_BYTES + " must be in 1.." + (Integer.MAX_VALUE - 64)
                    + ", got " + maxValueBytes);
        }
    }

    /** Reads {@link #MAX_KEY_BYTES} and {@link #MAX_VALUE_BYTES} from string settings, defaults otherwise. */
    public static StorageLimits from(Map<String, String> settings) {
        String k = settings.get(MAX_KEY_BYTES);
        String v = settings.get(MAX_VALUE_BYTES);
        return new StorageLimits(k == null ? DEFAULT_MAX_KEY_BYTES : Integer.parseInt(k.trim()),
                v == null ? DEFAULT_MAX_VALUE_BYTES : Long.parseLong(v.trim()));
    }

    public void checkKey(byte[] key) {
        if (key == null || key.length == 0) {
            throw new IllegalArgumentException("key must not be empty");
        }
        if (key.length > maxKeyBytes) {
            throw new IllegalArgumentException("key of " + key.length + " bytes exceeds the limit of "
                    + maxKeyBytes + " bytes (" + MAX_KEY_BYTES + ")");
        }
    }

    public void checkValue(byte[] value) {
        if (value.length > maxValueBytes) {
            throw new IllegalArgumentException("value of " + value.length + " bytes exceeds the limit of "
                    + maxValueBytes + " bytes (" + MAX_VALUE_BYTES + ")");
        }
    }
}
