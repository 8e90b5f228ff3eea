package io.cairn.api.kv;

/**
 * The value exceeds the store's value limit (the server's {@code storage.max-value-bytes}, at most
 * Redis's {@code proto-max-bulk-len}). Nothing was written. Sizes are -1 when the limit was
 * enforced by the server, whose error text does not carry them.
 */
public final class ValueTooLargeException extends CairnException {
    private final long valueBytes;
    private final long limitBytes;

    public ValueTooLargeException(String message, long valueBytes, long limitBytes) {
        super(message);
        this.valueBytes = valueBytes;
        this.limitBytes = limitBytes;
    }

    /** Size of the refused value in bytes, or -1 if unknown. */
    public long valueBytes() {
        return valueBytes;
    }

    /** The limit that was exceeded, or -1 if unknown. */
    public long limitBytes() {
        return limitBytes;
    }
}
