package io.cairn.bench.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.cairn.storage.Record;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Keeps the benchmark honest: its setup really preloads, GET finds values, SET overwrites. */
class EngineBenchmarkSmokeTest {
    @ParameterizedTest
    @ValueSource(strings = {"memory", "rocksdb", "rocksdb-sync"})
    void setupPreloadsAndOperationsWork(String backend) throws Exception {
        EngineBenchmark b = new EngineBenchmark();
        b.backend = backend;
        b.keys = 2_000;
        b.dist = "uniform";
        b.setUp();
        try {
            assertEquals(2_000, b.engine.stats().keys());
            EngineBenchmark.Cursor c = new EngineBenchmark.Cursor();
            c.setUp();
            for (int i = 0; i < 100; i++) {
                Record r = b.get1(c);
                assertNotNull(r, "preloaded key missing");
                assertEquals(EngineBenchmark.VALUE_BYTES, r.value().length);
                b.set1(c);
            }
            assertEquals(2_000, b.engine.stats().keys(), "SET overwrites, never adds");
            byte[] k = EngineBenchmark.key(7);
            assertEquals(16, k.length);
            assertArrayEquals(b.values[7].value(), b.engine.get(b.partitions[7], k, 0).value());
        } finally {
            b.tearDown();
        }
    }
}
