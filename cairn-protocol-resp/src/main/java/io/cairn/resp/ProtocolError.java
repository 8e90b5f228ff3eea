package io.cairn.resp;

/**
 * Emitted by {@link RespDecoder} when a client breaks the protocol: the handler replies with
 * {@code -ERR <message>} (after the replies to the commands before it) and closes the
 * connection. A null message closes without a reply, as Redis does for an overlong query buffer.
 */
record ProtocolError(String message) {
    static final ProtocolError QUERY_BUFFER_LIMIT = new ProtocolError(null);
}
