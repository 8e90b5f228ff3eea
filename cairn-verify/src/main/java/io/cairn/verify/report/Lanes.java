package io.cairn.verify.report;

import io.cairn.verify.history.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One horizontal lane per client process. Workloads that replace crashed clients can produce
 * thousands of process ids, so only {@code maxLanes} get their own lane and the rest share an
 * "other" lane at the bottom. Processes with highlighted ops get a lane first, so the checker's
 * evidence is never lost in the shared lane.
 */
final class Lanes {
    private final Map<Integer, Integer> laneOfProcess = new HashMap<>();
    private final List<String> labels = new ArrayList<>();
    private final int mergedProcesses;

    private Lanes(Set<Integer> own, int mergedProcesses) {
        for (int p : own) {
            laneOfProcess.put(p, labels.size());
            labels.add("p" + p);
        }
        this.mergedProcesses = mergedProcesses;
        if (mergedProcesses > 0) {
            labels.add("other");
        }
    }

    static Lanes assign(List<Op> ops, Set<Long> highlighted, int maxLanes) {
        Set<Integer> all = new TreeSet<>();
        Set<Integer> preferred = new LinkedHashSet<>();
        for (Op op : ops) {
            all.add(op.process());
            if (highlighted.contains(op.id())) {
                preferred.add(op.process());
            }
        }
        if (all.size() <= maxLanes) {
            return new Lanes(all, 0);
        }
        Set<Integer> own = new TreeSet<>();
        for (int p : preferred) {
            if (own.size() < maxLanes) {
                own.add(p);
            }
        }
        for (int p : all) {
            if (own.size() < maxLanes) {
                own.add(p);
            }
        }
        return new Lanes(own, all.size() - own.size());
    }

    /** Lane index of a process; merged processes all map to the last ("other") lane. */
    int lane(int process) {
        Integer lane = laneOfProcess.get(process);
        return lane != null ? lane : labels.size() - 1;
    }

    int count() {
        return labels.size();
    }

    String label(int lane) {
        return labels.get(lane);
    }

    int mergedProcesses() {
        return mergedProcesses;
    }
}
