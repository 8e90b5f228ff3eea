package io.cairn.storage.support;

import io.cairn.storage.StorageLimits;
import java.util.Map;

/** Parsing of the string settings shared by the backends, with errors that name the key. */
public final class EngineSettings {
    /**
     * Dead records (tombstones, expired) a scan page may skip before it returns early with a
     * cursor, so one page cannot walk a whole partition of garbage.
     */
    public static final String SCAN_MAX_SKIPPED = "storage.scan-max-skipped";
    public static final int DEFAULT_SCAN_MAX_SKIPPED = 100_000;

    private EngineSettings() {}

    public static StorageLimits limits(Map<String, String> settings) {
        int key = intSetting(settings, StorageLimits.MAX_KEY_BYTES, StorageLimits.DEFAULT_MAX_KEY_BYTES, 1, Integer.MAX_VALUE);
        long value = longSetting(settings, StorageLimits.MAX_VALUE_BYTES, StorageLimits.DEFAULT_MAX_VALUE_BYTES,
                1, Integer.MAX_VALUE - 64);
        return new StorageLimits(key, value);
    }

    public static int scanMaxSkipped(Map<String, String> settings) {
        return intSetting(settings, SCAN_MAX_SKIPPED, DEFAULT_SCAN_MAX_SKIPPED, 1, Integer.MAX_VALUE);
    }

    public static int intSetting(Map<String, String> settings, String key, int dflt, int min, int max) {
        return (int) longSetting(settings, key, dflt, min, max);
    }

    public static long longSetting(Map<String, String> settings, String key, long dflt, long min, long max) {
        String raw = settings.get(key);
        if (raw == null) {
            return dflt;
        }
        long v;
        try {
            v = Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + raw + "'", e);
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(key + " must be in " + min + ".." + max + ", got " + v);
        }
        return v;
    }

    public static boolean boolSetting(Map<String, String> settings, String key, boolean dflt) {
        String raw = settings.get(key);
        if (raw == null) {
            return dflt;
        }
        return switch (raw.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException(key + " must be true or false, got '" + raw + "'");
        };
    }
}
