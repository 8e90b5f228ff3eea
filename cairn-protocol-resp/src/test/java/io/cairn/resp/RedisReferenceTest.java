package io.cairn.resp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cairn.commands.DataCommands;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same bytes go to a real redis-server and to Cairn's RESP server (with a test service behind
 * it); the bytes that come back must be identical. Covers the protocol layer's own commands,
 * errors and framing, where Redis 7.0 (installed) and 7.2 (followed) agree.
 */
@Timeout(60)
class RedisReferenceTest {
    private static Process redis;
    private static int redisPort;
    private static RespServer cairn;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/redis-server")), "redis-server not installed");
        try (ServerSocket s = new ServerSocket(0)) {
            redisPort = s.getLocalPort();
        }
        redis = new ProcessBuilder("/usr/bin/redis-server", "--port", String.valueOf(redisPort), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (RawClient c = new RawClient(redisPort)) {
                if (c.call("PING").equals("+PONG\r\n")) {
                    break;
                }
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("redis-server did not start on port " + redisPort, e);
                }
                Thread.sleep(50);
            }
        }
        cairn = new RespServer(RespSettings.defaults().withPort(0), new InMemoryService(), DataCommands.specs(),
                new TestContext());
        cairn.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (cairn != null) {
            cairn.close();
        }
        if (redis != null) {
            redis.destroy();
            if (!redis.waitFor(5, TimeUnit.SECONDS)) {
                redis.destroyForcibly();
            }
        }
    }

    /** Scripts of raw input; each runs on a fresh connection to each server. */
    static List<String> scripts() {
        return List.of(
                "PING\r\nPING hello\r\nECHO \"a b\\x41\"\r\nPING a b\r\nECHO\r\n",
                "FOO a b\r\nFOO\r\n" + cmd("FOO", "x".repeat(200), "y") + cmd("fOo\r\nbar", "a\nb"),
                "SET k 1\r\nINCR k\r\nGET k\r\nGET nope\r\nDEL k nope\r\nEXISTS k\r\nSET s x\r\nINCR s\r\nGET\r\n",
                "MULTI\r\nMULTI\r\nSET a b\r\nEXEC\r\n",
                "MULTI\r\nWATCH x\r\nSET a b\r\nEXEC\r\n",
                "MULTI\r\nFOO bar\r\nSET a b\r\nEXEC\r\nGET a\r\n",
                "MULTI\r\nGET\r\nEXEC\r\nEXEC\r\nDISCARD\r\n",
                "MULTI\r\nSET t 1\r\nINCR t\r\nPING\r\nECHO hi\r\nGET t\r\nEXEC\r\nMULTI\r\nSET t 9\r\nDISCARD\r\nGET t\r\n",
                "WATCH w\r\nMULTI\r\nSET w 1\r\nEXEC\r\nUNWATCH\r\n",
                "CLIENT SETNAME \"a b\"\r\nCLIENT GETNAME\r\nCLIENT SETNAME n1\r\nCLIENT GETNAME\r\nCLIENT FOO\r\n"
                        + "CLIENT\r\nCLIENT SETNAME\r\nCLIENT INFO x\r\nCLIENT SETNAME \"\"\r\nCLIENT GETNAME\r\n",
                "CLIENT KILL ID 0\r\nCLIENT KILL ID x\r\nCLIENT KILL 1.2.3.4:5\r\nCLIENT KILL ID 99999\r\n"
                        + "CLIENT KILL ID 1 TYPE\r\nCLIENT LIST TYPE x\r\nCLIENT LIST ID x\r\nCLIENT NO-EVICT maybe\r\n"
                        + "CLIENT NO-EVICT on\r\nCLIENT KILL USER nobody\r\nCLIENT LIST TYPE pubsub\r\n",
                "HELLO x\r\nHELLO 4\r\nHELLO 1\r\nHELLO 3 bogus\r\nHELLO 3 SETNAME\r\nHELLO 3 SETNAME \"a b\"\r\n",
                "AUTH x\r\nAUTH a b\r\nAUTH a b c\r\nAUTH default whatever\r\n",
                "CONFIG SET nosuch 1\r\nCONFIG SET timeout -1\r\nCONFIG SET timeout x\r\nCONFIG SET maxclients x\r\n"
                        + "CONFIG SET timeout 1 timeout 2\r\nCONFIG SET timeout 1 maxclients\r\nCONFIG GET\r\n"
                        + "CONFIG GET timeout\r\nCONFIG SET protected-mode maybe\r\nCONFIG FOO\r\n",
                // READONLY/READWRITE and SELECT 1 differ on purpose: the reference runs standalone, Cairn in cluster mode.
                "SELECT x\r\nSELECT 0\r\nSELECT 99999999999\r\n",
                "COMMAND INFO nosuch\r\nCOMMAND GETKEYS nosuch a\r\nCOMMAND GETKEYS PING a\r\nCOMMAND GETKEYS GET a b\r\n"
                        + "COMMAND GETKEYS MSET a b c d\r\nCOMMAND DOCS nosuch\r\nCOMMAND LIST FILTERBY\r\n"
                        + "COMMAND LIST FILTERBY MODULE nosuch\r\n",
                // DEBUG with enable-debug-command at its default (no): refused before anything else but arity.
                "DEBUG\r\nDEBUG HELP\r\nDEBUG nosuch a b\r\nMULTI\r\nDEBUG CLOCK-OFFSET 5\r\nSET a b\r\nEXEC\r\n"
                        + "COMMAND INFO debug\r\n",
                "SHUTDOWN ABORT\r\nSHUTDOWN bogus\r\nSHUTDOWN SAVE NOSAVE\r\nSHUTDOWN ABORT NOW\r\n",
                "RESET\r\nHELLO 3 SETNAME\r\nGET nope\r\nCONFIG GET timeout\r\nMULTI\r\nEXEC\r\nRESET\r\nGET nope\r\n",
                "SET \"k 1\" v\r\nGET 'k 1'\r\nEXISTS \"k 1\" \"k\\x201\"\r\n",
                "*0\r\n*-1\r\n\r\n   \r\nPING\n*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
                "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
                "SET a b\r\nQUIT\r\nGET a\r\n",
                "PING\r\n*1\r\n$x\r\nPING\r\n",
                "*x\r\n",
                "*1\r\n+foo\r\n",
                "*3000000000\r\n",
                "*2\r\n$3\r\nGET\r\n$-1\r\n",
                "ECHO \"unbalanced\r\nPING\r\n",
                "+PING\r\n:1\r\n");
    }

    private static String cmd(String... args) {
        return new String(Wire.command(args), java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    @ParameterizedTest
    @MethodSource("scripts")
    void sameBytesBack(String script) throws Exception {
        String expected = exchange(redisPort, script);
        String actual = exchange(cairn.port(), script);
        assertEquals(expected, actual, "script: " + script.replace("\r\n", "\\r\\n"));
    }

    /** A last command whose reply marks the end of a script's output (unless the server closed first). */
    private static final String END = "ECHO end-of-script\r\n";
    private static final String END_REPLY = "$13\r\nend-of-script\r\n";

    private static String exchange(int port, String script) throws IOException {
        try (RawClient c = new RawClient(port)) {
            c.send((script + END).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            return c.readUntil(END_REPLY);
        }
    }
}
