package io.cairn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;

/** DEBUG on a real single node over loopback: the config key, the gate, CLOCK-OFFSET moving TIME and expiry. */
@Timeout(60)
class DebugCommandServerTest {
    /** Jedis 6 has no DEBUG of its own. */
    private static final ProtocolCommand DEBUG = () -> "DEBUG".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static CairnServer start(Map<String, String> settings) throws InterruptedException {
        Map<String, String> flags = new HashMap<>(settings);
        flags.put("port", "0");
        flags.put("bind", "127.0.0.1");
        return CairnServer.start(ServerConfig.load(null, flags, List.of(), Map.of()));
    }

    private static Object debug(Jedis j, String... args) {
        Object r = j.sendCommand(DEBUG, args);
        return r instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : r;
    }

    /** TIME in milliseconds. */
    private static long time(Jedis j) {
        List<String> t = j.time();
        return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
    }

    @Test
    void disabledByDefault() throws Exception {
        try (CairnServer server = start(Map.of()); Jedis j = new Jedis("127.0.0.1", server.port())) {
            assertEquals(Map.of("enable-debug-command", "no"), j.configGet("enable-debug-command"));
            JedisDataException e = assertThrows(JedisDataException.class, () -> debug(j, "CLOCK-OFFSET", "5000"));
            assertEquals("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you"
                    + " can run it from a local connection, otherwise you need to set this option in the configuration"
                    + " file, and then restart the server.", e.getMessage());
            JedisDataException set = assertThrows(JedisDataException.class,
                    () -> j.configSet("enable-debug-command", "yes"));
            assertTrue(set.getMessage().contains("can't set immutable config"), set.getMessage());
            assertEquals(0, server.clock().offsetMillis());
        }
    }

    @Test
    void theConfigKeyIsValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.load(null, Map.of("enable-debug-command", "maybe"), List.of(), Map.of()));
        assertTrue(e.getMessage().contains("enable-debug-command"), e.getMessage());
        assertEquals(io.cairn.resp.DebugControl.Access.LOCAL,
                ServerConfig.load(null, Map.of("enable-debug-command", "Local"), List.of(), Map.of()).debugCommand());
        assertEquals(io.cairn.resp.DebugControl.Access.NO,
                ServerConfig.load(null, Map.of(), List.of(), Map.of()).debugCommand());
    }

    @Test
    void clockOffsetMovesTheNodeClockAheadAndBack() throws Exception {
        try (CairnServer server = start(Map.of("enable-debug-command", "yes"));
             Jedis j = new Jedis("127.0.0.1", server.port())) {
            assertEquals(Map.of("enable-debug-command", "yes"), j.configGet("enable-debug-command"));
            long skew = time(j) - System.currentTimeMillis();
            assertTrue(Math.abs(skew) < 1000, "TIME is system time to start with: " + skew);
            assertEquals(0L, debug(j, "CLOCK-OFFSET"));

            j.psetex("short", 3000, "lived");
            assertEquals("OK", debug(j, "CLOCK-OFFSET", "5000"));
            assertEquals(5000L, debug(j, "CLOCK-OFFSET"));
            assertEquals(5000, server.clock().offsetMillis());
            long ahead = time(j) - System.currentTimeMillis();
            assertTrue(ahead > 4000 && ahead < 6000, "TIME ~5 s ahead: " + ahead);
            assertNull(j.get("short"), "the node's commands read the same clock: a 3 s TTL has run out");

            assertEquals("OK", debug(j, "CLOCK-OFFSET", "-5000"));
            long behind = time(j) - System.currentTimeMillis();
            assertTrue(behind < -4000 && behind > -6000, "TIME ~5 s behind: " + behind);
            assertEquals("OK", j.set("k", "v"), "writes go on while the clock is behind");
            assertEquals("v", j.get("k"));

            assertEquals("OK", debug(j, "CLOCK-OFFSET", "0"));
            long back = time(j) - System.currentTimeMillis();
            assertTrue(Math.abs(back) < 1000, "TIME back to system time: " + back);

            assertThrows(JedisDataException.class, () -> debug(j, "CLOCK-OFFSET", "86400001"));
            assertEquals(0L, debug(j, "LEADER-STEPDOWN"), "a node outside a cluster leads nothing to hand over");
            assertEquals("PONG", j.ping());
        }
    }
}
