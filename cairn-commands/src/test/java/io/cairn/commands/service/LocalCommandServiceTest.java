package io.cairn.commands.service;

import static io.cairn.commands.support.Replies.argv;
import static io.cairn.commands.support.Replies.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.api.clock.ManualClock;
import io.cairn.api.service.CommandService;
import io.cairn.commands.LocalCommandService;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** LocalCommandService wiring: time, active expiry, WATCH through the service, lifecycle. */
@Timeout(30)
class LocalCommandServiceTest {
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private final StorageEngine engine = StorageEngines.open("memory", null, Map.of());
    private LocalCommandService service = new LocalCommandService(engine, 4, clock,
            new HybridLogicalClock(clock, 1000), new LocalCommandService.Options(0, 10));

    @AfterEach
    void tearDown() {
        service.close();
        engine.close();
    }

    private String run(String... args) {
        return render(service.execute(argv(args)).join());
    }

    @Test
    void expiryUsesTheServiceClock() {
        assertEquals("OK", run("SET", "k", "v", "EX", "10"));
        assertEquals("(integer) 10", run("TTL", "k"));
        clock.advance(9_400);
        assertEquals("(integer) 1", run("TTL", "k"));
        clock.advance(601); // expired once now > expireAt
        assertEquals("(nil)", run("GET", "k"));
    }

    @Test
    void timeNeverRunsBackwardsForReadsAfterWrites() {
        assertEquals("OK", run("SET", "k", "v", "PX", "100"));
        clock.advance(101);
        assertEquals("(nil)", run("GET", "k"));
        clock.set(clock.currentTimeMillis() - 10_000); // wall clock jumps back
        assertEquals("(nil)", run("GET", "k"), "an expired key stays expired");
        assertEquals("(integer) -2", run("PTTL", "k"));
    }

    @Test
    void activeExpiryPurgesInBoundedBatches() {
        for (int i = 0; i < 100; i++) {
            run("SET", "k" + i, "v", "PX", "50");
        }
        run("SET", "keep", "v");
        assertEquals(101, service.approximateKeyCount());
        assertEquals(0, service.runActiveExpiryCycle(), "nothing expired yet");
        clock.advance(51);
        assertEquals(100, service.runActiveExpiryCycle());
        assertEquals(1, service.approximateKeyCount());
        assertEquals("(integer) 1", run("DBSIZE"));
        assertEquals("\"v\"", run("GET", "keep"));
    }

    @Test
    void activeExpiryThreadRunsOnItsOwn() throws InterruptedException {
        service.close();
        service = new LocalCommandService(engine, 4, clock, new HybridLogicalClock(clock, 1000),
                new LocalCommandService.Options(5, 10));
        for (int i = 0; i < 30; i++) {
            run("SET", "k" + i, "v", "PX", "1");
        }
        clock.advance(2);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (service.approximateKeyCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(0, service.approximateKeyCount());
    }

    @Test
    void watchThroughTheService() {
        byte[] key = "a".getBytes(StandardCharsets.UTF_8);
        long token = service.watchToken(key).join();
        assertEquals(0, token);
        run("SET", "a", "1");
        assertEquals("(nil)", render(service.exec(List.<byte[][]>of(argv("SET", "a", "2")),
                List.of(new CommandService.Watch(key, token))).join()));
        token = service.watchToken(key).join();
        assertEquals("[OK]", render(service.exec(List.<byte[][]>of(argv("SET", "a", "2")),
                List.of(new CommandService.Watch(key, token))).join()));
        assertEquals("\"2\"", run("GET", "a"));
    }

    @Test
    void unknownAndMalformedCommandsAreErrorReplies() {
        assertEquals("(error) ERR unknown command 'nope', with args beginning with: 'x' ", run("nope", "x"));
        assertEquals("(error) ERR wrong number of arguments for 'get' command", run("get"));
        assertEquals("(error) ERR empty command", render(service.execute(new byte[0][]).join()));
    }

    @Test
    void closedServiceFailsFutures() {
        service.close();
        CompletionException e = assertThrows(CompletionException.class, () -> service.execute(argv("GET", "a")).join());
        assertTrue(e.getCause() instanceof IllegalStateException);
        assertThrows(CompletionException.class, () -> service.watchToken(new byte[] {'a'}).join());
        assertThrows(CompletionException.class, () -> service.exec(List.of(), List.of()).join());
        assertEquals(0, engine.stats().keys(), "the engine stays open and usable by its owner");
    }

    @Test
    void optionsValidateAndParse() {
        assertEquals(new LocalCommandService.Options(250, 50),
                LocalCommandService.Options.from(Map.of("expiry.active.interval-ms", "250", "expiry.active.batch", "50")));
        assertEquals(LocalCommandService.Options.DEFAULTS, LocalCommandService.Options.from(Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new LocalCommandService.Options(-1, 10));
        assertThrows(IllegalArgumentException.class, () -> new LocalCommandService.Options(100, 0));
        assertThrows(IllegalArgumentException.class,
                () -> LocalCommandService.Options.from(Map.of("expiry.active.batch", "lots")));
    }
}
