package io.cairn.verify.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.verify.history.History;
import io.cairn.verify.history.HistoryRecorder;
import io.cairn.verify.history.OpKind;
import io.cairn.verify.model.CounterModel;
import io.cairn.verify.model.RegisterModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * End to end with real threads and {@code System.nanoTime}: a correct concurrent store recorded
 * through {@link HistoryRecorder} must check out; a store that serves reads from a lagging replica
 * must not. This exercises the recorder's timing discipline, not just the search.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RecordedThreadsTest {

    @Test
    void correctConcurrentStoreIsLinearizable() throws Exception {
        ConcurrentMap<String, String> store = new ConcurrentHashMap<>();
        HistoryRecorder rec = new HistoryRecorder(10_000);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            int process = t;
            threads.add(Thread.ofPlatform().start(() -> {
                Random rnd = new Random(process);
                for (int i = 0; i < 400; i++) {
                    String key = "k" + rnd.nextInt(3);
                    String v = Integer.toString(rnd.nextInt(5));
                    switch (rnd.nextInt(4)) {
                        case 0 -> {
                            long id = rec.invoke(process, key, OpKind.READ);
                            rec.ok(id, store.get(key));
                        }
                        case 1 -> {
                            long id = rec.invoke(process, key, OpKind.WRITE, v);
                            store.put(key, v);
                            rec.ok(id);
                        }
                        case 2 -> {
                            String expected = Integer.toString(rnd.nextInt(5));
                            long id = rec.invoke(process, key, OpKind.CAS, expected, v);
                            rec.ok(id, Boolean.toString(store.replace(key, expected, v)));
                        }
                        default -> {
                            long id = rec.invoke(process, key, OpKind.DELETE);
                            if (rnd.nextInt(10) == 0) {
                                rec.info(id); // "timed out": may or may not have happened
                                if (rnd.nextBoolean()) {
                                    store.remove(key);
                                }
                            } else {
                                store.remove(key);
                                rec.ok(id);
                            }
                        }
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join(30_000);
        }
        History h = rec.history();
        assertEquals(2_400, h.size());
        LinearizabilityResult r = new LinearizabilityChecker<>(new RegisterModel()).check(h);
        assertEquals(Verdict.LINEARIZABLE, r.verdict(), r::describe);
        assertEquals(true, new LostWriteChecker().check(h).isValid(), () -> new LostWriteChecker().check(h).describe());
    }

    @Test
    void concurrentCounterIsLinearizable() throws Exception {
        AtomicLong counter = new AtomicLong();
        HistoryRecorder rec = new HistoryRecorder(10_000);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int process = t;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 300; i++) {
                    if (i % 3 == 0) {
                        long id = rec.invoke(process, "c", OpKind.READ);
                        rec.ok(id, Long.toString(counter.get()));
                    } else {
                        long id = rec.invoke(process, "c", OpKind.INCR, "2");
                        rec.ok(id, Long.toString(counter.addAndGet(2)));
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join(30_000);
        }
        long id = rec.invoke(9, "c", OpKind.READ);
        rec.ok(id, Long.toString(counter.get()));
        History h = rec.history();
        LinearizabilityResult r = new LinearizabilityChecker<>(new CounterModel()).check(h);
        assertEquals(Verdict.LINEARIZABLE, r.verdict(), r::describe);
        assertEquals(true, new LostWriteChecker().check(h).isValid());
    }

    @Test
    void readsFromALaggingReplicaAreCaught() {
        // Writes go to the leader; reads are served by a follower that is one write behind.
        String[] leader = {null};
        String[] follower = {null};
        HistoryRecorder rec = new HistoryRecorder(100);
        for (int i = 0; i < 5; i++) {
            String v = Integer.toString(i);
            long w = rec.invoke(0, "x", OpKind.WRITE, v);
            follower[0] = leader[0];
            leader[0] = v;
            rec.ok(w);
            long r = rec.invoke(1, "x", OpKind.READ);
            rec.ok(r, follower[0]);
        }
        History h = rec.history();
        LinearizabilityResult r = new LinearizabilityChecker<>(new RegisterModel()).check(h);
        assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict(), r::describe);
        // The very first read (nil after write "0" completed) is where it goes wrong.
        assertEquals(List.of(h.ops().get(1)), r.key("x").explanation().unplaceable());
    }
}
