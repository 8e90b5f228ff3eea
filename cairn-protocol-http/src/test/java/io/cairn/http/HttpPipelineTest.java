package io.cairn.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.clock.Clock;
import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.commands.LocalCommandService;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The per-connection Netty pipeline (codec, JSON aggregator, request handler) on an EmbeddedChannel,
 * over a real single-node service: pipelining order with answers completing out of order, oversize
 * bodies, malformed requests, the pipelining limit, HEAD and HTTP/1.0.
 */
@Timeout(30)
class HttpPipelineTest {
    private static final HttpSettings SETTINGS = TestNode.SETTINGS;

    private final StorageEngine engine = StorageEngines.open("memory", null, Map.of());
    private final LocalCommandService local = new LocalCommandService(engine, 4, Clock.SYSTEM,
            new HybridLogicalClock(Clock.SYSTEM, 1000));
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** GETs of this key wait for the test to complete them: an answer that arrives late, as from Raft. */
    private final List<CompletableFuture<Reply>> heldGets = new ArrayList<>();
    private final CommandService service = new DelayingService(local, "slow", heldGets);
    private final EmbeddedChannel channel = channel();

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
        local.close();
        engine.close();
        registry.close();
    }

    private EmbeddedChannel channel() {
        HttpMetrics metrics = new HttpMetrics(registry, () -> 1);
        HttpApi api = new HttpApi(service, SETTINGS, new HttpEndpoints(() -> HttpEndpoints.Readiness.READY,
                () -> Map.of(), registry), () -> false, new ExecuteRunner(service, SETTINGS, metrics.executeRetries()));
        HttpDecoderConfig config = new HttpDecoderConfig()
                .setMaxInitialLineLength(SETTINGS.maxInitialLineBytes())
                .setMaxHeaderSize(SETTINGS.maxHeaderBytes());
        return new EmbeddedChannel(new HttpServerCodec(config, SETTINGS.maxPipelinedRequests()),
                new JsonHttpObjectAggregator(SETTINGS.maxBodyBytes()),
                new HttpRequestHandler(api, metrics, SETTINGS.requestTimeoutMillis(), () -> false, false));
    }

    private void send(String raw) {
        channel.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
        channel.runPendingTasks();
    }

    private void send(byte[] raw) {
        channel.writeInbound(Unpooled.wrappedBuffer(raw));
        channel.runPendingTasks();
    }

    /** Everything written to the client so far, one char per byte (ISO-8859-1), so offsets are byte offsets. */
    private String output() {
        StringBuilder out = new StringBuilder();
        for (Object o; (o = channel.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            out.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return out.toString();
    }

    /** Status codes and bodies of the responses in {@code output}, in order (responses carry Content-Length). */
    private static List<String> responses(String output) {
        List<String> all = new ArrayList<>();
        Matcher m = Pattern.compile("HTTP/1\\.1 (\\d{3}) [^\\r]*\\r\\n((?:[^\\r]+\\r\\n)*)\\r\\n").matcher(output);
        int at = 0;
        while (m.find(at)) {
            Matcher len = Pattern.compile("(?i)content-length: (\\d+)").matcher(m.group(2));
            int n = len.find() ? Integer.parseInt(len.group(1)) : 0;
            all.add(m.group(1) + " " + new String(output.substring(m.end(), m.end() + n)
                    .getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
            at = m.end() + n;
        }
        return all;
    }

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }

    private static byte[] post(String target, String body) {
        byte[] utf8 = body.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + utf8.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = java.util.Arrays.copyOf(head, head.length + utf8.length);
        System.arraycopy(utf8, 0, all, head.length, utf8.length);
        return all;
    }

    @Test
    void pipelinedAnswersLeaveInRequestOrderEvenWhenTheFirstCompletesLast() {
        local.execute(new byte[][] {"SET".getBytes(), "fast".getBytes(), "f".getBytes()}).join();
        local.execute(new byte[][] {"SET".getBytes(), "slow".getBytes(), "s".getBytes()}).join();
        send(get("/v1/kv/slow") + get("/v1/kv/fast") + get("/health"));
        assertEquals("", output(), "nothing may overtake the first, unanswered request");
        assertEquals(1, heldGets.size());
        heldGets.get(0).complete(new Reply.Bulk("s".getBytes()));
        channel.runPendingTasks();
        assertEquals(List.of("200 {\"value\":\"s\"}", "200 {\"value\":\"f\"}", "200 {\"status\":\"up\"}"),
                responses(output()));
        assertTrue(channel.isOpen());
    }

    @Test
    void anAnswerCompletingOnAnotherThreadIsWrittenOnTheEventLoop() throws Exception {
        send(get("/v1/kv/slow"));
        Thread t = new Thread(() -> heldGets.get(0).complete(Reply.Null.BULK));
        t.start();
        t.join(5000);
        channel.runPendingTasks();
        assertEquals(List.of("404 {\"error\":\"no such key\"}"), responses(output()));
    }

    @Test
    void aDeclaredOversizeBodyIs413JsonInOrderAndTheConnectionSurvives() {
        int tooMuch = SETTINGS.maxBodyBytes() + 1;
        // Keep-alive, no Expect, body not sent yet: Netty can skip it, the connection stays usable.
        send(get("/health") + "PUT /v1/kv/big HTTP/1.1\r\nHost: x\r\nContent-Length: " + tooMuch + "\r\n\r\n");
        send(new byte[tooMuch]);
        send(get("/health"));
        assertEquals(List.of("200 {\"status\":\"up\"}",
                "413 {\"error\":\"request body exceeds the limit of 65536 bytes (http.max-body-bytes)\"}",
                "200 {\"status\":\"up\"}"), responses(output()));
        assertTrue(channel.isOpen());
        assertEquals(Reply.Null.BULK, local.execute(new byte[][] {"GET".getBytes(), "big".getBytes()}).join());
    }

    @Test
    void aChunkedBodyGrowingPastTheLimitIs413AndCloses() {
        StringBuilder req = new StringBuilder("PUT /v1/kv/big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        String chunk = "x".repeat(8000);
        for (int i = 0; i < 10; i++) {
            req.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
        }
        req.append("0\r\n\r\n");
        send(req.toString());
        String out = output();
        assertEquals(List.of("413 {\"error\":\"request body exceeds the limit of 65536 bytes (http.max-body-bytes)\"}"),
                responses(out));
        assertTrue(out.toLowerCase().contains("connection: close"));
        assertFalse(channel.isOpen());
    }

    @Test
    void expectContinueWithAnOversizeBodyIsRefusedWithJson() {
        send("PUT /v1/kv/big HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
                + (SETTINGS.maxBodyBytes() + 1) + "\r\n\r\n");
        assertEquals(List.of("413 {\"error\":\"request body exceeds the limit of 65536 bytes (http.max-body-bytes)\"}"),
                responses(output()));
        assertFalse(channel.isOpen());
    }

    @Test
    void malformedRequestsGet400414Or431AndClose() {
        send("THIS IS NOT HTTP\r\n\r\n");
        List<String> r = responses(output());
        assertEquals(1, r.size());
        assertTrue(r.get(0).startsWith("400 {\"error\":\"malformed HTTP request: "), r.get(0));
        assertFalse(channel.isOpen());
    }

    @Test
    void aTooLongRequestLineIs414() {
        send("GET /v1/kv/" + "a".repeat(SETTINGS.maxInitialLineBytes()) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(List.of("414 {\"error\":\"request line too long (http.max-initial-line-bytes)\"}"),
                responses(output()));
        assertFalse(channel.isOpen());
    }

    @Test
    void tooLargeHeadersAre431() {
        send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(SETTINGS.maxHeaderBytes()) + "\r\n\r\n");
        assertEquals(List.of("431 {\"error\":\"request headers too large (http.max-header-bytes)\"}"),
                responses(output()));
        assertFalse(channel.isOpen());
    }

    @Test
    void pipeliningPastTheLimitClosesAfterTheAnswersOwed() {
        StringBuilder many = new StringBuilder(get("/v1/kv/slow"));
        for (int i = 0; i < SETTINGS.maxPipelinedRequests() + 5; i++) {
            many.append(get("/health"));
        }
        send(many.toString());
        assertEquals("", output());
        heldGets.get(0).complete(Reply.Null.BULK);
        channel.runPendingTasks();
        List<String> r = responses(output());
        assertFalse(r.isEmpty());
        assertEquals("404 {\"error\":\"no such key\"}", r.get(0));
        assertTrue(r.size() <= SETTINGS.maxPipelinedRequests(), "the excess was dropped: " + r.size());
        assertFalse(channel.isOpen(), "the codec closes the connection of a client over the limit");
    }

    @Test
    void headHasTheHeadersOfGetAndNoBody() {
        send("HEAD /v1/kv/missing HTTP/1.1\r\nHost: x\r\n\r\n" + get("/health"));
        String out = output();
        assertTrue(out.startsWith("HTTP/1.1 404 Not Found\r\n"), out);
        assertTrue(out.contains("content-length: 23\r\n"), out); // the length of {"error":"no such key"}
        assertTrue(out.contains("\r\n\r\nHTTP/1.1 200 OK\r\n"), "no body between the two heads: " + out);
    }

    @Test
    void http10WithoutKeepAliveIsClosedAfterTheAnswer() {
        send("GET /health HTTP/1.0\r\n\r\n");
        String out = output();
        assertTrue(out.startsWith("HTTP/1.1 200 OK\r\n"), out);
        assertTrue(out.contains("connection: close"), out);
        assertFalse(channel.isOpen());
    }

    @Test
    void executeThroughThePipelineWithAUtf8Body() {
        send(post("/v1/execute", "{\"commands\":[{\"cmd_type\":\"set\",\"key\":\"ключ\",\"value\":\"значение\"},"
                + "{\"cmd_type\":\"get\",\"key\":\"ключ\"}]}"));
        assertEquals(List.of("200 {\"results\":[{\"ok\":true},{\"value\":\"значение\"}]}"), responses(output()));
    }

    /** Delegates to a real service, except GETs of one key, which complete when the test says so. */
    private static final class DelayingService implements CommandService {
        private final CommandService delegate;
        private final byte[] heldKey;
        private final List<CompletableFuture<Reply>> held;

        DelayingService(CommandService delegate, String heldKey, List<CompletableFuture<Reply>> held) {
            this.delegate = delegate;
            this.heldKey = heldKey.getBytes(StandardCharsets.UTF_8);
            this.held = held;
        }

        @Override
        public CompletableFuture<Reply> execute(byte[][] argv) {
            if (argv.length == 2 && new String(argv[0], StandardCharsets.US_ASCII).equalsIgnoreCase("GET")
                    && java.util.Arrays.equals(argv[1], heldKey)) {
                CompletableFuture<Reply> f = new CompletableFuture<>();
                held.add(f);
                return f;
            }
            return delegate.execute(argv);
        }

        @Override
        public CompletableFuture<Long> watchToken(byte[] key) {
            return delegate.watchToken(key);
        }

        @Override
        public CompletableFuture<Reply> exec(List<byte[][]> commands, List<Watch> watches) {
            return delegate.exec(commands, watches);
        }

        @Override
        public long approximateKeyCount() {
            return delegate.approximateKeyCount();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
