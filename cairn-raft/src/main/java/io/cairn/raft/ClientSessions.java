package io.cairn.raft;

import io.cairn.raft.codec.CorruptEntryException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The replicated at-most-once table of a partition: for each Raft client that proposed entries,
 * the replies of its most recent calls, so that an entry proposed again under the same call id is
 * answered with the first reply instead of being applied twice.
 *
 * <p>Why Ratis's own retry cache is not enough: it is filled when a server applies an entry. A
 * client whose leader fails retries the same call (same client id and call id) on the next
 * leader; if that new leader has the original entry in its log but has not applied it yet (it
 * must first commit an entry of its own term), its retry cache has no trace of the call, so it
 * appends the call a second time and both copies are applied: an APPEND or INCR retried across a
 * failover happened twice ({@code cairn verify}, seed 303). This table is part of the state
 * machine, built in log order and saved in snapshots, so every replica decides alike, whenever
 * the duplicate arrives (Raft dissertation, section 6.3).
 *
 * <p>Bounds. The limits below are constants on purpose, not configuration: what a replica answers
 * to a duplicate depends on them, so replicas with different values would diverge. A client has at
 * most {@value #CALLS_PER_CLIENT} recent calls remembered ({@code raft.client.outstanding-max}
 * and the committers' in-flight limits keep far fewer outstanding); a call older than the oldest
 * remembered one cannot be told apart from a new one, so it is refused with an outcome-unknown
 * {@code TIMEOUT} error rather than applied. At most {@value #MAX_CLIENTS} clients are remembered
 * (a partition sees one client per node per replica-set change), and a client idle for
 * {@value #IDLE_MILLIS} ms of log time (the entries' own clamped time, so alike on every replica)
 * is forgotten; Ratis's clients give up on a call long before that. Remembered replies take at
 * most {@value #MAX_REPLY_BYTES} bytes in all: the oldest are forgotten first.
 *
 * <p>Not thread-safe: the state machine calls it under its write lock (and reads it for a snapshot
 * under its read lock).
 */
final class ClientSessions {
    static final int CALLS_PER_CLIENT = 1024;
    static final int MAX_CLIENTS = 4096;
    static final long IDLE_MILLIS = 10 * 60 * 1000L;
    static final long MAX_REPLY_BYTES = 64L * 1024 * 1024;

    /** What the table knows of a call. */
    sealed interface Known {}

    /** Applied before: answer with this reply, apply nothing. */
    record Applied(byte[] reply) implements Known {}

    /** Older than everything remembered of its client: whether it was applied cannot be told. */
    record Forgotten() implements Known {}

    private static final class Session {
        /** callId -> encoded reply, oldest first. */
        final TreeMap<Long, byte[]> replies = new TreeMap<>();
        /** Calls at or below this id were forgotten (-1: none yet). */
        long forgottenUpTo = -1;
        long lastSeenMillis;
    }

    /** Clients in order of their last applied call (least recent first): eviction order, alike everywhere. */
    private final LinkedHashMap<ByteKey, Session> sessions = new LinkedHashMap<>(16, 0.75f, true);
    private long replyBytes;
    private long duplicates;
    private long refused;

    /** What is known of {@code callId} of {@code client}; null if it is new (apply it, then {@link #record} it). */
    Known lookup(byte[] client, long callId) {
        Session s = sessions.get(new ByteKey(client));
        if (s == null) {
            return null;
        }
        byte[] reply = s.replies.get(callId);
        if (reply != null) {
            duplicates++;
            return new Applied(reply);
        }
        if (callId <= s.forgottenUpTo) {
            refused++;
            return new Forgotten();
        }
        return null;
    }

    /** Remembers that {@code callId} of {@code client} was applied with {@code reply}, at log time {@code nowMillis}. */
    void record(byte[] client, long callId, byte[] reply, long nowMillis) {
        ByteKey key = new ByteKey(client);
        Session s = sessions.get(key);
        if (s == null) {
            s = new Session();
            sessions.put(key, s);
        }
        byte[] previous = s.replies.put(callId, reply);
        if (previous != null) {
            throw new IllegalStateException("call " + callId + " recorded twice: a duplicate was applied");
        }
        replyBytes += reply.length;
        s.lastSeenMillis = Math.max(s.lastSeenMillis, nowMillis);
        while (s.replies.size() > CALLS_PER_CLIENT) {
            forgetOldest(s);
        }
        evict(nowMillis);
    }

    private void forgetOldest(Session s) {
        Map.Entry<Long, byte[]> oldest = s.replies.pollFirstEntry();
        replyBytes -= oldest.getValue().length;
        s.forgottenUpTo = Math.max(s.forgottenUpTo, oldest.getKey());
    }

    private void evict(long nowMillis) {
        Iterator<Map.Entry<ByteKey, Session>> it = sessions.entrySet().iterator();
        while (it.hasNext()) {
            Session s = it.next().getValue();
            boolean idle = nowMillis - s.lastSeenMillis > IDLE_MILLIS;
            if (!idle && sessions.size() <= MAX_CLIENTS && replyBytes <= MAX_REPLY_BYTES) {
                return; // least recent first: the rest are fresher
            }
            if (!idle && sessions.size() <= MAX_CLIENTS && s.replies.size() > 1) {
                forgetOldest(s); // over the byte budget only: shed this client's oldest reply, keep it
                continue;
            }
            s.replies.values().forEach(r -> replyBytes -= r.length);
            it.remove();
        }
    }

    int clients() {
        return sessions.size();
    }

    long replyBytes() {
        return replyBytes;
    }

    /** Duplicates answered from the table since this instance was created or restored. */
    long duplicatesAnswered() {
        return duplicates;
    }

    /** Calls refused as too old to tell since this instance was created or restored. */
    long forgottenRefused() {
        return refused;
    }

    void clear() {
        sessions.clear();
        replyBytes = 0;
    }

    /**
     * The table as bytes for a snapshot, in eviction order:
     * {@code nclients:i32 (idLen:u16 id lastSeen:i64 forgottenUpTo:i64 ncalls:i32 (callId:i64 len:i32 reply){ncalls}){nclients}}.
     */
    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(sessions.size());
            for (Map.Entry<ByteKey, Session> e : sessions.entrySet()) {
                byte[] id = e.getKey().bytes;
                out.writeShort(id.length);
                out.write(id);
                Session s = e.getValue();
                out.writeLong(s.lastSeenMillis);
                out.writeLong(s.forgottenUpTo);
                out.writeInt(s.replies.size());
                for (Map.Entry<Long, byte[]> call : s.replies.entrySet()) {
                    out.writeLong(call.getKey());
                    out.writeInt(call.getValue().length);
                    out.write(call.getValue());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory failed", e);
        }
        return bytes.toByteArray();
    }

    /** Replaces the table with one {@link #encode}d. */
    void restore(byte[] encoded) throws CorruptEntryException {
        clear();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
            int n = in.readInt();
            if (n < 0 || n > MAX_CLIENTS) {
                throw new CorruptEntryException("client sessions: " + n + " clients");
            }
            for (int i = 0; i < n; i++) {
                byte[] id = new byte[in.readUnsignedShort()];
                in.readFully(id);
                Session s = new Session();
                s.lastSeenMillis = in.readLong();
                s.forgottenUpTo = in.readLong();
                int calls = in.readInt();
                if (calls < 0 || calls > CALLS_PER_CLIENT) {
                    throw new CorruptEntryException("client sessions: " + calls + " calls of one client");
                }
                for (int c = 0; c < calls; c++) {
                    long callId = in.readLong();
                    int len = in.readInt();
                    if (len < 0 || len > encoded.length) {
                        throw new CorruptEntryException("client sessions: a reply of " + len + " bytes");
                    }
                    byte[] reply = new byte[len];
                    in.readFully(reply);
                    s.replies.put(callId, reply);
                    replyBytes += len;
                }
                sessions.put(new ByteKey(id), s);
            }
            if (in.read() != -1) {
                throw new CorruptEntryException("client sessions: trailing bytes");
            }
        } catch (IOException e) {
            clear();
            throw new CorruptEntryException("client sessions are truncated: " + e.getMessage());
        }
    }

    /** A client id as a map key. */
    private record ByteKey(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ByteKey k && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }
}
