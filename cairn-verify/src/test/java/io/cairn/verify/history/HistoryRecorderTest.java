package io.cairn.verify.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HistoryRecorderTest {

    @Test
    void recordsTimesStatusesAndOutputsFromTheInjectedClock() {
        AtomicLong now = new AtomicLong(100);
        HistoryRecorder rec = new HistoryRecorder(10, () -> now.getAndAdd(10));
        long w = rec.invoke(1, "k", OpKind.WRITE, "v");          // t=100
        long c = rec.invoke(2, "k", OpKind.CAS, null, "x");      // t=110
        long r = rec.invoke(3, "k", OpKind.READ);               // t=120
        long lost = rec.invoke(4, "k", OpKind.INCR, "1");       // t=130
        rec.ok(w);                                              // t=140
        rec.fail(c);                                            // t=150
        rec.ok(r, "v");                                         // t=160
        long pending = rec.invoke(5, "k", OpKind.APPEND, "t");  // t=170
        rec.info(lost);                                         // t=180
        assertEquals(1, rec.pending());

        List<Op> ops = rec.history().ops();
        assertEquals(5, ops.size());
        assertEquals(Op.of(0, 1, "k", OpKind.WRITE, null, 100, 140, Status.OK, "v"), ops.get(0));
        assertEquals(Op.of(1, 2, "k", OpKind.CAS, null, 110, 150, Status.FAIL, null, "x"), ops.get(1));
        assertEquals(Op.of(2, 3, "k", OpKind.READ, "v", 120, 160, Status.OK), ops.get(2));
        assertEquals(Status.INFO, ops.get(3).status());
        assertEquals(Long.MAX_VALUE, ops.get(3).effectiveCompleteNanos());
        // Still in flight when the snapshot was taken: it may have happened, so it is INFO.
        assertEquals(Status.INFO, ops.get((int) pending).status());
        assertEquals(170, ops.get((int) pending).invokeNanos());
    }

    @Test
    void isBoundedAndRejectsMisuse() {
        HistoryRecorder rec = new HistoryRecorder(2, () -> 0);
        long a = rec.invoke(0, "k", OpKind.READ);
        rec.invoke(0, "k", OpKind.READ);
        assertThrows(IllegalStateException.class, () -> rec.invoke(0, "k", OpKind.READ));
        rec.ok(a, null);
        assertThrows(IllegalStateException.class, () -> rec.ok(a, "again"));
        assertThrows(IllegalArgumentException.class, () -> rec.info(99));
        assertThrows(IllegalArgumentException.class, () -> new HistoryRecorder(0));
    }

    @Test
    void copiesTheVarargsArray() {
        HistoryRecorder rec = new HistoryRecorder(1);
        String[] in = {"a", "b"};
        long id = rec.invoke(0, "k", OpKind.CAS, in);
        in[0] = "changed";
        rec.ok(id, "true");
        assertEquals(Arrays.asList("a", "b"), rec.history().ops().get(0).input());
    }

    @Test
    void concurrentClientsGetUniqueIdsAndOrderedIntervals() throws Exception {
        HistoryRecorder rec = new HistoryRecorder(8 * 2_000);
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int process = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 2_000; i++) {
                    long id = rec.invoke(process, "k" + (i % 3), OpKind.WRITE, Integer.toString(i));
                    rec.ok(id);
                }
            });
            th.start();
            threads.add(th);
        }
        start.countDown();
        for (Thread th : threads) {
            th.join(20_000);
        }
        History h = rec.history();
        assertEquals(16_000, h.size());
        Set<Long> ids = new HashSet<>();
        for (Op op : h.ops()) {
            assertTrue(ids.add(op.id()));
            assertEquals(Status.OK, op.status());
            assertTrue(op.invokeNanos() <= op.completeNanos());
        }
        assertThrows(IllegalStateException.class, () -> rec.invoke(0, "k", OpKind.READ));
    }
}
