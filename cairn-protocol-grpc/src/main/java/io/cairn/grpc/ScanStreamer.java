package io.cairn.grpc;

import com.google.protobuf.ByteString;
import io.cairn.api.grpc.Entry;
import io.cairn.api.grpc.ScanResponse;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.storage.SlotHash;
import io.grpc.stub.ServerCallStreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One Scan call: SCAN steps against the command service, each streamed as one {@link ScanResponse}
 * (steps that found nothing are not sent, except the last). One step is in flight at a time and the
 * next starts only when the client's flow-control window has room ({@code isReady}), so a slow
 * reader holds back the scan instead of filling buffers. Stops at the end of the keyspace, at the
 * request's limit, on cancellation, or at the call's deadline (DEADLINE_EXCEEDED).
 *
 * <p>Limit: each SCAN asks COUNT = min(page size, entries still allowed); SCAN returns at most COUNT
 * keys, so no page is ever cut and the cursor after it is exact. Cursor: {@link ScanCursor}.
 */
final class ScanStreamer {
    /** Keys selected by a prefix (sent to SCAN as a glob, which seeks) and/or an unsigned byte range. */
    record Selector(byte[] glob, byte[] start, byte[] end) {
        boolean accepts(byte[] key) {
            return (start == null || Arrays.compareUnsigned(key, start) >= 0)
                    && (end == null || Arrays.compareUnsigned(key, end) < 0);
        }
    }

    private final CommandService service;
    private final GrpcErrors errors;
    private final int partitions;
    private final Selector selector;
    private final int limit;
    private final int pageSize;
    private final boolean includeValues;
    private final CallScope scope;
    private final ServerCallStreamObserver<ScanResponse> out;
    private final AtomicBoolean waitingForReady = new AtomicBoolean();
    private volatile boolean cancelled;
    private ScanCursor cursor;
    private int emitted;

    ScanStreamer(CommandService service, GrpcErrors errors, int partitions, Selector selector, int limit, int pageSize,
                 boolean includeValues, ScanCursor cursor, CallScope scope, ServerCallStreamObserver<ScanResponse> out) {
        this.service = service;
        this.errors = errors;
        this.partitions = partitions;
        this.selector = selector;
        this.limit = limit;
        this.pageSize = pageSize;
        this.includeValues = includeValues;
        this.cursor = cursor;
        this.scope = scope;
        this.out = out;
    }

    /** Must be called from the handler method: gRPC accepts the handlers only before it returns. */
    void start() {
        out.setOnCancelHandler(() -> cancelled = true);
        out.setOnReadyHandler(() -> {
            if (waitingForReady.compareAndSet(true, false)) {
                step();
            }
        });
        if (cursor.started() && cursor.scanCursor() == 0) {
            finish(List.of(), true); // a cursor from the final page: nothing left
            return;
        }
        step();
    }

    private void next() {
        if (out.isReady()) {
            step();
            return;
        }
        waitingForReady.set(true);
        // The window may have opened between isReady() and set(): then the handler already ran and saw false.
        if (out.isReady() && waitingForReady.compareAndSet(true, false)) {
            step();
        }
    }

    private void step() {
        if (cancelled) {
            return;
        }
        if (scope.expired()) {
            out.onError(errors.deadline(false));
            return;
        }
        int count = Math.min(pageSize, limit - emitted);
        List<byte[]> argv = new ArrayList<>(6);
        argv.add(Requests.ascii("SCAN"));
        argv.add(Requests.ascii(Long.toUnsignedString(cursor.scanCursor())));
        if (selector.glob() != null) {
            argv.add(Requests.ascii("MATCH"));
            argv.add(selector.glob());
        }
        argv.add(Requests.ascii("COUNT"));
        argv.add(Requests.ascii(Integer.toString(count)));
        scope.bound(service.execute(argv.toArray(byte[][]::new), scope.session()))
                .thenCompose(this::page)
                .whenComplete((done, error) -> {
                    if (error != null) {
                        out.onError(errors.fromFailure(error, false));
                    } else if (!done) {
                        next();
                    }
                });
    }

    /** Handles one SCAN reply; completes with true when the call is finished. */
    private CompletableFuture<Boolean> page(Reply reply) {
        if (reply instanceof Reply.Error e) {
            throw errors.fromReply(e.text(), false);
        }
        if (!(reply instanceof Reply.Array a) || a.items().size() != 2
                || !(a.items().get(0) instanceof Reply.Bulk nextText) || !(a.items().get(1) instanceof Reply.Array keys)) {
            throw errors.internal("SCAN answered " + reply);
        }
        long next;
        try {
            next = Long.parseUnsignedLong(new String(nextText.value(), StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            throw errors.internal("SCAN answered cursor " + nextText.utf8());
        }
        int nextPartition = (int) (next & 0xFFFF);
        byte[] lastInNext = next != 0 && nextPartition == cursor.partition() ? cursor.lastKey() : null;
        List<byte[]> selected = new ArrayList<>(keys.items().size());
        for (Reply k : keys.items()) {
            if (!(k instanceof Reply.Bulk b)) {
                throw errors.internal("SCAN listed " + k);
            }
            byte[] key = b.value();
            int p = SlotHash.partitionOf(key, partitions);
            // Already returned before the node's SCAN restarted this partition (see ScanCursor).
            boolean seen = cursor.lastKey() != null && p == cursor.partition()
                    && Arrays.compareUnsigned(key, cursor.lastKey()) <= 0;
            if (p == nextPartition && next != 0
                    && (lastInNext == null || Arrays.compareUnsigned(key, lastInNext) > 0)) {
                lastInNext = key;
            }
            if (!seen && selector.accepts(key)) {
                selected.add(key);
            }
        }
        if (emitted + selected.size() > limit) {
            throw errors.internal("SCAN COUNT " + (limit - emitted) + " returned " + selected.size() + " keys");
        }
        cursor = new ScanCursor(next, lastInNext, true);
        emitted += selected.size();
        boolean done = next == 0;
        boolean finished = done || emitted >= limit;
        CompletableFuture<List<Entry>> entries = includeValues ? withValues(selected)
                : CompletableFuture.completedFuture(selected.stream()
                        .map(k -> Entry.newBuilder().setKey(ByteString.copyFrom(k)).build()).toList());
        return entries.thenApply(list -> {
            if (cancelled) {
                return true;
            }
            if (finished) {
                finish(list, done);
            } else if (!list.isEmpty()) {
                out.onNext(ScanResponse.newBuilder().addAllEntries(list).setCursor(cursor.encode()).build());
            }
            return finished;
        });
    }

    private void finish(List<Entry> entries, boolean done) {
        out.onNext(ScanResponse.newBuilder().addAllEntries(entries).setCursor(cursor.encode()).setDone(done).build());
        out.onCompleted();
    }

    /** Values read after the keys, one GET each (at most a page of them in flight); keys gone by then are left out. */
    private CompletableFuture<List<Entry>> withValues(List<byte[]> keys) {
        List<CompletableFuture<Reply>> gets = new ArrayList<>(keys.size());
        for (byte[] k : keys) {
            gets.add(scope.bound(service.execute(new byte[][] {Requests.ascii("GET"), k}, scope.session())));
        }
        return CompletableFuture.allOf(gets.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<Entry> entries = new ArrayList<>(keys.size());
            for (int i = 0; i < keys.size(); i++) {
                Reply r = gets.get(i).join();
                switch (r) {
                    case Reply.Bulk b -> entries.add(Entry.newBuilder().setKey(ByteString.copyFrom(keys.get(i)))
                            .setValue(ByteString.copyFrom(b.value())).build());
                    case Reply.Null n -> { }
                    case Reply.Error e -> throw errors.fromReply(e.text(), false);
                    default -> throw errors.internal("GET answered " + r);
                }
            }
            return entries;
        });
    }
}
