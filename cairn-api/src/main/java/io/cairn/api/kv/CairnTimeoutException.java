package io.cairn.api.kv;

/**
 * The call did not complete within its {@link CallOptions#timeout()}, or the node answered
 * {@code -TIMEOUT}/{@code -TRYAGAIN}. For a write, check {@link #outcomeUnknown()}: a timeout
 * after the command was sent cannot tell "not applied" from "applied, reply lost", whereas
 * {@code TRYAGAIN} means the node refused to run it.
 */
public final class CairnTimeoutException extends CairnException {
    public CairnTimeoutException(String message, boolean outcomeUnknown, Throwable cause) {
        super(message, outcomeUnknown, cause);
    }

    public CairnTimeoutException(String message, boolean outcomeUnknown) {
        this(message, outcomeUnknown, null);
    }
}
