package io.cairn.client;

import io.lettuce.core.protocol.ProtocolKeyword;
import java.nio.charset.StandardCharsets;

/**
 * A command name sent as given, for Lettuce's {@code dispatch}: how the client sends commands
 * Lettuce has no API for ({@code SET ... IFEQ}, {@code CLIENT CONSISTENCY}) and, for uniformity,
 * every other command too.
 *
 * <p>{@link #toString()} deliberately differs from the bare name. Lettuce recognizes MULTI, EXEC,
 * AUTH, SELECT, ... by comparing the keyword's {@code toString()} with its own command names and
 * then rewires the connection's transaction state; the client runs its own MULTI/EXEC blocks and
 * must not have Lettuce capture other callers' commands into them.
 */
final class RawCommand implements ProtocolKeyword {
    private final byte[] name;

    private RawCommand(byte[] name) {
        this.name = name;
    }

    static RawCommand of(byte[] name) {
        return new RawCommand(name);
    }

    @Override
    public byte[] getBytes() {
        return name;
    }

    @Override
    public String toString() {
        return "cairn:" + new String(name, StandardCharsets.UTF_8);
    }
}
