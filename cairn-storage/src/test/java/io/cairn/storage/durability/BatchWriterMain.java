package io.cairn.storage.durability;

import io.cairn.storage.Record;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import io.cairn.storage.WriteBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Child process of {@link RocksDbKillTest}: writes synced batches forever and prints
 * {@code ACK n} after batch n was acknowledged by the engine. Batch n writes
 * {@code b<n>-k<i>} and overwrites {@code shared-<i>} for i in 0..KEYS-1, all with value n.
 */
public final class BatchWriterMain {
    static final int PARTITION = 7;
    static final int KEYS = 5;
    /** Hard stop so an orphaned child cannot run forever if the parent dies. */
    static final int MAX_BATCHES = 1_000_000;
    static final long MAX_MILLIS = 60_000;

    private BatchWriterMain() {}

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        long deadline = System.currentTimeMillis() + MAX_MILLIS;
        try (StorageEngine engine = StorageEngines.open("rocksdb", dir, Map.of("rocksdb.sync-writes", "true"))) {
            System.out.println("READY");
            System.out.flush();
            for (int n = 0; n < MAX_BATCHES && System.currentTimeMillis() < deadline; n++) {
                byte[] value = Integer.toString(n).getBytes(StandardCharsets.UTF_8);
                WriteBatch batch = new WriteBatch();
                for (int i = 0; i < KEYS; i++) {
                    batch.put(PARTITION, ("b" + n + "-k" + i).getBytes(StandardCharsets.UTF_8), Record.value(value, n + 1L));
                    batch.put(PARTITION, ("shared-" + i).getBytes(StandardCharsets.UTF_8), Record.value(value, n + 1L));
                }
                engine.write(batch);
                System.out.println("ACK " + n);
                System.out.flush();
            }
        }
    }
}
