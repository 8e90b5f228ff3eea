package io.cairn.resp;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;

/**
 * Case-insensitive lookup of commands by their name bytes, without allocating: the command name
 * of every request goes through here. Open addressing over a power-of-two table, at most half full.
 */
final class CommandIndex {
    /** Longer names are never commands (Redis command names are short). */
    static final int MAX_NAME = 64;

    private final byte[][] names;
    private final Cmd[] cmds;
    private final int mask;
    private final List<Cmd> all;

    CommandIndex(Collection<Cmd> commands, boolean bySubcommandName) {
        int size = Integer.highestOneBit(Math.max(4, commands.size() * 2 - 1)) << 1;
        names = new byte[size][];
        cmds = new Cmd[size];
        mask = size - 1;
        for (Cmd c : commands) {
            String name = bySubcommandName ? c.fullName.substring(c.fullName.indexOf('|') + 1) : c.fullName;
            byte[] key = name.toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
            if (key.length > MAX_NAME) {
                throw new IllegalArgumentException("command name too long: " + name);
            }
            int i = hash(key) & mask;
            while (names[i] != null) {
                if (equalsIgnoreCase(names[i], key)) {
                    throw new IllegalArgumentException("command defined twice: " + name);
                }
                i = (i + 1) & mask;
            }
            names[i] = key;
            cmds[i] = c;
        }
        all = List.copyOf(commands);
    }

    Cmd get(byte[] name) {
        if (name.length > MAX_NAME) {
            return null;
        }
        int i = hash(name) & mask;
        byte[] k;
        while ((k = names[i]) != null) {
            if (equalsIgnoreCase(k, name)) {
                return cmds[i];
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    Cmd get(String name) {
        return get(name.getBytes(StandardCharsets.UTF_8));
    }

    List<Cmd> all() {
        return all;
    }

    /** ASCII lower-casing by table: one load per byte on the hot path. */
    private static final byte[] LOWER = new byte[256];

    static {
        for (int i = 0; i < 256; i++) {
            LOWER[i] = (byte) (i >= 'A' && i <= 'Z' ? i + ('a' - 'A') : i);
        }
    }

    private static int hash(byte[] name) {
        int h = 0;
        for (byte b : name) {
            h = 31 * h + LOWER[b & 0xff];
        }
        return h ^ (h >>> 16);
    }

    /** {@code stored} is lower case (normalized at construction); {@code name} is as the client sent it. */
    private static boolean equalsIgnoreCase(byte[] stored, byte[] name) {
        if (stored.length != name.length) {
            return false;
        }
        for (int i = 0; i < stored.length; i++) {
            if (stored[i] != LOWER[name[i] & 0xff]) {
                return false;
            }
        }
        return true;
    }
}
