package io.cairn.verify.runner;

import java.util.Locale;

/**
 * The workloads the verifier drives; each owns a key prefix so one history can hold all of them
 * and each key is checked against the right model.
 */
public enum Workload {
    /** GET / SET / compare-and-set ({@code SET k new IFEQ old}, or {@code SET k v NX} when expecting absent). */
    REGISTER("r:"),
    /** INCR / GET. */
    COUNTER("c:"),
    /** APPEND of unique tokens / GET of the whole value. */
    APPEND("a:");

    /** Separator of append tokens: clients append {@code token + SEPARATOR}. */
    public static final String SEPARATOR = ",";

    private final String prefix;

    Workload(String prefix) {
        this.prefix = prefix;
    }

    public String prefix() {
        return prefix;
    }

    public static Workload ofKey(String key) {
        for (Workload w : values()) {
            if (key.startsWith(w.prefix)) {
                return w;
            }
        }
        throw new IllegalArgumentException("key of no workload: " + key);
    }

    public static Workload parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown workload '" + s + "' (register, counter, append)");
        }
    }
}
