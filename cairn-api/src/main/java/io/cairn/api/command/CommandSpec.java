package io.cairn.api.command;

import java.util.List;
import java.util.Set;

/**
 * Static facts about one command, in the shape of Redis's {@code COMMAND INFO}: used for arity
 * checks before a command runs or is queued in MULTI, for COMMAND/COMMAND DOCS replies (redis-cli
 * and cluster clients read them), and to route keys.
 *
 * @param name     lower-case command name
 * @param arity    Redis arity: positive = exact argc (name included), negative = at least -arity
 * @param flags    Redis flags, e.g. {@code write}, {@code readonly}, {@code fast}, {@code denyoom}
 * @param firstKey position of the first key argument (0 = no keys)
 * @param lastKey  position of the last key (-1 = last argument)
 * @param step     distance between keys (MSET: 2)
 * @param group    Redis documentation group: string, generic, connection, server, transactions, cluster
 * @param summary  one line for COMMAND DOCS
 * @param since    Redis version that introduced it, for COMMAND DOCS
 * @param subcommands specs of subcommands (CLIENT ID, CONFIG GET, ...), named {@code parent|sub}
 */
public record CommandSpec(String name, int arity, Set<String> flags, int firstKey, int lastKey, int step,
                          String group, String summary, String since, List<CommandSpec> subcommands) {

    public CommandSpec {
        if (!name.equals(name.toLowerCase(java.util.Locale.ROOT))) {
            throw new IllegalArgumentException("command names are lower case: " + name);
        }
        if (arity == 0) {
            throw new IllegalArgumentException("arity 0 is meaningless for " + name);
        }
        flags = Set.copyOf(flags);
        subcommands = List.copyOf(subcommands);
    }

    /** True if {@code argc} (name included) satisfies the arity. */
    public boolean arityAccepts(int argc) {
        return arity > 0 ? argc == arity : argc >= -arity;
    }

    public boolean isWrite() {
        return flags.contains("write");
    }

    public boolean hasKeys() {
        return firstKey > 0;
    }
}
