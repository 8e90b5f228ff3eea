package io.cairn.resp;

import io.cairn.api.command.CommandSpec;
import io.cairn.api.service.CommandService;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RESP2/RESP3 server: Netty (epoll when available, NIO otherwise), one acceptor thread and
 * {@code io-threads} event loops. Data commands go to the {@link CommandService}; connection,
 * server, cluster and transaction commands are answered here. With {@code cluster-mode redirect}
 * ({@link ClusterModeSettings}) a data command whose keys another node's partition leader serves
 * is answered {@code -MOVED} instead, as a Redis Cluster node does ({@link ClusterRouting}).
 *
 * <p>Settings changeable at runtime with CONFIG SET: maxclients, timeout, proto-max-bulk-len,
 * max-multibulk-len, client-query-buffer-limit, client-output-buffer-limit, protected-mode,
 * requirepass. The others need a restart.
 */
public final class RespServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RespServer.class);
    /** Redis's default tcp-backlog. */
    private static final int BACKLOG = 511;
    private static final long CRON_MILLIS = 100;
    /** Bound on waiting for the event loops to terminate once all connections are closed. */
    private static final long TERMINATION_WAIT_SECONDS = 5;

    private final RespSettings settings;
    private final RespRuntime rt;
    private final Object lifecycle = new Object();
    private boolean started;
    private boolean closed;
    private EventLoopGroup acceptor;
    private EventLoopGroup workers;
    private Channel serverChannel;
    private ScheduledFuture<?> cron;
    private long cronTicks;
    private volatile int port = -1;

    public RespServer(RespSettings settings, CommandService service, Collection<CommandSpec> dataCommands,
                      ServerContext context) {
        this.settings = Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(dataCommands, "dataCommands");
        Commands commands = new Commands(dataCommands, Builtins.definitions());
        this.rt = new RespRuntime(service, commands, new RuntimeConfig(settings), context);
    }

    /** Binds and starts serving; port 0 picks an ephemeral port (see {@link #port()}). */
    public void start() throws InterruptedException {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("RespServer was closed");
            }
            if (started) {
                throw new IllegalStateException("RespServer already started");
            }
            started = true;
            boolean epoll = Epoll.isAvailable();
            IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
            int threads = settings.ioThreads() == 0 ? Runtime.getRuntime().availableProcessors() : settings.ioThreads();
            acceptor = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("cairn-resp-accept"), io);
            workers = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("cairn-resp-io"), io);
            Class<? extends ServerChannel> channelType =
                    epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(acceptor, workers)
                    .channel(channelType)
                    .option(ChannelOption.SO_BACKLOG, BACKLOG)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            RespConnection connection = new RespConnection(rt);
                            RespDecoder decoder = new RespDecoder(connection);
                            connection.decoder(decoder);
                            ch.pipeline().addLast("resp-decoder", decoder).addLast("resp-connection", connection);
                        }
                    });
            try {
                serverChannel = bootstrap.bind(settings.bind(), settings.port()).sync().channel();
            } catch (InterruptedException e) {
                shutdownGroups();
                throw e;
            } catch (Exception e) { // bind errors (address in use, unknown host) are thrown unchecked by sync()
                shutdownGroups();
                closed = true; // nothing left to close; a failed server cannot be restarted
                throw new IllegalStateException("cannot listen on " + settings.bind() + ":" + settings.port() + ": "
                        + e.getMessage(), e);
            }
            port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
            rt.config.port = port;
            rt.multiplexingApi = epoll ? "epoll" : "nio";
            cron = acceptor.next().scheduleAtFixedRate(this::cron, CRON_MILLIS, CRON_MILLIS, TimeUnit.MILLISECONDS);
            log.info("RESP server listening on {}:{} ({} event loops, {})", settings.bind(), port, threads,
                    rt.multiplexingApi);
        }
    }

    /** The bound port; -1 before {@link #start()}. */
    public int port() {
        return port;
    }

    /** Connections currently open. */
    public int connectedClients() {
        return rt.clients.size();
    }

    /** Housekeeping every 100 ms: rate samples for INFO, and once a second the idle timeout. */
    private void cron() {
        try {
            rt.stats.sample(System.currentTimeMillis());
            if (++cronTicks % 10 == 0) {
                int timeout = rt.config.idleTimeoutSeconds;
                if (timeout > 0) {
                    long limit = TimeUnit.SECONDS.toNanos(timeout);
                    for (RespConnection c : rt.clients.all()) {
                        if (c.idleNanos() > limit) {
                            c.closeIfIdle(limit);
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn("RESP housekeeping failed", e);
        }
    }

    /**
     * Graceful and idempotent: stop accepting, let in-flight commands finish and their replies
     * flush (bounded by shutdown-timeout), close the remaining connections, stop the event loops.
     * Must not be called from one of this server's event loops (it waits for them).
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            if (!started || serverChannel == null) {
                return;
            }
            for (EventLoopGroup g : List.of(acceptor, workers)) {
                for (EventExecutor e : g) {
                    if (e.inEventLoop()) {
                        closed = false;
                        throw new IllegalStateException("RespServer.close() called from its own event loop; "
                                + "hand the shutdown to another thread");
                    }
                }
            }
        }
        rt.shuttingDown = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.shutdownTimeoutSeconds());
        if (cron != null) {
            cron.cancel(false);
        }
        serverChannel.close().awaitUninterruptibly(remainingMillis(deadline));
        List<ChannelFuture> closing = new ArrayList<>();
        for (RespConnection c : rt.clients.all()) {
            closing.add(c.closeFuture());
            c.beginDrain();
        }
        for (ChannelFuture f : closing) {
            f.awaitUninterruptibly(Math.max(1, remainingMillis(deadline)));
        }
        int forced = 0;
        for (RespConnection c : rt.clients.all()) {
            if (c.isOpen()) {
                forced++;
                c.kill();
            }
        }
        if (forced > 0) {
            log.warn("Closed {} RESP connections whose replies did not flush within {} s", forced,
                    settings.shutdownTimeoutSeconds());
        }
        shutdownGroups();
        log.info("RESP server on port {} closed", port);
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    private void shutdownGroups() {
        List<io.netty.util.concurrent.Future<?>> terminations = new ArrayList<>();
        for (EventLoopGroup g : new EventLoopGroup[] {acceptor, workers}) {
            if (g != null) {
                terminations.add(g.shutdownGracefully(0, 1, TimeUnit.SECONDS));
            }
        }
        for (io.netty.util.concurrent.Future<?> f : terminations) {
            if (!f.awaitUninterruptibly(TERMINATION_WAIT_SECONDS, TimeUnit.SECONDS)) {
                log.warn("RESP event loops did not terminate within {} s", TERMINATION_WAIT_SECONDS);
            }
        }
    }
}
