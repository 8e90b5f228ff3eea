package io.cairn.verify.runner;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * After the heal and the final reads: every replica of every partition holds the final value of
 * every key. The server exposes no per-partition checksum, so this compares contents key by key:
 * for each partition (replicas from {@code CLUSTER SHARDS}), each node holding a replica reads the
 * workload's keys of that partition from its own replica ({@code CLIENT CONSISTENCY READ STALE}:
 * "this node's replica at once") until they equal the final linearizable reads, within a bounded
 * catch-up time. A replica that still disagrees after it has diverged: a stale repair, a replica
 * rebuilt without some writes, or a deleted key that came back on one copy.
 *
 * @param outcome        VALID, INVALID (some replica disagrees) or UNKNOWN (a replica could not be asked)
 * @param keys           keys compared
 * @param replicaReads   (key, replica) pairs compared
 * @param problems       what disagreed or could not be read, at most {@value #MAX_PROBLEMS}
 */
record ReplicaAgreement(io.cairn.verify.check.CheckResult.Outcome outcome, int keys, int replicaReads,
                        List<String> problems) {
    private static final int MAX_PROBLEMS = 20;
    private static final int RETRY_MS = 200;
    private static final int PIPELINE_BATCH = 500;

    ReplicaAgreement {
        problems = List.copyOf(problems);
    }

    /**
     * @param finalValues each key's final value (null: absent), from linearizable reads after the heal
     * @param timeout     how long a replica may take to catch up with them
     */
    static ReplicaAgreement check(ClusterProcesses cluster, Map<String, String> finalValues, Duration timeout)
            throws InterruptedException {
        Map<Integer, List<Integer>> shards = null;
        String shardsError = "no running member";
        for (int via : cluster.runningMembers()) {
            try {
                shards = cluster.shards(via);
                break;
            } catch (JedisException | ClassCastException | IllegalStateException e) {
                shardsError = cluster.name(via) + ": " + e;
            }
        }
        if (shards == null) {
            return new ReplicaAgreement(io.cairn.verify.check.CheckResult.Outcome.UNKNOWN, 0, 0,
                    List.of("CLUSTER SHARDS not answered: " + shardsError));
        }
        List<String> diverged = new ArrayList<>();
        List<String> unreachable = new ArrayList<>();
        Map<Integer, Map<String, String>> perNode = new TreeMap<>();
        int pairs = 0;
        for (Map.Entry<String, String> e : finalValues.entrySet()) {
            int p = cluster.partitionOfKey(e.getKey());
            List<Integer> replicas = shards.get(p);
            if (replicas == null || replicas.isEmpty()) {
                unreachable.add("partition " + p + " (key " + e.getKey() + ") is missing from CLUSTER SHARDS");
                continue;
            }
            for (int n : replicas) {
                perNode.computeIfAbsent(n, k -> new LinkedHashMap<>()).put(e.getKey(), e.getValue());
                pairs++;
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Map.Entry<Integer, Map<String, String>> e : perNode.entrySet()) {
            int node = e.getKey();
            Map<String, String> expected = e.getValue();
            Map<String, Object> lastSeen = new HashMap<>();
            List<String> pending = new ArrayList<>(expected.keySet());
            boolean everAnswered = false;
            while (!pending.isEmpty()) {
                List<String> again = new ArrayList<>();
                try {
                    Object[] got = readStale(cluster, node, pending);
                    everAnswered = true;
                    for (int k = 0; k < got.length; k++) {
                        String key = pending.get(k);
                        if (!Objects.equals(expected.get(key), got[k])) {
                            lastSeen.put(key, got[k]);
                            again.add(key);
                        }
                    }
                } catch (JedisException | IllegalStateException ex) {
                    again = pending;
                    pending.forEach(key -> lastSeen.putIfAbsent(key, "(no answer: " + ex.getMessage() + ")"));
                }
                pending = again;
                if (pending.isEmpty() || System.nanoTime() > deadline) {
                    break;
                }
                Thread.sleep(RETRY_MS);
            }
            for (String key : pending) {
                String line = "key " + key + " on " + cluster.name(node) + "'s replica: " + describe(lastSeen.get(key))
                        + ", final linearizable read: " + describe(expected.get(key));
                (everAnswered ? diverged : unreachable).add(line);
            }
        }
        io.cairn.verify.check.CheckResult.Outcome outcome = !diverged.isEmpty()
                ? io.cairn.verify.check.CheckResult.Outcome.INVALID
                : !unreachable.isEmpty() ? io.cairn.verify.check.CheckResult.Outcome.UNKNOWN
                : io.cairn.verify.check.CheckResult.Outcome.VALID;
        List<String> problems = new ArrayList<>(diverged);
        problems.addAll(unreachable);
        return new ReplicaAgreement(outcome, finalValues.size(), pairs,
                problems.subList(0, Math.min(MAX_PROBLEMS, problems.size())));
    }

    /** GETs of {@code keys} through {@code node} at STALE consistency (its own replica), pipelined. */
    private static Object[] readStale(ClusterProcesses cluster, int node, List<String> keys) {
        Object[] out = new Object[keys.size()];
        try (Jedis j = cluster.connect(node)) {
            Object reply = j.sendCommand(Protocol.Command.CLIENT, "CONSISTENCY", "READ", "STALE");
            String text = reply instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8)
                    : String.valueOf(reply);
            if (!"OK".equals(text)) {
                throw new IllegalStateException("CLIENT CONSISTENCY READ STALE -> " + text);
            }
            for (int from = 0; from < keys.size(); from += PIPELINE_BATCH) {
                int to = Math.min(keys.size(), from + PIPELINE_BATCH);
                Pipeline p = j.pipelined();
                List<Response<String>> rs = new ArrayList<>(to - from);
                for (int k = from; k < to; k++) {
                    rs.add(p.get(keys.get(k)));
                }
                p.sync();
                for (int k = from; k < to; k++) {
                    try {
                        out[k] = rs.get(k - from).get();
                    } catch (JedisDataException e) {
                        out[k] = "(error: " + e.getMessage() + ")";
                    }
                }
            }
        }
        return out;
    }

    private static String describe(Object v) {
        return v == null ? "absent" : v instanceof String s && !s.startsWith("(") ? "\"" + s + "\"" : String.valueOf(v);
    }

    /** One summary line. */
    String summary() {
        return "replica agreement: " + outcome + " (" + keys + " keys on " + replicaReads + " replica copies"
                + (problems.isEmpty() ? "" : "; " + problems.size() + " problems") + ")";
    }
}
