package io.cairn.resp;

import io.cairn.api.command.CommandSpec;
import io.cairn.api.command.CommandTable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * All commands a server dispatches: the data commands (run by the CommandService) and the
 * protocol layer's own, each with a stats index. Immutable after construction.
 */
final class Commands {
    /** A protocol-layer command definition (the builtins declare theirs with {@link #def}). */
    record Def(CommandSpec spec, Cmd.Kind kind, Cmd.Builtin builtin, boolean transactionControl, List<Def> subs) {}

    private final CommandIndex top;
    /** Every command and subcommand, at its stats index. */
    private final List<Cmd> byIndex = new ArrayList<>();
    private final CommandTable table;

    Commands(Collection<CommandSpec> dataSpecs, List<Def> builtins) {
        List<CommandSpec> builtinSpecs = builtins.stream().map(Def::spec).toList();
        // CommandTable refuses a name defined twice (e.g. a data command that shadows PING).
        this.table = new CommandTable(dataSpecs, builtinSpecs);
        List<Cmd> tops = new ArrayList<>();
        for (CommandSpec spec : dataSpecs) {
            tops.add(dataCmd(spec));
        }
        for (Def d : builtins) {
            tops.add(builtinCmd(d));
        }
        this.top = new CommandIndex(tops, false);
    }

    private Cmd dataCmd(CommandSpec spec) {
        CommandIndex subs = null;
        if (!spec.subcommands().isEmpty()) {
            List<Cmd> s = new ArrayList<>();
            for (CommandSpec sub : spec.subcommands()) {
                s.add(dataCmd(sub));
            }
            subs = new CommandIndex(s, true);
        }
        return register(new Cmd(spec, spec.name(), Cmd.Kind.DATA, null, byIndex.size(), false, subs));
    }

    private Cmd builtinCmd(Def d) {
        CommandIndex subs = null;
        if (!d.subs().isEmpty()) {
            List<Cmd> s = new ArrayList<>();
            for (Def sub : d.subs()) {
                s.add(builtinCmd(sub));
            }
            subs = new CommandIndex(s, true);
        }
        return register(new Cmd(d.spec(), d.spec().name(), d.kind(), d.builtin(), byIndex.size(),
                d.transactionControl(), subs));
    }

    private Cmd register(Cmd c) {
        assert c.index == byIndex.size();
        byIndex.add(c);
        return c;
    }

    /** Top-level command by name, case-insensitive; null if unknown. */
    Cmd get(byte[] name) {
        return top.get(name);
    }

    /** "get" or "client|setname" (case-insensitive), as COMMAND INFO/DOCS accept; null if unknown. */
    Cmd byFullName(String name) {
        int bar = name.indexOf('|');
        if (bar < 0) {
            return top.get(name);
        }
        Cmd parent = top.get(name.substring(0, bar));
        if (parent == null || parent.subcommands == null) {
            return null;
        }
        return parent.subcommands.get(name.substring(bar + 1));
    }

    /** Top-level commands (COMMAND, COMMAND COUNT, COMMAND DOCS). */
    List<Cmd> topLevel() {
        return top.all();
    }

    Cmd byIndex(int index) {
        return byIndex.get(index);
    }

    /** Number of commands and subcommands: the size of the stats arrays. */
    int size() {
        return byIndex.size();
    }

    CommandTable table() {
        return table;
    }

    /** Builds a builtin definition; {@code flags} are Redis COMMAND INFO flag names. */
    static Def def(String name, int arity, String group, String summary, String since, Cmd.Kind kind,
                   Cmd.Builtin builtin, boolean transactionControl, List<Def> subs, int firstKey, int lastKey,
                   int step, String... flags) {
        List<CommandSpec> subSpecs = subs.stream().map(Def::spec).toList();
        CommandSpec spec = new CommandSpec(name.toLowerCase(Locale.ROOT), arity, Set.of(flags), firstKey, lastKey, step,
                group, summary, since, subSpecs);
        return new Def(spec, kind, builtin, transactionControl, subs);
    }
}
