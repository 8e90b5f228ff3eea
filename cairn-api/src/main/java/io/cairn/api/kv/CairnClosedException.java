package io.cairn.api.kv;

/**
 * The {@link KeyValue} was closed by its owner before or during the call. Distinct from
 * {@link ShuttingDownException} (a node going away, which another node can cover): this one is the
 * caller's own lifecycle and retrying it is pointless.
 */
public final class CairnClosedException extends CairnException {
    public CairnClosedException(String message) {
        super(message);
    }
}
