package io.cairn.commands.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.api.clock.ManualClock;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.commands.CommandExecutor;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import java.util.List;
import java.util.Map;

/**
 * A {@link CommandExecutor} over a fresh memory engine, driven with a manual clock: each write gets
 * a new HLC version, {@code nowMillis} is exactly the clock's time. Mirrors what a caller
 * (LocalCommandService, later the Raft leader) supplies.
 */
public final class ExecutorHarness implements AutoCloseable {
    public static final long START_MILLIS = 1_700_000_000_000L;

    public final ManualClock clock = new ManualClock(START_MILLIS);
    public final HybridLogicalClock hlc = new HybridLogicalClock(clock, 10_000);
    public final StorageEngine engine;
    public final CommandExecutor executor;

    public ExecutorHarness() {
        this(16, Map.of());
    }

    public ExecutorHarness(int partitions, Map<String, String> engineSettings) {
        this(partitions, engineSettings, CommandExecutor.Settings.DEFAULTS);
    }

    public ExecutorHarness(int partitions, Map<String, String> engineSettings, CommandExecutor.Settings settings) {
        this.engine = StorageEngines.open("memory", null, engineSettings);
        this.executor = new CommandExecutor(engine, partitions, settings);
    }

    public Reply run(String... args) {
        return executor.execute(Replies.argv(args), clock.currentTimeMillis(), hlc.now());
    }

    public Reply run(byte[]... argv) {
        return executor.execute(argv, clock.currentTimeMillis(), hlc.now());
    }

    /** Runs a command and returns its rendering (see {@link Replies#render}). */
    public String r(String... args) {
        return Replies.render(run(args));
    }

    /** Asserts the rendered reply of one command. */
    public void expect(String expected, String... args) {
        assertEquals(expected, r(args), String.join(" ", args));
    }

    public long token(String key) {
        return executor.watchToken(key.getBytes(java.nio.charset.StandardCharsets.UTF_8), clock.currentTimeMillis());
    }

    public Reply exec(List<byte[][]> commands, List<CommandService.Watch> watches) {
        return executor.exec(commands, watches, clock.currentTimeMillis(), hlc.now());
    }

    public void advance(long millis) {
        clock.advance(millis);
    }

    public long now() {
        return clock.currentTimeMillis();
    }

    @Override
    public void close() {
        engine.close();
    }
}
