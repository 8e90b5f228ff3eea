package io.cairn.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;

/**
 * Netty's aggregator with the API's error shape. Netty answers an oversize body with an empty 413
 * written straight to the channel; here the request goes on to {@link HttpRequestHandler} as an
 * {@link Rejected} message instead, so its JSON 413 is written in pipelining order and counted in
 * the metrics. The connection closes after it when the body cannot be skipped cleanly (the client
 * is already sending it), exactly as Netty decides.
 */
final class JsonHttpObjectAggregator extends HttpObjectAggregator {
    private final int maxBodyBytes;

    JsonHttpObjectAggregator(int maxBodyBytes) {
        super(maxBodyBytes);
        this.maxBodyBytes = maxBodyBytes;
    }

    /** A request answered without running: its method, path, answer, and whether to close after it. */
    record Rejected(String method, String uri, HttpResult result, boolean close) {}

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        if (!(oversized instanceof HttpRequest request)) {
            ctx.close();
            return;
        }
        // Netty's rule (HttpObjectAggregator): body bytes already in flight, or no keep-alive and no
        // 100-continue, or reads paused — the rest of the body cannot be skipped, so close.
        boolean close = oversized instanceof FullHttpMessage || !ctx.channel().config().isAutoRead()
                || (!HttpUtil.is100ContinueExpected(oversized) && !HttpUtil.isKeepAlive(oversized));
        ctx.fireChannelRead(new Rejected(request.method().name(), request.uri(), tooLarge(), close));
    }

    private HttpResult tooLarge() {
        return HttpResult.error(413, "request body exceeds the limit of " + maxBodyBytes + " bytes ("
                + HttpSettings.MAX_BODY_BYTES + ")");
    }

    /** The interim answer to {@code Expect: 100-continue}: Netty's, but errors (413, 417) carry a JSON body. */
    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object response = super.newContinueResponse(start, maxContentLength, pipeline);
        if (response instanceof HttpResponse r && r.status().code() >= 400) {
            int code = r.status().code();
            ReferenceCountUtil.release(response);
            HttpResult result = code == 413 ? tooLarge()
                    : HttpResult.error(code, "unsupported expectation: " + start.headers().get(HttpHeaderNames.EXPECT));
            FullHttpResponse json = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(code),
                    Unpooled.wrappedBuffer(result.body()));
            json.headers().set(HttpHeaderNames.CONTENT_TYPE, result.contentType());
            json.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, result.body().length);
            json.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return json;
        }
        return response;
    }

    @Override
    protected boolean closeAfterContinueResponse(Object msg) {
        // The client was told not to send the body; it may send it anyway, so do not wait for it.
        return msg instanceof HttpResponse r && r.status().code() >= 400;
    }
}
