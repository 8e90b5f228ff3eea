package io.cairn.storage;

/**
 * A snapshot (or a stored record) failed validation: bad magic, unknown format version,
 * checksum mismatch, truncation, or an impossible length. The partition is left unchanged.
 */
public final class CorruptDataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CorruptDataException(String message) {
        super(message);
    }

    public CorruptDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
