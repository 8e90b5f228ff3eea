package io.cairn.cli.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Writer threads, one Jedis connection each, writing UNIQUE keys ({@code SET w<thread>-<seq>
 * v<thread>-<seq>}) through the cluster's nodes and recording every outcome:
 * <ul>
 *   <li>acknowledged: {@code +OK}, with the time it arrived;
 *   <li>not applied: {@code -TRYAGAIN} (refused before it was proposed);
 *   <li>unknown: {@code -TIMEOUT}, {@code -CLUSTERDOWN} (the write may or may not have been
 *       applied), a dropped connection or a socket timeout;
 *   <li>unexpected: any other reply (none expected; reported and asserted on by the tests).
 * </ul>
 * A writer starts on node {@code thread % nodes} and moves to the next node whenever its
 * connection fails, so writers go on against the survivors after a node is killed. A key is never
 * written twice, so an acknowledged key's value is known exactly.
 */
final class Writers {
    enum Kind { ACKED, NOT_APPLIED, UNKNOWN, UNEXPECTED }

    /** One write: times are {@link System#nanoTime()}; {@code node} is the node it was sent to. */
    record Outcome(String key, String value, Kind kind, long sentNanos, long doneNanos, int node, String message) {}

    private final LocalCluster cluster;
    private final int threads;
    private final List<List<Outcome>> outcomes = new ArrayList<>();
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean stop;
    private volatile long deadlineNanos;

    Writers(LocalCluster cluster, int threads) {
        this.cluster = cluster;
        this.threads = threads;
        for (int t = 0; t < threads; t++) {
            outcomes.add(new ArrayList<>());
        }
    }

    /** Starts the threads; each stops by itself after {@code maxDuration} at the latest. */
    void start(Duration maxDuration) {
        deadlineNanos = System.nanoTime() + maxDuration.toNanos();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(() -> run(id), "writer-" + t);
            w.setDaemon(true);
            workers.add(w);
            w.start();
        }
    }

    /** Asks the threads to stop after their current write. */
    void stop() {
        stop = true;
    }

    /** Waits for the threads to finish (each is bounded by its deadline plus one socket timeout). */
    void join() throws InterruptedException {
        // A writer checks its deadline before each write; the last one may then wait a socket
        // timeout (or a connect timeout) more.
        long limit = Math.max(System.nanoTime(), deadlineNanos)
                + TimeUnit.MILLISECONDS.toNanos(LocalCluster.SOCKET_TIMEOUT_MS + 10_000L);
        for (Thread w : workers) {
            long left = limit - System.nanoTime();
            w.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            if (w.isAlive()) {
                throw new IllegalStateException(w.getName() + " did not stop");
            }
        }
    }

    private boolean running() {
        return !stop && System.nanoTime() < deadlineNanos;
    }

    private void run(int id) {
        List<Outcome> out = outcomes.get(id);
        int node = id % LocalCluster.NODES;
        long seq = 0;
        Jedis jedis = null;
        try {
            while (running()) {
                if (jedis == null) {
                    try {
                        jedis = cluster.connect(node); // connects eagerly: a refused connection sends nothing
                    } catch (JedisConnectionException e) {
                        node = (node + 1) % LocalCluster.NODES;
                        sleepQuietly(20);
                        continue;
                    }
                }
                String key = "w" + id + "-" + seq;
                String value = "v" + id + "-" + seq;
                seq++;
                long sent = System.nanoTime();
                try {
                    String r = jedis.set(key, value);
                    long done = System.nanoTime();
                    out.add(new Outcome(key, value, "OK".equals(r) ? Kind.ACKED : Kind.UNEXPECTED, sent, done, node,
                            "OK".equals(r) ? null : r));
                } catch (JedisDataException e) {
                    long done = System.nanoTime();
                    String m = String.valueOf(e.getMessage());
                    Kind kind = m.startsWith("TRYAGAIN") ? Kind.NOT_APPLIED
                            : m.startsWith("TIMEOUT") || m.startsWith("CLUSTERDOWN") ? Kind.UNKNOWN : Kind.UNEXPECTED;
                    out.add(new Outcome(key, value, kind, sent, done, node, m));
                    if (kind == Kind.NOT_APPLIED) {
                        sleepQuietly(10); // the partition is busy or electing: do not spin
                    }
                } catch (JedisConnectionException e) {
                    out.add(new Outcome(key, value, Kind.UNKNOWN, sent, System.nanoTime(), node, "connection: " + e.getMessage()));
                    closeQuietly(jedis);
                    jedis = null;
                    node = (node + 1) % LocalCluster.NODES;
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

    /** Every outcome of every thread, in completion order (call after {@link #join()}). */
    List<Outcome> all() {
        List<Outcome> all = new ArrayList<>();
        outcomes.forEach(all::addAll);
        all.sort(Comparator.comparingLong(Outcome::doneNanos));
        return all;
    }

    List<Outcome> of(Kind kind) {
        return all().stream().filter(o -> o.kind() == kind).toList();
    }
}
