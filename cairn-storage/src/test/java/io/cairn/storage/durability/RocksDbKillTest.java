package io.cairn.storage.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.storage.Record;
import io.cairn.storage.ScanResult;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash durability of the RocksDB backend: a child JVM writes synced batches and acknowledges
 * each; the test SIGKILLs it mid-stream, reopens the directory and checks that every acknowledged
 * batch is there and that every batch is complete or absent as a whole.
 */
@EnabledOnOs(OS.LINUX) // destroyForcibly() is SIGKILL there; exit status 137 proves it below
class RocksDbKillTest {
    private static final Pattern BATCH_KEY = Pattern.compile("b(\\d+)-k(\\d)");

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void acknowledgedBatchesSurviveKillNine() throws Exception {
        Path db = tmp.resolve("db");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "-Xmx256m", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), BatchWriterMain.class.getName(), db.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        AtomicInteger lastAck = new AtomicInteger(-1);
        CountDownLatch ready = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.equals("READY")) {
                        ready.countDown();
                    } else if (line.startsWith("ACK ")) {
                        int n = Integer.parseInt(line.substring(4).trim());
                        assertEquals(lastAck.get() + 1, n, "acks arrive in order");
                        lastAck.set(n);
                    }
                }
            } catch (Exception ignored) {
                // The pipe breaks when the child is killed.
            }
        });
        reader.start();
        int acked;
        try {
            assertTrue(ready.await(30, TimeUnit.SECONDS), "child never opened the DB");
            Thread.sleep(1_500);
            // Read the ack count before the kill: anything printed later may not have been seen.
            acked = lastAck.get();
        } finally {
            child.destroyForcibly();
        }
        assertTrue(child.waitFor(20, TimeUnit.SECONDS), "child did not die");
        assertEquals(128 + 9, child.exitValue(), "child must die of SIGKILL (exit status 137)");
        reader.join(5_000);
        assertTrue(acked >= 10, "too few acknowledged batches to mean anything: " + acked);

        try (StorageEngine engine = StorageEngines.open("rocksdb", db, Map.of())) {
            Map<Integer, Integer> keysPerBatch = new HashMap<>();
            List<ScanResult.Entry> all = new ArrayList<>();
            byte[] cursor = null;
            do {
                ScanResult page = engine.scan(BatchWriterMain.PARTITION, cursor, 10_000, 0);
                all.addAll(page.entries());
                cursor = page.nextCursor();
            } while (cursor != null);
            for (ScanResult.Entry e : all) {
                String key = new String(e.key(), StandardCharsets.UTF_8);
                Matcher m = BATCH_KEY.matcher(key);
                if (m.matches()) {
                    int n = Integer.parseInt(m.group(1));
                    assertEquals(Integer.toString(n), new String(e.record().value(), StandardCharsets.UTF_8));
                    keysPerBatch.merge(n, 1, Integer::sum);
                }
            }
            int lastPresent = keysPerBatch.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
            for (int n = 0; n <= Math.max(acked, lastPresent); n++) {
                Integer count = keysPerBatch.get(n);
                if (n <= acked) {
                    assertEquals(BatchWriterMain.KEYS, count == null ? 0 : count, "acknowledged batch " + n + " incomplete");
                } else {
                    assertTrue(count == null || count == BatchWriterMain.KEYS, "batch " + n + " partially present: " + count);
                }
            }
            for (int n = 0; n <= lastPresent; n++) {
                assertNotNull(keysPerBatch.get(n), "batch " + n + " missing although later batch " + lastPresent + " exists");
            }
            // The shared keys were overwritten by every batch: all must show the last batch.
            for (int i = 0; i < BatchWriterMain.KEYS; i++) {
                Record shared = engine.get(BatchWriterMain.PARTITION, ("shared-" + i).getBytes(StandardCharsets.UTF_8), 0);
                assertNotNull(shared);
                assertEquals(Integer.toString(lastPresent), new String(shared.value(), StandardCharsets.UTF_8),
                        "shared-" + i + " disagrees with the last surviving batch");
            }
            assertTrue(lastPresent >= acked);
            System.out.println("kill -9 test: " + (acked + 1) + " batches acknowledged before the kill, "
                    + (lastPresent + 1) + " present after restart");
        }
    }
}
