package io.cairn.raft.minicluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.storage.SlotHash;
import io.cairn.verify.check.LinearizabilityChecker;
import io.cairn.verify.check.LinearizabilityResult;
import io.cairn.verify.history.History;
import io.cairn.verify.history.HistoryRecorder;
import io.cairn.verify.history.OpKind;
import io.cairn.verify.model.CounterModel;
import io.cairn.verify.model.RegisterModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A concurrent history of SET/GET on registers and INCR/GET on counters, from clients spread over
 * every node, with the leader of the busiest partition stopped mid-run; the recorded history must
 * be linearizable per key (cairn-verify's Wing-Gong/Lowe checker). Replies that do not say what
 * happened (timeouts, CLUSTERDOWN, a closed node) are recorded as indeterminate, never as failed.
 */
class LinearizabilityUnderFailoverTest {
    private static final int PARTITIONS = 4;
    private static final int CLIENTS = 6;
    private static final List<String> REGISTERS = List.of("r1", "r2", "r3");
    private static final List<String> COUNTERS = List.of("c1", "c2");

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void historyWithALeaderStoppedMidRunIsLinearizable() throws Exception {
        long seed = Long.getLong("cairn.lin.seed", System.nanoTime());
        System.out.println("linearizability seed: " + seed + " (-Dcairn.lin.seed=" + seed + " to replay the workload)");
        HistoryRecorder recorder = new HistoryRecorder(200_000);
        try (MiniCluster c = new MiniCluster(dir, 3, PARTITIONS, Map.of(MiniCluster.COMMAND_TIMEOUT_MS, "3000")).start()) {
            c.awaitLeaders(Duration.ofSeconds(20));
            int busiest = SlotHash.partitionOf("r1".getBytes(StandardCharsets.UTF_8), PARTITIONS);
            int victim = c.leaderOf(busiest);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicBoolean stopped = new AtomicBoolean();
            AtomicInteger okAfterStop = new AtomicInteger();
            List<Thread> clients = new ArrayList<>();
            for (int t = 0; t < CLIENTS; t++) {
                int process = t;
                SplittableRandom random = new SplittableRandom(seed + t);
                Thread client = new Thread(() -> {
                    for (int i = 0; !stop.get() && i < 100_000; i++) {
                        int n = random.nextInt(3);
                        if (stopped.get() && n == victim) {
                            n = (n + 1) % 3;
                        }
                        CommandService s = c.service(n);
                        if (s == null) {
                            continue;
                        }
                        boolean ok = step(s, process, random, recorder, i);
                        if (ok && stopped.get()) {
                            okAfterStop.incrementAndGet();
                        }
                    }
                }, "lin-client-" + t);
                client.start();
                clients.add(client);
            }
            Thread.sleep(2500);
            c.stop(victim);
            stopped.set(true);
            MiniCluster.await(Duration.ofSeconds(30), () -> okAfterStop.get() >= 100, "operations after the stop");
            Thread.sleep(1000);
            stop.set(true);
            for (Thread t : clients) {
                t.join(30_000);
            }
        }
        History history = recorder.history();
        History registers = history.filter(op -> REGISTERS.contains(op.key()));
        History counters = history.filter(op -> COUNTERS.contains(op.key()));
        LinearizabilityResult r = new LinearizabilityChecker<>(new RegisterModel())
                .withTimeBudgetPerKey(Duration.ofSeconds(20)).check(registers);
        LinearizabilityResult k = new LinearizabilityChecker<>(new CounterModel())
                .withTimeBudgetPerKey(Duration.ofSeconds(20)).check(counters);
        long info = history.ops().stream().filter(op -> op.isInfo()).count();
        System.out.printf("history: %d ops (%d indeterminate); registers %s, counters %s%n", history.size(), info,
                r.verdict(), k.verdict());
        if (!r.isLinearizable() || !k.isLinearizable()) {
            Path file = dir.resolve("history.tsv");
            history.write(file);
            System.out.println(r.describe());
            System.out.println(k.describe());
        }
        assertTrue(history.size() > 150, "too short a history: " + history.size());
        assertTrue(r.isLinearizable(), () -> r.describe());
        assertTrue(k.isLinearizable(), () -> k.describe());
    }

    /** One random operation; true if it completed with a definite result. */
    private static boolean step(CommandService s, int process, SplittableRandom random, HistoryRecorder recorder, int i) {
        boolean register = random.nextInt(5) < 3;
        String key = register ? REGISTERS.get(random.nextInt(REGISTERS.size())) : COUNTERS.get(random.nextInt(COUNTERS.size()));
        boolean read = random.nextBoolean();
        long id;
        byte[][] argv;
        if (read) {
            id = recorder.invoke(process, key, OpKind.READ);
            argv = new byte[][] {b("GET"), b(key)};
        } else if (register) {
            String value = process + "-" + i;
            id = recorder.invoke(process, key, OpKind.WRITE, value);
            argv = new byte[][] {b("SET"), b(key), b(value)};
        } else {
            id = recorder.invoke(process, key, OpKind.INCR, "1");
            argv = new byte[][] {b("INCR"), b(key)};
        }
        Reply reply;
        try {
            reply = s.execute(argv).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (read) {
                recorder.fail(id); // a read that failed changed nothing
            } else {
                recorder.info(id);
            }
            return false;
        }
        switch (reply) {
            case Reply.Bulk bulk -> recorder.ok(id, bulk.utf8());
            case Reply.Null ignored -> recorder.ok(id, null);
            case Reply.Int n -> recorder.ok(id, Long.toString(n.value()));
            case Reply.Simple ok -> recorder.ok(id, ok.text());
            case Reply.Error e -> {
                if (read) {
                    recorder.fail(id);
                } else {
                    recorder.info(id); // TIMEOUT / CLUSTERDOWN: the write may or may not have been applied
                }
                return false;
            }
            default -> throw new AssertionError("unexpected reply " + reply);
        }
        return true;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
