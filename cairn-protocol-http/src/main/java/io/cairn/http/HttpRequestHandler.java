package io.cairn.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's request/response flow. Requests are answered asynchronously (the command service
 * may answer on another thread, after a Raft round trip), but HTTP/1.1 requires answers in request
 * order, so each request takes a place in a queue and answers leave from its head. The queue is
 * bounded by the codec's pipelining limit ({@value HttpSettings#MAX_PIPELINED_REQUESTS}), and reads
 * pause while the socket's outbound buffer is above its high-water mark, so a client that does not
 * read its answers cannot make the server buffer without limit.
 *
 * <p>Malformed requests (400; 414 for a long request line, 431 for large headers) and requests
 * during shutdown or over the connection limit (503) are answered and the connection closed.
 * Everything else is {@link HttpApi}'s.
 */
final class HttpRequestHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(HttpRequestHandler.class);

    /** A request waiting for its answer, in arrival order. */
    private static final class Pending {
        final String method;
        final HttpApi.Route route;
        final boolean keepAlive;
        final boolean http10;
        final long startNanos;
        HttpResult result;
        boolean close;

        Pending(String method, HttpApi.Route route, boolean keepAlive, boolean http10) {
            this.method = method;
            this.route = route;
            this.keepAlive = keepAlive;
            this.http10 = http10;
            this.startNanos = System.nanoTime();
        }
    }

    private final HttpApi api;
    private final HttpMetrics metrics;
    private final long requestTimeoutMillis;
    private final BooleanSupplier shuttingDown;
    private final boolean overConnectionLimit;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private boolean closing;
    /** Set by {@link #drain()}: close once every request received so far is answered. */
    private boolean draining;
    private ChannelHandlerContext context;

    HttpRequestHandler(HttpApi api, HttpMetrics metrics, long requestTimeoutMillis, BooleanSupplier shuttingDown,
                       boolean overConnectionLimit) {
        this.api = api;
        this.metrics = metrics;
        this.requestTimeoutMillis = requestTimeoutMillis;
        this.shuttingDown = shuttingDown;
        this.overConnectionLimit = overConnectionLimit;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.context = ctx;
    }

    /**
     * Graceful shutdown of this connection: answer what was received, then close. Any thread; the
     * work runs on the connection's event loop.
     */
    void drain() {
        ChannelHandlerContext ctx = context;
        if (ctx == null) {
            return;
        }
        ctx.executor().execute(() -> {
            draining = true;
            if (queue.isEmpty()) {
                ctx.close();
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof JsonHttpObjectAggregator.Rejected r) {
            Pending p = new Pending(r.method(), HttpApi.Route.of(new QueryStringDecoder(r.uri()).rawPath()), !r.close(),
                    false);
            queue.add(p);
            complete(ctx, p, r.result(), r.close());
            return;
        }
        if (!(msg instanceof FullHttpRequest request)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            accept(ctx, request);
        } finally {
            request.release();
        }
    }

    private void accept(ChannelHandlerContext ctx, FullHttpRequest request) {
        String method = request.method().name();
        DecoderResult decoded = request.decoderResult();
        if (decoded.isFailure()) {
            Pending p = new Pending(method, HttpApi.Route.NONE, false, false);
            queue.add(p);
            complete(ctx, p, malformed(decoded.cause()), true);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri(), StandardCharsets.UTF_8);
        HttpApi.Route route = HttpApi.Route.of(uri.rawPath());
        Pending p = new Pending(method, route, HttpUtil.isKeepAlive(request),
                request.protocolVersion().equals(HttpVersion.HTTP_1_0));
        queue.add(p);
        if (overConnectionLimit) {
            complete(ctx, p, HttpResult.error(503, "too many connections (" + HttpSettings.MAX_CONNECTIONS + ")"), true);
            return;
        }
        if (shuttingDown.getAsBoolean()) {
            complete(ctx, p, HttpResult.error(503, "the server is shutting down"), true);
            return;
        }
        Map<String, List<String>> query;
        try {
            query = uri.parameters(); // decodes lazily: malformed escapes throw here
        } catch (IllegalArgumentException e) {
            complete(ctx, p, HttpResult.error(400, "malformed query string: " + e.getMessage()), false);
            return;
        }
        CompletableFuture<HttpResult> answer;
        try {
            ApiRequest apiRequest = new ApiRequest(method, uri.rawPath(), query, request.headers(),
                    ByteBufUtil.getBytes(request.content()));
            answer = api.handle(apiRequest, route);
        } catch (ApiException e) {
            answer = CompletableFuture.completedFuture(e.toResult());
        } catch (RuntimeException e) {
            log.error("HTTP request {} {} failed", method, uri.rawPath(), e);
            answer = CompletableFuture.completedFuture(HttpResult.error(500, "internal error: " + e.getMessage()));
        }
        answer.orTimeout(requestTimeoutMillis, TimeUnit.MILLISECONDS).whenComplete((result, error) -> {
            HttpResult r = error == null ? result : ReplyErrors.failure(error);
            if (ctx.executor().inEventLoop()) {
                complete(ctx, p, r, false);
            } else {
                ctx.executor().execute(() -> complete(ctx, p, r, false));
            }
        });
    }

    private static HttpResult malformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return HttpResult.error(414, "request line too long (" + HttpSettings.MAX_INITIAL_LINE_BYTES + ")");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return HttpResult.error(431, "request headers too large (" + HttpSettings.MAX_HEADER_BYTES + ")");
        }
        return HttpResult.error(400, "malformed HTTP request: " + cause.getMessage());
    }

    /** Records {@code p}'s answer and writes every answer now at the head of the queue. Event loop only. */
    private void complete(ChannelHandlerContext ctx, Pending p, HttpResult result, boolean close) {
        assert ctx.executor().inEventLoop();
        p.result = result;
        p.close = close || !p.keepAlive;
        boolean wrote = false;
        while (!closing && !queue.isEmpty() && queue.peek().result != null) {
            Pending head = queue.poll();
            // While draining for shutdown, the last answer owed is the connection's last.
            head.close |= draining && queue.isEmpty();
            FullHttpResponse response = toResponse(head);
            metrics.request(head.route, head.method, head.result.status(), System.nanoTime() - head.startNanos);
            if (head.close) {
                closing = true;
                queue.clear(); // later requests will not be answered: the connection ends with this answer
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ctx.write(response);
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
    }

    private static FullHttpResponse toResponse(Pending p) {
        HttpResult r = p.result;
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()),
                Unpooled.wrappedBuffer(r.body()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        r.headers().forEach(response.headers()::set);
        if (p.close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (p.http10) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return response;
    }

    /** Stop reading while the client does not take its answers; resume once it drained below the low-water mark. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && queue.isEmpty()) {
            ctx.close(); // idle and nothing owed: http.idle-timeout-seconds
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof IOException || root instanceof PrematureChannelClosureException) {
            // The client went away (reset, or closed in the middle of sending a body).
            log.debug("HTTP connection {} failed: {}", ctx.channel().remoteAddress(), root.toString());
            ctx.close();
        } else if (root instanceof IllegalStateException && String.valueOf(root.getMessage()).contains("maxPipelineDepth")) {
            // The codec dropped the excess requests and closes the connection after the next answer;
            // the answers owed before it still go out.
            log.debug("HTTP client {} pipelined more than {} requests ({})", ctx.channel().remoteAddress(),
                    HttpSettings.MAX_PIPELINED_REQUESTS, root.getMessage());
            if (queue.isEmpty()) {
                ctx.close();
            }
        } else {
            log.warn("HTTP connection {} failed", ctx.channel().remoteAddress(), cause);
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        closing = true;
        queue.clear();
        super.channelInactive(ctx);
    }
}
