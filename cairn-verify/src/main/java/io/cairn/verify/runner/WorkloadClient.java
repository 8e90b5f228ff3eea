package io.cairn.verify.runner;

import io.cairn.verify.history.HistoryRecorder;
import io.cairn.verify.history.OpKind;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.SafeEncoder;

/**
 * One closed-loop client: picks an operation, records its invocation, sends it over its own RESP
 * connection to one node, records the outcome, thinks a little, repeats until stopped.
 *
 * <p>Registers take GET, SET, compare-and-set and DEL; counters INCR and GET; appends APPEND and GET.
 *
 * <p>Outcomes follow the server's contract: a reply is OK; {@code -TRYAGAIN} means the command was
 * refused before it was proposed (FAIL, no effect); any other error or a lost connection leaves a
 * write's effect unknown (INFO). A read never has an effect, so a failed read is FAIL. After an
 * INFO the client continues as a new process id, as Jepsen does: the abandoned op may still be
 * in flight, and a process must have at most one op outstanding.
 */
final class WorkloadClient implements Runnable {
    private final int index;
    private final ClusterProcesses cluster;
    private final Map<Workload, KeySpace> keys;
    private final List<Workload> workloads;
    private final HistoryRecorder recorder;
    private final AtomicInteger processIds;
    private final Random random;
    private final String readConsistency;
    private final int thinkMaxMs;
    private final AtomicBoolean stop;
    private final Map<String, String> lastKnown = new HashMap<>();
    private Jedis jedis;
    private int process;
    private long sequence;

    /**
     * @param readConsistency null for the server default, else sent as {@code CLIENT CONSISTENCY READ <level>}
     */
    WorkloadClient(int index, ClusterProcesses cluster, Map<Workload, KeySpace> keys, List<Workload> workloads,
                   HistoryRecorder recorder, AtomicInteger processIds, long seed, String readConsistency,
                   int thinkMaxMs, AtomicBoolean stop) {
        this.index = index;
        this.cluster = cluster;
        this.keys = keys;
        this.workloads = List.copyOf(workloads);
        this.recorder = recorder;
        this.processIds = processIds;
        this.random = new Random(seed);
        this.readConsistency = readConsistency;
        this.thinkMaxMs = thinkMaxMs;
        this.stop = stop;
        this.process = processIds.getAndIncrement();
    }

    @Override
    public void run() {
        try {
            while (!stop.get()) {
                if (jedis == null && !connect()) {
                    sleep(100);
                    continue;
                }
                Workload w = workloads.get(random.nextInt(workloads.size()));
                String key = keys.get(w).next(random);
                switch (w) {
                    case REGISTER -> register(key);
                    case COUNTER -> counter(key);
                    case APPEND -> append(key);
                }
                if (thinkMaxMs > 0) {
                    sleep(random.nextInt(thinkMaxMs + 1));
                }
            }
        } finally {
            disconnect();
        }
    }

    private boolean connect() {
        // Members only: a spare has not joined yet and a node that left is stopped (a client of a
        // member that leaves loses its connection and comes back here).
        List<Integer> running = cluster.runningMembers();
        if (running.isEmpty()) {
            return false;
        }
        int node = running.get(random.nextInt(running.size()));
        try {
            jedis = cluster.connect(node);
            if (readConsistency != null) {
                Object r = jedis.sendCommand(Protocol.Command.CLIENT, "CONSISTENCY", "READ", readConsistency);
                if (!"OK".equals(text(r))) {
                    throw new IllegalStateException("CLIENT CONSISTENCY READ " + readConsistency + " -> " + text(r));
                }
            }
            return true;
        } catch (JedisException e) {
            disconnect();
            return false;
        }
    }

    private void disconnect() {
        if (jedis != null) {
            try {
                jedis.close();
            } catch (RuntimeException ignored) {
                // the connection is gone either way
            }
            jedis = null;
        }
    }

    /**
     * Half reads, 30% writes, 10% compare-and-set, 10% deletes: deletes make "a deleted key came
     * back" (a stale replica or a replayed write resurrecting it) observable to both checkers.
     */
    private void register(String key) {
        int dice = random.nextInt(10);
        if (dice < 5) {
            read(key);
        } else if (dice == 9) {
            write(key, OpKind.DELETE, new String[0], () -> {
                long removed = jedis.del(key);
                lastKnown.remove(key);
                return String.valueOf(removed);
            });
        } else if (dice < 8) {
            String value = nextValue();
            write(key, OpKind.WRITE, new String[] {value}, () -> {
                jedis.set(key, value);
                lastKnown.put(key, value);
                return null;
            });
        } else {
            String expected = lastKnown.get(key);
            String value = nextValue();
            write(key, OpKind.CAS, new String[] {expected, value}, () -> {
                Object r = expected == null
                        ? jedis.sendCommand(Protocol.Command.SET, key, value, "NX")
                        : jedis.sendCommand(Protocol.Command.SET, key, value, "IFEQ", expected);
                boolean set = "OK".equals(text(r));
                if (set) {
                    lastKnown.put(key, value);
                }
                return set ? "true" : "false";
            });
        }
    }

    private void counter(String key) {
        if (random.nextBoolean()) {
            read(key);
        } else {
            write(key, OpKind.INCR, new String[] {"1"}, () -> String.valueOf(jedis.incr(key)));
        }
    }

    private void append(String key) {
        if (random.nextBoolean()) {
            read(key);
        } else {
            String token = "t" + index + "." + sequence++;
            write(key, OpKind.APPEND, new String[] {token + Workload.SEPARATOR}, () -> {
                jedis.append(key, token + Workload.SEPARATOR);
                return null;
            });
        }
    }

    private String nextValue() {
        return "v" + index + "." + sequence++;
    }

    private void read(String key) {
        long id = recorder.invoke(process, key, OpKind.READ);
        try {
            String v = jedis.get(key);
            recorder.ok(id, v);
            if (Workload.ofKey(key) == Workload.REGISTER) {
                if (v == null) {
                    lastKnown.remove(key);
                } else {
                    lastKnown.put(key, v);
                }
            }
        } catch (JedisConnectionException e) {
            recorder.fail(id);
            disconnect();
        } catch (JedisException e) {
            recorder.fail(id);
        }
    }

    private interface Call {
        String send();
    }

    private void write(String key, OpKind kind, String[] input, Call call) {
        long id = recorder.invoke(process, key, kind, input);
        try {
            recorder.ok(id, call.send());
        } catch (JedisDataException e) {
            if (String.valueOf(e.getMessage()).startsWith("TRYAGAIN")) {
                recorder.fail(id);
            } else {
                indeterminate(id);
            }
        } catch (JedisException e) {
            indeterminate(id);
            disconnect();
        }
    }

    private void indeterminate(long id) {
        recorder.info(id);
        process = processIds.getAndIncrement();
    }

    private static String text(Object reply) {
        return reply instanceof byte[] b ? SafeEncoder.encode(b) : reply == null ? null : String.valueOf(reply);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
