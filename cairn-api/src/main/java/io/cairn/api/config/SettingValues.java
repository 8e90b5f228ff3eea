package io.cairn.api.config;

import java.util.Map;

/**
 * Reading typed values out of string settings (YAML, flags, environment), with the error texts
 * every front end's settings use: a value that does not parse, or lies outside its bounds, names
 * its key.
 */
public final class SettingValues {
    private SettingValues() {}

    /** {@code key}'s value as an int, or {@code dflt} when the key is absent. */
    public static int intOf(Map<String, String> settings, String key, int dflt) {
        String v = settings.get(key);
        try {
            return v == null ? dflt : Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }

    /** {@code key}'s value as a long, or {@code dflt} when the key is absent. */
    public static long longOf(Map<String, String> settings, String key, long dflt) {
        String v = settings.get(key);
        try {
            return v == null ? dflt : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }

    /** Refuses {@code value} unless {@code min <= value <= max}. */
    public static void checkRange(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + " must be in " + min + ".." + max + ", got " + value);
        }
    }
}
