package io.cairn.storage;

/**
 * Counts for one partition or the whole engine. {@code keys} counts stored records that are
 * not tombstones (expired-but-unpurged records included: counting them exactly would need a
 * clock, and Redis's DBSIZE counts them too). {@code bytes} approximates key + value bytes.
 */
public record EngineStats(long keys, long tombstones, long bytes) {}
