package io.cairn.storage.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.storage.support.WriteGate;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WriteGateTest {
    @Test
    void exclusiveHolderNeverOverlapsWriters() throws Exception {
        WriteGate gate = new WriteGate(4);
        AtomicInteger inside = new AtomicInteger();
        AtomicBoolean exclusive = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> violation = new AtomicReference<>();
        Thread[] writers = new Thread[3];
        for (int t = 0; t < writers.length; t++) {
            writers[t] = new Thread(() -> {
                while (!stop.get()) {
                    int token = gate.enter();
                    inside.incrementAndGet();
                    if (exclusive.get()) {
                        violation.set("writer inside while exclusive");
                    }
                    inside.decrementAndGet();
                    gate.exit(token);
                }
            });
            writers[t].start();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400);
        int rounds = 0;
        while (System.nanoTime() < deadline) {
            gate.closeExclusive();
            exclusive.set(true);
            if (inside.get() != 0) {
                violation.set("exclusive while " + inside.get() + " writers inside");
            }
            Thread.onSpinWait();
            exclusive.set(false);
            gate.open();
            rounds++;
        }
        stop.set(true);
        for (Thread w : writers) {
            w.join(5_000);
            assertFalse(w.isAlive());
        }
        assertEquals(null, violation.get());
        assertTrue(rounds > 10);
    }

    @Test
    void writersWaitWhileClosedAndResumeAfterOpen() throws Exception {
        WriteGate gate = new WriteGate(2);
        gate.closeExclusive();
        CountDownLatch entered = new CountDownLatch(1);
        Thread writer = new Thread(() -> {
            int token = gate.enter();
            entered.countDown();
            gate.exit(token);
        });
        writer.start();
        assertFalse(entered.await(100, TimeUnit.MILLISECONDS), "writer got in while closed");
        gate.open();
        assertTrue(entered.await(5, TimeUnit.SECONDS));
        writer.join(5_000);
    }

    @Test
    void misuseIsRejected() {
        WriteGate gate = new WriteGate(2);
        assertThrows(IllegalStateException.class, gate::open);
        assertThrows(IllegalArgumentException.class, () -> new WriteGate(3));
        assertThrows(IllegalArgumentException.class, () -> new WriteGate(0));
    }
}
