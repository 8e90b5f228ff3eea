package io.cairn.http;

import io.cairn.api.service.CommandService;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
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
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/JSON front end: Netty's HTTP/1.1 codec (epoll when available, NIO otherwise), one
 * acceptor thread and {@value HttpSettings#IO_THREADS} event loops. Every data request goes to the
 * {@link CommandService}; routes and shapes are in {@link HttpApi}, settings in {@link HttpSettings}.
 *
 * <p>Pipeline per connection: idle timeout → {@link HttpServerCodec} (request line, header and
 * pipelining limits) → {@link JsonHttpObjectAggregator} (body limit) → {@link HttpRequestHandler}.
 *
 * <p>Use: {@code try (HttpServer http = HttpServer.start(settings, service, endpoints)) { http.port(); }}.
 * The service and the meter registry belong to the caller; {@link #close()} closes neither.
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
    private static final int BACKLOG = 511;
    /** Netty's default; bodies are aggregated anyway, this only sizes the decoder's chunks. */
    private static final int MAX_CHUNK_BYTES = 8192;
    private static final long TERMINATION_WAIT_SECONDS = 5;

    private final HttpSettings settings;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    private final Channel serverChannel;
    private final HttpMetrics metrics;
    private final Set<HttpRequestHandler> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final int port;
    private volatile boolean shuttingDown;
    private boolean closed;

    private HttpServer(HttpSettings settings, CommandService service, HttpEndpoints endpoints) throws InterruptedException {
        this.settings = settings;
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        int threads = settings.ioThreads() == 0 ? Runtime.getRuntime().availableProcessors() : settings.ioThreads();
        this.metrics = new HttpMetrics(endpoints.registry(), openConnections::get);
        ExecuteRunner runner = new ExecuteRunner(service, settings, metrics.executeRetries());
        HttpApi api = new HttpApi(service, settings, endpoints, () -> shuttingDown, runner);
        acceptor = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("cairn-http-accept"), io);
        workers = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("cairn-http-io"), io);
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        HttpDecoderConfig decoderConfig = new HttpDecoderConfig()
                .setMaxInitialLineLength(settings.maxInitialLineBytes())
                .setMaxHeaderSize(settings.maxHeaderBytes())
                .setMaxChunkSize(MAX_CHUNK_BYTES);
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
                        boolean overLimit = openConnections.incrementAndGet() > settings.maxConnections();
                        HttpRequestHandler handler = new HttpRequestHandler(api, metrics, settings.requestTimeoutMillis(),
                                () -> shuttingDown, overLimit);
                        connections.add(handler);
                        ch.closeFuture().addListener(f -> {
                            connections.remove(handler);
                            openConnections.decrementAndGet();
                        });
                        if (settings.idleTimeoutSeconds() > 0) {
                            ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, settings.idleTimeoutSeconds()));
                        }
                        ch.pipeline()
                                .addLast("http-codec", new HttpServerCodec(decoderConfig, settings.maxPipelinedRequests()))
                                .addLast("http-aggregator", new JsonHttpObjectAggregator(settings.maxBodyBytes()))
                                .addLast("http-api", handler);
                    }
                });
        try {
            serverChannel = bootstrap.bind(settings.bind(), settings.port()).sync().channel();
        } catch (InterruptedException e) {
            shutdownGroups();
            metrics.close();
            throw e;
        } catch (Exception e) { // bind errors (address in use, unknown host) are thrown undeclared by sync()
            shutdownGroups();
            metrics.close();
            throw new IllegalStateException("cannot listen on " + settings.bind() + ":" + settings.port() + ": "
                    + e.getMessage(), e);
        }
        port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        log.info("HTTP server listening on {}:{} ({} event loops, {})", settings.bind(), port, threads,
                epoll ? "epoll" : "nio");
    }

    /** Binds and starts serving; port 0 picks a free port (see {@link #port()}). */
    public static HttpServer start(HttpSettings settings, CommandService service, HttpEndpoints endpoints)
            throws InterruptedException {
        return new HttpServer(Objects.requireNonNull(settings, "settings"), Objects.requireNonNull(service, "service"),
                Objects.requireNonNull(endpoints, "endpoints"));
    }

    /** The bound port. */
    public int port() {
        return port;
    }

    /** Open connections. */
    public int connections() {
        return openConnections.get();
    }

    /**
     * Graceful and idempotent: stop accepting; /health and /ready turn 503 and new requests get 503
     * with Connection: close; requests already received are answered (bounded by
     * {@value HttpSettings#SHUTDOWN_TIMEOUT_SECONDS}); then the remaining connections close and the
     * event loops stop. Must not be called from one of this server's event loops (it waits for them).
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            for (EventLoopGroup g : List.of(acceptor, workers)) {
                for (EventExecutor e : g) {
                    if (e.inEventLoop()) {
                        throw new IllegalStateException("HttpServer.close() called from its own event loop; "
                                + "hand the shutdown to another thread");
                    }
                }
            }
            closed = true;
        }
        shuttingDown = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.shutdownTimeoutSeconds());
        serverChannel.close().awaitUninterruptibly(remainingMillis(deadline));
        for (HttpRequestHandler c : connections) {
            c.drain();
        }
        while (openConnections.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (openConnections.get() > 0) {
            log.warn("Closing {} HTTP connections whose answers did not finish within {} s", openConnections.get(),
                    settings.shutdownTimeoutSeconds());
        }
        shutdownGroups(); // closes whatever is still open
        metrics.close();
        log.info("HTTP server on port {} closed", port);
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    private void shutdownGroups() {
        List<Future<?>> terminations = new ArrayList<>();
        for (EventLoopGroup g : new EventLoopGroup[] {acceptor, workers}) {
            if (g != null) {
                terminations.add(g.shutdownGracefully(0, 1, TimeUnit.SECONDS));
            }
        }
        for (Future<?> f : terminations) {
            if (!f.awaitUninterruptibly(TERMINATION_WAIT_SECONDS, TimeUnit.SECONDS)) {
                log.warn("HTTP event loops did not terminate within {} s", TERMINATION_WAIT_SECONDS);
            }
        }
    }
}
