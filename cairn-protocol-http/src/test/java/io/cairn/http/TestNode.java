package io.cairn.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.api.clock.Clock;
import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.commands.LocalCommandService;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * A real single-node command service (in-memory engine, {@value #PARTITIONS} partitions) behind a
 * real {@link HttpServer} on 127.0.0.1, and a java.net.http client for it.
 */
final class TestNode implements AutoCloseable {
    static final int PARTITIONS = 8;

    /** Small limits, so that tests reach them with small requests. */
    static final HttpSettings SETTINGS = new HttpSettings("127.0.0.1", 0, 2, 64, 64 * 1024, 4096, 8192, 16, 50,
            1024, 16 * 1024, 100, 16, 10_000, 0, 5);

    final StorageEngine engine = StorageEngines.open("memory", null, Map.of());
    final LocalCommandService local = new LocalCommandService(engine, PARTITIONS, Clock.SYSTEM,
            new HybridLogicalClock(Clock.SYSTEM, 1000), new LocalCommandService.Options(20, 100));
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final AtomicReference<HttpEndpoints.Readiness> readiness = new AtomicReference<>(HttpEndpoints.Readiness.READY);
    final AtomicReference<Object> topology = new AtomicReference<>(
            Map.of("mode", "test", "partitions", PARTITIONS));
    final HttpServer server;
    final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    TestNode() throws InterruptedException {
        this(SETTINGS, Function.identity());
    }

    /** @param wrap decorates the local service (unit-level stand-ins for what a cluster would answer) */
    TestNode(HttpSettings settings, Function<CommandService, CommandService> wrap) throws InterruptedException {
        server = HttpServer.start(settings, wrap.apply(local),
                new HttpEndpoints(readiness::get, topology::get, registry));
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
    }

    HttpResponse<byte[]> send(HttpRequest.Builder request) {
        try {
            return client.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<byte[]> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    HttpResponse<byte[]> post(String path, String json) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    HttpResponse<byte[]> execute(String json) {
        return post("/v1/execute", json);
    }

    static JsonNode json(HttpResponse<byte[]> response) {
        try {
            return Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON (" + response.statusCode() + "): "
                    + new String(response.body(), StandardCharsets.UTF_8), e);
        }
    }

    static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("bad test JSON: " + text, e);
        }
    }

    /** A command straight on the service, bypassing HTTP (to check what HTTP requests did). */
    Reply direct(String... args) {
        byte[][] argv = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            argv[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        return local.execute(argv).join();
    }

    /** A status code and body read off a raw socket. */
    record RawResponse(int status, String head, String body) {}

    /**
     * Sends {@code request} byte for byte over a plain socket (for requests java.net.http refuses to
     * build: malformed URLs, huge headers) and reads until the server closes or 10 s pass.
     */
    RawResponse raw(String request) {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            byte[] all = socket.getInputStream().readAllBytes();
            String text = new String(all, StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            String head = split < 0 ? text : text.substring(0, split);
            String body = split < 0 ? "" : text.substring(split + 4);
            return new RawResponse(Integer.parseInt(head.substring(9, 12)), head, body);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** GET {@code target} as written, with Connection: close. */
    RawResponse rawGet(String target) {
        return raw("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    }

    @Override
    public void close() {
        client.shutdownNow();
        server.close();
        local.close();
        engine.close();
        registry.close();
    }
}
