package io.cairn.api.kv;

/**
 * Base of every failure a {@link KeyValue} reports. Unchecked, because almost every call can fail
 * for infrastructure reasons the caller cannot handle locally, and checked exceptions would force
 * boilerplate at each of them; callers that can react catch the specific subtype.
 *
 * <p>Every implementation (the embedded node and the remote client) throws exactly these types
 * for the same conditions, and async variants complete exceptionally with the same instances
 * (never wrapped in {@link java.util.concurrent.CompletionException}), so code written against
 * {@link KeyValue} does not care which one it runs on.
 *
 * <p>{@link #outcomeUnknown()} is the one fact a caller needs to decide whether to retry a write:
 * true means the write may or may not have been applied (its reply was lost), so a blind retry of
 * a non-idempotent write such as compare-and-set could apply it twice or report a false failure.
 */
public abstract class CairnException extends RuntimeException {
    private final boolean outcomeUnknown;

    protected CairnException(String message, boolean outcomeUnknown, Throwable cause) {
        super(message, cause);
        this.outcomeUnknown = outcomeUnknown;
    }

    protected CairnException(String message) {
        this(message, false, null);
    }

    /**
     * True if the failed call was a write that may have been applied even though it failed (a
     * timeout or a lost connection after the command was sent, a quorum lost mid-commit). False
     * when the write certainly did not happen, or the call was a read.
     */
    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
