package io.cairn.api.kv;

/**
 * The key is null, empty, or longer than the store's key limit. Raised before anything is sent or
 * run (or mapped from the server's equivalent error), so the store is unchanged. Empty keys are
 * refused because the storage engines cannot hold them, unlike Redis, and it is better to say so
 * up front than to let one front end accept what another refuses.
 */
public final class InvalidKeyException extends CairnException {
    public InvalidKeyException(String message) {
        super(message);
    }
}
