package io.cairn.api.kv;

/**
 * The node is shutting down (or its command service is already closed) and refused the call
 * without running it. Another node can serve it; the remote client fails over on its own.
 */
public final class ShuttingDownException extends CairnException {
    public ShuttingDownException(String message) {
        super(message);
    }
}
