package io.cairn.raft.codec;

import io.cairn.api.service.CommandService;
import java.util.Arrays;
import java.util.List;

/**
 * One command of a Raft log entry (or of a read-only query), with the time it runs at. The
 * partition is implicit: an entry belongs to one partition's Raft group.
 *
 * <p>{@code nowMillis} and {@code version} are assigned once, when the command is proposed, and
 * travel in the log so that every replica applies it with the same time and version.
 */
public sealed interface Command {
    long nowMillis();

    long version();

    /** One data command ({@code argv[0]} is the name). */
    record Execute(byte[][] argv, long nowMillis, long version) implements Command {
        public Execute {
            if (argv == null) {
                throw new IllegalArgumentException("argv must not be null");
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Execute e && nowMillis == e.nowMillis && version == e.version
                    && Arrays.deepEquals(argv, e.argv);
        }

        @Override
        public int hashCode() {
            return Arrays.deepHashCode(argv) * 31 + Long.hashCode(version);
        }

        @Override
        public String toString() {
            return "Execute(" + Codecs.argvToString(argv) + ", now=" + nowMillis + ", v=" + version + ")";
        }
    }

    /** A MULTI/EXEC block with its WATCHed keys and the tokens seen at WATCH time. */
    record Exec(List<byte[][]> commands, List<CommandService.Watch> watches, long nowMillis, long version)
            implements Command {
        public Exec {
            commands = List.copyOf(commands);
            watches = List.copyOf(watches);
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Exec e) || nowMillis != e.nowMillis || version != e.version
                    || commands.size() != e.commands.size() || watches.size() != e.watches.size()) {
                return false;
            }
            for (int i = 0; i < commands.size(); i++) {
                if (!Arrays.deepEquals(commands.get(i), e.commands.get(i))) {
                    return false;
                }
            }
            for (int i = 0; i < watches.size(); i++) {
                CommandService.Watch a = watches.get(i), b = e.watches.get(i);
                if (a.token() != b.token() || !Arrays.equals(a.key(), b.key())) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            return commands.size() * 31 + Long.hashCode(version);
        }
    }

    /** One step of active expiry: physically remove up to {@code limit} records expired at {@code nowMillis}. */
    record Purge(int limit, long nowMillis, long version) implements Command {}

    /** Read-only: the WATCH token of {@code key}. Only valid in queries, never in the log. */
    record WatchToken(byte[] key, long nowMillis) implements Command {
        @Override
        public long version() {
            return 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof WatchToken w && nowMillis == w.nowMillis && Arrays.equals(key, w.key);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(key);
        }
    }
}
