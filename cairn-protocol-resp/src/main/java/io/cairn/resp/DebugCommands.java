package io.cairn.resp;

import static io.cairn.resp.Builtins.is;

import io.cairn.api.clock.OffsetClock;
import io.cairn.api.reply.Errors;
import io.cairn.api.reply.Reply;

/**
 * DEBUG: fault injection for testing a running node, refused unless {@code enable-debug-command}
 * allows the connection (checked at dispatch, as Redis checks its protected commands). Nothing
 * here goes through Raft: each subcommand acts on this node only.
 */
final class DebugCommands {
    private DebugCommands() {}

    /** Redis's refusal when {@code enable-debug-command} does not allow the connection (server.c). */
    static final Reply.Error NOT_ALLOWED = Reply.err("DEBUG command not allowed. If the enable-debug-command option"
            + " is set to \"local\", you can run it from a local connection, otherwise you need to set this option"
            + " in the configuration file, and then restart the server.");

    static Reply debug(RespConnection c, byte[][] a) {
        byte[] sub = a[1];
        if (is(sub, "help") && a.length == 2) {
            return help();
        }
        if (is(sub, "clock-offset") && a.length <= 3) {
            return clockOffset(c.rt.context.debug(), a);
        }
        if (is(sub, "leader-stepdown") && a.length <= 3) {
            return leaderStepdown(c, a);
        }
        return Builtins.subcommandSyntaxError("DEBUG", sub);
    }

    /** DEBUG CLOCK-OFFSET [ms]: the offset now, or set it (negative = behind system time). */
    private static Reply clockOffset(DebugControl debug, byte[][] a) {
        if (a.length == 2) {
            return Reply.integer(debug.clockOffset());
        }
        long ms = RespNumbers.parseLong(a[2]);
        if (ms == RespNumbers.INVALID) {
            return Errors.NOT_INTEGER;
        }
        if (ms < -OffsetClock.MAX_OFFSET_MILLIS || ms > OffsetClock.MAX_OFFSET_MILLIS) {
            return Reply.err("clock offset is out of range, must be between " + -OffsetClock.MAX_OFFSET_MILLIS
                    + " and " + OffsetClock.MAX_OFFSET_MILLIS + " milliseconds");
        }
        try {
            debug.clockOffset(ms);
        } catch (IllegalArgumentException e) {
            return Reply.err(e.getMessage());
        }
        return Reply.OK;
    }

    /** DEBUG LEADER-STEPDOWN [max]: the transfers take a while, so the reply comes later, off the event loop. */
    private static Reply leaderStepdown(RespConnection c, byte[][] a) {
        int max = Integer.MAX_VALUE;
        if (a.length == 3) {
            long n = RespNumbers.parseLong(a[2]);
            if (n == RespNumbers.INVALID) {
                return Errors.NOT_INTEGER;
            }
            if (n <= 0) {
                return Reply.err("value is out of range, must be positive");
            }
            max = (int) Math.min(n, Integer.MAX_VALUE);
        }
        int limit = max;
        DebugControl debug = c.rt.context.debug();
        return c.later(() -> debug.stepDown(limit).thenApply(moved -> Reply.integer(moved)));
    }

    private static Reply help() {
        return Builtins.help("DEBUG",
                "CLOCK-OFFSET [<milliseconds>]",
                "    Make this node's wall clock read system time + <milliseconds> (negative: behind; at most",
                "    one day either way; 0 restores it). Monotonic time is not affected. Without an argument,",
                "    return the current offset. Cairn extension.",
                "LEADER-STEPDOWN [<count>]",
                "    Hand leadership of up to <count> (default: all) partitions this node leads to another",
                "    replica of each, and return how many moved. Cairn extension.");
    }
}
