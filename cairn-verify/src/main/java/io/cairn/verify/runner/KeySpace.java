package io.cairn.verify.runner;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The keys of one workload: a few active key slots, each retired to a fresh key after a bounded
 * number of operations. Linearizability checking is exponential in the operations that overlap on
 * one key (an indeterminate write overlaps everything after it), so bounding each key's history
 * keeps the check fast however long the run is, while several clients still contend on each key.
 */
final class KeySpace {
    private final Workload workload;
    private final int[] generation;
    private final int[] used;
    private final int opsPerKey;
    private final List<String> retired = new ArrayList<>();

    KeySpace(Workload workload, int slots, int opsPerKey) {
        if (slots < 1 || opsPerKey < 1) {
            throw new IllegalArgumentException("slots and opsPerKey must be positive");
        }
        this.workload = workload;
        this.generation = new int[slots];
        this.used = new int[slots];
        this.opsPerKey = opsPerKey;
    }

    /** A key for the next operation: a random slot's current key, moving the slot on when it is used up. */
    synchronized String next(Random random) {
        int slot = random.nextInt(generation.length);
        if (used[slot] >= opsPerKey) {
            retired.add(key(slot));
            generation[slot]++;
            used[slot] = 0;
        }
        used[slot]++;
        return key(slot);
    }

    private String key(int slot) {
        return workload.prefix() + slot + ":" + generation[slot];
    }

    /** Every key used so far (retired and current), for the final reads. */
    synchronized List<String> allKeys() {
        List<String> all = new ArrayList<>(retired);
        for (int s = 0; s < generation.length; s++) {
            if (used[s] > 0) {
                all.add(key(s));
            }
        }
        return all;
    }
}
