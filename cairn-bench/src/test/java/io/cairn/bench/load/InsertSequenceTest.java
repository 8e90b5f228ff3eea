package io.cairn.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Reads only see records whose insert finished, even with a client stalled mid-insert. */
class InsertSequenceTest {
    @Test
    void acknowledgedStopsAtTheOldestUnfinishedInsert() {
        InsertSequence s = new InsertSequence(100, 1000, 2);
        assertEquals(100, s.acknowledged());
        assertEquals(100, s.claim(0)); // client 0 stalls on 100
        for (int i = 0; i < 50; i++) {
            s.claim(1);
            s.finished(1);
        }
        assertEquals(100, s.acknowledged(), "record 100 is still being inserted");
        s.finished(0);
        assertEquals(151, s.acknowledged());
    }

    @Test
    void stopsAtTheLimit() {
        InsertSequence s = new InsertSequence(0, 2, 1);
        assertEquals(0, s.claim(0));
        assertEquals(1, s.claim(0));
        assertEquals(-1, s.claim(0));
        assertEquals(-1, s.claim(0));
        s.finished(0);
        assertEquals(2, s.acknowledged());
    }

    @Test
    void concurrentReadersNeverSeeAnUnfinishedRecord() throws InterruptedException {
        InsertSequence s = new InsertSequence(0, Long.MAX_VALUE, 4);
        ConcurrentHashMap<Long, Boolean> done = new ConcurrentHashMap<>();
        AtomicBoolean violation = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            int client = c;
            threads.add(new Thread(() -> {
                for (int i = 0; i < 20_000; i++) {
                    long a = s.acknowledged();
                    if (a > 0 && !done.containsKey(a - 1)) {
                        violation.set(true);
                    }
                    long r = s.claim(client);
                    done.put(r, true);
                    s.finished(client);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertTrue(!violation.get(), "a reader saw a record whose insert had not finished");
        assertEquals(80_000, s.acknowledged());
    }
}
