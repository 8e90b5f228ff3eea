package io.cairn.resp;

import static io.cairn.resp.Builtins.ascii;
import static io.cairn.resp.Builtins.is;

import io.cairn.api.command.CommandSpec;
import io.cairn.api.reply.Errors;
import io.cairn.api.reply.Reply;
import io.cairn.commands.GlobMatcher;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** COMMAND, INFO, CONFIG, TIME and SHUTDOWN, with Redis 7.2's reply shapes. */
final class ServerCommands {
    private ServerCommands() {}

    // ---------------------------------------------------------------- TIME, SHUTDOWN

    /** TIME: the node's clock (the one its data commands use, so DEBUG CLOCK-OFFSET moves it too). */
    static Reply time(RespConnection c, byte[][] a) {
        long micros = c.rt.context.clock().currentTimeMicros();
        return Reply.array(List.of(Reply.bulk(Long.toString(Math.floorDiv(micros, 1_000_000L))),
                Reply.bulk(Long.toString(Math.floorMod(micros, 1_000_000L)))));
    }

    /** SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: no reply; the connection closes with the server. */
    static Reply shutdown(RespConnection c, byte[][] a) {
        boolean save = false;
        boolean nosave = false;
        boolean other = false;
        boolean abort = false;
        for (int i = 1; i < a.length; i++) {
            if (is(a[i], "nosave")) {
                nosave = true;
            } else if (is(a[i], "save")) {
                save = true;
            } else if (is(a[i], "now") || is(a[i], "force")) {
                other = true;
            } else if (is(a[i], "abort")) {
                abort = true;
            } else {
                return Errors.SYNTAX;
            }
        }
        if ((abort && (save || nosave || other)) || (save && nosave)) {
            return Errors.SYNTAX;
        }
        if (abort) {
            // A Cairn shutdown is not abortable once begun, and none is pending when this runs.
            return Reply.err("No shutdown in progress.");
        }
        // SAVE/NOSAVE make no difference: every acknowledged write is already durable in the engine.
        c.rt.context.requestShutdown();
        c.closeAfterReply();
        return null;
    }

    // ---------------------------------------------------------------- COMMAND

    /** Redis's ACL category order (acl.c ACLCommandCategories). */
    private static final List<String> ACL_ORDER = List.of("@keyspace", "@read", "@write", "@set", "@sortedset",
            "@list", "@hash", "@string", "@bitmap", "@hyperloglog", "@geo", "@stream", "@pubsub", "@admin", "@fast",
            "@slow", "@blocking", "@dangerous", "@connection", "@transaction", "@scripting");

    /** Redis's COMMAND INFO flag order (server.c addReplyFlagsForCommand). */
    private static final List<String> FLAG_ORDER = List.of("write", "readonly", "denyoom", "module", "admin",
            "pubsub", "noscript", "blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast",
            "no_auth", "no_mandatory_keys", "no_async_loading", "no_multi", "movablekeys", "allow_busy");

    static Reply command(RespConnection c, byte[][] a) {
        List<Reply> all = new ArrayList<>();
        for (Cmd cmd : c.rt.commands.topLevel()) {
            all.add(info(cmd));
        }
        return Reply.array(all);
    }

    static Reply commandCount(RespConnection c, byte[][] a) {
        return Reply.integer(c.rt.commands.table().size());
    }

    static Reply commandInfo(RespConnection c, byte[][] a) {
        if (a.length == 2) {
            return command(c, a);
        }
        List<Reply> out = new ArrayList<>();
        for (int i = 2; i < a.length; i++) {
            Cmd cmd = c.rt.commands.byFullName(ascii(a[i]));
            out.add(cmd == null ? Reply.Null.BULK : info(cmd));
        }
        return Reply.array(out);
    }

    static Reply commandDocs(RespConnection c, byte[][] a) {
        List<Reply> entries = new ArrayList<>();
        if (a.length == 2) {
            for (Cmd cmd : c.rt.commands.topLevel()) {
                entries.add(Reply.bulk(cmd.fullName));
                entries.add(docs(cmd));
            }
        } else {
            for (int i = 2; i < a.length; i++) {
                Cmd cmd = c.rt.commands.byFullName(ascii(a[i]));
                if (cmd != null) {
                    entries.add(Reply.bulk(cmd.fullName));
                    entries.add(docs(cmd));
                }
            }
        }
        return new Reply.MapReply(entries);
    }

    /** COMMAND LIST [FILTERBY (MODULE name | ACLCAT category | PATTERN pattern)] */
    static Reply commandList(RespConnection c, byte[][] a) {
        String filter = null;
        byte[] arg = null;
        for (int i = 2; i < a.length; i++) {
            int more = a.length - 1 - i;
            if (is(a[i], "filterby") && more == 2) {
                if (is(a[i + 1], "module") || is(a[i + 1], "aclcat") || is(a[i + 1], "pattern")) {
                    filter = ascii(a[i + 1]).toLowerCase(java.util.Locale.ROOT);
                } else {
                    return Errors.SYNTAX;
                }
                arg = a[i + 2];
                i += 2;
            } else {
                return Errors.SYNTAX;
            }
        }
        List<Reply> names = new ArrayList<>();
        for (Cmd cmd : c.rt.commands.topLevel()) {
            addListed(cmd, filter, arg, names);
            if (cmd.subcommands != null) {
                for (Cmd sub : cmd.subcommands.all()) {
                    addListed(sub, filter, arg, names);
                }
            }
        }
        return Reply.array(names);
    }

    private static void addListed(Cmd cmd, String filter, byte[] arg, List<Reply> names) {
        boolean keep;
        if (filter == null) {
            keep = true;
        } else {
            keep = switch (filter) {
                case "module" -> false; // Cairn has no modules
                case "aclcat" -> aclCategories(cmd.spec).contains("@" + ascii(arg).toLowerCase(java.util.Locale.ROOT));
                default -> GlobMatcher.matches(arg, cmd.fullName.getBytes(StandardCharsets.UTF_8), true);
            };
        }
        if (keep) {
            names.add(Reply.bulk(cmd.fullName));
        }
    }

    /** COMMAND GETKEYS command arg...: the key arguments, from the command's key positions. */
    static Reply commandGetkeys(RespConnection c, byte[][] a) {
        byte[][] target = Arrays.copyOfRange(a, 2, a.length);
        Cmd cmd = c.rt.commands.get(target[0]);
        if (cmd != null && cmd.subcommands != null && target.length >= 2) {
            cmd = cmd.subcommands.get(target[1]);
        }
        if (cmd == null) {
            return Reply.err("Invalid command specified");
        }
        CommandSpec s = cmd.spec;
        if (!s.hasKeys()) {
            return Reply.err("The command has no key arguments");
        }
        if (!s.arityAccepts(target.length)) {
            return Reply.err("Invalid number of arguments specified for command");
        }
        int last = s.lastKey() < 0 ? target.length + s.lastKey() : s.lastKey();
        List<Reply> keys = new ArrayList<>();
        for (int i = s.firstKey(); i <= last && i < target.length; i += Math.max(1, s.step())) {
            keys.add(Reply.bulk(target[i]));
        }
        if (keys.isEmpty()) {
            return Reply.err("Invalid arguments specified for command");
        }
        return Reply.array(keys);
    }

    static Reply commandHelp(RespConnection c, byte[][] a) {
        return Builtins.help("COMMAND",
                "(no subcommand)",
                "    Return details about all Redis commands.",
                "COUNT",
                "    Return the total number of commands in this Redis server.",
                "LIST",
                "    Return a list of all commands in this Redis server.",
                "INFO [<command-name> ...]",
                "    Return details about multiple Redis commands.",
                "    If no command names are given, documentation details for all",
                "    commands are returned.",
                "DOCS [<command-name> ...]",
                "    Return documentation details about multiple Redis commands.",
                "    If no command names are given, documentation details for all",
                "    commands are returned.",
                "GETKEYS <full-command>",
                "    Return the keys from a full Redis command.");
    }

    /** One COMMAND INFO entry: Redis's 10-element array. */
    static Reply info(Cmd cmd) {
        CommandSpec s = cmd.spec;
        List<Reply> flags = new ArrayList<>();
        for (String f : FLAG_ORDER) {
            if (s.flags().contains(f)) {
                flags.add(new Reply.Simple(f));
            }
        }
        for (String f : s.flags().stream().sorted().toList()) {
            if (!FLAG_ORDER.contains(f)) {
                flags.add(new Reply.Simple(f));
            }
        }
        List<Reply> categories = new ArrayList<>();
        for (String cat : aclCategories(s)) {
            categories.add(new Reply.Simple(cat));
        }
        Reply subs;
        if (cmd.subcommands == null) {
            subs = new Reply.SetReply(List.of());
        } else {
            List<Reply> infos = new ArrayList<>();
            for (Cmd sub : cmd.subcommands.all()) {
                infos.add(info(sub));
            }
            subs = Reply.array(infos);
        }
        return Reply.array(List.of(Reply.bulk(cmd.fullName), Reply.integer(s.arity()), new Reply.SetReply(flags),
                Reply.integer(s.firstKey()), Reply.integer(s.lastKey()), Reply.integer(s.step()),
                new Reply.SetReply(categories), new Reply.SetReply(List.of()), keySpecs(s), subs));
    }

    /** The key spec equivalent to the legacy (first, last, step) triple. */
    private static Reply keySpecs(CommandSpec s) {
        if (!s.hasKeys()) {
            return new Reply.SetReply(List.of());
        }
        List<Reply> keyFlags = s.isWrite()
                ? List.of(new Reply.Simple("RW"), new Reply.Simple("update"))
                : List.of(new Reply.Simple("RO"), new Reply.Simple("access"));
        int lastKey = s.lastKey() >= 0 ? s.lastKey() - s.firstKey() : s.lastKey();
        Reply spec = new Reply.MapReply(List.of(
                Reply.bulk("flags"), new Reply.SetReply(keyFlags),
                Reply.bulk("begin_search"), new Reply.MapReply(List.of(
                        Reply.bulk("type"), Reply.bulk("index"),
                        Reply.bulk("spec"), new Reply.MapReply(List.of(
                                Reply.bulk("index"), Reply.integer(s.firstKey()))))),
                Reply.bulk("find_keys"), new Reply.MapReply(List.of(
                        Reply.bulk("type"), Reply.bulk("range"),
                        Reply.bulk("spec"), new Reply.MapReply(List.of(
                                Reply.bulk("lastkey"), Reply.integer(lastKey),
                                Reply.bulk("keystep"), Reply.integer(s.step()),
                                Reply.bulk("limit"), Reply.integer(0)))))));
        return new Reply.SetReply(List.of(spec));
    }

    /**
     * ACL categories derived from the flags and group, as Redis's setImplicitACLCategories does
     * for flags (write → @write, readonly → @read, admin → @admin @dangerous, fast → @fast, else
     * @slow) plus the group's category.
     */
    static Set<String> aclCategories(CommandSpec s) {
        Set<String> cats = new java.util.TreeSet<>(java.util.Comparator.comparingInt(ACL_ORDER::indexOf));
        switch (s.group()) {
            case "string" -> cats.add("@string");
            case "generic" -> cats.add("@keyspace");
            case "connection" -> cats.add("@connection");
            case "transactions" -> cats.add("@transaction");
            case "hash" -> cats.add("@hash");
            case "list" -> cats.add("@list");
            case "set" -> cats.add("@set");
            case "sorted-set" -> cats.add("@sortedset");
            default -> { }
        }
        if (s.flags().contains("write")) {
            cats.add("@write");
        }
        if (s.flags().contains("readonly")) {
            cats.add("@read");
        }
        if (s.flags().contains("admin")) {
            cats.add("@admin");
            cats.add("@dangerous");
        }
        cats.add(s.flags().contains("fast") ? "@fast" : "@slow");
        return cats;
    }

    /** One COMMAND DOCS entry: summary, since, group and subcommands. */
    static Reply docs(Cmd cmd) {
        CommandSpec s = cmd.spec;
        List<Reply> m = new ArrayList<>();
        if (s.summary() != null) {
            m.add(Reply.bulk("summary"));
            m.add(Reply.bulk(s.summary()));
        }
        if (s.since() != null) {
            m.add(Reply.bulk("since"));
            m.add(Reply.bulk(s.since()));
        }
        m.add(Reply.bulk("group")); // redis-cli expects a group on every entry
        m.add(Reply.bulk(s.group() == null ? "generic" : s.group()));
        if (cmd.subcommands != null) {
            List<Reply> subs = new ArrayList<>();
            for (Cmd sub : cmd.subcommands.all()) {
                subs.add(Reply.bulk(sub.fullName));
                subs.add(docs(sub));
            }
            m.add(Reply.bulk("subcommands"));
            m.add(new Reply.MapReply(subs));
        }
        return new Reply.MapReply(m);
    }

    // ---------------------------------------------------------------- CONFIG

    static Reply configGet(RespConnection c, byte[][] a) {
        Map<String, String> found = c.rt.config.get(Arrays.asList(a).subList(2, a.length), nodeConfig(c));
        List<Reply> entries = new ArrayList<>(found.size() * 2);
        found.forEach((k, v) -> {
            entries.add(Reply.bulk(k));
            entries.add(Reply.bulk(v));
        });
        return new Reply.MapReply(entries);
    }

    static Reply configSet(RespConnection c, byte[][] a) {
        if ((a.length & 1) != 0) {
            return Errors.SYNTAX;
        }
        String error = c.rt.config.set(Arrays.asList(a).subList(2, a.length), nodeConfig(c));
        return error == null ? Reply.OK : Reply.err(error);
    }

    private static Map<String, String> nodeConfig(RespConnection c) {
        return c.rt.context.config();
    }

    static Reply configResetstat(RespConnection c, byte[][] a) {
        c.rt.stats.reset();
        return Reply.OK;
    }

    static Reply configHelp(RespConnection c, byte[][] a) {
        return Builtins.help("CONFIG",
                "GET <pattern>",
                "    Return parameters matching the glob-like <pattern> and their values.",
                "SET <directive> <value>",
                "    Set the configuration <directive> to <value>.",
                "RESETSTAT",
                "    Reset statistics reported by the INFO command.");
    }

    // ---------------------------------------------------------------- INFO

    static Reply info(RespConnection c, byte[][] a) {
        Set<String> sections = new LinkedHashSet<>();
        for (int i = 1; i < a.length; i++) {
            sections.add(ascii(a[i]).toLowerCase(java.util.Locale.ROOT));
        }
        return new Reply.Verbatim("txt", Info.render(c, sections));
    }
}
