package io.cairn.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The YCSB mixes A-F: drawn proportions match the specification. */
class WorkloadTest {
    private static Map<OperationType, Double> draw(Workload w, int n) {
        Map<OperationType, Integer> counts = new EnumMap<>(OperationType.class);
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < n; i++) {
            counts.merge(w.next(random), 1, Integer::sum);
        }
        Map<OperationType, Double> shares = new EnumMap<>(OperationType.class);
        for (OperationType t : OperationType.values()) {
            shares.put(t, counts.getOrDefault(t, 0) / (double) n);
        }
        return shares;
    }

    @Test
    void mixesMatchYcsb() {
        double[][] expected = {
                // read, update, insert, scan, rmw
                {0.5, 0.5, 0, 0, 0}, {0.95, 0.05, 0, 0, 0}, {1, 0, 0, 0, 0},
                {0.95, 0, 0.05, 0, 0}, {0, 0, 0.05, 0.95, 0}, {0.5, 0, 0, 0, 0.5}};
        String[] names = {"a", "b", "c", "d", "e", "f"};
        for (int i = 0; i < names.length; i++) {
            Workload w = Workload.named(names[i]);
            Map<OperationType, Double> shares = draw(w, 100_000);
            OperationType[] order = {OperationType.READ, OperationType.UPDATE, OperationType.INSERT, OperationType.SCAN,
                    OperationType.READ_MODIFY_WRITE};
            for (int k = 0; k < order.length; k++) {
                assertEquals(expected[i][k], shares.get(order[k]), 0.01, names[i] + " " + order[k]);
                assertEquals(expected[i][k], w.proportion(order[k]), 1e-12);
            }
        }
        assertEquals(Distribution.LATEST, Workload.named("D").defaultDistribution());
        assertEquals(Distribution.ZIPFIAN, Workload.named("a").defaultDistribution());
        assertTrue(Workload.named("load").isLoad());
    }

    @Test
    void rejectsUnknownWorkloadsAndBadMixes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workload.named("g"));
        assertTrue(e.getMessage().contains("a..f"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Workload("x", 0.5, 0.4, 0, 0, 0, Distribution.UNIFORM, 10));
        assertThrows(IllegalArgumentException.class, () -> Distribution.parse("pareto"));
    }

    @Test
    void keysHaveTheRequestedSize() {
        KeyFormat f = new KeyFormat(16);
        assertEquals("user000000000042", new String(f.key(42)));
        assertEquals(1_000_000_000_000L, f.capacity());
        KeyFormat small = new KeyFormat(8);
        assertEquals(10_000, small.capacity());
        assertThrows(IllegalArgumentException.class, () -> small.key(10_000));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BenchConfig(Workload.named("a"),
                null, 100_000, 10, 0, 1, 1, 10, 8, 0, 0, 1000, 10, 1, null));
        assertTrue(e.getMessage().contains("--key-size"), e.getMessage());
    }
}
