package io.cairn.raft;

import io.cairn.api.reply.Reply;
import io.cairn.raft.codec.Command;
import io.cairn.raft.codec.CommandCodec;
import io.cairn.raft.codec.ReplyCodec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Coalesces concurrent commands for one partition into one Raft entry (writes) or one ReadIndex
 * round (reads), so that throughput is not one consensus round per request.
 *
 * <p>Policy: while fewer than {@code maxInFlight} batches are outstanding, pending commands are
 * sent at once (after at most {@code maxWaitMicros} if that is positive and the batch is not
 * full); when the limit is reached, commands queue and leave together as soon as a batch
 * completes. Under low load a command therefore waits for nothing, and under high load batches
 * grow to {@code maxCommands}/{@code maxBytes} by themselves. At most {@code maxPending}
 * commands wait; beyond that new ones fail with {@link RejectedExecutionException}.
 *
 * <p>Time: a command's {@code nowMillis} and {@code version} are assigned when its batch is
 * formed (propose time), in queue order and under this committer's lock, and batches are handed
 * to the sender in that same order. The write sender (an ordered Ratis async client) keeps that
 * order in the log, so versions grow along the log of a partition proposed from one node.
 */
final class GroupCommitter {
    /** Builds the command once its time is known: {@code (nowMillis, version) -> command}. */
    interface Template {
        Command build(long nowMillis, long version);

        int estimatedBytes();
    }

    interface Sender {
        CompletableFuture<Sent> send(byte[] encodedBatch);
    }

    /** What Raft answered for one batch: the encoded replies and the log index they reflect (0 if unknown). */
    record Sent(byte[] replies, long logIndex) {}

    /** One command's reply and the log index of the batch that carried it (for read-your-writes). */
    record Applied(Reply reply, long logIndex) {}

    interface Timestamps {
        /** A fresh HLC timestamp (strictly increasing). */
        long next();
    }

    private record Pending(Template template, CompletableFuture<Applied> future) {}

    private record Outgoing(byte[] encoded, List<CompletableFuture<Applied>> futures) {}

    private final String name;
    private final Sender sender;
    private final Timestamps timestamps;
    private final Function<Long, Long> nowOf;
    private final ScheduledExecutorService timer;
    private final int maxCommands;
    private final int maxBytes;
    private final int maxInFlight;
    private final long maxWaitMicros;
    private final int maxPending;

    private final java.util.concurrent.Executor completions;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    /** Batches formed (timestamps assigned) but not yet handed to the sender, in timestamp order. */
    private final ArrayDeque<Outgoing> outbox = new ArrayDeque<>();
    private boolean sending;
    private int inFlight;
    private ScheduledFuture<?> lingerTimer;
    private boolean closed;
    /** Set by {@link #retire}: new commands are refused, the ones taken still go out. */
    private boolean retired;
    private final CompletableFuture<Void> idle = new CompletableFuture<>();

    private long batches;
    private long commands;

    GroupCommitter(String name, Sender sender, Timestamps timestamps, Function<Long, Long> nowOfVersion,
                   ScheduledExecutorService timer, java.util.concurrent.Executor completions, int maxCommands, int maxBytes, int maxInFlight,
                   long maxWaitMicros, int maxPending) {
        this.name = name;
        this.sender = sender;
        this.timestamps = timestamps;
        this.nowOf = nowOfVersion;
        this.timer = timer;
        this.completions = completions;
        this.maxCommands = maxCommands;
        this.maxBytes = maxBytes;
        this.maxInFlight = maxInFlight;
        this.maxWaitMicros = maxWaitMicros;
        this.maxPending = maxPending;
    }

    CompletableFuture<Reply> submit(Template template) {
        return submitIndexed(template).thenApply(Applied::reply);
    }

    CompletableFuture<Applied> submitIndexed(Template template) {
        CompletableFuture<Applied> future = new CompletableFuture<>();
        synchronized (this) {
            if (retired) {
                return CompletableFuture.failedFuture(new Retired(name));
            }
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException(name + " is closed"));
            }
            if (queue.size() >= maxPending) {
                return CompletableFuture.failedFuture(new RejectedExecutionException(name + ": " + queue.size()
                        + " commands already queued (" + RaftConfig.BATCH_MAX_PENDING + ")"));
            }
            queue.add(new Pending(template, future));
            if (inFlight < maxInFlight) {
                if (maxWaitMicros == 0 || queue.size() >= maxCommands) {
                    drainLocked();
                } else if (lingerTimer == null) {
                    lingerTimer = timer.schedule(this::lingerExpired, maxWaitMicros, TimeUnit.MICROSECONDS);
                }
            }
        }
        sendOutbox();
        return future;
    }

    private void lingerExpired() {
        synchronized (this) {
            lingerTimer = null;
            drainLocked();
        }
        sendOutbox();
    }

    /**
     * Hands formed batches to the sender outside this committer's lock (the Ratis client takes
     * its own locks and completes futures while holding them; calling it under ours deadlocks).
     * One thread sends at a time, in outbox order, so batches still reach the ordered client in
     * timestamp order.
     */
    private void sendOutbox() {
        while (true) {
            Outgoing next;
            synchronized (this) {
                if (sending || outbox.isEmpty()) {
                    return;
                }
                sending = true;
                next = outbox.poll();
            }
            CompletableFuture<Sent> sent;
            try {
                sent = sender.send(next.encoded);
            } catch (RuntimeException e) {
                sent = CompletableFuture.failedFuture(e);
            } finally {
                synchronized (this) {
                    sending = false;
                }
            }
            // Completions run on our executor: callers' continuations never run inside Ratis's locks.
            List<CompletableFuture<Applied>> futures = next.futures;
            sent.whenCompleteAsync((reply, error) -> complete(futures, reply, error), completions);
        }
    }

    /** Sends batches while slots are free. Runs under the lock so batches leave in timestamp order. */
    private void drainLocked() {
        if (lingerTimer != null) {
            lingerTimer.cancel(false);
            lingerTimer = null;
        }
        while (inFlight < maxInFlight && !queue.isEmpty() && !closed) {
            List<Command> batch = new ArrayList<>(Math.min(queue.size(), maxCommands));
            List<CompletableFuture<Applied>> futures = new ArrayList<>(Math.min(queue.size(), maxCommands));
            int bytes = 0;
            while (!queue.isEmpty() && batch.size() < maxCommands) {
                Pending p = queue.peek();
                int size = p.template.estimatedBytes();
                if (!batch.isEmpty() && bytes + size > maxBytes) {
                    break;
                }
                queue.poll();
                long version = timestamps.next();
                batch.add(p.template.build(nowOf.apply(version), version));
                futures.add(p.future);
                bytes += size;
            }
            byte[] encoded;
            try {
                encoded = CommandCodec.encode(batch);
            } catch (RuntimeException e) {
                futures.forEach(f -> f.completeExceptionally(e));
                continue;
            }
            inFlight++;
            batches++;
            commands += batch.size();
            outbox.add(new Outgoing(encoded, futures));
        }
    }

    private void complete(List<CompletableFuture<Applied>> futures, Sent sent, Throwable error) {
        boolean nowIdle;
        synchronized (this) {
            inFlight--;
            drainLocked();
            nowIdle = retired && idleLocked();
        }
        sendOutbox();
        if (nowIdle) {
            idle.complete(null);
        }
        if (error != null) {
            futures.forEach(f -> f.completeExceptionally(error));
            return;
        }
        List<Reply> replies;
        try {
            replies = ReplyCodec.decode(sent.replies());
        } catch (RuntimeException e) {
            futures.forEach(f -> f.completeExceptionally(e));
            return;
        }
        if (replies.size() != futures.size()) {
            IllegalStateException e = new IllegalStateException(name + ": " + replies.size() + " replies for "
                    + futures.size() + " commands");
            futures.forEach(f -> f.completeExceptionally(e));
            return;
        }
        for (int i = 0; i < replies.size(); i++) {
            futures.get(i).complete(new Applied(replies.get(i), sent.logIndex()));
        }
    }

    /**
     * Thrown (as a failed future, at once) by {@link #submitIndexed} once this committer is retired:
     * the command was not taken, so the caller can hand it to the partition's new client.
     */
    static final class Retired extends IllegalStateException {
        Retired(String name) {
            super(name + " was replaced by a newer client of its partition");
        }
    }

    private boolean idleLocked() {
        return queue.isEmpty() && outbox.isEmpty() && inFlight == 0 && !sending;
    }

    /**
     * Stops taking commands (each new one fails at once with {@link Retired}) but finishes the ones
     * it took: they are still batched and sent in order, through the same sender. Returns a future
     * that completes once nothing is queued or outstanding; {@link #close} then costs nothing.
     */
    CompletableFuture<Void> retire() {
        boolean nowIdle;
        synchronized (this) {
            retired = true;
            nowIdle = idleLocked();
        }
        if (nowIdle) {
            idle.complete(null);
        }
        return idle;
    }

    /** Batches sent and commands in them since start: their ratio is the mean batch size. */
    synchronized long[] stats() {
        return new long[] {batches, commands};
    }

    /** Fails everything still queued; batches already sent complete as Raft answers them. */
    void close() {
        List<Pending> dropped;
        synchronized (this) {
            closed = true;
            if (lingerTimer != null) {
                lingerTimer.cancel(false);
            }
            dropped = new ArrayList<>(queue);
            queue.clear();
            for (Outgoing o : outbox) {
                for (CompletableFuture<Applied> f : o.futures) {
                    dropped.add(new Pending(null, f));
                }
            }
            outbox.clear();
        }
        IllegalStateException e = new IllegalStateException(name + " is closed");
        dropped.forEach(p -> p.future.completeExceptionally(e));
    }
}
