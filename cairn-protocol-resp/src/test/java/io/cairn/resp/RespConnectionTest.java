package io.cairn.resp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.netty.buffer.ByteBuf;
import io.netty.util.ResourceLeakDetector;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The connection handler on an EmbeddedChannel: dispatch, ordering, batching, transactions, sessions. */
class RespConnectionTest {
    @BeforeAll
    static void leaks() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    private final InMemoryService service = new InMemoryService();
    private final RespRuntime rt = Wire.runtime(Wire.settings(), service);
    private final Wire w = new Wire(rt);

    private static String[] c(String... args) {
        return args;
    }

    @Test
    void pingEchoAndData() {
        assertEquals("+PONG\r\n", w.cmd("PING"));
        assertEquals("$5\r\nhello\r\n", w.cmd("PING", "hello"));
        assertEquals("$3\r\nhey\r\n", w.cmd("echo", "hey"));
        assertEquals("+OK\r\n", w.cmd("SET", "k", "v"));
        assertEquals("$1\r\nv\r\n", w.cmd("GET", "k"));
        assertEquals("$-1\r\n", w.cmd("GET", "missing"));
        assertEquals(":1\r\n", w.cmd("INCR", "n"));
    }

    @Test
    void inlineCommands() {
        assertEquals("+PONG\r\n", w.raw("PING\r\n"));
        assertEquals("+OK\r\n", w.raw("SET a b\r\n"));
        assertEquals("$1\r\nb\r\n", w.raw("GET a\n"));
    }

    @Test
    void pipelinedRepliesAreWrittenOncePerReadBatch() {
        StringBuilder sb = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            sb.append(new String(Wire.command("SET", "k" + i, "v" + i), StandardCharsets.UTF_8));
            sb.append(new String(Wire.command("GET", "k" + i), StandardCharsets.UTF_8));
            expected.append("+OK\r\n$").append(("v" + i).length()).append("\r\nv").append(i).append("\r\n");
        }
        w.ch.writeInbound(io.netty.buffer.Unpooled.wrappedBuffer(sb.toString().getBytes(StandardCharsets.UTF_8)));
        List<ByteBuf> writes = w.outboundBuffers();
        assertEquals(1, writes.size(), "one write+flush for the whole batch");
        assertEquals(expected.toString(), writes.get(0).toString(StandardCharsets.UTF_8));
        writes.forEach(ByteBuf::release);
    }

    @Test
    void bigBatchesAreWrittenInChunksBeforeTheBatchEnds() {
        service.apply(new byte[][] {b("SET"), b("big"), new byte[40_000]});
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            sb.append(new String(Wire.command("GET", "big"), StandardCharsets.UTF_8));
        }
        w.ch.writeInbound(io.netty.buffer.Unpooled.wrappedBuffer(b(sb.toString())));
        List<ByteBuf> writes = w.outboundBuffers();
        assertTrue(writes.size() > 1 && writes.size() < 10, "chunked at 64 KiB: " + writes.size());
        long total = writes.stream().mapToLong(ByteBuf::readableBytes).sum();
        assertEquals(10L * (8 + 40_000 + 2), total);
        writes.forEach(ByteBuf::release);
    }

    @Test
    void repliesStayInRequestOrderWhenFuturesCompleteOutOfOrder() {
        ManualService manual = new ManualService();
        Wire m = new Wire(Wire.runtime(Wire.settings(), manual));
        manual.apply(new byte[][] {b("SET"), b("a"), b("1")});
        manual.apply(new byte[][] {b("SET"), b("b"), b("2")});
        manual.apply(new byte[][] {b("SET"), b("c"), b("3")});
        String out = m.pipeline(c("GET", "a"), c("GET", "b"), c("PING"), c("GET", "c"));
        assertEquals("", out, "nothing may be sent before the first reply");
        assertEquals(3, manual.calls.size());
        manual.completeFromModel(2); // c
        assertEquals("", m.output());
        manual.completeFromModel(0); // a
        assertEquals("$1\r\n1\r\n", m.output());
        manual.completeFromModel(1); // b: releases b, PONG and c
        assertEquals("$1\r\n2\r\n+PONG\r\n$1\r\n3\r\n", m.output());
        assertEquals("+PONG\r\n", m.cmd("PING"), "and the connection is back to the direct path");
    }

    @Test
    void completionsFromAnotherThreadAreDeliveredOnTheEventLoop() throws Exception {
        ManualService manual = new ManualService();
        Wire m = new Wire(Wire.runtime(Wire.settings(), manual));
        m.cmd("GET", "x");
        Thread t = new Thread(() -> manual.calls.get(0).future().complete(Reply.bulk("later")));
        t.start();
        t.join(5000);
        assertEquals("$5\r\nlater\r\n", m.output());
    }

    @Test
    void serviceFailuresBecomeErrorRepliesNotClosedConnections() {
        CommandService failing = new InMemoryService() {
            @Override
            public synchronized CompletableFuture<Reply> execute(byte[][] argv) {
                return switch (new String(argv[1], StandardCharsets.UTF_8)) {
                    case "iae" -> CompletableFuture.failedFuture(new IllegalArgumentException("bad key"));
                    case "state" -> CompletableFuture.failedFuture(new IllegalStateException("no quorum"));
                    case "throw" -> throw new IllegalStateException("thrown directly");
                    case "null" -> null;
                    case "nullreply" -> CompletableFuture.completedFuture(null);
                    default -> CompletableFuture.failedFuture(
                            new java.util.concurrent.CompletionException(new java.io.IOException()));
                };
            }
        };
        Wire f = new Wire(Wire.runtime(Wire.settings(), failing));
        assertEquals("-ERR bad key\r\n", f.cmd("GET", "iae"));
        assertEquals("-ERR no quorum\r\n", f.cmd("GET", "state"));
        assertEquals("-ERR thrown directly\r\n", f.cmd("GET", "throw"));
        assertTrue(f.cmd("GET", "null").startsWith("-ERR internal error"));
        assertTrue(f.cmd("GET", "nullreply").startsWith("-ERR internal error"));
        assertEquals("-ERR IOException\r\n", f.cmd("GET", "other"));
        assertTrue(f.open());
        assertEquals("+PONG\r\n", f.cmd("PING"));
    }

    @Test
    void unknownCommandsAndArity() {
        assertEquals("-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n", w.cmd("FOO", "a", "b"));
        assertEquals("-ERR unknown command 'FOO', with args beginning with: \r\n", w.cmd("FOO"));
        String longArg = "x".repeat(200);
        assertEquals("-ERR unknown command 'FOO', with args beginning with: '" + "x".repeat(128) + "' \r\n",
                w.cmd("FOO", longArg, "next"));
        assertEquals("-ERR wrong number of arguments for 'get' command\r\n", w.cmd("GET"));
        assertEquals("-ERR wrong number of arguments for 'ping' command\r\n", w.cmd("PING", "a", "b"));
        assertEquals("-ERR wrong number of arguments for 'client' command\r\n", w.cmd("CLIENT"));
        assertEquals("-ERR wrong number of arguments for 'client|setname' command\r\n", w.cmd("CLIENT", "SETNAME"));
        assertEquals("-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n", w.cmd("client", "FOO"));
        assertEquals("-ERR unknown subcommand 'x'. Try CONFIG HELP.\r\n", w.cmd("config", "x"));
    }

    @Test
    void helloSwitchesToResp3() {
        String hello = w.cmd("HELLO", "3");
        long id = w.conn.id;
        assertEquals("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.2.0\r\n$5\r\nproto\r\n:3\r\n"
                + "$2\r\nid\r\n:" + id + "\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
                + "$7\r\nmodules\r\n*0\r\n", hello);
        assertEquals("_\r\n", w.cmd("GET", "missing"));
        assertEquals("%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n", w.cmd("CONFIG", "GET", "maxclients"));
        assertEquals("-NOPROTO unsupported protocol version\r\n", w.cmd("HELLO", "4"));
        assertEquals("-ERR Protocol version is not an integer or out of range\r\n", w.cmd("HELLO", "x"));
        assertEquals("-ERR Syntax error in HELLO option 'bogus'\r\n", w.cmd("HELLO", "3", "bogus"));
        String back = w.cmd("HELLO", "2", "SETNAME", "conn1");
        assertTrue(back.startsWith("*14\r\n"), back);
        assertEquals("$5\r\nconn1\r\n", w.cmd("CLIENT", "GETNAME"));
        assertEquals("$-1\r\n", w.cmd("GET", "missing"));
    }

    @Test
    void authentication() {
        RespRuntime secured = Wire.runtime(Wire.settings().withRequirePass("s3cret"), new InMemoryService());
        Wire a = new Wire(secured);
        assertEquals("-NOAUTH Authentication required.\r\n", a.cmd("GET", "k"));
        assertEquals("-ERR unknown command 'NOPE', with args beginning with: \r\n", a.cmd("NOPE"),
                "unknown commands are reported before authentication is checked, as in Redis");
        assertEquals("-WRONGPASS invalid username-password pair or user is disabled.\r\n", a.cmd("AUTH", "wrong"));
        assertEquals("-WRONGPASS invalid username-password pair or user is disabled.\r\n",
                a.cmd("AUTH", "other", "s3cret"));
        assertEquals("-ERR syntax error\r\n", a.cmd("AUTH", "a", "b", "c"));
        assertTrue(a.cmd("HELLO", "3").startsWith("-NOAUTH HELLO must be called with the client already authenticated"));
        assertEquals("+OK\r\n", a.cmd("AUTH", "s3cret"));
        assertEquals("$-1\r\n", a.cmd("GET", "k"));
        assertEquals("+RESET\r\n", a.cmd("RESET"));
        assertEquals("-NOAUTH Authentication required.\r\n", a.cmd("GET", "k"), "RESET logs out");
        assertTrue(a.cmd("HELLO", "3", "AUTH", "default", "s3cret").startsWith("%7\r\n"));
        assertEquals("_\r\n", a.cmd("GET", "k"));

        assertEquals("-ERR AUTH <password> called without any password configured for the default user. "
                + "Are you sure your configuration is correct?\r\n", w.cmd("AUTH", "x"));
        assertEquals("+OK\r\n", w.cmd("AUTH", "default", "anything"), "the default user has no password");
    }

    @Test
    void unauthenticatedClientsCannotSendBigCommands() {
        Wire a = new Wire(Wire.runtime(Wire.settings().withRequirePass("pw"), new InMemoryService()));
        String out = a.send(Wire.command("SET", "k", "v".repeat(20_000)));
        assertEquals("-ERR Protocol error: unauthenticated bulk length\r\n", out);
        assertFalse(a.open());
    }

    @Test
    void authInTheSamePipelineLiftsTheUnauthenticatedLimits() {
        Wire a = new Wire(Wire.runtime(Wire.settings().withRequirePass("pw"), new InMemoryService()));
        String big = "v".repeat(20_000);
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.writeBytes(Wire.command("AUTH", "pw"));
        b.writeBytes(Wire.command("SET", "k", big));
        b.writeBytes(Wire.command("STRLEN", "k"));
        String out = a.send(b.toByteArray());
        assertTrue(out.startsWith("+OK\r\n+OK\r\n"), out);
        assertTrue(a.open());
    }

    @Test
    void configSetRequirepassTakesEffectForNewConnections() {
        assertEquals("+OK\r\n", w.cmd("CONFIG", "SET", "requirepass", "pw"));
        assertEquals("$-1\r\n", w.cmd("GET", "k"), "existing connections stay authenticated, as in Redis");
        Wire fresh = new Wire(rt);
        assertEquals("-NOAUTH Authentication required.\r\n", fresh.cmd("GET", "k"));
        assertEquals("+OK\r\n", w.cmd("CONFIG", "SET", "requirepass", ""));
        assertEquals("$-1\r\n", fresh.cmd("GET", "k"));
    }

    @Test
    void multiExec() {
        assertEquals("+OK\r\n", w.cmd("MULTI"));
        assertEquals("+QUEUED\r\n", w.cmd("SET", "a", "1"));
        assertEquals("+QUEUED\r\n", w.cmd("INCR", "a"));
        assertEquals("+QUEUED\r\n", w.cmd("PING"));
        assertEquals("+QUEUED\r\n", w.cmd("GET", "a"));
        assertEquals("*4\r\n+OK\r\n:2\r\n+PONG\r\n$1\r\n2\r\n", w.cmd("EXEC"));
        assertEquals("-ERR EXEC without MULTI\r\n", w.cmd("EXEC"));
        assertEquals("-ERR DISCARD without MULTI\r\n", w.cmd("DISCARD"));
    }

    @Test
    void multiErrorsMatchRedis() {
        assertEquals("+OK\r\n-ERR MULTI calls can not be nested\r\n+QUEUED\r\n*1\r\n+OK\r\n",
                w.pipeline(c("MULTI"), c("MULTI"), c("SET", "a", "b"), c("EXEC")));
        assertEquals("+OK\r\n-ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n*1\r\n+OK\r\n",
                w.pipeline(c("MULTI"), c("WATCH", "x"), c("SET", "a", "b"), c("EXEC")));
        assertEquals("+OK\r\n-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n+QUEUED\r\n"
                        + "-EXECABORT Transaction discarded because of previous errors.\r\n",
                w.pipeline(c("MULTI"), c("FOO", "bar"), c("SET", "a", "b"), c("EXEC")));
        assertEquals("+OK\r\n-ERR wrong number of arguments for 'get' command\r\n"
                        + "-EXECABORT Transaction discarded because of previous errors.\r\n",
                w.pipeline(c("MULTI"), c("GET"), c("EXEC")));
        assertEquals("+OK\r\n-ERR Command not allowed inside a transaction\r\n+OK\r\n",
                w.pipeline(c("MULTI"), c("SHUTDOWN"), c("DISCARD")));
        assertEquals("$1\r\nb\r\n", w.cmd("GET", "a"), "the aborted SET did not run");
    }

    @Test
    void multiQueueIsBounded() {
        Wire small = new Wire(Wire.runtime(Wire.settings().withQueueLimits(2, 100), new InMemoryService()));
        assertEquals("+OK\r\n+QUEUED\r\n+QUEUED\r\n-ERR too many commands queued in MULTI (multi-max-queued is 2)\r\n"
                        + "+QUEUED\r\n-EXECABORT Transaction discarded because of previous errors.\r\n",
                small.pipeline(c("MULTI"), c("PING"), c("PING"), c("PING"), c("PING"), c("EXEC")));
    }

    @Test
    void watchAbortsExecWhenAWatchedKeyChanges() {
        assertEquals("+OK\r\n", w.cmd("WATCH", "k"));
        service.apply(new byte[][] {b("SET"), b("k"), b("changed by someone else")});
        assertEquals("+OK\r\n+QUEUED\r\n+QUEUED\r\n*-1\r\n",
                w.pipeline(c("MULTI"), c("SET", "k", "mine"), c("CLIENT", "SETNAME", "x"), c("EXEC")));
        assertEquals("$-1\r\n", w.cmd("CLIENT", "GETNAME"), "nothing of an aborted transaction runs");
        assertEquals("$23\r\nchanged by someone else\r\n", w.cmd("GET", "k"));

        assertEquals("+OK\r\n", w.cmd("WATCH", "k"));
        assertEquals("+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n", w.pipeline(c("MULTI"), c("SET", "k", "mine"), c("EXEC")));
        assertEquals("$4\r\nmine\r\n", w.cmd("GET", "k"));

        assertEquals("+OK\r\n", w.cmd("WATCH", "k"));
        assertEquals("+OK\r\n", w.cmd("UNWATCH"));
        service.apply(new byte[][] {b("SET"), b("k"), b("again")});
        assertEquals("+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n", w.pipeline(c("MULTI"), c("SET", "k", "x"), c("EXEC")));

        assertEquals("+OK\r\n", w.cmd("WATCH", "k"));
        service.apply(new byte[][] {b("SET"), b("k"), b("touched")});
        assertEquals("+OK\r\n+QUEUED\r\n*-1\r\n", w.pipeline(c("MULTI"), c("PING"), c("EXEC")),
                "a watched change aborts even a transaction without data commands");
    }

    @Test
    void execWithAnAsynchronousServiceKeepsOrder() {
        ManualService manual = new ManualService();
        Wire m = new Wire(Wire.runtime(Wire.settings(), manual));
        String out = m.pipeline(c("MULTI"), c("SET", "a", "1"), c("CLIENT", "SETNAME", "tx"), c("GET", "a"),
                c("EXEC"), c("PING"));
        assertEquals("+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n", out, "EXEC and later replies wait");
        manual.completeLastExecFromModel();
        assertEquals("*3\r\n+OK\r\n+OK\r\n$1\r\n1\r\n+PONG\r\n", m.output());
        assertEquals("$2\r\ntx\r\n", m.cmd("CLIENT", "GETNAME"));
    }

    @Test
    void quitRepliesThenCloses() {
        assertEquals("+OK\r\n+OK\r\n", w.pipeline(c("SET", "a", "b"), c("QUIT"), c("SET", "a", "c")));
        assertFalse(w.open());
        assertEquals("$1\r\nb\r\n", new Wire(rt).cmd("GET", "a"), "commands after QUIT never ran");
    }

    @Test
    void protocolErrorRepliesAfterEarlierCommandsThenCloses() {
        assertEquals("+PONG\r\n-ERR Protocol error: invalid bulk length\r\n", w.raw("PING\r\n*1\r\n$x\r\nPING\r\n"));
        assertFalse(w.open());
    }

    @Test
    void garbageClosesOnlyThatConnection() {
        Wire other = new Wire(rt);
        String out = w.raw("*2\r\n$3\r\nGET\r\n:12\r\n");
        assertEquals("-ERR Protocol error: expected '$', got ':'\r\n", out);
        assertFalse(w.open());
        assertEquals("+PONG\r\n", other.cmd("PING"));
    }

    @Test
    void reset() {
        w.cmd("HELLO", "3", "SETNAME", "n");
        w.cmd("MULTI");
        assertEquals("+RESET\r\n", w.cmd("RESET"));
        assertEquals("$-1\r\n", w.cmd("CLIENT", "GETNAME"), "RESP2 again, no name");
        assertEquals("-ERR EXEC without MULTI\r\n", w.cmd("EXEC"));
    }

    @Test
    void selectIsOnlyDatabaseZero() {
        assertEquals("+OK\r\n", w.cmd("SELECT", "0"));
        assertEquals("-ERR SELECT is not allowed in cluster mode\r\n", w.cmd("SELECT", "1"));
        assertEquals("-ERR value is not an integer or out of range\r\n", w.cmd("SELECT", "x"));
        assertEquals("+OK\r\n", w.cmd("READONLY"));
        assertEquals("+OK\r\n", w.cmd("READWRITE"));
    }

    @Test
    void clientCommands() {
        assertEquals(":" + w.conn.id + "\r\n", w.cmd("CLIENT", "ID"));
        assertEquals("$-1\r\n", w.cmd("CLIENT", "GETNAME"));
        assertEquals("-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
                w.cmd("CLIENT", "SETNAME", "a b"));
        assertEquals("+OK\r\n", w.cmd("CLIENT", "SETNAME", "worker-1"));
        assertEquals("$8\r\nworker-1\r\n", w.cmd("CLIENT", "GETNAME"));
        assertEquals("+OK\r\n", w.cmd("CLIENT", "SETINFO", "lib-name", "redis-py"));
        assertEquals("+OK\r\n", w.cmd("CLIENT", "SETINFO", "LIB-VER", "5.0"));
        assertEquals("-ERR Unrecognized option 'foo'\r\n", w.cmd("CLIENT", "SETINFO", "foo", "x"));
        assertEquals("-ERR lib-name cannot contain spaces, newlines or special characters.\r\n",
                w.cmd("CLIENT", "SETINFO", "lib-name", "a b"));
        assertEquals("+OK\r\n", w.cmd("CLIENT", "NO-EVICT", "on"));
        assertEquals("+OK\r\n", w.cmd("CLIENT", "NO-TOUCH", "off"));
        assertEquals("-ERR syntax error\r\n", w.cmd("CLIENT", "NO-EVICT", "maybe"));
        String info = w.cmd("CLIENT", "INFO");
        assertTrue(info.contains("id=" + w.conn.id + " ") && info.contains(" name=worker-1 ")
                && info.contains(" lib-name=redis-py lib-ver=5.0") && info.contains(" cmd=client|info ")
                && info.contains(" flags=e ") && info.endsWith("\n\r\n"), info);
        assertEquals("+OK\r\n", w.cmd("CLIENT", "SETNAME", ""));
        assertEquals("$-1\r\n", w.cmd("CLIENT", "GETNAME"));
        assertTrue(w.cmd("CLIENT", "HELP").startsWith("*"));
    }

    @Test
    void clientListAndKill() {
        Wire other = new Wire(rt, new InetSocketAddress("127.0.0.1", 40001));
        String list = w.cmd("CLIENT", "LIST");
        assertTrue(list.contains("id=" + w.conn.id + " ") && list.contains("id=" + other.conn.id + " addr=127.0.0.1:40001 "),
                list);
        assertEquals(2, list.split("id=", -1).length - 1, "two connections listed");
        String byId = w.cmd("CLIENT", "LIST", "ID", String.valueOf(other.conn.id), "999");
        assertTrue(byId.contains("id=" + other.conn.id + " ") && !byId.contains("id=" + w.conn.id + " "), byId);
        assertEquals("-ERR Invalid client ID\r\n", w.cmd("CLIENT", "LIST", "ID", "x"));
        assertEquals("-ERR Unknown client type 'x'\r\n", w.cmd("CLIENT", "LIST", "TYPE", "x"));
        assertEquals("$0\r\n\r\n", w.cmd("CLIENT", "LIST", "TYPE", "pubsub"));

        assertEquals("-ERR No such client\r\n", w.cmd("CLIENT", "KILL", "1.2.3.4:5"));
        assertEquals(":0\r\n", w.cmd("CLIENT", "KILL", "ID", "12345"));
        assertEquals("-ERR client-id should be greater than 0\r\n", w.cmd("CLIENT", "KILL", "ID", "0"));
        assertEquals("-ERR syntax error\r\n", w.cmd("CLIENT", "KILL", "ID", "1", "TYPE"));
        assertEquals("-ERR No such user 'bob'\r\n", w.cmd("CLIENT", "KILL", "USER", "bob"));
        assertEquals(":1\r\n", w.cmd("CLIENT", "KILL", "ID", String.valueOf(other.conn.id)));
        assertFalse(other.open());
        Wire third = new Wire(rt, new InetSocketAddress("127.0.0.1", 40002));
        assertEquals(":1\r\n", w.cmd("CLIENT", "KILL", "ADDR", "127.0.0.1:40002", "SKIPME", "yes"));
        assertFalse(third.open());
        Wire fourth = new Wire(rt, new InetSocketAddress("127.0.0.1", 40003));
        assertEquals("+OK\r\n", w.cmd("CLIENT", "KILL", "127.0.0.1:40003"), "the old form");
        assertFalse(fourth.open());
        assertEquals(":0\r\n", w.cmd("CLIENT", "KILL", "ID", String.valueOf(w.conn.id)), "SKIPME defaults to yes");
        assertEquals(":1\r\n", w.cmd("CLIENT", "KILL", "ID", String.valueOf(w.conn.id), "SKIPME", "no"));
        assertFalse(w.open());
    }

    @Test
    void commandIntrospection() {
        int count = rt.commands.topLevel().size();
        assertEquals(":" + count + "\r\n", w.cmd("COMMAND", "COUNT"));
        assertEquals("*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
                        + "*3\r\n+@read\r\n+@string\r\n+@fast\r\n" + "*0\r\n"
                        + "*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n"
                        + "$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n"
                        + "$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n"
                        + "$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n" + "*0\r\n",
                w.cmd("COMMAND", "INFO", "get"));
        assertEquals("*1\r\n$-1\r\n", w.cmd("COMMAND", "INFO", "nosuch"));
        String docs = w.cmd("COMMAND", "DOCS", "get", "nosuch");
        assertEquals("*2\r\n$3\r\nget\r\n*6\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n"
                + "$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n", docs);
        String client = w.cmd("COMMAND", "DOCS", "client");
        assertTrue(client.contains("$11\r\nsubcommands\r\n") && client.contains("$14\r\nclient|setname\r\n"), client);
        String all = w.cmd("COMMAND");
        assertTrue(all.startsWith("*" + count + "\r\n"));
        String list = w.cmd("COMMAND", "LIST", "FILTERBY", "PATTERN", "client*");
        assertTrue(list.contains("$6\r\nclient\r\n") && list.contains("$9\r\nclient|id\r\n") && !list.contains("$3\r\nget"),
                list);
        assertEquals("*2\r\n$1\r\na\r\n$1\r\nc\r\n", w.cmd("COMMAND", "GETKEYS", "MSET", "a", "b", "c", "d"));
        assertEquals("-ERR Invalid command specified\r\n", w.cmd("COMMAND", "GETKEYS", "nosuch", "a"));
        assertEquals("-ERR The command has no key arguments\r\n", w.cmd("COMMAND", "GETKEYS", "PING", "a"));
        assertEquals("-ERR Invalid number of arguments specified for command\r\n",
                w.cmd("COMMAND", "GETKEYS", "GET", "a", "b"));
    }

    @Test
    void configGetAndSet() {
        String all = w.cmd("CONFIG", "GET", "*");
        assertTrue(all.contains("$10\r\nmaxclients\r\n$5\r\n10000\r\n"), "live value overrides the node's: " + all);
        assertTrue(all.contains("$7\r\nstorage\r\n$6\r\nmemory\r\n"), all);
        assertEquals("*4\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n$7\r\ntimeout\r\n$1\r\n0\r\n",
                w.cmd("CONFIG", "GET", "MAXCLIENTS", "timeout", "maxclients"));
        assertEquals("*2\r\n$4\r\nsave\r\n$0\r\n\r\n", w.cmd("CONFIG", "GET", "save"));
        assertEquals("*0\r\n", w.cmd("CONFIG", "GET", "nosuch"));
        assertEquals("+OK\r\n", w.cmd("CONFIG", "SET", "maxclients", "50", "timeout", "30"));
        assertEquals(50, rt.config.maxClients);
        assertEquals(30, rt.config.idleTimeoutSeconds);
        assertEquals("+OK\r\n", w.cmd("CONFIG", "SET", "proto-max-bulk-len", "2mb"));
        assertEquals(2 * 1024 * 1024, rt.config.maxBulkBytes);
        assertEquals("-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n",
                w.cmd("CONFIG", "SET", "nosuch", "1"));
        assertEquals("-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config\r\n",
                w.cmd("CONFIG", "SET", "port", "1"));
        assertEquals("-ERR CONFIG SET failed (possibly related to argument 'maxclients') - "
                + "argument couldn't be parsed into an integer\r\n", w.cmd("CONFIG", "SET", "maxclients", "x"));
        assertEquals("-ERR CONFIG SET failed (possibly related to argument 'timeout') - "
                + "argument must be between 0 and 2147483647 inclusive\r\n", w.cmd("CONFIG", "SET", "timeout", "-1"));
        assertEquals("-ERR CONFIG SET failed (possibly related to argument 'protected-mode') - "
                + "argument must be 'yes' or 'no'\r\n", w.cmd("CONFIG", "SET", "protected-mode", "maybe"));
        assertEquals("-ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter\r\n",
                w.cmd("CONFIG", "SET", "timeout", "1", "timeout", "2"));
        assertEquals("-ERR syntax error\r\n", w.cmd("CONFIG", "SET", "timeout", "1", "maxclients"));
        assertEquals(30, rt.config.idleTimeoutSeconds, "failed CONFIG SETs change nothing");
    }

    @Test
    void infoAndStats() {
        w.cmd("SET", "a", "1");
        w.cmd("GET", "a");
        w.cmd("GET");
        w.cmd("NOPE");
        String info = w.cmd("INFO");
        assertTrue(info.contains("# Server\r\nredis_version:7.2.0\r\ncairn_version:0.1.0-test\r\n"), info);
        assertTrue(info.contains("\r\n\r\n# Clients\r\nconnected_clients:1\r\n"), info);
        assertTrue(info.contains("# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n"), info);
        assertTrue(info.contains("errorstat_ERR:count=2\r\n"), info);
        assertFalse(info.contains("# Commandstats"), "commandstats is not a default section");
        String stats = w.cmd("INFO", "commandstats");
        assertTrue(stats.contains("cmdstat_get:calls=1,") && stats.contains("rejected_calls=1,failed_calls=0"), stats);
        assertTrue(stats.contains("cmdstat_set:calls=1,"), stats);
        assertTrue(stats.contains("cmdstat_info:calls=1,"), stats);
        assertFalse(stats.contains("# Server"));
        assertEquals("+OK\r\n", w.cmd("CONFIG", "RESETSTAT"));
        String after = w.cmd("INFO", "commandstats", "stats");
        assertFalse(after.contains("cmdstat_get"), after);
        assertTrue(after.contains("cmdstat_config|resetstat:calls=1,"), after);
        assertTrue(after.contains("# Stats\r\n"), after);
        assertEquals("$0\r\n\r\n", w.cmd("INFO", "nosuchsection"));
        w.cmd("HELLO", "3");
        assertTrue(w.cmd("INFO", "server").startsWith("="), "RESP3 clients get INFO as a verbatim string");
        assertTrue(w.cmd("CLIENT", "LIST").startsWith("="));
    }

    @Test
    void timeAndShutdown() {
        String time = w.cmd("TIME");
        assertTrue(time.matches("\\*2\r\n\\$10\r\n\\d{10}\r\n\\$\\d+\r\n\\d{1,6}\r\n"), time);
        TestContext ctx = (TestContext) rt.context;
        assertEquals("-ERR No shutdown in progress.\r\n", w.cmd("SHUTDOWN", "ABORT"));
        assertEquals("-ERR syntax error\r\n", w.cmd("SHUTDOWN", "SAVE", "NOSAVE"));
        assertEquals("-ERR syntax error\r\n", w.cmd("SHUTDOWN", "later"));
        assertEquals(0, ctx.shutdownRequests.get());
        assertEquals("", w.cmd("SHUTDOWN", "NOSAVE"));
        assertEquals(1, ctx.shutdownRequests.get());
        assertFalse(w.open());
    }

    @Test
    void clusterCommands() {
        assertEquals(":12182\r\n", w.cmd("CLUSTER", "KEYSLOT", "foo"));
        assertEquals(":12182\r\n", w.cmd("CLUSTER", "KEYSLOT", "{foo}bar"));
        assertEquals("$40\r\n" + TestContext.NODE_ID + "\r\n", w.cmd("CLUSTER", "MYID"));
        String info = w.cmd("CLUSTER", "INFO");
        assertTrue(info.contains("cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n"), info);
        assertTrue(info.contains("cluster_known_nodes:1\r\ncluster_size:1\r\n"), info);
        String line = TestContext.NODE_ID + " 127.0.0.1:6380@0 myself,master - 0 0 0 connected 0-16383\n";
        assertEquals("$" + line.length() + "\r\n" + line + "\r\n", w.cmd("CLUSTER", "NODES"));
        assertEquals("*1\r\n*3\r\n:0\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:6380\r\n$40\r\n" + TestContext.NODE_ID
                + "\r\n*0\r\n", w.cmd("CLUSTER", "SLOTS"));
        String shards = w.cmd("CLUSTER", "SHARDS");
        assertTrue(shards.startsWith("*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n*14\r\n"),
                shards);
        w.cmd("HELLO", "3");
        assertTrue(w.cmd("CLUSTER", "SLOTS").endsWith("%0\r\n"));
    }

    @Test
    void wildcardBindIsReportedAsTheAddressTheClientReached() {
        RespRuntime wild = Wire.runtime(Wire.settings(), new InMemoryService(), new TestContext("0.0.0.0", () -> 7000));
        Wire x = new Wire(wild);
        // An EmbeddedChannel has no IP address: the configured host is all there is.
        assertTrue(x.cmd("CLUSTER", "NODES").contains(" 0.0.0.0:7000@0 "));
    }

    @Test
    void inflightLimitPausesReading() {
        ManualService manual = new ManualService();
        Wire m = new Wire(Wire.runtime(Wire.settings().withQueueLimits(100, 4), manual));
        String[][] gets = new String[6][];
        for (int i = 0; i < gets.length; i++) {
            gets[i] = c("GET", "k" + i);
        }
        m.pipeline(gets);
        assertFalse(m.ch.config().isAutoRead(), "reading stops at 4 replies in flight");
        for (int i = 0; i < 6; i++) {
            manual.calls.get(i).future().complete(Reply.integer(i));
        }
        assertEquals(":0\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n", m.output());
        assertTrue(m.ch.config().isAutoRead(), "and resumes once they drained");
    }

    @Test
    void protectedModeRefusesRemoteClientsWithoutPassword() {
        Wire remote = new Wire(rt, new InetSocketAddress("10.1.2.3", 5555));
        assertEquals(RespConnection.PROTECTED_MODE_DENIED, remote.output());
        assertFalse(remote.open());
        assertTrue(RespConnection.PROTECTED_MODE_DENIED.startsWith("-DENIED Redis is running in protected mode"));

        Wire local = new Wire(rt, new InetSocketAddress("127.0.0.1", 5556));
        assertEquals("+PONG\r\n", local.cmd("PING"));

        RespRuntime secured = Wire.runtime(Wire.settings().withRequirePass("pw"), new InMemoryService());
        Wire remoteWithPassword = new Wire(secured, new InetSocketAddress("10.1.2.3", 5557));
        assertEquals("-NOAUTH Authentication required.\r\n", remoteWithPassword.cmd("PING"));
        assertEquals("+OK\r\n", w.cmd("CONFIG", "SET", "protected-mode", "no"));
        assertEquals("+PONG\r\n", new Wire(rt, new InetSocketAddress("10.1.2.3", 5558)).cmd("PING"));
    }

    @Test
    void maxClientsRefusesTheExtraConnection() {
        RespRuntime one = Wire.runtime(Wire.settings().withLimits(1, 1 << 20, 1 << 20, 1 << 30, 1 << 28),
                new InMemoryService());
        Wire first = new Wire(one);
        Wire second = new Wire(one);
        assertEquals("-ERR max number of clients reached\r\n", second.output());
        assertFalse(second.open());
        assertEquals("+PONG\r\n", first.cmd("PING"));
        first.ch.close();
        assertEquals("+PONG\r\n", new Wire(one).cmd("PING"), "the slot is free again");
    }

    @Test
    void httpRequestsAreDroppedSilently() {
        assertEquals("", w.raw("POST / HTTP/1.1\r\nHost: x\r\n\r\n"));
        assertFalse(w.open());
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
