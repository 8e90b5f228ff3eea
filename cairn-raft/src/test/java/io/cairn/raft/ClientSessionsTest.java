package io.cairn.raft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.raft.codec.CorruptEntryException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The at-most-once table of a partition state machine, on its own. */
class ClientSessionsTest {
    private static final byte[] A = {1, 1, 1};
    private static final byte[] B = {2, 2, 2};

    @Test
    void aCallAppliedOnceIsAnsweredWithItsFirstReply() {
        ClientSessions s = new ClientSessions();
        assertNull(s.lookup(A, 7), "a new call is applied");
        s.record(A, 7, new byte[] {42}, 1000);
        ClientSessions.Known again = s.lookup(A, 7);
        assertArrayEquals(new byte[] {42}, assertInstanceOf(ClientSessions.Applied.class, again).reply());
        assertNull(s.lookup(A, 8), "the client's next call is new");
        assertNull(s.lookup(B, 7), "call ids are per client");
        assertEquals(1, s.duplicatesAnswered());
        assertThrows(IllegalStateException.class, () -> s.record(A, 7, new byte[] {1}, 1001),
                "recording a call twice means a duplicate was applied");
    }

    @Test
    void callsOlderThanTheWindowAreRefusedNotReapplied() {
        ClientSessions s = new ClientSessions();
        int n = ClientSessions.CALLS_PER_CLIENT + 10;
        for (int call = 1; call <= n; call++) {
            s.record(A, call, new byte[] {(byte) call}, call);
        }
        for (int call = 1; call <= 10; call++) {
            assertInstanceOf(ClientSessions.Forgotten.class, s.lookup(A, call), "call " + call);
        }
        for (int call = 11; call <= n; call++) {
            assertInstanceOf(ClientSessions.Applied.class, s.lookup(A, call), "call " + call);
        }
        assertNull(s.lookup(A, n + 1));
        assertEquals(ClientSessions.CALLS_PER_CLIENT, s.replyBytes());
    }

    @Test
    void idleClientsAreForgottenByLogTime() {
        ClientSessions s = new ClientSessions();
        s.record(A, 1, new byte[] {1}, 0);
        s.record(B, 1, new byte[] {1}, ClientSessions.IDLE_MILLIS);
        assertInstanceOf(ClientSessions.Applied.class, s.lookup(A, 1), "not idle for longer than the limit yet");
        s.record(B, 2, new byte[] {1}, ClientSessions.IDLE_MILLIS + 1);
        assertNull(s.lookup(A, 1), "A idle for longer than the limit: forgotten");
        assertEquals(1, s.clients());
    }

    @Test
    void theClientCountIsBoundedLeastRecentFirst() {
        ClientSessions s = new ClientSessions();
        for (int c = 0; c <= ClientSessions.MAX_CLIENTS; c++) {
            s.record(new byte[] {(byte) c, (byte) (c >> 8)}, 1, new byte[] {1}, c);
        }
        assertEquals(ClientSessions.MAX_CLIENTS, s.clients());
        assertNull(s.lookup(new byte[] {0, 0}, 1), "the least recent client went first");
        assertInstanceOf(ClientSessions.Applied.class, s.lookup(new byte[] {1, 0}, 1));
    }

    @Test
    void replyBytesAreBoundedOldestFirst() {
        ClientSessions s = new ClientSessions();
        int size = 1024 * 1024;
        int calls = (int) (ClientSessions.MAX_REPLY_BYTES / size) + 3;
        for (int call = 1; call <= calls; call++) {
            s.record(A, call, new byte[size], call);
        }
        assertTrue(s.replyBytes() <= ClientSessions.MAX_REPLY_BYTES, s.replyBytes() + " bytes");
        assertInstanceOf(ClientSessions.Forgotten.class, s.lookup(A, 1));
        assertInstanceOf(ClientSessions.Applied.class, s.lookup(A, calls));
    }

    @Test
    void encodingRoundTripsAndKeepsTheEvictionOrder() {
        ClientSessions s = new ClientSessions();
        Random random = new Random(3);
        for (int call = 1; call <= 50; call++) {
            byte[] reply = new byte[random.nextInt(20)];
            random.nextBytes(reply);
            s.record(call % 2 == 0 ? A : B, call, reply, call);
        }
        byte[] encoded = s.encode();
        ClientSessions copy = new ClientSessions();
        copy.restore(encoded);
        assertArrayEquals(encoded, copy.encode());
        assertEquals(s.replyBytes(), copy.replyBytes());
        for (int call = 1; call <= 50; call++) {
            byte[] client = call % 2 == 0 ? A : B;
            assertArrayEquals(((ClientSessions.Applied) s.lookup(client, call)).reply(),
                    assertInstanceOf(ClientSessions.Applied.class, copy.lookup(client, call)).reply());
        }
    }

    @Test
    void aDamagedTableIsRejected() {
        ClientSessions s = new ClientSessions();
        s.record(A, 1, new byte[] {1, 2, 3}, 1);
        byte[] encoded = s.encode();
        byte[] truncated = java.util.Arrays.copyOf(encoded, encoded.length - 2);
        assertThrows(CorruptEntryException.class, () -> new ClientSessions().restore(truncated));
        byte[] trailing = java.util.Arrays.copyOf(encoded, encoded.length + 1);
        assertThrows(CorruptEntryException.class, () -> new ClientSessions().restore(trailing));
        assertThrows(CorruptEntryException.class, () -> new ClientSessions().restore(new byte[] {-1, -1, -1, -1}));
    }
}
