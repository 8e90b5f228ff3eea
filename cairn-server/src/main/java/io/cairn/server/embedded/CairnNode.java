package io.cairn.server.embedded;

import io.cairn.api.kv.BatchOp;
import io.cairn.api.kv.BatchResult;
import io.cairn.api.kv.CairnTimeoutException;
import io.cairn.api.kv.CallOptions;
import io.cairn.api.kv.Health;
import io.cairn.api.kv.KeyValue;
import io.cairn.api.kv.KvCommands;
import io.cairn.api.kv.PutOptions;
import io.cairn.api.kv.ScanPage;
import io.cairn.api.kv.ScanRequest;
import io.cairn.api.kv.ShuttingDownException;
import io.cairn.api.kv.Stats;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.api.service.Session;
import io.cairn.raft.RaftNode;
import io.cairn.server.CairnServer;
import io.cairn.server.ServerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A Cairn node running in this process, used through {@link KeyValue}: each call goes straight to
 * the node's {@link CommandService} (no network hop for the call itself; in a cluster the service
 * proposes to the partition's Raft group like any other request). Calls share one session, so
 * FOLLOWER reads see every write this node's callers made, whatever options each call used.
 */
public final class CairnNode implements KeyValue {
    private final CairnServer server;
    private final CommandService service;
    private final KvCommands commands = KvCommands.DEFAULT;
    private final CallOptions defaults;
    private final Session session;
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong timeouts = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();

    private CairnNode(CairnServer server) {
        this.server = server;
        this.service = server.service();
        ServerConfig c = server.config();
        this.defaults = CallOptions.defaults()
                .withRead(io.cairn.api.consistency.ReadConsistency.parse(c.string("read-consistency")))
                .withWrite(io.cairn.api.consistency.WriteConsistency.parse(c.string("write-consistency")));
        this.session = new Session(defaults.read(), defaults.write());
    }

    static CairnNode start(ServerConfig config) {
        try {
            return new CairnNode(CairnServer.start(config));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ShuttingDownException("interrupted while starting the node");
        }
    }

    /** The node underneath (RESP port, node id, Raft side). */
    public CairnServer server() {
        return server;
    }

    private CallOptions options(CallOptions o) {
        return o == null ? defaults : o;
    }

    /** Runs one command at the call's consistency, with its timeout, decoding the reply or mapping the failure. */
    private <T> CompletableFuture<T> call(byte[][] argv, CallOptions o, boolean write, Function<Reply, T> decoder) {
        if (server.isClosing()) {
            return KvCommands.failed(new ShuttingDownException("the node is shutting down"));
        }
        calls.incrementAndGet();
        inFlight.incrementAndGet();
        CompletableFuture<Reply> reply = service.execute(argv, session.withConsistency(o.read(), o.write()))
                .orTimeout(o.timeout().toMillis(), TimeUnit.MILLISECONDS);
        return count(KvCommands.decode(reply, decoder, write));
    }

    private <T> CompletableFuture<T> count(CompletableFuture<T> f) {
        return f.whenComplete((v, e) -> {
            inFlight.decrementAndGet();
            if (e != null) {
                failures.incrementAndGet();
                if (e instanceof CairnTimeoutException || e.getCause() instanceof CairnTimeoutException) {
                    timeouts.incrementAndGet();
                }
            }
        });
    }

    @Override
    public CompletableFuture<byte[]> getAsync(byte[] key, CallOptions options) {
        try {
            return call(commands.get(key), options(options), false, KvCommands::decodeGet);
        } catch (RuntimeException e) {
            return KvCommands.failed(e);
        }
    }

    @Override
    public CompletableFuture<Void> putAsync(byte[] key, byte[] value, PutOptions options) {
        PutOptions p = options == null ? PutOptions.none() : options;
        try {
            return call(commands.put(key, value, p.ttl()), options(p.call()), true, KvCommands::decodePut);
        } catch (RuntimeException e) {
            return KvCommands.failed(e);
        }
    }

    @Override
    public CompletableFuture<Boolean> deleteAsync(byte[] key, CallOptions options) {
        try {
            return call(commands.delete(key), options(options), true, KvCommands::decodeDelete);
        } catch (RuntimeException e) {
            return KvCommands.failed(e);
        }
    }

    @Override
    public CompletableFuture<Boolean> compareAndSetAsync(byte[] key, byte[] expected, byte[] newValue,
                                                         PutOptions options) {
        PutOptions p = options == null ? PutOptions.none() : options;
        try {
            return call(commands.compareAndSet(key, expected, newValue, p.ttl()), options(p.call()), true,
                    KvCommands::decodeCompareAndSet);
        } catch (RuntimeException e) {
            return KvCommands.failed(e);
        }
    }

    @Override
    public CompletableFuture<ScanPage> scanAsync(ScanRequest request) {
        if (request == null) {
            return KvCommands.failed(new IllegalArgumentException("scan request must not be null"));
        }
        CallOptions o = options(request.options());
        CompletableFuture<ScanPage> keys;
        try {
            keys = call(commands.scan(request), o, false, KvCommands::decodeScan);
        } catch (RuntimeException e) {
            return KvCommands.failed(e);
        }
        if (!request.withValues()) {
            return keys;
        }
        return keys.thenCompose(page -> {
            List<CompletableFuture<byte[]>> values = new ArrayList<>();
            for (byte[] k : page.keys()) {
                values.add(getAsync(k, o));
            }
            return CompletableFuture.allOf(values.toArray(CompletableFuture[]::new))
                    .thenApply(v -> KvCommands.withValues(page, values.stream().map(CompletableFuture::join).toList()));
        });
    }

    @Override
    public CompletableFuture<List<BatchResult>> batchAsync(List<BatchOp> ops, CallOptions options) {
        CallOptions o = options(options);
        try {
            List<byte[][]> argv = commands.batch(ops);
            boolean write = ops.stream().anyMatch(op -> !(op instanceof BatchOp.Get));
            Session s = session.withConsistency(o.read(), o.write());
            if (ops.size() > 1 && KvCommands.atomic(ops)) {
                calls.incrementAndGet();
                inFlight.incrementAndGet();
                CompletableFuture<Reply> reply = service.exec(argv, List.of(), s)
                        .orTimeout(o.timeout().toMillis(), TimeUnit.MILLISECONDS);
                return count(KvCommands.decode(reply, r -> KvCommands.decodeExec(ops, r), write));
            }
            List<CompletableFuture<Reply>> replies = new ArrayList<>();
            for (byte[][] a : argv) {
                replies.add(service.execute(a, s));
            }
            calls.incrementAndGet();
            inFlight.incrementAndGet();
            CompletableFuture<Reply> all = CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
                    .orTimeout(o.timeout().toMillis(), TimeUnit.MILLISECONDS)
                    .thenApply(v -> Reply.array(replies.stream().map(CompletableFuture::join).toList()));
            return count(KvCommands.decode(all, r -> KvCommands.decodeBatch(ops, ((Reply.Array) r).items()), write));
        } catch (RuntimeException e) {
            return KvCommands.failed(e);
        }
    }

    /**
     * Ready when every partition has a leader this node knows of and a linearizable read through
     * the service succeeds (a single node is ready once started).
     */
    @Override
    public void awaitReady(Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be >= 0, got " + timeout);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            if (server.isClosing()) {
                throw new ShuttingDownException("the node is shutting down");
            }
            if (leadersKnown() == partitions()) {
                try {
                    get(new byte[] {'_'}, defaults.withTimeout(Duration.ofMillis(
                            Math.max(1, Math.min(2000, (deadline - System.nanoTime()) / 1_000_000)))));
                    return;
                } catch (RuntimeException e) {
                    last = e;
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ShuttingDownException("interrupted while waiting for the node");
            }
        }
        throw new CairnTimeoutException("node not ready within " + timeout + " (" + leadersKnown() + " of "
                + partitions() + " partitions have a known leader)", false, last);
    }

    private int partitions() {
        return server.config().intValue("partitions");
    }

    private int leadersKnown() {
        RaftNode raft = server.raft();
        if (raft == null) {
            return partitions();
        }
        int n = 0;
        for (int p = 0; p < partitions(); p++) {
            if (raft.leaderOf(p) != null) {
                n++;
            }
        }
        return n;
    }

    @Override
    public Health health() {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("node-id", server.nodeId());
        details.put("resp-port", String.valueOf(server.port()));
        if (server.isClosing()) {
            return new Health(Health.Status.DOWN, details);
        }
        int leaders = leadersKnown();
        details.put("partitions", String.valueOf(partitions()));
        details.put("partitions-with-leader", String.valueOf(leaders));
        Health.Status status = leaders == partitions() ? Health.Status.UP
                : leaders == 0 ? Health.Status.DOWN : Health.Status.DEGRADED;
        return new Health(status, details);
    }

    @Override
    public Stats stats() {
        Map<String, Long> details = new LinkedHashMap<>();
        details.put("keys", service.approximateKeyCount());
        return new Stats(calls.get(), failures.get(), 0, timeouts.get(), inFlight.get(), details);
    }

    @Override
    public CallOptions defaultCallOptions() {
        return defaults;
    }

    /** Graceful and idempotent: stops RESP, lets in-flight calls finish, closes Raft and storage. */
    @Override
    public void close() {
        server.close();
    }
}
