package io.cairn.bench.load;

import java.util.Objects;

/**
 * One benchmark operation, protocol-neutral: the keys it touches (one, or a SCAN's run of
 * consecutive records) and, for writes, the value. {@code partitionGroup} is which write-gap group
 * it counts in (the key's Cairn partition when the bench knows the partition count, else 0).
 */
public record Operation(OperationType type, long record, byte[][] keys, byte[] value, int partitionGroup) {
    public Operation {
        Objects.requireNonNull(type, "type");
        if (keys.length == 0 || (type != OperationType.SCAN && keys.length != 1)) {
            throw new IllegalArgumentException(type + " takes " + (type == OperationType.SCAN ? "at least one key" : "one key"));
        }
        if (type.isWrite() != (value != null)) {
            throw new IllegalArgumentException(type + (type.isWrite() ? " needs" : " takes no") + " value");
        }
    }
}
