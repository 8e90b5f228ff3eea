package io.cairn.cli.elastic;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * A client load on an {@link ElasticCluster}: writer threads and one reader, one Jedis connection
 * each, sent to the nodes in {@link #targets} (round robin; a thread moves to the next target
 * whenever its connection fails, so the load follows kills, restarts and new nodes).
 *
 * <p>Writer {@code t} writes UNIQUE keys {@code e<t>-<seq>} once each ({@code SET}), and deletes
 * every {@value #DELETE_EVERY}th of its keys ({@code DEL}) {@value #DELETE_LAG} writes later, so
 * the expected end state of every key is known exactly: a key whose SET was acknowledged and that
 * is never deleted must be readable with its value; a key whose DEL was acknowledged must be absent
 * (a deleted key must not reappear, e.g. from a replica rebuilt from an old copy). Outcomes:
 * <ul>
 *   <li>acknowledged: {@code +OK} / {@code :n};
 *   <li>not applied: {@code -TRYAGAIN} (refused before it was proposed);
 *   <li>unknown: {@code -TIMEOUT}, {@code -CLUSTERDOWN}, a dropped connection or a socket timeout
 *       (the command may or may not have been applied: such keys are left out of the checks);
 *   <li>unexpected: any other reply (asserted absent by the tests).
 * </ul>
 *
 * <p>The reader GETs (linearizable, the default) random keys whose SET was acknowledged and that
 * are never deleted, and counts any GET that does not return the value as a violation: an
 * acknowledged write must be visible to every later read, through any node, during the moves.
 */
final class Load {
    static final int DELETE_EVERY = 5;
    static final int DELETE_LAG = 10;

    enum Kind { ACKED, NOT_APPLIED, UNKNOWN, UNEXPECTED }

    enum Op { SET, DEL }

    /** One command: times are {@link System#nanoTime()}; {@code node} is the node it was sent to. */
    record Outcome(Op op, String key, String value, Kind kind, long sentNanos, long doneNanos, int node, int writer,
                   String message) {}

    private final ElasticCluster cluster;
    private final int writers;
    /** Nodes the load is sent to; the test changes it as nodes come and go. */
    final CopyOnWriteArrayList<Integer> targets;
    private final List<List<Outcome>> outcomes = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    /** Keys whose SET was acknowledged and that are never deleted: the reader's sample. */
    private final List<String> readable = new CopyOnWriteArrayList<>();
    private final Map<String, String> valueOf = new ConcurrentHashMap<>();
    final AtomicLong reads = new AtomicLong();
    final AtomicLong readErrors = new AtomicLong();
    /** Reads of an acknowledged, never-deleted key that did not return its value: must stay empty. */
    final Map<String, String> readViolations = new ConcurrentSkipListMap<>();
    private volatile boolean stop;
    /** Every thread has finished: no command is in flight. */
    private volatile boolean stopped;
    private volatile long deadlineNanos;

    Load(ElasticCluster cluster, int writers, List<Integer> targets) {
        this.cluster = cluster;
        this.writers = writers;
        this.targets = new CopyOnWriteArrayList<>(targets);
        for (int t = 0; t < writers; t++) {
            outcomes.add(java.util.Collections.synchronizedList(new ArrayList<>())); // read while the load runs
        }
    }

    /** Starts the threads; each stops by itself after {@code maxDuration} at the latest. */
    void start(Duration maxDuration) {
        deadlineNanos = System.nanoTime() + maxDuration.toNanos();
        for (int t = 0; t < writers; t++) {
            int id = t;
            threads.add(new Thread(() -> write(id), "writer-" + t));
        }
        threads.add(new Thread(this::read, "reader"));
        for (Thread th : threads) {
            th.setDaemon(true);
            th.start();
        }
    }

    /** Asks the threads to stop after their current command and waits for them (bounded). */
    void stopAndJoin() throws InterruptedException {
        stop = true;
        long limit = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ElasticCluster.SOCKET_TIMEOUT_MS + 10_000L);
        for (Thread th : threads) {
            th.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(limit - System.nanoTime())));
            if (th.isAlive()) {
                throw new IllegalStateException(th.getName() + " did not stop");
            }
        }
        stopped = true;
    }

    private boolean running() {
        return !stop && System.nanoTime() < deadlineNanos;
    }

    private int target(int slot) {
        List<Integer> t = List.copyOf(targets);
        return t.get(Math.floorMod(slot, t.size()));
    }

    private void write(int id) {
        List<Outcome> out = outcomes.get(id);
        int slot = id;
        int node = target(slot);
        Jedis jedis = null;
        List<Outcome> sets = new ArrayList<>(); // this writer's SETs, by seq
        try {
            for (long seq = 0; running(); seq++) {
                if (jedis == null) {
                    node = target(slot);
                    try {
                        jedis = cluster.connect(node);
                        jedis.ping(); // connects: a refused connection sends nothing
                    } catch (JedisConnectionException e) {
                        closeQuietly(jedis);
                        jedis = null;
                        slot++;
                        sleepQuietly(50);
                        seq--;
                        continue;
                    }
                }
                String key = "e" + id + "-" + seq;
                String value = "v" + id + "-" + seq;
                Outcome set = send(jedis, Op.SET, key, value, node, id);
                out.add(set);
                sets.add(set);
                if (set.kind() == Kind.ACKED && seq % DELETE_EVERY != 0) {
                    valueOf.put(key, value);
                    readable.add(key);
                }
                long doomed = seq - DELETE_LAG;
                if (set.kind() != Kind.UNKNOWN && doomed >= 0 && doomed % DELETE_EVERY == 0) {
                    out.add(send(jedis, Op.DEL, sets.get((int) doomed).key(), null, node, id));
                }
                Outcome last = out.get(out.size() - 1);
                if (last.kind() == Kind.UNKNOWN && last.message().startsWith("connection")) {
                    closeQuietly(jedis);
                    jedis = null;
                    slot++;
                } else if (last.kind() == Kind.NOT_APPLIED) {
                    sleepQuietly(10); // the partition is busy or electing: do not spin
                }
            }
        } finally {
            closeQuietly(jedis);
        }
    }

    private static Outcome send(Jedis jedis, Op op, String key, String value, int node, int writer) {
        long sent = System.nanoTime();
        try {
            if (op == Op.SET) {
                String r = jedis.set(key, value);
                boolean ok = "OK".equals(r);
                return new Outcome(op, key, value, ok ? Kind.ACKED : Kind.UNEXPECTED, sent, System.nanoTime(), node, writer,
                        ok ? "" : r);
            }
            long n = jedis.del(key);
            return new Outcome(op, key, null, n <= 1 ? Kind.ACKED : Kind.UNEXPECTED, sent, System.nanoTime(), node, writer,
                    "DEL -> " + n);
        } catch (JedisDataException e) {
            String m = String.valueOf(e.getMessage());
            Kind kind = m.startsWith("TRYAGAIN") ? Kind.NOT_APPLIED
                    : m.startsWith("TIMEOUT") || m.startsWith("CLUSTERDOWN") ? Kind.UNKNOWN : Kind.UNEXPECTED;
            return new Outcome(op, key, value, kind, sent, System.nanoTime(), node, writer, m);
        } catch (JedisConnectionException e) {
            return new Outcome(op, key, value, Kind.UNKNOWN, sent, System.nanoTime(), node, writer,
                    "connection: " + e.getMessage());
        }
    }

    private void read() {
        int slot = 0;
        Jedis jedis = null;
        try {
            while (running()) {
                if (readable.isEmpty()) {
                    sleepQuietly(50);
                    continue;
                }
                if (jedis == null) {
                    try {
                        jedis = cluster.connect(target(slot));
                        jedis.ping();
                    } catch (JedisConnectionException e) {
                        closeQuietly(jedis);
                        jedis = null;
                        slot++;
                        sleepQuietly(50);
                        continue;
                    }
                }
                String key = readable.get(ThreadLocalRandom.current().nextInt(readable.size()));
                try {
                    String v = jedis.get(key);
                    reads.incrementAndGet();
                    if (!valueOf.get(key).equals(v)) {
                        readViolations.put(key, String.valueOf(v));
                    }
                } catch (JedisDataException e) {
                    readErrors.incrementAndGet();
                    sleepQuietly(10);
                } catch (JedisConnectionException e) {
                    readErrors.incrementAndGet();
                    closeQuietly(jedis);
                    jedis = null;
                    slot++;
                }
            }
        } finally {
            closeQuietly(jedis);
        }
    }

    private static void closeQuietly(Jedis j) {
        if (j != null) {
            try {
                j.close();
            } catch (RuntimeException ignored) {
                // the connection is gone anyway
            }
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Every outcome of every writer so far, in completion order. */
    List<Outcome> all() {
        List<Outcome> all = new ArrayList<>();
        for (List<Outcome> o : outcomes) {
            synchronized (o) {
                all.addAll(o);
            }
        }
        all.sort(Comparator.comparingLong(Outcome::doneNanos));
        return all;
    }

    /** Outcomes of one writer, in its order. */
    List<Outcome> ofWriter(int writer) {
        List<Outcome> o = outcomes.get(writer);
        synchronized (o) {
            return List.copyOf(o);
        }
    }

    int writers() {
        return writers;
    }

    /**
     * What the cluster must show at the end, key → value, null = must be absent: acknowledged SETs of
     * keys never deleted, and keys whose DEL was acknowledged. Keys with an unknown SET (never deleted)
     * or a DEL that was not acknowledged may go either way and are left out. While the load runs, a
     * key due for deletion whose DEL has no outcome yet is left out too (its DEL may be in flight).
     */
    Map<String, String> expectedState() {
        Map<String, String> setAcked = new LinkedHashMap<>();
        Map<String, Kind> delOutcome = new LinkedHashMap<>();
        for (Outcome o : all()) {
            if (o.op() == Op.SET && o.kind() == Kind.ACKED) {
                setAcked.put(o.key(), o.value());
            } else if (o.op() == Op.DEL) {
                delOutcome.put(o.key(), o.kind());
            }
        }
        Map<String, String> expected = new LinkedHashMap<>(setAcked);
        if (!stopped) {
            expected.keySet().removeIf(k -> doomed(k) && !delOutcome.containsKey(k));
        }
        for (var e : delOutcome.entrySet()) {
            if (e.getValue() == Kind.ACKED) {
                expected.put(e.getKey(), null);
            } else if (e.getValue() == Kind.UNKNOWN) {
                expected.remove(e.getKey());
            } // NOT_APPLIED: the DEL did nothing, the SET stands
        }
        return expected;
    }

    /** Whether the writer deletes this key {@value #DELETE_LAG} writes after setting it. */
    private static boolean doomed(String key) {
        return Long.parseLong(key.substring(key.indexOf('-') + 1)) % DELETE_EVERY == 0;
    }

    /** Counts of outcomes per op and kind, e.g. {@code SET/ACKED=1234}. */
    Map<String, Integer> counts() {
        Map<String, Integer> c = new java.util.TreeMap<>();
        for (Outcome o : all()) {
            c.merge(o.op() + "/" + o.kind(), 1, Integer::sum);
        }
        return c;
    }

    /** Distinct error messages of the commands that were not acknowledged (first 60 chars), with counts. */
    Map<String, Integer> failures() {
        Map<String, Integer> c = new java.util.TreeMap<>();
        for (Outcome o : all()) {
            if (o.kind() != Kind.ACKED) {
                String m = o.message();
                c.merge(m.substring(0, Math.min(60, m.length())), 1, Integer::sum);
            }
        }
        return c;
    }

    /**
     * The longest time any one writer went without an acknowledgement between {@code fromNanos} and
     * {@code toNanos} (its gap between two consecutive acknowledged commands, or from {@code fromNanos}
     * to its first, or from its last to {@code toNanos}): how long a client stalled.
     */
    long longestStallMs(long fromNanos, long toNanos) {
        long worst = 0;
        for (int w = 0; w < writers; w++) {
            long prev = fromNanos;
            boolean closed = false;
            for (Outcome o : ofWriter(w)) {
                if (o.kind() != Kind.ACKED || o.doneNanos() <= fromNanos) {
                    continue;
                }
                worst = Math.max(worst, o.doneNanos() - prev); // a stall across toNanos counts whole
                prev = o.doneNanos();
                if (o.doneNanos() >= toNanos) {
                    closed = true;
                    break;
                }
            }
            if (!closed) {
                worst = Math.max(worst, toNanos - prev);
            }
        }
        return TimeUnit.NANOSECONDS.toMillis(worst);
    }
}
