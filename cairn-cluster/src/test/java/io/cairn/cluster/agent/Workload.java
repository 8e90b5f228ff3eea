package io.cairn.cluster.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.storage.Record;
import io.cairn.storage.SlotHash;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writers over every partition while the cluster changes. Each writer owns its keys: it SETs each
 * once and then either leaves it (kept) or DELs it (deleted), so every acknowledged key has one
 * final state to check; a command whose outcome is unknown (an error or a timeout) takes its key
 * out of the checks and counts as a failure.
 */
final class Workload implements AutoCloseable {
    final int partitions;
    final Map<String, String> kept = new ConcurrentHashMap<>();
    final Set<String> deleted = ConcurrentHashMap.newKeySet();
    final AtomicInteger writes = new AtomicInteger();
    final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Writer> writers = new ConcurrentHashMap<>();

    private final class Writer extends Thread {
        final AtomicBoolean stop = new AtomicBoolean();
        final CommandService service;

        Writer(String name, CommandService service) {
            super("writer-" + name);
            this.service = service;
            setDaemon(true);
        }

        @Override
        public void run() {
            int seq = 0;
            while (!stop.get()) {
                String key = getName() + "-" + seq++;
                String value = "value-of-" + key;
                if (!Reply.OK.equals(call(service, "SET", key, value))) {
                    continue;
                }
                writes.incrementAndGet();
                if (seq % 4 == 3) {
                    Reply r = call(service, "DEL", key);
                    if (Reply.integer(1).equals(r)) {
                        writes.incrementAndGet();
                        deleted.add(key);
                    }
                } else {
                    kept.put(key, value);
                }
            }
        }
    }

    Workload(int partitions) {
        this.partitions = partitions;
    }

    static byte[][] argv(String... parts) {
        byte[][] a = new byte[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            a[i] = parts[i].getBytes(StandardCharsets.UTF_8);
        }
        return a;
    }

    /** Starts a writer sending through {@code service}. */
    void start(String name, CommandService service) {
        Writer w = new Writer(name, service);
        if (writers.putIfAbsent(name, w) != null) {
            throw new IllegalStateException("writer " + name + " exists");
        }
        w.start();
    }

    /** Stops one writer and waits for its last command. */
    void stop(String name) throws InterruptedException {
        Writer w = writers.remove(name);
        w.stop.set(true);
        w.join(60_000);
        assertTrue(!w.isAlive(), w.getName() + " did not stop");
    }

    private Reply call(CommandService service, String... parts) {
        try {
            Reply r = service.execute(argv(parts)).get(30, TimeUnit.SECONDS);
            if (r instanceof Reply.Error e) {
                failures.add(String.join(" ", parts) + " failed: " + e.text());
                return null;
            }
            return r;
        } catch (Exception e) {
            failures.add(String.join(" ", parts) + " failed: " + e);
            return null;
        }
    }

    /** Waits until {@code more} further writes were acknowledged. */
    void awaitWrites(int more, Duration timeout) {
        int target = writes.get() + more;
        AgentCluster.await(timeout, () -> writes.get() >= target, () -> more + " more acknowledged writes (at " + writes.get()
                + ", failures " + failures.subList(0, Math.min(5, failures.size())) + ")");
    }

    @Override
    public void close() throws InterruptedException {
        for (String name : List.copyOf(writers.keySet())) {
            stop(name);
        }
    }

    /** Every acknowledged key reads back as it was left through {@code service} (pipelined, linearizable reads). */
    void checkReadsThrough(String name, CommandService service) throws Exception {
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
            boolean ok = expected == null ? r == Reply.Null.BULK : r instanceof Reply.Bulk b && b.utf8().equals(expected);
            assertTrue(ok, "GET " + keys.get(i) + " through " + name + " answered " + r + ", expected "
                    + (expected == null ? "nil (deleted)" : expected));
        }
    }

    /** The replica on {@code member} holds every kept key of partition {@code p} and no deleted one alive. */
    void checkEngine(AgentCluster.Member member, int p) {
        for (Map.Entry<String, String> e : kept.entrySet()) {
            byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
            if (SlotHash.partitionOf(k, partitions) != p) {
                continue;
            }
            Record r = member.engine.getRaw(p, k);
            assertTrue(r != null && !r.tombstone() && e.getValue().equals(new String(r.value(), StandardCharsets.UTF_8)),
                    member.id + " should hold " + e.getKey() + " = " + e.getValue() + " in partition " + p + ", found " + r);
        }
        for (String key : deleted) {
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            if (SlotHash.partitionOf(k, partitions) != p) {
                continue;
            }
            Record r = member.engine.getRaw(p, k);
            assertTrue(r == null || r.tombstone(), member.id + " resurrected deleted key " + key + ": " + r);
        }
    }
}
