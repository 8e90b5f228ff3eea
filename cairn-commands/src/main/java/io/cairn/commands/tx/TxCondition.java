package io.cairn.commands.tx;

import java.util.Arrays;
import java.util.Objects;

/**
 * A condition of a conditional transaction: which branch runs depends on whether all conditions
 * hold in one consistent state of their keys. Exactly one test applies, by {@code kind}.
 *
 * @param version for {@link Kind#VERSION_EQUALS}: the record version (WATCH token) the key must be at, positive
 * @param value   for {@link Kind#VALUE_EQUALS}: the value the key must hold
 */
public record TxCondition(byte[] key, Kind kind, long version, byte[] value) {
    public enum Kind { VERSION_EQUALS, VALUE_EQUALS, ABSENT, PRESENT }

    public TxCondition {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        if (key.length == 0) {
            throw new IllegalArgumentException("a condition's key must not be empty");
        }
        if (kind == Kind.VERSION_EQUALS && version <= 0) {
            // Versions of live records are positive; front ends refuse others with their own text.
            throw new IllegalArgumentException("a version condition needs a positive version, got " + version);
        }
        if (kind == Kind.VALUE_EQUALS && value == null) {
            throw new IllegalArgumentException("a value condition needs a value");
        }
    }

    public static TxCondition versionEquals(byte[] key, long version) {
        return new TxCondition(key, Kind.VERSION_EQUALS, version, null);
    }

    public static TxCondition valueEquals(byte[] key, byte[] value) {
        return new TxCondition(key, Kind.VALUE_EQUALS, 0, value);
    }

    public static TxCondition absent(byte[] key) {
        return new TxCondition(key, Kind.ABSENT, 0, null);
    }

    public static TxCondition present(byte[] key) {
        return new TxCondition(key, Kind.PRESENT, 0, null);
    }

    /**
     * Whether the condition holds for a key at WATCH token {@code token} holding {@code current}
     * (null: absent). {@code string} is false for a live key that holds another type than a string,
     * which no value equals.
     */
    boolean holds(long token, byte[] current, boolean string) {
        return switch (kind) {
            case VERSION_EQUALS -> current != null && token == version;
            case VALUE_EQUALS -> current != null && string && Arrays.equals(current, value);
            case ABSENT -> current == null;
            case PRESENT -> current != null;
        };
    }
}
