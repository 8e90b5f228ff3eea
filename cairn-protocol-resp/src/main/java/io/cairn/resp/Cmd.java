package io.cairn.resp;

import io.cairn.api.command.CommandSpec;
import io.cairn.api.reply.Reply;
import java.util.Locale;

/**
 * A command as the connection handler dispatches it: its spec, how it runs, and its stats slot.
 * Subcommands (CLIENT SETNAME, ...) are Cmds of their own, named {@code parent|sub}.
 */
final class Cmd {
    /** How a command runs. */
    enum Kind {
        /** Sent to the CommandService. */
        DATA,
        /** Answered by the protocol layer, synchronously, on the connection's event loop. */
        BUILTIN,
        MULTI,
        EXEC,
        DISCARD,
        WATCH
    }

    /** A protocol-layer command. Returns the reply, or null when the command sends none (SHUTDOWN). */
    @FunctionalInterface
    interface Builtin {
        Reply run(RespConnection c, byte[][] argv);
    }

    final CommandSpec spec;
    /** "get", "client|setname": Redis's fullname, used in errors and commandstats. */
    final String fullName;
    /** Upper-case container name for "Try CLIENT HELP." */
    final String upperName;
    final Kind kind;
    final Builtin builtin;
    /** Position in the per-command stats arrays. */
    final int index;
    final boolean noAuth;
    final boolean noMulti;
    /** Runs immediately even inside MULTI (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET), as in Redis. */
    final boolean transactionControl;
    /** Subcommands by name, or null if this is not a container. */
    final CommandIndex subcommands;
    /** DEBUG: refused unless enable-debug-command allows the connection (Redis's CMD_PROTECTED). */
    final boolean debugGated;

    Cmd(CommandSpec spec, String fullName, Kind kind, Builtin builtin, int index, boolean transactionControl,
        CommandIndex subcommands) {
        this.spec = spec;
        this.fullName = fullName;
        this.upperName = spec.name().toUpperCase(Locale.ROOT);
        this.kind = kind;
        this.builtin = builtin;
        this.index = index;
        this.noAuth = spec.flags().contains("no_auth");
        this.noMulti = spec.flags().contains("no_multi");
        this.transactionControl = transactionControl;
        this.subcommands = subcommands;
        this.debugGated = kind == Kind.BUILTIN && fullName.equals("debug");
        if (kind == Kind.BUILTIN && builtin == null && subcommands == null) {
            throw new IllegalArgumentException("builtin command without an implementation: " + fullName);
        }
    }

    @Override
    public String toString() {
        return fullName;
    }
}
