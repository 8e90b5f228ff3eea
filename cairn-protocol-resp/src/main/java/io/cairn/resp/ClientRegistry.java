package io.cairn.resp;

import java.util.Collection;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every open client connection, by id (ids grow with connection order, so iteration is in
 * connection order as in Redis's CLIENT LIST). Admission against maxclients is a CAS on the count
 * so concurrent accepts on different event loops cannot overshoot.
 */
final class ClientRegistry {
    private final AtomicLong lastId = new AtomicLong();
    private final AtomicInteger admitted = new AtomicInteger();
    private final ConcurrentSkipListMap<Long, RespConnection> byId = new ConcurrentSkipListMap<>();
    final AtomicLong totalConnections = new AtomicLong();
    final AtomicLong rejectedConnections = new AtomicLong();

    long nextId() {
        return lastId.incrementAndGet();
    }

    /** Reserves a slot for a new connection; false if {@code maxClients} are already connected. */
    boolean tryAdmit(int maxClients) {
        while (true) {
            int n = admitted.get();
            if (n >= maxClients) {
                return false;
            }
            if (admitted.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives back a slot reserved by {@link #tryAdmit} for a connection that was then refused. */
    void releaseAdmission() {
        int n = admitted.decrementAndGet();
        assert n >= 0 : "admissions released more often than taken";
    }

    void add(RespConnection c) {
        RespConnection previous = byId.putIfAbsent(c.id, c);
        assert previous == null : "client id reused: " + c.id;
        totalConnections.incrementAndGet();
    }

    /** Removes an admitted connection and frees its slot; idempotent. */
    void remove(RespConnection c) {
        if (byId.remove(c.id, c)) {
            releaseAdmission();
        }
    }

    RespConnection get(long id) {
        return byId.get(id);
    }

    Collection<RespConnection> all() {
        return byId.values();
    }

    int size() {
        return byId.size();
    }
}
