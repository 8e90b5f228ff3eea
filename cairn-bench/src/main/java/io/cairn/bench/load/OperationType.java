package io.cairn.bench.load;

/**
 * The YCSB operation kinds, as they map onto a key-value store: READ is one GET, UPDATE one SET of
 * an existing record, INSERT one SET of the next new record, SCAN reads a run of consecutive
 * records (pipelined GETs: a cluster refuses an MGET across partitions with CROSSSLOT), and
 * READ_MODIFY_WRITE is a GET whose reply is awaited before the SET of the same record.
 */
public enum OperationType {
    READ(false),
    UPDATE(true),
    INSERT(true),
    SCAN(false),
    READ_MODIFY_WRITE(true);

    private final boolean write;

    OperationType(boolean write) {
        this.write = write;
    }

    /** Whether the operation writes: its successes feed the write-gap measurement. */
    public boolean isWrite() {
        return write;
    }

    /** Lower-case name with dashes, as reports print it ("read-modify-write"). */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
