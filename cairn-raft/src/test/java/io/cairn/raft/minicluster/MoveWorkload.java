package io.cairn.raft.minicluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.storage.Record;
import io.cairn.storage.SlotHash;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writers and a reader on one partition while its replicas move. Each writer owns its keys: it
 * SETs each once and then either leaves it (kept) or DELs it (deleted), so every acknowledged
 * key has one final state to check. The reader reads (linearizably) keys already settled and
 * checks each against that state. Any error reply, exception or timeout is a failure: a move must
 * not open a window in which commands are refused.
 */
final class MoveWorkload implements AutoCloseable {
    final int partition;
    final int partitions;
    /** Acknowledged SETs whose key is never written again. */
    final Map<String, String> kept = new ConcurrentHashMap<>();
    /** Keys whose DEL was acknowledged after their SET was. */
    final Set<String> deleted = ConcurrentHashMap.newKeySet();
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger reads = new AtomicInteger();
    final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final List<String> settled = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();

    MoveWorkload(int partition, int partitions) {
        this.partition = partition;
        this.partitions = partitions;
    }

    static byte[][] argv(String... parts) {
        byte[][] a = new byte[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            a[i] = parts[i].getBytes(StandardCharsets.UTF_8);
        }
        return a;
    }

    /** One writer thread sending through {@code service}. */
    MoveWorkload writer(String name, CommandService service) {
        threads.add(new Thread(() -> {
            int seq = 0;
            while (!stop.get()) {
                String key;
                do {
                    key = name + "-" + seq++;
                } while (SlotHash.partitionOf(key.getBytes(StandardCharsets.UTF_8), partitions) != partition);
                String value = "value-of-" + key;
                if (!Reply.OK.equals(call(service, "SET " + key, "SET", key, value))) {
                    continue;
                }
                writes.incrementAndGet();
                if (seq % 4 == 3) {
                    if (Reply.integer(1).equals(call(service, "DEL " + key, "DEL", key))) {
                        writes.incrementAndGet();
                        deleted.add(key);
                        settled.add(key);
                    }
                } else {
                    kept.put(key, value);
                    settled.add(key);
                }
            }
        }, "writer-" + name));
        return this;
    }

    /** One reader thread checking settled keys through {@code service}. */
    MoveWorkload reader(String name, CommandService service) {
        threads.add(new Thread(() -> {
            while (!stop.get()) {
                String key;
                synchronized (settled) {
                    if (settled.isEmpty()) {
                        key = null;
                    } else {
                        key = settled.get(ThreadLocalRandom.current().nextInt(settled.size()));
                    }
                }
                if (key == null) {
                    Thread.onSpinWait();
                    continue;
                }
                String expected = kept.get(key);
                Reply r = call(service, "GET " + key, "GET", key);
                if (r == null) {
                    continue;
                }
                reads.incrementAndGet();
                if (!matches(r, expected)) {
                    failures.add("GET " + key + " through " + name + " answered " + show(r) + ", expected "
                            + (expected == null ? "nil" : expected));
                }
            }
        }, "reader-" + name));
        return this;
    }

    static boolean matches(Reply r, String expected) {
        return expected == null ? r == Reply.Null.BULK : r instanceof Reply.Bulk b && b.utf8().equals(expected);
    }

    static String show(Reply r) {
        return r instanceof Reply.Bulk b ? "\"" + b.utf8() + "\"" : String.valueOf(r);
    }

    private Reply call(CommandService service, String what, String... parts) {
        try {
            Reply r = service.execute(argv(parts)).get(30, TimeUnit.SECONDS);
            if (r instanceof Reply.Error e) {
                failures.add(what + " failed: " + e.text());
                return null;
            }
            return r;
        } catch (Exception e) {
            failures.add(what + " failed: " + e);
            return null;
        }
    }

    MoveWorkload start() {
        threads.forEach(Thread::start);
        return this;
    }

    /** Waits until {@code more} further writes were acknowledged. */
    void awaitWrites(int more, java.time.Duration timeout) {
        int target = writes.get() + more;
        MiniCluster.await(timeout, () -> writes.get() >= target || !failures.isEmpty(),
                more + " more acknowledged writes");
        if (!failures.isEmpty()) {
            throw new AssertionError("commands failed: " + failures.subList(0, Math.min(5, failures.size())));
        }
    }

    @Override
    public void close() {
        stop.set(true);
        for (Thread t : threads) {
            try {
                t.join(40_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while stopping " + t.getName(), e);
            }
            assertTrue(!t.isAlive(), t.getName() + " did not stop");
        }
    }

    /** Every acknowledged key reads back as it was left, through each of {@code services} (pipelined). */
    void checkReadsThrough(List<CommandService> services) throws Exception {
        for (CommandService service : services) {
            List<String> keys = new ArrayList<>(kept.keySet());
            keys.addAll(deleted);
            List<CompletableFuture<Reply>> replies = new ArrayList<>();
            for (String k : keys) {
                replies.add(service.execute(argv("GET", k)));
            }
            CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            for (int i = 0; i < keys.size(); i++) {
                String expected = kept.get(keys.get(i));
                Reply r = replies.get(i).join();
                assertTrue(matches(r, expected), "GET " + keys.get(i) + " answered " + show(r) + ", expected "
                        + (expected == null ? "nil (deleted)" : expected));
            }
        }
    }

    /** The replica's engine holds every kept key with its value, and no deleted key alive. */
    void checkEngine(MiniCluster c, int node) {
        for (Map.Entry<String, String> e : kept.entrySet()) {
            Record r = c.engine(node).getRaw(partition, e.getKey().getBytes(StandardCharsets.UTF_8));
            assertTrue(r != null && !r.tombstone() && e.getValue().equals(new String(r.value(), StandardCharsets.UTF_8)),
                    "node " + node + " holds " + e.getKey() + " = " + e.getValue() + ", found " + r);
        }
        for (String k : deleted) {
            Record r = c.engine(node).getRaw(partition, k.getBytes(StandardCharsets.UTF_8));
            assertTrue(r == null || r.tombstone(), "node " + node + " resurrected deleted key " + k + ": " + r);
        }
    }
}
