package io.cairn.resp;

import io.cairn.api.reply.Errors;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: its session (id, name, protocol version, auth, MULTI queue, watches),
 * command dispatch, and reply ordering and batching.
 *
 * <p>Threading: everything here runs on the channel's event loop, except the fields other
 * connections read for CLIENT LIST/INFO (monitoring snapshots, see {@link #infoLine()}) and
 * {@link #kill()}, which only closes the channel.
 *
 * <p>Replies: commands run in arrival order. A reply that is ready while nothing is waiting
 * ahead of it is encoded straight into {@link #out}; otherwise it joins {@link #pending} and is
 * encoded when everything before it is done, so replies always leave in request order, whether
 * the CommandService completes on the calling thread (single node) or later on another thread
 * (Raft). {@link #out} is written and flushed once per read batch (channelReadComplete), not once
 * per command, or earlier when it grows past {@link #WRITE_CHUNK}.
 */
final class RespConnection extends ChannelInboundHandlerAdapter implements RespDecoder.Limits {
    private static final Logger log = LoggerFactory.getLogger(RespConnection.class);

    /** Encoded replies beyond this are written out before the batch ends. */
    static final int WRITE_CHUNK = 64 * 1024;
    private static final int INITIAL_OUT = 512;
    private static final byte[] MAX_CLIENTS_REACHED =
            "-ERR max number of clients reached\r\n".getBytes(StandardCharsets.US_ASCII);
    /** Redis's exact protected-mode refusal (networking.c). */
    static final String PROTECTED_MODE_DENIED =
            "-DENIED Redis is running in protected mode because protected "
            + "mode is enabled and no password is set for the default user. "
            + "In this mode connections are only accepted from the loopback interface. "
            + "If you want to connect from external computers to Redis you "
            + "may adopt one of the following solutions: "
            + "1) Just disable protected mode sending the command "
            + "'CONFIG SET protected-mode no' from the loopback interface "
            + "by connecting to Redis from the same host the server is "
            + "running, however MAKE SURE Redis is not publicly accessible "
            + "from internet if you do so. Use CONFIG REWRITE to make this "
            + "change permanent. "
            + "2) Alternatively you can just disable the protected mode by "
            + "editing the Redis configuration file, and setting the protected "
            + "mode option to 'no', and then restarting the server. "
            + "3) If you started the server manually just for testing, restart "
            + "it with the '--protected-mode no' option. "
            + "4) Set up an authentication password for the default user. "
            + "NOTE: You only need to do one of the above things in order for "
            + "the server to start accepting connections from the outside.\r\n";
    static final Reply.Error NOAUTH = Reply.error("NOAUTH Authentication required.");
    private static final CompletableFuture<Reply> NO_FUTURE = CompletableFuture.failedFuture(
            new IllegalStateException("internal error: the command service returned no future"));
    private static final Reply.Error NOT_IN_TRANSACTION = Reply.err("Command not allowed inside a transaction");

    final RespRuntime rt;
    final long id;
    final long createdMillis = System.currentTimeMillis();
    private volatile long lastInteractionNanos = System.nanoTime();

    // Session. Plain fields: written on the event loop; CLIENT LIST on other loops reads them racily.
    private String name;
    private String libName;
    private String libVersion;
    private int resp = 2;
    private boolean authenticated;
    private boolean readonlyMode;
    /** Consistency choices and read-your-writes indices of this connection (CLIENT CONSISTENCY, READONLY). */
    private final io.cairn.api.service.Session session;
    private boolean noEvict;
    private boolean noTouch;
    private Cmd lastCmd;

    // Transaction state.
    private List<Queued> multi;
    private boolean multiDirty;
    private int multiCount = -1;
    private Map<Key, CompletableFuture<Long>> watches;

    // I/O state.
    private ChannelHandlerContext ctx;
    private RespDecoder decoder;
    private ServerStats.LoopStats stats;
    private ByteBuf out;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private boolean inBatch;
    /** Time the previous command finished (or the batch started): one clock read per command. */
    private long stamp;
    /** QUIT, protocol error, CLIENT KILL of itself: ignore further input, close once replies are out. */
    private boolean closeAfterReply;
    /** Server shutdown: stop reading, close once in-flight replies are out. */
    private boolean draining;
    /** The channel is closing or closed: drop everything. */
    private boolean closed;
    private boolean readPausedForInflight;
    private boolean registered;
    private String addr = "?:0";
    private String laddr = "?:0";
    private InetSocketAddress localAddress;
    /** The client connects from this host (loopback or a non-IP channel): Redis's islocalClient. */
    private boolean localClient = true;
    private final Runnable drainTask = this::drainPending;
    /** The reply of a builtin that answered {@link #LATER}, taken by {@link #execute}. */
    private CompletableFuture<Reply> later;
    /** EXEC is running the protocol-layer commands of a transaction, which must answer at once. */
    private boolean inExec;

    record Queued(Cmd cmd, byte[][] argv) {}

    /** A key in the watch set, compared by content. */
    record Key(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    /** A reply not yet sent because something before it is still running. */
    private static final class Pending {
        final CompletableFuture<Reply> future;
        final Reply reply;
        final boolean resp3;
        /** Command whose stats are recorded on completion; null if already recorded. */
        final Cmd cmd;
        final long startNanos;
        /** Runs on the event loop before encoding (EXEC splices in its protocol-layer commands). */
        final Function<Reply, Reply> finisher;

        Pending(CompletableFuture<Reply> future, Reply reply, boolean resp3, Cmd cmd, long startNanos,
                Function<Reply, Reply> finisher) {
            this.future = future;
            this.reply = reply;
            this.resp3 = resp3;
            this.cmd = cmd;
            this.startNanos = startNanos;
            this.finisher = finisher;
        }

        boolean isDone() {
            return future == null || future.isDone();
        }
    }

    RespConnection(RespRuntime rt) {
        this.rt = rt;
        this.session = rt.context.newSession();
        this.id = rt.clients.nextId();
    }

    /** The decoder in front of this handler, for CLIENT LIST's qbuf. */
    void decoder(RespDecoder d) {
        this.decoder = d;
    }

    // ---------------------------------------------------------------- RespDecoder.Limits

    @Override
    public int maxBulkBytes() {
        return rt.config.maxBulkBytes;
    }

    @Override
    public int maxMultibulkLength() {
        return rt.config.maxMultibulkLength;
    }

    @Override
    public long queryBufferLimitBytes() {
        return rt.config.queryBufferLimitBytes;
    }

    @Override
    public boolean authRequired() {
        return !authenticated && rt.config.requirePass != null;
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.stats = rt.stats.local();
        SocketAddress remote = ctx.channel().remoteAddress();
        SocketAddress local = ctx.channel().localAddress();
        addr = format(remote);
        laddr = format(local);
        localAddress = local instanceof InetSocketAddress l ? l : null;
        localClient = isLoopback(remote);
        if (rt.shuttingDown) {
            refuse(null); // accepted just before the listener closed
            return;
        }
        if (!rt.clients.tryAdmit(rt.config.maxClients)) {
            rt.clients.rejectedConnections.incrementAndGet();
            refuse(MAX_CLIENTS_REACHED);
            return;
        }
        if (rt.config.protectedMode && rt.config.requirePass == null && !isLoopback(remote)) {
            rt.clients.releaseAdmission();
            rt.clients.rejectedConnections.incrementAndGet();
            log.warn("Refused client {}: protected mode is on and no password is set", addr);
            refuse(PROTECTED_MODE_DENIED.getBytes(StandardCharsets.US_ASCII));
            return;
        }
        authenticated = rt.config.requirePass == null;
        rt.clients.add(this);
        registered = true;
        ctx.fireChannelActive();
    }

    /** Closes a connection that was never admitted, after writing {@code message} if there is one. */
    private void refuse(byte[] message) {
        closed = true;
        ctx.channel().config().setAutoRead(false);
        if (message == null) {
            ctx.close();
        } else {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(message)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        if (registered) {
            registered = false;
            rt.clients.remove(this);
        }
        releaseOut();
        pending.clear();
        multi = null;
        watches = null;
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("Client {} connection error: {}", addr, cause.toString());
        } else {
            log.warn("Client {} closed after an unexpected error", addr, cause);
        }
        kill();
    }

    /** Closes the connection now, dropping unsent replies; safe from any thread. */
    void kill() {
        if (ctx == null) {
            return;
        }
        if (ctx.executor().inEventLoop()) {
            closed = true;
            releaseOut();
            pending.clear();
        }
        ctx.channel().close();
    }

    boolean isOpen() {
        return ctx != null && ctx.channel().isOpen();
    }

    io.netty.channel.ChannelFuture closeFuture() {
        return ctx.channel().closeFuture();
    }

    /** Server shutdown: stop reading and close once the replies already owed are flushed. */
    void beginDrain() {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(this::beginDrain);
            return;
        }
        draining = true;
        ctx.channel().config().setAutoRead(false);
        if (!inBatch) {
            flushOut();
        }
    }

    /** Idle-timeout check, run on the event loop; closes the connection if still idle. */
    void closeIfIdle(long timeoutNanos) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> closeIfIdle(timeoutNanos));
            return;
        }
        // A connection waiting on the service is not idle (Redis exempts blocked clients too).
        if (!closed && pending.isEmpty() && System.nanoTime() - lastInteractionNanos > timeoutNanos) {
            log.info("Closing idle client id={} addr={}", id, addr);
            kill();
        }
    }

    long idleNanos() {
        return System.nanoTime() - lastInteractionNanos;
    }

    // ---------------------------------------------------------------- input

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof byte[][] argv) {
            if (closed || closeAfterReply) {
                return;
            }
            if (!inBatch) {
                inBatch = true;
                stamp = System.nanoTime();
            }
            dispatch(argv);
        } else if (msg instanceof ProtocolError e) {
            if (!closed && !closeAfterReply) {
                protocolError(e);
            }
        } else {
            ReferenceCountUtil.release(msg);
            throw new IllegalStateException("RespConnection expects decoded commands, got " + msg.getClass());
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inBatch = false;
        lastInteractionNanos = System.nanoTime();
        flushOut();
    }

    @Override
    public void bytesReceived(int bytes) {
        if (stats != null) {
            stats.netIn += bytes;
        }
    }

    private void protocolError(ProtocolError e) {
        if (e.message() == null) {
            log.info("Closing client id={} addr={} that reached max query buffer length ({} bytes)", id, addr,
                    rt.config.queryBufferLimitBytes);
        } else {
            log.debug("Protocol error from client id={} addr={}: {}", id, addr, e.message());
            emit(Reply.err(e.message()));
        }
        closeAfterReply = true;
    }

    private void dispatch(byte[][] argv) {
        Cmd cmd = rt.commands.get(argv[0]);
        lastCmd = cmd;
        if (cmd == null) {
            if (isSecurityAttack(argv[0])) {
                log.warn("Possible SECURITY ATTACK detected from {}: an HTTP request to the RESP port. "
                        + "Connection aborted.", addr);
                kill();
                return;
            }
            reject(null, Builtins.unknownCommand(argv));
            return;
        }
        if (cmd.subcommands != null && argv.length >= 2) {
            Cmd sub = cmd.subcommands.get(argv[1]);
            if (sub == null) {
                reject(null, Builtins.unknownSubcommand(cmd, argv[1]));
                return;
            }
            cmd = sub;
            lastCmd = sub;
        }
        if (!cmd.spec.arityAccepts(argv.length)) {
            reject(cmd, Errors.wrongArity(cmd.fullName));
            return;
        }
        if (cmd.debugGated && !rt.context.debug().access().allows(localClient)) {
            reject(cmd, DebugCommands.NOT_ALLOWED); // before AUTH, as in Redis's processCommand
            return;
        }
        if (!authenticated && !cmd.noAuth) {
            if (rt.config.requirePass != null) {
                reject(cmd, NOAUTH);
                return;
            }
            authenticated = true; // the password was removed while this connection was unauthenticated
        }
        if (multi != null) {
            if (cmd.noMulti) {
                reject(cmd, NOT_IN_TRANSACTION);
                return;
            }
            if (!cmd.transactionControl) {
                if (rt.cluster.redirect() && cmd.kind == Cmd.Kind.DATA) {
                    // Redis Cluster answers MOVED / CROSSSLOT when the command is queued, and the
                    // transaction is then doomed (EXECABORT), as after any refused command. With no
                    // known leader yet it is queued: EXEC decides where the transaction runs.
                    Reply.Error refused = refusalNow(cmd, argv);
                    if (refused != null) {
                        reject(cmd, refused);
                        return;
                    }
                }
                queue(cmd, argv);
                return;
            }
        }
        execute(cmd, argv);
    }

    private static boolean isSecurityAttack(byte[] name) {
        return name.length == 4 && new String(name, StandardCharsets.US_ASCII).equalsIgnoreCase("post")
                || name.length == 5 && new String(name, StandardCharsets.US_ASCII).equalsIgnoreCase("host:");
    }

    /** A command refused before running (unknown, arity, auth): also poisons an open MULTI. */
    private void reject(Cmd cmd, Reply.Error error) {
        if (multi != null) {
            multiDirty = true;
        }
        if (cmd != null) {
            stats.rejected[cmd.index]++;
        }
        stamp = System.nanoTime();
        emit(error);
    }

    private void queue(Cmd cmd, byte[][] argv) {
        if (!multiDirty) { // Redis stops storing commands of a transaction already doomed
            if (multi.size() >= rt.config.maxQueuedCommands) {
                reject(cmd, Reply.err("too many commands queued in MULTI (" + RespSettings.MULTI_MAX_QUEUED + " is "
                        + rt.config.maxQueuedCommands + ")"));
                return;
            }
            multi.add(new Queued(cmd, argv));
            multiCount = multi.size();
        }
        stamp = System.nanoTime();
        emit(Reply.QUEUED);
    }

    private void execute(Cmd cmd, byte[][] argv) {
        switch (cmd.kind) {
            case DATA -> {
                if (rt.cluster.redirect()) {
                    redirected(cmd, argv);
                } else {
                    reply(cmd, call(() -> rt.service.execute(argv, session)));
                }
            }
            case BUILTIN -> {
                Reply r = runBuiltin(cmd, argv);
                if (r == LATER) {
                    CompletableFuture<Reply> f = later;
                    later = null;
                    reply(cmd, f);
                } else if (r == null) {
                    record(cmd, null);
                } else {
                    complete(cmd, r);
                }
            }
            case MULTI -> {
                if (multi != null) {
                    complete(cmd, Reply.err("MULTI calls can not be nested"));
                } else {
                    multi = new ArrayList<>();
                    multiDirty = false;
                    multiCount = 0;
                    complete(cmd, Reply.OK);
                }
            }
            case DISCARD -> {
                if (multi == null) {
                    complete(cmd, Reply.err("DISCARD without MULTI"));
                } else {
                    discardTransaction();
                    complete(cmd, Reply.OK);
                }
            }
            case WATCH -> watch(cmd, argv);
            case EXEC -> exec(cmd);
        }
    }

    /** Sends the reply of {@code f} in order: now if it is done and nothing waits ahead of it, else when it is. */
    private void reply(Cmd cmd, CompletableFuture<Reply> f) {
        if (pending.isEmpty() && f.isDone()) {
            complete(cmd, resultOf(f));
        } else {
            enqueue(new Pending(f, null, resp == 3, cmd, stamp, null));
            stamp = System.nanoTime();
        }
    }

    /** Runs a protocol-layer command; a bug in one becomes an error reply, not a dropped connection. */
    private Reply runBuiltin(Cmd cmd, byte[][] argv) {
        try {
            return cmd.builtin.run(this, argv);
        } catch (RuntimeException e) {
            later = null;
            log.error("{} failed", cmd.fullName, e);
            return Reply.err("internal error in '" + cmd.fullName + "': " + e);
        }
    }

    /** What a builtin returns after {@link #later}: its reply is the future's. Compared by identity. */
    private static final Reply LATER = new Reply.Simple("(reply later)");

    /**
     * For a builtin whose work must not hold the event loop (DEBUG LEADER-STEPDOWN): starts
     * {@code work}, which must hand the waiting to another thread, and returns {@link #LATER}, so
     * that the future's reply is sent in order like a data command's. Inside EXEC, whose
     * protocol-layer replies are assembled at once, nothing starts and the command is refused.
     */
    Reply later(java.util.function.Supplier<CompletableFuture<Reply>> work) {
        if (inExec) {
            return NOT_IN_TRANSACTION;
        }
        later = call(work::get);
        return LATER;
    }

    private interface ServiceCall {
        CompletableFuture<Reply> call();
    }

    /** Calls the service; a synchronous throw or a null future becomes a failed future. */
    private static CompletableFuture<Reply> call(ServiceCall c) {
        try {
            CompletableFuture<Reply> f = c.call();
            return f != null ? f : NO_FUTURE;
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    // ---------------------------------------------------------------- redirect mode

    /** How often a command waiting for its partition's leader to become known looks again. */
    static final long LEADER_POLL_MILLIS = 10;

    /**
     * Completes once every earlier command of this connection that waited for a leader has been
     * sent on (or refused); null or done when none waits. Commands routed after a waiting one
     * queue behind it, so that a connection's commands reach the service in the order sent.
     */
    private CompletableFuture<Void> routeTail;

    /** A data command in redirect mode: served here, or answered MOVED / CROSSSLOT / CLUSTERDOWN. */
    private void redirected(Cmd cmd, byte[][] argv) {
        if (!cmd.spec.hasKeys()) {
            reply(cmd, keylessHere(cmd, argv));
            return;
        }
        ClusterRouting.Keys keys = new ClusterRouting.Keys(rt.context.cluster()).command(cmd.spec, argv);
        routed(cmd, keys, () -> rt.service.execute(argv, session), this::reply);
    }

    /**
     * Runs {@code run} if {@code keys} are to be served here and hands its reply to {@code
     * replier}; a refusal decided at once is a rejected call, as in Redis (counted in
     * rejected_calls, not as a call). While the keys' partition has no known leader, asks again
     * every {@value #LEADER_POLL_MILLIS} ms, for at most {@code cluster-leader-wait-ms}, then
     * answers CLUSTERDOWN. Event loop only.
     */
    private void routed(Cmd cmd, ClusterRouting.Keys keys, ServiceCall run,
                        BiConsumer<Cmd, CompletableFuture<Reply>> replier) {
        if (routeTail != null && routeTail.isDone()) {
            routeTail = null;
        }
        if (routeTail == null) {
            ClusterRouting.Decision d;
            try {
                d = ClusterRouting.decide(rt.context.cluster(), keys, readonlyMode);
            } catch (RuntimeException e) {
                replier.accept(cmd, CompletableFuture.failedFuture(e));
                return;
            }
            if (d instanceof ClusterRouting.Refuse refused) {
                reject(cmd, refused.error());
                return;
            }
            if (d instanceof ClusterRouting.Serve) {
                replier.accept(cmd, call(run));
                return;
            }
        }
        CompletableFuture<Void> before = routeTail == null ? CompletableFuture.completedFuture(null) : routeTail;
        CompletableFuture<Void> dispatched = new CompletableFuture<>();
        routeTail = dispatched;
        replier.accept(cmd, before.thenCompose(v -> awaitDecision(keys)).handle((d, error) -> {
            CompletableFuture<Reply> sent = error != null ? CompletableFuture.failedFuture(error) : act(d, run);
            dispatched.complete(null); // sent on (or refused): later commands may go now, not before
            return sent;
        }).thenCompose(f -> f));
    }

    /** MOVED or CROSSSLOT if redirect mode refuses {@code argv} now; null if it is served here or waits for a leader. */
    private Reply.Error refusalNow(Cmd cmd, byte[][] argv) {
        try {
            ClusterRouting.Decision d = ClusterRouting.decide(rt.context.cluster(),
                    new ClusterRouting.Keys(rt.context.cluster()).command(cmd.spec, argv), readonlyMode);
            return d instanceof ClusterRouting.Refuse refused ? refused.error() : null;
        } catch (RuntimeException e) {
            return errorReply(e);
        }
    }

    private static CompletableFuture<Reply> act(ClusterRouting.Decision d, ServiceCall run) {
        return switch (d) {
            case ClusterRouting.Serve s -> call(run);
            case ClusterRouting.Refuse r -> CompletableFuture.completedFuture(r.error());
            case ClusterRouting.Wait w -> CompletableFuture.completedFuture(ClusterRouting.CLUSTERDOWN);
        };
    }

    /** The routing decision once the partition has a known leader, or CLUSTERDOWN after {@code cluster-leader-wait-ms}. */
    private CompletableFuture<ClusterRouting.Decision> awaitDecision(ClusterRouting.Keys keys) {
        CompletableFuture<ClusterRouting.Decision> f = new CompletableFuture<>();
        Runnable start = () -> {
            try {
                long deadline = ctx.executor().ticker().nanoTime()
                        + TimeUnit.MILLISECONDS.toNanos(rt.cluster.leaderWaitMillis());
                poll(keys, f, deadline);
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        };
        if (ctx.executor().inEventLoop()) {
            start.run();
        } else {
            ctx.executor().execute(start);
        }
        return f;
    }

    private void poll(ClusterRouting.Keys keys, CompletableFuture<ClusterRouting.Decision> f, long deadline) {
        try {
            ClusterRouting.Decision d = ClusterRouting.decide(rt.context.cluster(), keys, readonlyMode);
            long left = deadline - ctx.executor().ticker().nanoTime();
            if (!(d instanceof ClusterRouting.Wait)) {
                f.complete(d);
            } else if (left <= 0 || closed) {
                f.complete(new ClusterRouting.Refuse(ClusterRouting.CLUSTERDOWN));
            } else {
                ctx.executor().schedule(() -> poll(keys, f, deadline),
                        Math.min(left, TimeUnit.MILLISECONDS.toNanos(LEADER_POLL_MILLIS)), TimeUnit.NANOSECONDS);
            }
        } catch (RuntimeException e) { // includes the event loop refusing the task at shutdown
            f.completeExceptionally(e);
        }
    }

    /**
     * Keyless data commands in redirect mode answer for this node, as on a Redis Cluster node
     * (and as clients that send them to every primary and add up the answers expect): DBSIZE,
     * KEYS and SCAN cover the partitions this node leads. RANDOMKEY, FLUSHALL and FLUSHDB act
     * on the whole cluster, as in proxy mode: a random key from anywhere is still a random key,
     * and clients send FLUSHALL to every primary, which flushes the same data once more.
     */
    private CompletableFuture<Reply> keylessHere(Cmd cmd, byte[][] argv) {
        String name = cmd.fullName;
        if (!name.equals("dbsize") && !name.equals("keys") && !name.equals("scan")) {
            return call(() -> rt.service.execute(argv, session));
        }
        ClusterView view = rt.context.cluster();
        List<ClusterView.Partition> partitions;
        try {
            partitions = view.partitions();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<Integer> led = new ArrayList<>();
        for (ClusterView.Partition p : partitions) {
            if (view.myId().equals(p.leaderId())) {
                led.add(p.index());
            }
        }
        if (led.size() == partitions.size()) {
            return call(() -> rt.service.execute(argv, session)); // this node's keys are all the keys
        }
        return switch (name) {
            case "dbsize" -> {
                long n = 0;
                for (int p : led) {
                    long keys = view.localKeyCount(p);
                    assert keys >= 0 : "partition " + p + " is led here but has no copy here";
                    n += Math.max(0, keys);
                }
                yield CompletableFuture.completedFuture(Reply.integer(n));
            }
            case "keys" -> PartitionScans.keys(rt, session, led, argv[1]);
            default -> PartitionScans.scanLocal(rt, session, argv, led);
        };
    }

    // ---------------------------------------------------------------- transactions

    private void discardTransaction() {
        multi = null;
        multiDirty = false;
        multiCount = -1;
        watches = null;
    }

    private void watch(Cmd cmd, byte[][] argv) {
        if (multi != null) {
            complete(cmd, Reply.err("WATCH inside MULTI is not allowed"));
            return;
        }
        if (rt.cluster.redirect()) {
            // Served here, or no known leader yet: the watch tokens are read through the partition's
            // Raft group whoever leads it, and EXEC decides where the transaction runs.
            Reply.Error refused = refusalNow(cmd, argv);
            if (refused != null) {
                reject(cmd, refused);
                return;
            }
        }
        if (watches == null) {
            watches = new LinkedHashMap<>();
        }
        for (int i = 1; i < argv.length; i++) {
            Key key = new Key(argv[i]);
            if (watches.containsKey(key)) {
                continue; // Redis keeps the first watch of a key
            }
            if (watches.size() >= rt.config.maxQueuedCommands) {
                complete(cmd, Reply.err("too many watched keys (" + RespSettings.MULTI_MAX_QUEUED + " is "
                        + rt.config.maxQueuedCommands + ")"));
                return;
            }
            byte[] k = argv[i];
            CompletableFuture<Long> token;
            try {
                token = rt.service.watchToken(k, session);
                if (token == null) {
                    token = CompletableFuture.failedFuture(
                            new IllegalStateException("internal error: the command service returned no watch token"));
                }
            } catch (RuntimeException e) {
                token = CompletableFuture.failedFuture(e);
            }
            watches.put(key, token);
        }
        complete(cmd, Reply.OK);
    }

    /** UNWATCH (also RESET, DISCARD and EXEC forget the watches). */
    void unwatch() {
        watches = null;
    }

    private void exec(Cmd cmd) {
        if (multi == null) {
            complete(cmd, Reply.err("EXEC without MULTI"));
            return;
        }
        List<Queued> queued = multi;
        boolean dirty = multiDirty;
        Map<Key, CompletableFuture<Long>> watched = watches;
        discardTransaction();
        if (dirty) {
            complete(cmd, Errors.EXECABORT);
            return;
        }
        List<byte[][]> data = new ArrayList<>();
        for (Queued q : queued) {
            if (q.cmd.kind == Cmd.Kind.DATA) {
                data.add(q.argv);
            }
        }
        if (data.isEmpty() && (watched == null || watched.isEmpty())) {
            complete(cmd, runQueued(queued, null));
            return;
        }
        // Protocol-layer commands of the transaction run when its data commands have run, on this
        // event loop, and only if the transaction was not aborted by a watch.
        Function<Reply, Reply> finisher = r -> r instanceof Reply.Array a ? runQueued(queued, a) : r;
        BiConsumer<Cmd, CompletableFuture<Reply>> replier = (c, f) -> {
            if (pending.isEmpty() && f.isDone()) {
                complete(c, finisher.apply(resultOf(f)));
            } else {
                enqueue(new Pending(f, null, resp == 3, c, stamp, finisher));
                stamp = System.nanoTime();
            }
        };
        if (rt.cluster.redirect()) {
            // Redis checks every queued command's keys again at EXEC (getNodeByQuery over the
            // transaction): all in one partition led here, else CROSSSLOT or MOVED, transaction discarded.
            ClusterRouting.Keys keys = new ClusterRouting.Keys(rt.context.cluster());
            for (Queued q : queued) {
                if (q.cmd.kind == Cmd.Kind.DATA) {
                    keys.command(q.cmd.spec, q.argv);
                }
            }
            if (watched != null) {
                watched.keySet().forEach(k -> keys.key(k.bytes()));
            }
            routed(cmd, keys, () -> execWithWatches(data, watched), replier);
        } else {
            replier.accept(cmd, execWithWatches(data, watched));
        }
    }

    private CompletableFuture<Reply> execWithWatches(List<byte[][]> data, Map<Key, CompletableFuture<Long>> watched) {
        if (watched == null || watched.isEmpty()) {
            return call(() -> rt.service.exec(data, List.of(), session));
        }
        boolean allDone = true;
        for (CompletableFuture<Long> t : watched.values()) {
            allDone &= t.isDone();
        }
        if (allDone) {
            List<CommandService.Watch> ws = new ArrayList<>(watched.size());
            for (Map.Entry<Key, CompletableFuture<Long>> e : watched.entrySet()) {
                CompletableFuture<Long> t = e.getValue();
                if (t.state() != java.util.concurrent.Future.State.SUCCESS || t.resultNow() == null) {
                    return CompletableFuture.completedFuture(errorReply(failureOf(t)));
                }
                ws.add(new CommandService.Watch(e.getKey().bytes(), t.resultNow()));
            }
            return call(() -> rt.service.exec(data, ws, session));
        }
        CompletableFuture<?>[] tokens = watched.values().toArray(new CompletableFuture<?>[0]);
        return CompletableFuture.allOf(tokens).handle((ignored, error) -> error)
                .thenCompose(error -> execWithWatches(data, watched));
    }

    private static Throwable failureOf(CompletableFuture<Long> t) {
        return switch (t.state()) {
            case FAILED -> t.exceptionNow();
            case CANCELLED -> new IllegalStateException("watch cancelled");
            default -> new IllegalStateException("internal error: no watch token");
        };
    }

    /** Replies of a transaction in queue order: data replies from the service, the rest run now. */
    private Reply runQueued(List<Queued> queued, Reply.Array dataReplies) {
        inExec = true;
        try {
            return runQueuedNow(queued, dataReplies);
        } finally {
            inExec = false;
        }
    }

    private Reply runQueuedNow(List<Queued> queued, Reply.Array dataReplies) {
        List<Reply> replies = new ArrayList<>(queued.size());
        int next = 0;
        for (Queued q : queued) {
            Reply r;
            if (q.cmd.kind == Cmd.Kind.DATA) {
                if (dataReplies == null || next >= dataReplies.items().size()) {
                    return internalError("EXEC returned fewer replies than queued data commands");
                }
                r = dataReplies.items().get(next++);
                recordQueued(q.cmd, r);
            } else {
                assert q.cmd.kind == Cmd.Kind.BUILTIN : "only data and builtin commands are queued: " + q.cmd;
                lastCmd = q.cmd;
                r = runBuiltin(q.cmd, q.argv);
                if (r == null) {
                    r = Reply.Null.BULK;
                }
                recordQueued(q.cmd, r);
            }
            replies.add(r);
        }
        if (dataReplies != null && next != dataReplies.items().size()) {
            return internalError("EXEC returned more replies than queued data commands");
        }
        return Reply.array(replies);
    }

    private void recordQueued(Cmd cmd, Reply r) {
        stats.calls[cmd.index]++;
        stats.commands++;
        if (r instanceof Reply.Error e) {
            stats.failed[cmd.index]++;
            rt.stats.countError(e);
        }
    }

    private static Reply internalError(String what) {
        log.error("Internal error: {}", what);
        return Reply.err("internal error: " + what);
    }

    // ---------------------------------------------------------------- replies

    /** A command finished now with reply {@code r}. */
    private void complete(Cmd cmd, Reply r) {
        record(cmd, r);
        emit(r);
    }

    private void record(Cmd cmd, Reply r) {
        long now = System.nanoTime();
        int i = cmd.index;
        stats.calls[i]++;
        stats.nanos[i] += now - stamp;
        stats.commands++;
        if (r instanceof Reply.Error) {
            stats.failed[i]++;
        }
        stamp = now;
    }

    /** Sends {@code r} after everything before it. */
    void emit(Reply r) {
        if (pending.isEmpty()) {
            encode(r, resp == 3);
        } else {
            enqueue(new Pending(null, r, resp == 3, null, 0, null));
        }
    }

    private void enqueue(Pending p) {
        pending.addLast(p);
        if (p.future != null && !p.future.isDone()) {
            p.future.whenComplete((r, t) -> onServiceCompletion());
        }
        if (!readPausedForInflight && pending.size() >= rt.config.maxInflightPerClient) {
            // Backpressure: stop reading until half the in-flight replies are out. The limit is soft
            // by what the current read already delivered: the decoder finishes the bytes it holds.
            readPausedForInflight = true;
            ctx.channel().config().setAutoRead(false);
        }
    }

    private void onServiceCompletion() {
        if (ctx.executor().inEventLoop()) {
            drainPending();
            return;
        }
        try {
            ctx.executor().execute(drainTask);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // The event loop has shut down with the server: the connection is gone, nothing to send.
            log.debug("Reply for client id={} dropped: event loop shut down", id);
        }
    }

    private void drainPending() {
        if (closed) {
            return;
        }
        Pending p;
        while ((p = pending.peekFirst()) != null && p.isDone()) {
            pending.pollFirst();
            Reply r = p.future == null ? p.reply : resultOf(p.future);
            if (p.finisher != null) {
                r = p.finisher.apply(r);
            }
            if (p.cmd != null) {
                int i = p.cmd.index;
                stats.calls[i]++;
                stats.nanos[i] += System.nanoTime() - p.startNanos;
                stats.commands++;
                if (r instanceof Reply.Error) {
                    stats.failed[i]++;
                }
            }
            encode(r, p.resp3);
            if (closed) {
                return;
            }
        }
        if (readPausedForInflight && pending.size() <= rt.config.maxInflightPerClient / 2) {
            readPausedForInflight = false;
            if (!draining && !closeAfterReply) {
                ctx.channel().config().setAutoRead(true);
            }
        }
        if (!inBatch) {
            lastInteractionNanos = System.nanoTime();
            flushOut();
        }
    }

    private void encode(Reply r, boolean resp3) {
        if (closed) {
            return;
        }
        if (r instanceof Reply.Error e) {
            rt.stats.countError(e);
        }
        ByteBuf o = out;
        if (o == null) {
            o = out = ctx.alloc().ioBuffer(INITIAL_OUT);
        }
        ReplyEncoder.encode(r, o, resp3);
        if (o.readableBytes() >= WRITE_CHUNK) {
            writeOut();
        }
    }

    private void writeOut() {
        ByteBuf b = out;
        out = null;
        stats.netOut += b.readableBytes();
        ctx.writeAndFlush(b, ctx.voidPromise());
        checkOutputLimit();
    }

    /** Redis disconnects a client whose unread replies exceed the output buffer hard limit. */
    private void checkOutputLimit() {
        ChannelOutboundBuffer ob = ctx.channel().unsafe().outboundBuffer();
        long unsent = (ob == null ? 0 : ob.totalPendingWriteBytes()) + (out == null ? 0 : out.readableBytes());
        if (unsent > rt.config.outputBufferLimitBytes) {
            log.info("Client id={} addr={} closed for overcoming of output buffer limits ({} bytes unread, limit {})",
                    id, addr, unsent, rt.config.outputBufferLimitBytes);
            kill();
        }
    }

    private void flushOut() {
        if (closed) {
            return;
        }
        if (out != null) {
            if (out.isReadable()) {
                writeOut();
            } else {
                releaseOut();
            }
        }
        if (!closed && (closeAfterReply || draining) && pending.isEmpty()) {
            closed = true;
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void releaseOut() {
        if (out != null) {
            out.release();
            out = null;
        }
    }

    static Reply resultOf(CompletableFuture<Reply> f) {
        return switch (f.state()) {
            case SUCCESS -> {
                Reply r = f.resultNow();
                yield r != null ? r : internalError("the command service completed with no reply");
            }
            case FAILED -> errorReply(f.exceptionNow());
            case CANCELLED -> Reply.err("command cancelled");
            case RUNNING -> throw new IllegalStateException("not completed");
        };
    }

    /** When the service fails every command (no quorum, shutdown), one warning a second is enough. */
    private static final java.util.concurrent.atomic.AtomicLong lastFailureWarning =
            new java.util.concurrent.atomic.AtomicLong(System.nanoTime() - 2_000_000_000L);

    private static boolean warnAllowed() {
        long now = System.nanoTime();
        long last = lastFailureWarning.get();
        return now - last >= 1_000_000_000L && lastFailureWarning.compareAndSet(last, now);
    }

    /** A service failure as a Redis error: "ERR " and the exception's message, never a stack trace. */
    static Reply.Error errorReply(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        String message = t.getMessage();
        if (t instanceof IllegalArgumentException || !warnAllowed()) {
            log.debug("Command failed: {}", t.toString());
        } else {
            log.warn("Command failed: {} (further failures within a second are logged at debug level)", t.toString());
        }
        if (message == null || message.isBlank()) {
            message = t.getClass().getSimpleName();
        }
        return Reply.err(message);
    }

    // ---------------------------------------------------------------- session, for the builtins

    long id() {
        return id;
    }

    String name() {
        return name;
    }

    void name(String newName) {
        this.name = newName;
    }

    void libName(String v) {
        this.libName = v;
    }

    void libVersion(String v) {
        this.libVersion = v;
    }

    int resp() {
        return resp;
    }

    void resp(int version) {
        assert version == 2 || version == 3 : "RESP version " + version;
        this.resp = version;
    }

    boolean authenticated() {
        return authenticated;
    }

    void authenticated(boolean value) {
        this.authenticated = value;
    }

    /**
     * READONLY: as on a Redis Cluster replica, reads may be served by any replica: FOLLOWER reads
     * (read-your-writes on this connection). READWRITE restores the node's default read level.
     */
    void readonlyMode(boolean value) {
        this.readonlyMode = value;
        session.read(value ? io.cairn.api.consistency.ReadConsistency.FOLLOWER : rt.context.newSession().read());
    }

    io.cairn.api.service.Session session() {
        return session;
    }

    void noEvict(boolean value) {
        this.noEvict = value;
    }

    void noTouch(boolean value) {
        this.noTouch = value;
    }

    /** QUIT and friends: reply, then close; later input is ignored. */
    void closeAfterReply() {
        this.closeAfterReply = true;
    }

    /** RESET: back to the state of a new connection (Redis's clearClientConnectionState). */
    void resetSession() {
        discardTransaction();
        resp = 2;
        name = null;
        authenticated = rt.config.requirePass == null;
        readonlyMode = false;
        io.cairn.api.service.Session fresh = rt.context.newSession();
        session.read(fresh.read());
        session.write(fresh.write());
        noEvict = false;
        noTouch = false;
    }

    String addr() {
        return addr;
    }

    String laddr() {
        return laddr;
    }

    /** The local address this client connected to (for wildcard binds in CLUSTER replies). */
    InetSocketAddress localAddress() {
        return localAddress;
    }

    /**
     * One CLIENT LIST line (Redis's catClientInfoString, with the fields Cairn tracks). Called
     * from any event loop: session fields are read racily, as monitoring data.
     */
    String infoLine() {
        long now = System.currentTimeMillis();
        StringBuilder flags = new StringBuilder();
        if (multiCount >= 0) {
            flags.append('x');
        }
        if (closeAfterReply) {
            flags.append('c');
        }
        if (readonlyMode) {
            flags.append('r');
        }
        if (noEvict) {
            flags.append('e');
        }
        if (noTouch) {
            flags.append('T');
        }
        if (flags.isEmpty()) {
            flags.append('N');
        }
        ChannelHandlerContext c = ctx;
        long omem = 0;
        int fd = -1;
        if (c != null) {
            ChannelOutboundBuffer ob = c.channel().unsafe().outboundBuffer();
            omem = ob == null ? 0 : ob.totalPendingWriteBytes();
            if (c.channel() instanceof EpollSocketChannel e) {
                fd = e.fd().intValue();
            }
        }
        RespDecoder d = decoder;
        Cmd last = lastCmd;
        String n = name;
        String ln = libName;
        String lv = libVersion;
        return "id=" + id + " addr=" + addr + " laddr=" + laddr + " fd=" + fd + " name=" + (n == null ? "" : n)
                + " age=" + (now - createdMillis) / 1000 + " idle=" + idleNanos() / 1_000_000_000L
                + " flags=" + flags + " db=0 sub=0 psub=0 ssub=0 multi=" + multiCount
                + " qbuf=" + (d == null ? 0 : Math.max(0, d.bufferedBytes())) + " omem=" + omem
                + " events=r cmd=" + (last == null ? "NULL" : last.fullName) + " user=default redir=-1 resp=" + resp
                + " lib-name=" + (ln == null ? "" : ln) + " lib-ver=" + (lv == null ? "" : lv);
    }

    /** Redis's "ip:port" ("[ipv6]:port") for CLIENT LIST/KILL. */
    static String format(SocketAddress a) {
        if (a instanceof InetSocketAddress i && i.getAddress() != null) {
            String ip = NetUtil.toAddressString(i.getAddress());
            return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + i.getPort();
        }
        return a == null ? "?:0" : a.toString();
    }

    private static boolean isLoopback(SocketAddress a) {
        return !(a instanceof InetSocketAddress i) || i.getAddress() == null || i.getAddress().isLoopbackAddress();
    }
}
