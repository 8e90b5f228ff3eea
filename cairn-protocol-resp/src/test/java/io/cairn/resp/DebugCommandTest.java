package io.cairn.resp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.clock.Clock;
import io.cairn.api.clock.ManualClock;
import io.cairn.api.clock.OffsetClock;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** DEBUG on the connection handler: the enable-debug-command gate, the subcommands, their errors, TIME. */
class DebugCommandTest {
    private static final String NOT_ALLOWED = "-ERR DEBUG command not allowed. If the enable-debug-command option is"
            + " set to \"local\", you can run it from a local connection, otherwise you need to set this option in"
            + " the configuration file, and then restart the server.\r\n";
    private static final long T0 = 1_700_000_000_123L;

    /** A DebugControl over an OffsetClock on a manual clock; step-downs wait for the test to finish them. */
    static final class FakeDebug implements DebugControl {
        final Access access;
        final OffsetClock clock = new OffsetClock(new ManualClock(T0));
        final List<Integer> stepDowns = new ArrayList<>();
        final List<CompletableFuture<Integer>> stepDownReplies = new ArrayList<>();

        FakeDebug(Access access) {
            this.access = access;
        }

        @Override
        public Access access() {
            return access;
        }

        @Override
        public long clockOffset() {
            return clock.offsetMillis();
        }

        @Override
        public void clockOffset(long millis) {
            clock.offsetMillis(millis);
        }

        @Override
        public CompletableFuture<Integer> stepDown(int max) {
            stepDowns.add(max);
            CompletableFuture<Integer> f = new CompletableFuture<>();
            stepDownReplies.add(f);
            return f;
        }
    }

    /** The test context with a DEBUG implementation and the node clock it drives. */
    static final class DebugContext implements ServerContext {
        private final TestContext base = new TestContext();
        final FakeDebug debug;

        DebugContext(DebugControl.Access access) {
            this.debug = new FakeDebug(access);
        }

        @Override
        public String nodeId() {
            return base.nodeId();
        }

        @Override
        public String version() {
            return base.version();
        }

        @Override
        public Map<String, String> config() {
            return base.config();
        }

        @Override
        public void requestShutdown() {
            base.requestShutdown();
        }

        @Override
        public ClusterView cluster() {
            return base.cluster();
        }

        @Override
        public Clock clock() {
            return debug.clock;
        }

        @Override
        public DebugControl debug() {
            return debug;
        }
    }

    private static String[] c(String... args) {
        return args;
    }

    private static Wire wire(ServerContext context) {
        return new Wire(Wire.runtime(Wire.settings(), new InMemoryService(), context));
    }

    @Test
    void refusedByDefaultExactlyAsRedisRefusesIt() {
        Wire w = wire(new TestContext()); // no DEBUG implementation: the default is "no"
        assertEquals(NOT_ALLOWED, w.cmd("DEBUG", "HELP"));
        assertEquals(NOT_ALLOWED, w.cmd("DEBUG", "CLOCK-OFFSET", "5000"));
        assertEquals(NOT_ALLOWED, w.cmd("debug", "nosuch", "a", "b"), "the gate comes before the subcommand");
        assertEquals("-ERR wrong number of arguments for 'debug' command\r\n", w.cmd("DEBUG"),
                "arity is checked before the gate, as in Redis");
        assertEquals("+OK\r\n" + NOT_ALLOWED + "+QUEUED\r\n-EXECABORT Transaction discarded because of previous"
                + " errors.\r\n", w.pipeline(c("MULTI"), c("DEBUG", "HELP"), c("SET", "a", "b"), c("EXEC")));

        Wire explicitNo = wire(new DebugContext(DebugControl.Access.NO));
        assertEquals(NOT_ALLOWED, explicitNo.cmd("DEBUG", "CLOCK-OFFSET"));
    }

    @Test
    void theGateComesBeforeAuthentication() {
        Wire w = new Wire(Wire.runtime(Wire.settings().withRequirePass("pw"), new InMemoryService(), new TestContext()));
        assertEquals(NOT_ALLOWED, w.cmd("DEBUG", "HELP"));
        Wire allowed = new Wire(Wire.runtime(Wire.settings().withRequirePass("pw"), new InMemoryService(),
                new DebugContext(DebugControl.Access.YES)));
        assertEquals("-NOAUTH Authentication required.\r\n", allowed.cmd("DEBUG", "HELP"));
    }

    @Test
    void localAllowsLoopbackClientsOnly() {
        RespSettings open = Wire.settings().withRequirePass("pw"); // protected mode would refuse remote clients
        DebugContext local = new DebugContext(DebugControl.Access.LOCAL);
        RespRuntime rt = Wire.runtime(open, new InMemoryService(), local);
        Wire remote = new Wire(rt, new InetSocketAddress("192.0.2.7", 40000));
        assertEquals("+OK\r\n", remote.cmd("AUTH", "pw"));
        assertEquals(NOT_ALLOWED, remote.cmd("DEBUG", "CLOCK-OFFSET"));
        Wire loopback = new Wire(rt, new InetSocketAddress("127.0.0.1", 40001));
        assertEquals("+OK\r\n", loopback.cmd("AUTH", "pw"));
        assertEquals(":0\r\n", loopback.cmd("DEBUG", "CLOCK-OFFSET"));

        RespRuntime all = Wire.runtime(open, new InMemoryService(), new DebugContext(DebugControl.Access.YES));
        Wire remoteYes = new Wire(all, new InetSocketAddress("192.0.2.7", 40002));
        assertEquals("+OK\r\n", remoteYes.cmd("AUTH", "pw"));
        assertEquals(":0\r\n", remoteYes.cmd("DEBUG", "CLOCK-OFFSET"));
    }

    @Test
    void clockOffsetSetsAndShowsTheOffsetAndMovesTime() {
        DebugContext ctx = new DebugContext(DebugControl.Access.YES);
        Wire w = wire(ctx);
        assertEquals("*2\r\n$10\r\n1700000000\r\n$6\r\n123000\r\n", w.cmd("TIME"), "TIME reads the node clock");
        assertEquals(":0\r\n", w.cmd("DEBUG", "CLOCK-OFFSET"));
        assertEquals("+OK\r\n", w.cmd("READONLY"), "FOLLOWER reads: DEBUG does not care about consistency");
        assertEquals("+OK\r\n", w.cmd("DEBUG", "clock-offset", "5000"));
        assertEquals(":5000\r\n", w.cmd("DEBUG", "CLOCK-OFFSET"));
        assertEquals("*2\r\n$10\r\n1700000005\r\n$6\r\n123000\r\n", w.cmd("TIME"));
        assertEquals("+OK\r\n", w.cmd("DEBUG", "CLOCK-OFFSET", "-86400000"));
        assertEquals(":-86400000\r\n", w.cmd("DEBUG", "CLOCK-OFFSET"));
        assertEquals("*2\r\n$10\r\n1699913600\r\n$6\r\n123000\r\n", w.cmd("TIME"));
        assertEquals("+OK\r\n", w.cmd("DEBUG", "CLOCK-OFFSET", "0"));
        assertEquals(T0, ctx.debug.clock.currentTimeMillis());

        String range = "-ERR clock offset is out of range, must be between -86400000 and 86400000 milliseconds\r\n";
        assertEquals(range, w.cmd("DEBUG", "CLOCK-OFFSET", "86400001"));
        assertEquals(range, w.cmd("DEBUG", "CLOCK-OFFSET", "-9223372036854775807"));
        assertEquals("-ERR value is not an integer or out of range\r\n", w.cmd("DEBUG", "CLOCK-OFFSET", "5s"));
        assertEquals("-ERR value is not an integer or out of range\r\n",
                w.cmd("DEBUG", "CLOCK-OFFSET", "99999999999999999999"));
        assertEquals("-ERR unknown subcommand or wrong number of arguments for 'CLOCK-OFFSET'. Try DEBUG HELP.\r\n",
                w.cmd("DEBUG", "CLOCK-OFFSET", "1", "2"));
        assertEquals(":0\r\n", w.cmd("DEBUG", "CLOCK-OFFSET"), "refused offsets change nothing");
    }

    @Test
    void leaderStepdownRepliesWhenTheTransfersAreDoneAndInOrder() {
        DebugContext ctx = new DebugContext(DebugControl.Access.YES);
        Wire w = wire(ctx);
        assertEquals("", w.pipeline(c("DEBUG", "LEADER-STEPDOWN"), c("PING")), "nothing before the count");
        assertEquals(List.of(Integer.MAX_VALUE), ctx.debug.stepDowns, "default: every partition it leads");
        ctx.debug.stepDownReplies.get(0).complete(3);
        assertEquals(":3\r\n+PONG\r\n", w.output());

        assertEquals("", w.cmd("debug", "leader-stepdown", "2"));
        assertEquals(2, ctx.debug.stepDowns.get(1));
        ctx.debug.stepDownReplies.get(1).completeExceptionally(new IllegalStateException("node is closing"));
        assertEquals("-ERR node is closing\r\n", w.output());

        ctx.debug.stepDownReplies.clear();
        assertEquals("", w.cmd("DEBUG", "LEADER-STEPDOWN", "99999999999"));
        assertEquals(Integer.MAX_VALUE, ctx.debug.stepDowns.get(2), "a larger count means all");
        ctx.debug.stepDownReplies.get(0).complete(0);
        assertEquals(":0\r\n", w.output());

        assertEquals("-ERR value is out of range, must be positive\r\n", w.cmd("DEBUG", "LEADER-STEPDOWN", "0"));
        assertEquals("-ERR value is not an integer or out of range\r\n", w.cmd("DEBUG", "LEADER-STEPDOWN", "x"));
        assertEquals("-ERR unknown subcommand or wrong number of arguments for 'LEADER-STEPDOWN'. Try DEBUG HELP.\r\n",
                w.cmd("DEBUG", "LEADER-STEPDOWN", "1", "2"));
        assertEquals(3, ctx.debug.stepDowns.size(), "refused commands start nothing");
    }

    @Test
    void leaderStepdownIsRefusedInsideATransactionWithoutStartingAnything() {
        DebugContext ctx = new DebugContext(DebugControl.Access.YES);
        Wire w = wire(ctx);
        assertEquals("+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n-ERR Command not allowed inside a transaction\r\n"
                        + ":0\r\n+OK\r\n",
                w.pipeline(c("MULTI"), c("DEBUG", "LEADER-STEPDOWN"), c("DEBUG", "CLOCK-OFFSET"), c("SET", "a", "b"),
                        c("EXEC")));
        assertTrue(ctx.debug.stepDowns.isEmpty());
        assertEquals("$1\r\nb\r\n", w.cmd("GET", "a"));
    }

    @Test
    void helpAndUnknownSubcommands() {
        Wire w = wire(new DebugContext(DebugControl.Access.YES));
        String help = w.cmd("DEBUG", "HELP");
        assertTrue(help.startsWith("*10\r\n+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
                + "+CLOCK-OFFSET [<milliseconds>]\r\n"), help);
        assertTrue(help.contains("\r\n+LEADER-STEPDOWN [<count>]\r\n"), help);
        assertTrue(help.endsWith("+HELP\r\n+    Print this help.\r\n"), help);
        assertEquals("-ERR unknown subcommand or wrong number of arguments for 'nosuch'. Try DEBUG HELP.\r\n",
                w.cmd("DEBUG", "nosuch"));
        assertEquals("-ERR unknown subcommand or wrong number of arguments for 'help'. Try DEBUG HELP.\r\n",
                w.cmd("DEBUG", "help", "extra"));
        assertEquals("+PONG\r\n", w.cmd("PING"));
    }

    @Test
    void commandInfoHasRedisMetadata() {
        Wire w = wire(new TestContext());
        assertEquals("*1\r\n*10\r\n$5\r\ndebug\r\n:-2\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n"
                + ":0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n",
                w.cmd("COMMAND", "INFO", "debug"));
    }
}
