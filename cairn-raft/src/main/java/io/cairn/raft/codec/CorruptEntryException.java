package io.cairn.raft.codec;

/**
 * Bytes that are not a valid encoding: wrong magic or format version, a length that runs past the
 * end, an unknown tag, trailing garbage, or a limit exceeded. The message says which and where.
 */
public final class CorruptEntryException extends RuntimeException {
    public CorruptEntryException(String message) {
        super(message);
    }
}
