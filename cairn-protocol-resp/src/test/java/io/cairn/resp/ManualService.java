package io.cairn.resp;

import io.cairn.api.reply.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Unit-test service whose futures the test completes by hand, in any order, to model a
 * replicated service that answers later and out of order. Commands that reach EXEC are answered
 * by the wrapped in-memory service when completed with {@link #completeFromModel}.
 */
final class ManualService extends InMemoryService {
    record Call(byte[][] argv, CompletableFuture<Reply> future) {
        String name() {
            return new String(argv[0], StandardCharsets.UTF_8);
        }
    }

    final List<Call> calls = new ArrayList<>();
    final List<Call> execs = new ArrayList<>();
    private List<byte[][]> lastExecCommands;
    private List<Watch> lastExecWatches;

    @Override
    public synchronized CompletableFuture<Reply> execute(byte[][] argv) {
        CompletableFuture<Reply> f = new CompletableFuture<>();
        calls.add(new Call(argv, f));
        return f;
    }

    @Override
    public synchronized CompletableFuture<Reply> exec(List<byte[][]> commands, List<Watch> watches) {
        CompletableFuture<Reply> f = new CompletableFuture<>();
        lastExecCommands = commands;
        lastExecWatches = watches;
        execs.add(new Call(new byte[][] {"EXEC".getBytes(StandardCharsets.UTF_8)}, f));
        return f;
    }

    /** Completes call {@code i} with what the in-memory model answers. */
    synchronized void completeFromModel(int i) {
        Call c = calls.get(i);
        c.future().complete(apply(c.argv()));
    }

    synchronized void completeLastExecFromModel() {
        execs.get(execs.size() - 1).future().complete(super.exec(lastExecCommands, lastExecWatches).join());
    }
}
