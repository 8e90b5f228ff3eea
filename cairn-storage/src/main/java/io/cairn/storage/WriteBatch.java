package io.cairn.storage;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An ordered list of puts and removals applied atomically by {@link StorageEngine#write}:
 * after a crash or to a concurrent reader, either all of it is visible or none. Later
 * operations on the same key win. Bounded by {@link #MAX_OPERATIONS}.
 */
public final class WriteBatch {
    /** A batch larger than this is a bug upstream (batches are bounded by their producers). */
    public static final int MAX_OPERATIONS = 1_000_000;

    /** {@code record == null} means physically remove the key (used by purge and GC, not by DEL). */
    public record Op(int partition, byte[] key, Record record) {}

    private final List<Op> ops = new ArrayList<>();

    public WriteBatch put(int partition, byte[] key, Record record) {
        if (record == null) {
            throw new IllegalArgumentException("put needs a record; use remove() to drop a key");
        }
        return add(new Op(partition, key, record));
    }

    /** Writes a tombstone at {@code version}. */
    public WriteBatch delete(int partition, byte[] key, long version) {
        return add(new Op(partition, key, Record.tombstone(version)));
    }

    /** Physically removes the key, tombstone and all. */
    public WriteBatch remove(int partition, byte[] key) {
        return add(new Op(partition, key, null));
    }

    private WriteBatch add(Op op) {
        if (ops.size() >= MAX_OPERATIONS) {
            throw new IllegalArgumentException("write batch exceeds " + MAX_OPERATIONS + " operations");
        }
        ops.add(op);
        return this;
    }

    public List<Op> ops() {
        return Collections.unmodifiableList(ops);
    }

    public int size() {
        return ops.size();
    }

    public boolean isEmpty() {
        return ops.isEmpty();
    }
}
