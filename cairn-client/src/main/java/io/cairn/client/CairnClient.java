package io.cairn.client;

import io.cairn.api.consistency.ReadConsistency;
import io.cairn.api.consistency.WriteConsistency;
import io.cairn.api.kv.BatchOp;
import io.cairn.api.kv.BatchResult;
import io.cairn.api.kv.CairnClosedException;
import io.cairn.api.kv.CairnConnectionException;
import io.cairn.api.kv.CairnException;
import io.cairn.api.kv.CairnServerException;
import io.cairn.api.kv.CairnTimeoutException;
import io.cairn.api.kv.CallOptions;
import io.cairn.api.kv.Health;
import io.cairn.api.kv.KeyValue;
import io.cairn.api.kv.KvCommands;
import io.cairn.api.kv.KvLimits;
import io.cairn.api.kv.NoQuorumException;
import io.cairn.api.kv.PutOptions;
import io.cairn.api.kv.ScanPage;
import io.cairn.api.kv.ScanRequest;
import io.cairn.api.kv.ShuttingDownException;
import io.cairn.api.kv.Stats;
import io.cairn.api.reply.Reply;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.CommandArgs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * {@link KeyValue} over RESP to a remote Cairn node or cluster: a thin layer over Lettuce that
 * sends the same commands the embedded node runs ({@link KvCommands}) and decodes the replies with
 * the same code, so both behave identically, exceptions included.
 *
 * <pre>{@code
 * try (CairnClient kv = CairnClient.connect(List.of("10.0.0.1:6380", "10.0.0.2:6380"))) {
 *     kv.put("greeting", "hello");
 *     kv.compareAndSet("greeting", "hello", "hi");
 * }
 * }</pre>
 *
 * <h2>Connections and consistency</h2>
 * All calls go to one node at a time (the <em>current</em> node, initially the first seed); any
 * Cairn node serves any key. The client holds one connection per node, multiplexed by all
 * callers (Lettuce pipelines their commands). Consistency is a per-connection setting on the
 * server ({@code CLIENT CONSISTENCY READ r WRITE w}); the client remembers each connection's
 * current setting and, when a call asks for a different one, sends {@code CLIENT CONSISTENCY}
 * immediately before the call's commands. Commands are handed to a connection under a lock, so a
 * switch and the commands it is for are contiguous on the wire: no other caller's command can
 * run between them under the wrong setting. One connection per node (rather than one per setting)
 * keeps the server-side session whole: FOLLOWER reads see this client's own earlier writes
 * (read-your-writes), whatever setting those writes were made with.
 *
 * <p>Right after connecting, the client asks the node for the connection's setting. A server
 * that predates {@code CLIENT CONSISTENCY} is accepted and assumed to serve linearizable reads
 * and majority writes (what it does); a call asking for anything else then fails with
 * {@link CairnServerException} without being sent. Lettuce's auto-reconnect is off, because a
 * silently re-established connection would have reset the setting behind the client's back; the
 * client reconnects itself.
 *
 * <h2>Time limits</h2>
 * Each call has one budget, {@link CallOptions#timeout()}, covering connecting, sending, waiting
 * and fail-over attempts; when it runs out the call fails with {@link CairnTimeoutException},
 * whose {@code outcomeUnknown()} is true for a write that had been sent.
 *
 * <h2>Fail-over and the retry rule</h2>
 * A call is attempted at most {@link Config#maxAttempts()} times (default: seeds + 1, so every
 * seed gets a chance and a single seed gets one reconnect), always within its time budget.
 * After a failure the next attempt goes to the next seed (round robin) when the node looks gone,
 * and is made only if it cannot apply a write twice:
 * <ul>
 *   <li><b>Certainly not applied</b> — the connection could not be opened, was already closed
 *       before the command was written, or the node refused without running it ({@code SHUTDOWN},
 *       {@code TRYAGAIN}): any call is retried.</li>
 *   <li><b>Maybe applied</b> — the connection broke after the command was written, or the node
 *       reported a lost quorum or a server-side timeout: reads and idempotent writes (put, delete,
 *       batches without compare-and-set) are retried; compare-and-set (and batches containing one)
 *       is not, and fails with {@code outcomeUnknown() == true}, because a second attempt could
 *       apply it twice or report a false "mismatch" caused by its own first attempt.</li>
 *   <li>Anything else (validation, a value over the limit, syntax) is an answer, not a failure of
 *       the node, and is never retried.</li>
 * </ul>
 * Retried idempotent writes have the usual caveats: a retried put may overwrite a value another
 * client wrote in between (last writer wins), and a retried delete may report {@code false}
 * because its own first attempt already deleted the key. When no seed could be reached at all the
 * call fails with {@link CairnConnectionException}, listing the seeds.
 *
 * <h2>Threads</h2>
 * Async results complete on Lettuce's I/O threads or the client's timer thread: do not block in
 * callbacks attached to them (use the {@code ...Async(fn, executor)} variants), and do not call
 * {@link #close()} from them.
 */
public final class CairnClient implements KeyValue {

    /**
     * How to reach the cluster and what to assume by default.
     *
     * @param seeds          {@code host:port} of one or more nodes ({@code [v6addr]:port} for IPv6), tried in order
     * @param connectTimeout how long opening one connection may take, before trying the next seed
     * @param username       ACL user name, or null (then {@code password} alone is Redis's {@code requirepass})
     * @param password       password, or null for none
     * @param defaults       options of calls that pass none (or null)
     * @param maxAttempts    most attempts per call, across fail-overs (at least 1)
     * @param limits         client-side size checks (the server enforces its own as well)
     * @param closeTimeout   how long {@link #close()} waits for calls in flight
     */
    public record Config(List<String> seeds, Duration connectTimeout, String username, String password,
                         CallOptions defaults, int maxAttempts, KvLimits limits, Duration closeTimeout) {
        public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
        public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);

        public Config {
            if (seeds == null || seeds.isEmpty()) {
                throw new IllegalArgumentException("at least one seed host:port is required");
            }
            seeds = List.copyOf(seeds);
            for (String s : seeds) {
                HostPort.parse(s);
            }
            if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
                throw new IllegalArgumentException("connectTimeout must be positive, got " + connectTimeout);
            }
            if (defaults == null) {
                throw new IllegalArgumentException("default call options are required");
            }
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
            }
            if (limits == null) {
                throw new IllegalArgumentException("limits are required");
            }
            if (closeTimeout == null || closeTimeout.isNegative()) {
                throw new IllegalArgumentException("closeTimeout must be >= 0, got " + closeTimeout);
            }
        }

        /** The seeds with every other setting at its default. */
        public static Config of(List<String> seeds) {
            return new Config(seeds, DEFAULT_CONNECT_TIMEOUT, null, null, CallOptions.defaults(),
                    seeds == null ? 1 : seeds.size() + 1, KvLimits.DEFAULT, DEFAULT_CLOSE_TIMEOUT);
        }

        public Config withConnectTimeout(Duration t) {
            return new Config(seeds, t, username, password, defaults, maxAttempts, limits, closeTimeout);
        }

        public Config withPassword(String p) {
            return new Config(seeds, connectTimeout, username, p, defaults, maxAttempts, limits, closeTimeout);
        }

        public Config withCredentials(String user, String p) {
            return new Config(seeds, connectTimeout, user, p, defaults, maxAttempts, limits, closeTimeout);
        }

        public Config withDefaults(CallOptions d) {
            return new Config(seeds, connectTimeout, username, password, d, maxAttempts, limits, closeTimeout);
        }

        /** Shortcut for {@code withDefaults(defaults().withTimeout(t))}. */
        public Config withTimeout(Duration t) {
            return withDefaults(defaults.withTimeout(t));
        }

        public Config withMaxAttempts(int n) {
            return new Config(seeds, connectTimeout, username, password, defaults, n, limits, closeTimeout);
        }

        public Config withLimits(KvLimits l) {
            return new Config(seeds, connectTimeout, username, password, defaults, maxAttempts, l, closeTimeout);
        }

        public Config withCloseTimeout(Duration t) {
            return new Config(seeds, connectTimeout, username, password, defaults, maxAttempts, limits, t);
        }

        /** Never prints the password. */
        @Override
        public String toString() {
            return "Config[seeds=" + seeds + ", connectTimeout=" + connectTimeout + ", username=" + username
                    + ", password=" + (password == null ? "none" : "****") + ", defaults=" + defaults
                    + ", maxAttempts=" + maxAttempts + ", limits=" + limits + ", closeTimeout=" + closeTimeout + "]";
        }
    }

    /** Nodes that failed within this window make {@link #health()} report DEGRADED. */
    private static final long DEGRADED_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final KvCommands.Consistency SERVER_DEFAULTS =
            new KvCommands.Consistency(ReadConsistency.LINEARIZABLE, WriteConsistency.MAJORITY);
    private static final byte[][] MULTI = {"MULTI".getBytes(StandardCharsets.US_ASCII)};
    private static final byte[][] EXEC = {"EXEC".getBytes(StandardCharsets.US_ASCII)};
    private static final byte[][] PING = {"PING".getBytes(StandardCharsets.US_ASCII)};

    private final Config config;
    private final List<HostPort> nodes;
    private final KvCommands commands;
    private final RedisClient redis;
    private final ScheduledExecutorService timer;
    /** One connection per node index, opened on first use; a future while it is being opened. */
    private final Map<Integer, CompletableFuture<Conn>> pool = new ConcurrentHashMap<>();
    private final Set<Call<?>> active = ConcurrentHashMap.newKeySet();
    private final AtomicInteger current = new AtomicInteger();
    private final AtomicLongArray lastFailureNanos;
    /** No new calls once set; calls in flight continue. */
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set once close has waited for calls in flight: from here on nothing connects or retries. */
    private volatile boolean shutdown;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile String lastError;

    private final LongAdder calls = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder failovers = new LongAdder();
    private final LongAdder connectionsOpened = new LongAdder();
    private final LongAdder consistencySwitches = new LongAdder();

    private CairnClient(Config config) {
        this.config = config;
        this.nodes = config.seeds().stream().map(HostPort::parse).toList();
        this.commands = new KvCommands(config.limits());
        this.lastFailureNanos = new AtomicLongArray(nodes.size());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-client-timer");
            t.setDaemon(true);
            return t;
        });
        this.redis = RedisClient.create();
        redis.setOptions(ClientOptions.builder()
                .autoReconnect(false)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(config.connectTimeout()).keepAlive(true).build())
                // Every call carries its own deadline (see execute); Lettuce's fixed timeout would cut across it.
                .timeoutOptions(TimeoutOptions.builder().timeoutCommands(false).build())
                .build());
    }

    /** {@link #connect(Config)} with default settings. */
    public static CairnClient connect(List<String> hostPorts) {
        return connect(Config.of(hostPorts));
    }

    /**
     * Creates a client and checks that some seed answers (a PING within the default timeout,
     * failing over across seeds), so a wrong address fails here rather than at the first call.
     *
     * @throws CairnConnectionException if no seed could be reached
     */
    public static CairnClient connect(Config config) {
        CairnClient client = new CairnClient(config);
        try {
            KvCommands.await(client.ping(config.defaults().timeout()));
            return client;
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    // ============================================================================== KeyValue

    @Override
    public CompletableFuture<byte[]> getAsync(byte[] key, CallOptions options) {
        CallOptions o = options(options);
        return start(() -> request("GET", one(commands.get(key)), false, false, true, o,
                replies -> KvCommands.decodeGet(replies.get(0))), o);
    }

    @Override
    public CompletableFuture<Void> putAsync(byte[] key, byte[] value, PutOptions options) {
        CallOptions o = options(options == null ? null : options.call());
        Duration ttl = options == null ? null : options.ttl();
        return start(() -> request("SET", one(commands.put(key, value, ttl)), false, true, true, o,
                replies -> KvCommands.decodePut(replies.get(0))), o);
    }

    @Override
    public CompletableFuture<Boolean> deleteAsync(byte[] key, CallOptions options) {
        CallOptions o = options(options);
        return start(() -> request("DEL", one(commands.delete(key)), false, true, true, o,
                replies -> KvCommands.decodeDelete(replies.get(0))), o);
    }

    @Override
    public CompletableFuture<Boolean> compareAndSetAsync(byte[] key, byte[] expected, byte[] newValue,
                                                         PutOptions options) {
        CallOptions o = options(options == null ? null : options.call());
        Duration ttl = options == null ? null : options.ttl();
        return start(() -> request(expected == null ? "SET NX" : "SET IFEQ",
                one(commands.compareAndSet(key, expected, newValue, ttl)), false, true, false, o,
                replies -> KvCommands.decodeCompareAndSet(replies.get(0))), o);
    }

    @Override
    public CompletableFuture<ScanPage> scanAsync(ScanRequest request) {
        if (request == null) {
            return KvCommands.failed(new IllegalArgumentException("scan request must not be null"));
        }
        CallOptions o = options(request.options());
        long deadline = System.nanoTime() + o.timeout().toNanos();
        CompletableFuture<ScanPage> keys = start(() -> request("SCAN", one(commands.scan(request)), false,
                false, true, o, replies -> KvCommands.decodeScan(replies.get(0))), o, deadline);
        if (!request.withValues()) {
            return keys;
        }
        return compose(keys, page -> {
            if (page.entries().isEmpty()) {
                return CompletableFuture.completedFuture(page);
            }
            List<byte[][]> gets = page.keys().stream().map(commands::get).toList();
            CompletableFuture<List<byte[]>> values = start(() -> request("GET", gets, false, false, true, o,
                    replies -> replies.stream().map(KvCommands::decodeGet).toList()), o, deadline);
            return KvCommands.map(values, v -> KvCommands.withValues(page, v));
        });
    }

    @Override
    public CompletableFuture<List<BatchResult>> batchAsync(List<BatchOp> ops, CallOptions options) {
        CallOptions o = options(options);
        return start(() -> {
            List<byte[][]> argv = commands.batch(ops);
            boolean transaction = ops.size() > 1 && KvCommands.atomic(ops);
            boolean write = ops.stream().anyMatch(op -> !(op instanceof BatchOp.Get));
            boolean idempotent = ops.stream().allMatch(BatchOp::idempotent);
            return request("BATCH", argv, transaction, write, idempotent, o, transaction
                    ? replies -> KvCommands.decodeExec(ops, replies.get(0))
                    : replies -> KvCommands.decodeBatch(ops, replies));
        }, o);
    }

    @Override
    public void awaitReady(Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be >= 0, got " + timeout);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        CairnException last = null;
        while (true) {
            if (closed.get()) {
                throw closedException();
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new CairnTimeoutException("no Cairn node of " + config.seeds() + " was ready within " + timeout,
                        false, last);
            }
            try {
                KvCommands.await(ping(Duration.ofNanos(Math.min(remaining, config.defaults().timeout().toNanos()))));
                return;
            } catch (CairnClosedException e) {
                throw e;
            } catch (CairnException e) {
                last = e;
            }
            try {
                Thread.sleep(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CairnTimeoutException("interrupted while waiting for a Cairn node to be ready", false, e);
            }
        }
    }

    /**
     * PINGs the current node (failing over like any call) with a short timeout. UP if it answers
     * and no node failed recently, DEGRADED if it answers but some node failed within the last
     * 30 seconds, DOWN if no node answers or the client is closed.
     */
    @Override
    public Health health() {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("seeds", String.join(",", config.seeds()));
        if (closed.get()) {
            details.put("reason", "client closed");
            return new Health(Health.Status.DOWN, details);
        }
        try {
            Duration t = config.defaults().timeout().compareTo(Duration.ofSeconds(2)) < 0
                    ? config.defaults().timeout() : Duration.ofSeconds(2);
            KvCommands.await(ping(t));
        } catch (RuntimeException e) {
            details.put("error", String.valueOf(e.getMessage()));
            return new Health(Health.Status.DOWN, details);
        }
        details.put("node", nodes.get(current.get()).toString());
        List<String> recent = new ArrayList<>();
        long now = System.nanoTime();
        for (int i = 0; i < nodes.size(); i++) {
            long t = lastFailureNanos.get(i);
            if (t != 0 && now - t < DEGRADED_WINDOW_NANOS) {
                recent.add(nodes.get(i).toString());
            }
        }
        if (!recent.isEmpty()) {
            details.put("recentlyFailed", String.join(",", recent));
            if (lastError != null) {
                details.put("lastError", lastError);
            }
        }
        return new Health(recent.isEmpty() ? Health.Status.UP : Health.Status.DEGRADED, details);
    }

    @Override
    public Stats stats() {
        Map<String, Long> details = new LinkedHashMap<>();
        details.put("failovers", failovers.sum());
        details.put("connectionsOpened", connectionsOpened.sum());
        details.put("consistencySwitches", consistencySwitches.sum());
        details.put("connectionsPooled", (long) pool.size());
        details.put("currentNode", (long) current.get());
        return new Stats(calls.sum(), failures.sum(), retries.sum(), timeouts.sum(), active.size(), details);
    }

    @Override
    public CallOptions defaultCallOptions() {
        return config.defaults();
    }

    public Config config() {
        return config;
    }

    /**
     * Refuses new calls at once, waits up to {@link Config#closeTimeout()} for calls in flight,
     * then fails whatever is left with {@link CairnClosedException} and releases connections and
     * threads. Idempotent: later calls return after the first has finished.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            try {
                terminated.await(config.closeTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        try {
            long deadline = System.nanoTime() + config.closeTimeout().toNanos();
            while (!active.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            shutdown = true;
            for (Call<?> call : active) {
                call.fail(new CairnClosedException("the client was closed before the call completed"
                        + (call.request.write() ? "; the write may or may not have been applied" : "")));
            }
            // Lettuce's shutdown closes every connection it opened, including ones still being opened.
            pool.clear();
            try {
                redis.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            } catch (RuntimeException e) {
                // Best effort: the event loops are daemon threads and we are going away anyway.
            }
            timer.shutdownNow();
            terminated.countDown();
        }
    }

    // ============================================================================== calls

    /** One call's fixed parts. */
    private record Request<T>(String what, List<byte[][]> commands, boolean transaction, boolean write,
                              boolean idempotent, KvCommands.Consistency consistency, Duration timeout,
                              Function<List<Reply>, T> decoder) {}

    /** One call's progress across attempts. Fields are touched by one attempt at a time. */
    private static final class Call<T> {
        final Request<T> request;
        final long deadline;
        final CompletableFuture<T> result = new CompletableFuture<>();
        /** Read by the deadline timer while attempts append: hence copy-on-write. */
        final List<CairnException> failures = new CopyOnWriteArrayList<>();
        /** True once a command was handed to a connection: from then on a write may have been applied. */
        volatile boolean sent;
        volatile int attempts;

        Call(Request<T> request, long deadline) {
            this.request = request;
            this.deadline = deadline;
        }

        void fail(CairnException e) {
            result.completeExceptionally(e);
        }
    }

    private <T> Request<T> request(String what, List<byte[][]> argv, boolean transaction, boolean write,
                                   boolean idempotent, CallOptions o, Function<List<Reply>, T> decoder) {
        return new Request<>(what, argv, transaction, write, idempotent,
                new KvCommands.Consistency(o.read(), o.write()), o.timeout(), decoder);
    }

    private static List<byte[][]> one(byte[][] argv) {
        return java.util.Collections.singletonList(argv);
    }

    private CallOptions options(CallOptions o) {
        return o == null ? config.defaults() : o;
    }

    private <T> CompletableFuture<T> start(java.util.function.Supplier<Request<T>> build, CallOptions o) {
        return start(build, o, System.nanoTime() + o.timeout().toNanos());
    }

    /**
     * Checks the client is open, builds the request (validation happens here, so an invalid
     * argument fails the future without a round trip) and runs it before {@code deadline}.
     */
    private <T> CompletableFuture<T> start(java.util.function.Supplier<Request<T>> build, CallOptions o,
                                           long deadline) {
        if (closed.get()) {
            return KvCommands.failed(closedException());
        }
        Request<T> request;
        try {
            request = build.get();
        } catch (RuntimeException e) {
            return KvCommands.failed(e);
        }
        return execute(request, deadline);
    }

    private CompletableFuture<Void> ping(Duration timeout) {
        CallOptions o = config.defaults().withTimeout(timeout);
        return start(() -> request("PING", one(PING), false, false, true, o, replies -> {
            if (replies.get(0) instanceof Reply.Error e) {
                throw KvCommands.errorFor(e.text(), false);
            }
            return null;
        }), o);
    }

    private <T> CompletableFuture<T> execute(Request<T> request, long deadline) {
        Call<T> call = new Call<>(request, deadline);
        calls.increment();
        active.add(call);
        ScheduledFuture<?> deadlineTask;
        try {
            deadlineTask = timer.schedule(() -> call.fail(timedOut(call)),
                    Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            active.remove(call);
            call.fail(closedException());
            return call.result;
        }
        call.result.whenComplete((v, t) -> {
            deadlineTask.cancel(false);
            active.remove(call);
            if (t != null) {
                failures.increment();
                if (t instanceof CairnTimeoutException) {
                    timeouts.increment();
                }
                lastError = t.getMessage();
            }
        });
        attempt(call);
        return call.result;
    }

    private CairnTimeoutException timedOut(Call<?> call) {
        boolean unknown = call.request.write() && call.sent;
        List<CairnException> seen = List.copyOf(call.failures);
        String cause = seen.isEmpty() ? "" : " (last failure: " + seen.getLast().getMessage() + ")";
        return new CairnTimeoutException(call.request.what() + " did not complete within " + call.request.timeout()
                + (unknown ? "; the write may or may not have been applied" : "") + cause, unknown);
    }

    private <T> void attempt(Call<T> call) {
        if (call.result.isDone()) {
            return;
        }
        if (shutdown) {
            call.fail(closedException());
            return;
        }
        call.attempts++;
        int node = current.get();
        connection(node).whenComplete((conn, err) -> {
            if (err != null) {
                CairnException f = err instanceof CairnException ce ? ce : connectFailure(node, err);
                if (f instanceof CairnServerException || f instanceof CairnClosedException) {
                    // The node answered that it cannot do what we asked, or we are closing: no fail-over.
                    call.fail(f);
                    return;
                }
                nodeFailed(node, f);
                retryOrFail(call, f, true, 0);
                return;
            }
            dispatch(call, node, conn);
        });
    }

    /**
     * Sends the request's commands (preceded by a consistency switch if the connection's setting
     * differs, wrapped in MULTI/EXEC if it is a transaction) and handles the outcome.
     */
    private <T> void dispatch(Call<T> call, int node, Conn conn) {
        Request<T> req = call.request;
        List<CompletableFuture<Reply>> futures = new ArrayList<>(req.commands().size() + 3);
        CompletableFuture<Reply> switched = null;
        // Decided under the lock, acted on after it: completing a call runs callers' callbacks,
        // and a retry may dispatch again, neither of which should happen while holding a lock.
        CairnException notSent = null;
        boolean broken = false;
        conn.lock.lock();
        try {
            KvCommands.Consistency want = req.consistency();
            if (!conn.lettuce.isOpen()) {
                notSent = new CairnConnectionException("connection to " + nodes.get(node)
                        + " was closed before the command was sent", false, null);
            } else if (!want.equals(conn.consistency) && !conn.switchable) {
                notSent = new CairnServerException(nodes.get(node) + " does not support CLIENT CONSISTENCY, so it"
                        + " serves only read=LINEARIZABLE write=MAJORITY; the call asked for read=" + want.read()
                        + " write=" + want.write());
            } else {
                switched = sendAll(call, conn, want, futures);
            }
        } catch (RuntimeException e) {
            // Some commands may be on the wire and others not (a transaction could be left open):
            // nobody may use this connection again.
            broken = true;
            futures.add(CompletableFuture.failedFuture(e));
        } finally {
            conn.lock.unlock();
        }
        if (notSent instanceof CairnServerException) {
            call.fail(notSent);
            return;
        }
        if (notSent != null) {
            discard(conn);
            retryOrFail(call, notSent, true, 0);
            return;
        }
        if (broken) {
            discard(conn);
        }
        dispatched(call, node, conn, switched, futures);
    }

    /**
     * Hands the call's commands to the connection (their reply futures go to {@code futures});
     * the caller holds its lock. Returns the consistency switch's reply future, or null if the
     * connection already had the setting.
     */
    private CompletableFuture<Reply> sendAll(Call<?> call, Conn conn, KvCommands.Consistency want,
                                             List<CompletableFuture<Reply>> futures) {
        Request<?> req = call.request;
        CompletableFuture<Reply> switched = null;
        if (!want.equals(conn.consistency)) {
            // Under the lock: the switch and this call's commands are contiguous on the wire, so
            // no other caller's command runs under this setting.
            switched = send(conn, KvCommands.clientConsistency(want.read(), want.write()));
            conn.consistency = want;
            consistencySwitches.increment();
        }
        call.sent = true;
        if (req.transaction()) {
            futures.add(send(conn, MULTI));
        }
        for (byte[][] argv : req.commands()) {
            futures.add(send(conn, argv));
        }
        if (req.transaction()) {
            futures.add(send(conn, EXEC));
        }
        return switched;
    }

    /** Waits for the replies of a dispatched call and applies the retry rule to what comes back. */
    private <T> void dispatched(Call<T> call, int node, Conn conn, CompletableFuture<Reply> switchReply,
                                List<CompletableFuture<Reply>> futures) {
        Request<T> req = call.request;
        List<CompletableFuture<Reply>> all = new ArrayList<>(futures);
        if (switchReply != null) {
            all.add(switchReply);
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).whenComplete((ignored, err) -> {
            if (err != null) {
                Throwable cause = unwrap(err);
                boolean lost = !conn.lettuce.isOpen();
                CairnException f = new CairnConnectionException((lost ? "connection to " + nodes.get(node) + " lost"
                        : "call to " + nodes.get(node) + " failed") + " during " + req.what() + ": " + cause
                        + (req.write() ? "; the write may or may not have been applied" : ""), req.write(), cause);
                if (lost || req.transaction()) {
                    discard(conn); // a transaction might be left open on a live connection
                }
                if (lost) {
                    nodeFailed(node, f);
                }
                retryOrFail(call, f, false, 0);
                return;
            }
            if (switchReply != null && switchReply.join() instanceof Reply.Error e) {
                // Cannot happen with a node that answered the consistency query; if it does, the
                // commands ran under an unknown setting, so the call must not look successful.
                conn.lock.lock();
                try {
                    conn.consistency = null; // unknown: switch again next time
                } finally {
                    conn.lock.unlock();
                }
                call.fail(new CairnServerException("CLIENT CONSISTENCY failed on " + nodes.get(node) + " (" + e.text()
                        + "); " + req.what() + " ran with the connection's previous consistency"));
                return;
            }
            List<Reply> replies = req.transaction()
                    ? List.of(futures.getLast().join())
                    : futures.stream().map(CompletableFuture::join).toList();
            T value;
            try {
                value = req.decoder().apply(replies);
            } catch (ShuttingDownException e) {
                nodeFailed(node, e); // refused without running: try the next node now
                retryOrFail(call, e, true, 0);
                return;
            } catch (NoQuorumException | CairnTimeoutException e) {
                // The node answered but cannot serve now; give it (or the next one) a moment.
                retryOrFail(call, e, !e.outcomeUnknown(), backoffMillis(call.attempts));
                return;
            } catch (CairnException e) {
                call.fail(e);
                return;
            } catch (RuntimeException e) {
                call.fail(KvCommands.failureFor(e, req.write()));
                return;
            }
            call.result.complete(value);
        });
    }

    /**
     * The retry rule (see the class comment): retry if the failure certainly did not apply the
     * call, or if applying it twice is harmless; and only within the attempt and time budget.
     */
    private void retryOrFail(Call<?> call, CairnException failure, boolean certainlyNotApplied, long delayMillis) {
        call.failures.add(failure);
        Request<?> req = call.request;
        boolean safe = certainlyNotApplied || !req.write() || req.idempotent();
        long remainingNanos = call.deadline - System.nanoTime();
        if (safe && call.attempts < config.maxAttempts() && remainingNanos > 0 && !shutdown && !call.result.isDone()) {
            retries.increment();
            if (delayMillis <= 0) {
                attempt(call);
                return;
            }
            try {
                timer.schedule(() -> attempt(call), Math.min(delayMillis, TimeUnit.NANOSECONDS.toMillis(remainingNanos)),
                        TimeUnit.MILLISECONDS);
                return;
            } catch (RejectedExecutionException e) {
                // closing: fall through and report the failure
            }
        }
        call.fail(finalFailure(call, failure));
    }

    private static long backoffMillis(int attempt) {
        return Math.min(500, 20L << Math.min(5, Math.max(0, attempt - 1)));
    }

    /** If no attempt ever got a command out, say so once for all seeds; otherwise the last failure is the story. */
    private CairnException finalFailure(Call<?> call, CairnException last) {
        if (call.sent || !(last instanceof CairnConnectionException)) {
            return last;
        }
        CairnConnectionException e = new CairnConnectionException("could not connect to any Cairn node of "
                + config.seeds() + " in " + call.attempts + " attempt(s); last: " + last.getMessage(), false,
                last.getCause());
        for (CairnException f : call.failures) {
            if (f != last) {
                e.addSuppressed(f);
            }
        }
        return e;
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private CairnClosedException closedException() {
        return new CairnClosedException("this CairnClient is closed");
    }

    /** {@code thenCompose} that passes failures through as they are instead of wrapping them. */
    private static <T, R> CompletableFuture<R> compose(CompletableFuture<T> f, Function<T, CompletableFuture<R>> fn) {
        CompletableFuture<R> out = new CompletableFuture<>();
        f.whenComplete((v, t) -> {
            if (t != null) {
                out.completeExceptionally(unwrap(t));
                return;
            }
            CompletableFuture<R> next;
            try {
                next = fn.apply(v);
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
                return;
            }
            next.whenComplete((r, t2) -> {
                if (t2 != null) {
                    out.completeExceptionally(unwrap(t2));
                } else {
                    out.complete(r);
                }
            });
        });
        return out;
    }

    // ============================================================================== connections

    /**
     * A Lettuce connection to one node. {@code consistency} is the server-side setting of this
     * connection as far as the client knows (null: unknown); it and the order of commands on the
     * wire are guarded by {@code lock}.
     */
    private static final class Conn {
        final int node;
        final StatefulRedisConnection<byte[], byte[]> lettuce;
        final ReentrantLock lock = new ReentrantLock();
        /** False for a server without CLIENT CONSISTENCY. */
        final boolean switchable;
        KvCommands.Consistency consistency;
        private final AtomicBoolean closing = new AtomicBoolean();

        Conn(int node, StatefulRedisConnection<byte[], byte[]> lettuce, boolean switchable,
             KvCommands.Consistency consistency) {
            this.node = node;
            this.lettuce = lettuce;
            this.switchable = switchable;
            this.consistency = consistency;
        }

        /** Idempotent: several paths may find the same dead connection, and Lettuce warns on a second close. */
        void close() {
            if (closing.compareAndSet(false, true)) {
                lettuce.closeAsync();
            }
        }
    }

    private CairnConnectionException connectFailure(int node, Throwable err) {
        Throwable cause = unwrap(err);
        return new CairnConnectionException("cannot connect to " + nodes.get(node) + ": " + cause.getMessage(), false,
                cause);
    }

    /** The node's connection, opening it if needed; shared by all callers, also while it is being opened. */
    private CompletableFuture<Conn> connection(int node) {
        while (true) {
            if (shutdown) {
                return KvCommands.failed(closedException());
            }
            CompletableFuture<Conn> f = pool.get(node);
            if (f != null) {
                if (!f.isDone()) {
                    return f;
                }
                Conn conn = f.isCompletedExceptionally() ? null : f.join();
                if (conn != null && conn.lettuce.isOpen()) {
                    return f;
                }
                if (pool.remove(node, f) && conn != null) {
                    conn.close();
                }
                continue;
            }
            CompletableFuture<Conn> created = new CompletableFuture<>();
            if (pool.putIfAbsent(node, created) == null) {
                open(node, created);
                return created;
            }
        }
    }

    /** Connects (with credentials) and asks the connection's consistency setting. */
    private void open(int node, CompletableFuture<Conn> into) {
        HostPort hp = nodes.get(node);
        RedisURI.Builder uri = RedisURI.builder().withHost(hp.host()).withPort(hp.port())
                .withTimeout(config.connectTimeout());
        if (config.password() != null) {
            if (config.username() != null) {
                uri.withAuthentication(config.username(), config.password().toCharArray());
            } else {
                uri.withPassword(config.password().toCharArray());
            }
        }
        CompletableFuture<StatefulRedisConnection<byte[], byte[]>> connecting;
        try {
            connecting = redis.connectAsync(ByteArrayCodec.INSTANCE, uri.build()).toCompletableFuture();
        } catch (RuntimeException e) {
            into.completeExceptionally(connectFailure(node, e));
            return;
        }
        connecting.whenComplete((lettuce, err) -> {
            if (err != null) {
                into.completeExceptionally(connectFailure(node, err));
                return;
            }
            connectionsOpened.increment();
            if (shutdown) {
                lettuce.closeAsync();
                into.completeExceptionally(closedException());
                return;
            }
            sendRaw(lettuce, KvCommands.clientConsistencyQuery()).whenComplete((reply, err2) -> {
                if (err2 != null) {
                    lettuce.closeAsync();
                    into.completeExceptionally(connectFailure(node, err2));
                    return;
                }
                if (reply instanceof Reply.Error) {
                    // A server that predates CLIENT CONSISTENCY serves exactly the defaults.
                    into.complete(new Conn(node, lettuce, false, SERVER_DEFAULTS));
                    return;
                }
                KvCommands.Consistency current;
                try {
                    current = KvCommands.decodeConsistency(reply);
                } catch (CairnException e) {
                    current = null; // unknown: the first call switches explicitly
                }
                into.complete(new Conn(node, lettuce, true, current));
            });
        });
    }

    private static CompletableFuture<Reply> send(Conn conn, byte[][] argv) {
        return sendRaw(conn.lettuce, argv);
    }

    private static CompletableFuture<Reply> sendRaw(StatefulRedisConnection<byte[], byte[]> lettuce, byte[][] argv) {
        CommandArgs<byte[], byte[]> args = new CommandArgs<>(ByteArrayCodec.INSTANCE);
        for (int i = 1; i < argv.length; i++) {
            args.add(argv[i]);
        }
        return lettuce.async().dispatch(RawCommand.of(argv[0]), new ReplyOutput(), args).toCompletableFuture();
    }

    /** Drops a dead connection from the pool (if it is still the pooled one) and closes it. */
    private void discard(Conn conn) {
        pool.computeIfPresent(conn.node, (k, f) ->
                f.isDone() && !f.isCompletedExceptionally() && f.join() == conn ? null : f);
        conn.close();
    }

    /**
     * Records a node failure and moves new calls to the next seed. The node's connection is not
     * closed here: if it still works, calls in flight on it complete normally (closing it would
     * turn their outcome into "unknown"); if it is dead, the next use notices and discards it.
     */
    private void nodeFailed(int node, CairnException failure) {
        lastFailureNanos.set(node, System.nanoTime());
        lastError = failure.getMessage();
        if (nodes.size() > 1 && current.compareAndSet(node, (node + 1) % nodes.size())) {
            failovers.increment();
        }
    }

    /** {@code host:port}, with IPv6 literals in brackets. */
    record HostPort(String host, int port) {
        static HostPort parse(String s) {
            if (s == null || s.isBlank()) {
                throw new IllegalArgumentException("seed must be host:port, got '" + s + "'");
            }
            String t = s.strip();
            int colon = t.lastIndexOf(':');
            if (colon <= 0 || colon == t.length() - 1) {
                throw new IllegalArgumentException("seed must be host:port, got '" + s + "'");
            }
            String host = t.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(t.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("seed port must be a number, got '" + s + "'");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("seed port must be in 1..65535, got '" + s + "'");
            }
            return new HostPort(host, port);
        }

        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }
}
