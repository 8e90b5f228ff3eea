package io.cairn.api.kv;

/**
 * The remote client could not reach any node, or lost its connection while a call was in flight.
 * In the second case {@link #outcomeUnknown()} is true for writes: the command may have reached
 * the server and been applied before the connection broke.
 */
public final class CairnConnectionException extends CairnException {
    public CairnConnectionException(String message, boolean outcomeUnknown, Throwable cause) {
        super(message, outcomeUnknown, cause);
    }
}
