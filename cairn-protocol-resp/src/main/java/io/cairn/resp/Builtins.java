package io.cairn.resp;

import static io.cairn.resp.Commands.def;

import io.cairn.api.reply.Reply;
import io.cairn.resp.Cmd.Kind;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The commands the protocol layer answers itself, with Redis 7.2's metadata (arity, flags, group,
 * summary, since from commands.def), and the shared error texts of command lookup.
 */
final class Builtins {
    private Builtins() {}

    private static final boolean TX = true;
    private static final boolean NOT_TX = false;

    static List<Commands.Def> definitions() {
        List<Commands.Def> d = new ArrayList<>();
        // connection
        d.add(simple("auth", -2, "connection", "Authenticates the connection.", "1.0.0", ConnectionCommands::auth,
                "noscript", "loading", "stale", "fast", "no_auth", "allow_busy"));
        d.add(simple("echo", 2, "connection", "Returns the given string.", "1.0.0", ConnectionCommands::echo,
                "loading", "stale", "fast"));
        d.add(simple("hello", -1, "connection", "Handshakes with the Redis server.", "6.0.0", ConnectionCommands::hello,
                "noscript", "loading", "stale", "fast", "no_auth", "allow_busy"));
        d.add(simple("ping", -1, "connection", "Returns the server's liveliness response.", "1.0.0",
                ConnectionCommands::ping, "fast"));
        d.add(def("quit", -1, "connection", "Closes the connection.", "1.0.0", Kind.BUILTIN, ConnectionCommands::quit,
                TX, List.of(), 0, 0, 0, "allow_busy", "noscript", "loading", "stale", "fast", "no_auth"));
        d.add(def("reset", 1, "connection", "Resets the connection.", "6.2.0", Kind.BUILTIN, ConnectionCommands::reset,
                TX, List.of(), 0, 0, 0, "noscript", "loading", "stale", "fast", "no_auth", "allow_busy"));
        d.add(simple("select", 2, "connection", "Changes the selected database.", "1.0.0", ConnectionCommands::select,
                "loading", "stale", "fast"));
        d.add(def("client", -2, "connection", "A container for client connection commands.", "2.4.0", Kind.BUILTIN,
                null, NOT_TX, clientSubcommands(), 0, 0, 0));
        // cluster
        d.add(simple("readonly", 1, "cluster",
                "Enables read-only queries for a connection to a Redis Cluster replica node.", "3.0.0",
                ConnectionCommands::readonly, "fast", "loading", "stale"));
        d.add(simple("readwrite", 1, "cluster",
                "Enables read-write queries for a connection to a Redis Cluster replica node.", "3.0.0",
                ConnectionCommands::readwrite, "fast", "loading", "stale"));
        d.add(def("cluster", -2, "cluster", "A container for Redis Cluster commands.", "3.0.0", Kind.BUILTIN, null,
                NOT_TX, clusterSubcommands(), 0, 0, 0));
        // server
        d.add(def("command", -1, "server", "Returns detailed information about all commands.", "2.8.13",
                Kind.BUILTIN, ServerCommands::command, NOT_TX, commandSubcommands(), 0, 0, 0, "loading", "stale"));
        d.add(def("config", -2, "server", "A container for server configuration commands.", "2.0.0", Kind.BUILTIN,
                null, NOT_TX, configSubcommands(), 0, 0, 0));
        d.add(simple("debug", -2, "server", "A container for debugging commands.", "1.0.0", DebugCommands::debug,
                "admin", "noscript", "loading", "stale"));
        d.add(simple("info", -1, "server", "Returns information and statistics about the server.", "1.0.0",
                ServerCommands::info, "loading", "stale"));
        d.add(simple("shutdown", -1, "server", "Shuts down the server gracefully.", "1.0.0", ServerCommands::shutdown,
                "admin", "noscript", "loading", "stale", "no_multi", "allow_busy"));
        d.add(simple("time", 1, "server", "Returns the server time.", "2.6.0", ServerCommands::time,
                "loading", "stale", "fast"));
        // transactions
        d.add(def("discard", 1, "transactions", "Discards a transaction.", "2.0.0", Kind.DISCARD, null, TX, List.of(),
                0, 0, 0, "noscript", "loading", "stale", "fast", "allow_busy"));
        d.add(def("exec", 1, "transactions", "Executes all commands in a transaction.", "1.2.0", Kind.EXEC, null, TX,
                List.of(), 0, 0, 0, "noscript", "loading", "stale", "skip_slowlog"));
        d.add(def("multi", 1, "transactions", "Starts a transaction.", "1.2.0", Kind.MULTI, null, TX, List.of(), 0, 0, 0,
                "noscript", "loading", "stale", "fast", "allow_busy"));
        d.add(simple("unwatch", 1, "transactions", "Forgets about watched keys of a transaction.", "2.2.0",
                (c, a) -> {
                    c.unwatch();
                    return Reply.OK;
                }, "noscript", "loading", "stale", "fast", "allow_busy"));
        d.add(def("watch", -2, "transactions", "Monitors changes to keys to determine the execution of a transaction.",
                "2.2.0", Kind.WATCH, null, TX, List.of(), 1, -1, 1, "noscript", "loading", "stale", "fast",
                "allow_busy"));
        return d;
    }

    private static List<Commands.Def> clientSubcommands() {
        String g = "connection";
        return List.of(
                sub("client|consistency", -2, g,
                        "Sets or shows the connection's read (LINEARIZABLE, LEASE, FOLLOWER, STALE) and write"
                                + " (MAJORITY, ALL) consistency. Cairn extension.", "0.1.0",
                        ConnectionCommands::clientConsistency, "noscript", "loading", "stale", "fast"),
                sub("client|getname", 2, g, "Returns the name of the connection.", "2.6.9", ConnectionCommands::clientGetname,
                        "noscript", "loading", "stale"),
                sub("client|help", 2, g, "Returns helpful text about the different subcommands.", "5.0.0",
                        ConnectionCommands::clientHelp, "loading", "stale"),
                sub("client|id", 2, g, "Returns the unique client ID of the connection.", "5.0.0", ConnectionCommands::clientId,
                        "noscript", "loading", "stale"),
                sub("client|info", 2, g, "Returns information about the connection.", "6.2.0", ConnectionCommands::clientInfo,
                        "noscript", "loading", "stale"),
                sub("client|kill", -3, g, "Terminates open connections.", "2.4.0", ConnectionCommands::clientKill,
                        "admin", "noscript", "loading", "stale"),
                sub("client|list", -2, g, "Lists open connections.", "2.4.0", ConnectionCommands::clientList,
                        "admin", "noscript", "loading", "stale"),
                sub("client|no-evict", 3, g, "Sets the client eviction mode of the connection.", "7.0.0",
                        ConnectionCommands::clientNoEvict, "admin", "noscript", "loading", "stale"),
                sub("client|no-touch", 3, g,
                        "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", "7.2.0",
                        ConnectionCommands::clientNoTouch, "noscript", "loading", "stale"),
                sub("client|setinfo", 4, g, "Sets information specific to the client or connection.", "7.2.0",
                        ConnectionCommands::clientSetinfo, "noscript", "loading", "stale"),
                sub("client|setname", 3, g, "Sets the connection name.", "2.6.9", ConnectionCommands::clientSetname,
                        "noscript", "loading", "stale"));
    }

    private static List<Commands.Def> clusterSubcommands() {
        String g = "cluster";
        return List.of(
                sub("cluster|countkeysinslot", 3, g, "Returns the number of keys in a hash slot.", "3.0.0",
                        ClusterCommands::countkeysinslot, "stale"),
                sub("cluster|getkeysinslot", 4, g, "Returns the key names in a hash slot.", "3.0.0",
                        ClusterCommands::getkeysinslot, "stale"),
                sub("cluster|help", 2, g, "Returns helpful text about the different subcommands.", "5.0.0",
                        ClusterCommands::help, "loading", "stale"),
                sub("cluster|info", 2, g, "Returns information about the state of a node.", "3.0.0", ClusterCommands::info,
                        "stale"),
                sub("cluster|keyslot", 3, g, "Returns the hash slot for a key.", "3.0.0", ClusterCommands::keyslot, "stale"),
                sub("cluster|lag", 2, g, "Returns how far the replicas of the partitions this node leads are behind."
                        + " Cairn extension.", "0.1.0", ClusterCommands::lag, "stale"),
                sub("cluster|leave", -2, g, "Drains a node (default: this one) and marks it left. Cairn extension.",
                        "0.1.0", ClusterCommands::leave, "admin", "noscript", "stale"),
                sub("cluster|map", 2, g, "Returns the cluster map as JSON. Cairn extension.", "0.1.0",
                        ClusterCommands::map, "stale"),
                sub("cluster|myid", 2, g, "Returns the ID of a node.", "3.0.0", ClusterCommands::myid, "stale"),
                sub("cluster|nodes", 2, g, "Returns the cluster configuration for a node.", "3.0.0", ClusterCommands::nodes,
                        "stale"),
                sub("cluster|rebalance", -2, g,
                        "Returns the planner's view of the replica moves still to make; START requests a rebalance."
                                + " Cairn extension.", "0.1.0",
                        ClusterCommands::rebalance, "admin", "noscript", "stale"),
                sub("cluster|shards", 2, g, "Returns the mapping of cluster slots to shards.", "7.0.0",
                        ClusterCommands::shards, "loading", "stale"),
                sub("cluster|slots", 2, g, "Returns the mapping of cluster slots to nodes.", "3.0.0", ClusterCommands::slots,
                        "loading", "stale"));
    }

    private static List<Commands.Def> commandSubcommands() {
        String g = "server";
        return List.of(
                sub("command|count", 2, g, "Returns a count of commands.", "2.8.13", ServerCommands::commandCount,
                        "loading", "stale"),
                sub("command|docs", -2, g, "Returns documentary information about one, multiple or all commands.",
                        "7.0.0", ServerCommands::commandDocs, "loading", "stale"),
                sub("command|getkeys", -3, g, "Extracts the key names from an arbitrary command.", "2.8.13",
                        ServerCommands::commandGetkeys, "loading", "stale"),
                sub("command|help", 2, g, "Returns helpful text about the different subcommands.", "5.0.0",
                        ServerCommands::commandHelp, "loading", "stale"),
                sub("command|info", -2, g, "Returns information about one, multiple or all commands.", "2.8.13",
                        ServerCommands::commandInfo, "loading", "stale"),
                sub("command|list", -2, g, "Returns a list of command names.", "7.0.0", ServerCommands::commandList,
                        "loading", "stale"));
    }

    private static List<Commands.Def> configSubcommands() {
        String g = "server";
        return List.of(
                sub("config|get", -3, g, "Returns the effective values of configuration parameters.", "2.0.0",
                        ServerCommands::configGet, "admin", "noscript", "loading", "stale"),
                sub("config|help", 2, g, "Returns helpful text about the different subcommands.", "5.0.0",
                        ServerCommands::configHelp, "loading", "stale"),
                sub("config|resetstat", 2, g, "Resets the server's statistics.", "2.0.0", ServerCommands::configResetstat,
                        "admin", "noscript", "loading", "stale"),
                sub("config|set", -4, g, "Sets configuration parameters in-flight.", "2.0.0", ServerCommands::configSet,
                        "admin", "noscript", "loading", "stale"));
    }

    private static Commands.Def simple(String name, int arity, String group, String summary, String since,
                                       Cmd.Builtin impl, String... flags) {
        return def(name, arity, group, summary, since, Kind.BUILTIN, impl, NOT_TX, List.of(), 0, 0, 0, flags);
    }

    private static Commands.Def sub(String name, int arity, String group, String summary, String since,
                                    Cmd.Builtin impl, String... flags) {
        return simple(name, arity, group, summary, since, impl, flags);
    }

    // ---------------------------------------------------------------- lookup errors (server.c)

    /** "unknown command 'FOO', with args beginning with: 'a' 'b' ", built as Redis builds it. */
    static Reply.Error unknownCommand(byte[][] argv) {
        ByteArrayOutputStream args = new ByteArrayOutputStream();
        for (int i = 1; i < argv.length && args.size() < 128; i++) {
            args.write('\'');
            args.write(argv[i], 0, cString(argv[i], 128 - args.size() + 1));
            args.write('\'');
            args.write(' ');
        }
        byte[] name = argv[0];
        String text = "unknown command '" + utf8(name, cString(name, 128)) + "', with args beginning with: "
                + args.toString(StandardCharsets.UTF_8);
        return Reply.err(text);
    }

    /** "unknown subcommand 'foo'. Try CLIENT HELP." */
    static Reply.Error unknownSubcommand(Cmd container, byte[] sub) {
        return Reply.err("unknown subcommand '" + utf8(sub, cString(sub, 128)) + "'. Try " + container.upperName
                + " HELP.");
    }

    /** Redis's addReplySubcommandSyntaxError: "unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP." */
    static Reply.Error subcommandSyntaxError(String upperCommand, byte[] sub) {
        return Reply.err("unknown subcommand or wrong number of arguments for '" + utf8(sub, cString(sub, 128))
                + "'. Try " + upperCommand + " HELP.");
    }

    /** Bytes of a C string "%.*s" prints: up to the first NUL, at most {@code max}. */
    private static int cString(byte[] s, int max) {
        int n = 0;
        while (n < s.length && n < max && s[n] != 0) {
            n++;
        }
        return n;
    }

    private static String utf8(byte[] b, int len) {
        return new String(b, 0, len, StandardCharsets.UTF_8);
    }

    static String ascii(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static boolean is(byte[] arg, String word) {
        return arg.length == word.length() && new String(arg, StandardCharsets.ISO_8859_1).equalsIgnoreCase(word);
    }

    /** Redis's addReplyHelp: a header line, the given lines, and HELP's own entry, as status replies. */
    static Reply help(String command, String... lines) {
        List<Reply> out = new ArrayList<>();
        out.add(new Reply.Simple(command.toUpperCase(Locale.ROOT)
                + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
        for (String l : lines) {
            out.add(new Reply.Simple(l));
        }
        out.add(new Reply.Simple("HELP"));
        out.add(new Reply.Simple("    Print this help."));
        return Reply.array(out);
    }
}
