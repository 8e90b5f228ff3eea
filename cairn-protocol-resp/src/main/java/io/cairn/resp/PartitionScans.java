package io.cairn.resp;

import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.api.service.Session;
import io.cairn.storage.SlotHash;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Key walks the RESP layer runs itself, page by page with SCAN through the command service:
 * CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT (the keys of one slot), and the node-local KEYS and
 * SCAN of redirect mode (the keys of the partitions this node leads).
 *
 * <p>What it relies on: the service's SCAN cursor names a partition in its low 16 bits, and a
 * cursor equal to a partition number starts that partition from its first key; a replicated
 * service confines each SCAN call to the cursor's partition and hands back the next partition's
 * number (or 0 after the last) when it is done, a single node carries on into the next
 * partitions. Keys of a partition come in unsigned byte order.
 *
 * <p>Consistency: every page is one read at the connection's read consistency (linearizable by
 * default); the walk as a whole is not a snapshot. As with SCAN, a key present during the whole
 * walk is reported exactly once; a key written or deleted meanwhile may or may not be. Should the
 * service restart a partition's scan (a cursor it no longer knows after a leader change), keys
 * at or before the last key already seen are skipped, so nothing is counted twice.
 *
 * <p>Bounds: pages of {@code cluster-scan-page-keys} keys; one walk examines at most {@code
 * cluster-scan-max-keys} keys, past that the command fails with an error saying so. Pages that
 * complete on the calling thread (a single node) are looped over, not recursed into.
 */
final class PartitionScans {
    private PartitionScans() {}

    /** Sees each key of the walked partition once; returns false to stop the walk. */
    @FunctionalInterface
    interface KeyVisitor {
        boolean visit(byte[] key);
    }

    /** CLUSTER COUNTKEYSINSLOT: the keys of {@code slot}. */
    static CompletableFuture<Reply> countKeysInSlot(RespRuntime rt, Session session, int slot) {
        long[] count = {0};
        int partition = rt.context.cluster().partitionOfSlot(slot);
        return walk(rt, session, partition, null, key -> {
            if (SlotHash.slot(key) == slot) {
                count[0]++;
            }
            return true;
        }).thenApply(error -> error != null ? error : Reply.integer(count[0]));
    }

    /** CLUSTER GETKEYSINSLOT: up to {@code max} keys of {@code slot}, in key order. */
    static CompletableFuture<Reply> getKeysInSlot(RespRuntime rt, Session session, int slot, long max) {
        List<Reply> keys = new ArrayList<>();
        if (max == 0) {
            return CompletableFuture.completedFuture(Reply.array(keys));
        }
        int partition = rt.context.cluster().partitionOfSlot(slot);
        return walk(rt, session, partition, null, key -> {
            if (SlotHash.slot(key) == slot) {
                keys.add(Reply.bulk(key));
            }
            return keys.size() < max;
        }).thenApply(error -> error != null ? error : Reply.array(keys));
    }

    /** KEYS in redirect mode: the matching keys of {@code partitions} (this node's), in partition order. */
    static CompletableFuture<Reply> keys(RespRuntime rt, Session session, List<Integer> partitions, byte[] pattern) {
        List<Reply> keys = new ArrayList<>();
        CompletableFuture<Reply.Error> chain = CompletableFuture.completedFuture(null);
        long[] budget = {rt.cluster.scanMaxKeys()};
        for (int p : partitions) {
            chain = chain.thenCompose(error -> error != null ? CompletableFuture.completedFuture(error)
                    : new Walk(rt, session, p, pattern, key -> {
                        keys.add(Reply.bulk(key));
                        return true;
                    }, budget).start());
        }
        return chain.thenApply(error -> error != null ? error : Reply.array(keys));
    }

    /**
     * SCAN in redirect mode: the client's cursor walks the partitions this node leads ({@code
     * led}, ascending), each through the service; a cursor naming a partition no longer led here
     * moves on to the next one that is. Answers exactly SCAN's shape.
     */
    static CompletableFuture<Reply> scanLocal(RespRuntime rt, Session session, byte[][] argv, List<Integer> led) {
        long cursor;
        try {
            cursor = Long.parseUnsignedLong(new String(argv[1], StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return call(rt, session, argv); // the service answers Redis's exact "invalid cursor" error
        }
        java.util.BitSet mine = new java.util.BitSet();
        led.forEach(mine::set);
        int p = cursor == 0 ? -1 : (int) (cursor & 0xFFFF);
        int start = cursor == 0 ? mine.nextSetBit(0) : mine.nextSetBit(p);
        if (start < 0) {
            return CompletableFuture.completedFuture(scanReply(0, List.of()));
        }
        long sent = start == p ? cursor : start;
        byte[][] page = argv.clone();
        page[1] = Long.toUnsignedString(sent).getBytes(StandardCharsets.US_ASCII);
        return call(rt, session, page).thenApply(r -> {
            if (!(r instanceof Reply.Array a) || a.items().size() != 2 || !(a.items().get(0) instanceof Reply.Bulk b)
                    || !(a.items().get(1) instanceof Reply.Array keys)) {
                return r; // an error (syntax, cluster down) goes to the client as is
            }
            long next = Long.parseUnsignedLong(b.utf8());
            int q = (int) (next & 0xFFFF);
            long clientNext;
            if (next == 0) {
                clientNext = 0;
            } else if (mine.get(q)) {
                clientNext = next;
            } else {
                int after = mine.nextSetBit(q);
                clientNext = after < 0 ? 0 : after;
            }
            // A service that is not confined to one partition per call may run on into partitions
            // another node leads: those keys are that node's to report.
            List<Reply> ours = new ArrayList<>(keys.items().size());
            for (Reply k : keys.items()) {
                if (k instanceof Reply.Bulk key && mine.get(rt.context.cluster().partitionOfSlot(SlotHash.slot(key.value())))) {
                    ours.add(k);
                }
            }
            return scanReply(clientNext, ours);
        });
    }

    private static Reply scanReply(long cursor, List<Reply> keys) {
        return Reply.array(List.of(Reply.bulk(Long.toUnsignedString(cursor)), Reply.array(keys)));
    }

    private static CompletableFuture<Reply> call(RespRuntime rt, Session session, byte[][] argv) {
        try {
            CompletableFuture<Reply> f = rt.service.execute(argv, session);
            return f != null ? f : CompletableFuture.failedFuture(
                    new IllegalStateException("internal error: the command service returned no future"));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Walks one partition; completes with null when done (or stopped), else with the error to answer. */
    static CompletableFuture<Reply.Error> walk(RespRuntime rt, Session session, int partition, byte[] pattern,
                                               KeyVisitor visitor) {
        return new Walk(rt, session, partition, pattern, visitor, new long[] {rt.cluster.scanMaxKeys()}).start();
    }

    /** One partition's walk: SCAN pages in a loop, asynchronously when the service answers later. */
    private static final class Walk {
        private final RespRuntime rt;
        private final Session session;
        private final int partition;
        private final byte[] pattern;
        private final KeyVisitor visitor;
        /** Keys the whole command may still examine (shared by the walks of one command). */
        private final long[] budget;
        private final int page;
        private final CompletableFuture<Reply.Error> done = new CompletableFuture<>();
        private long cursor;
        private byte[] lastKey;

        Walk(RespRuntime rt, Session session, int partition, byte[] pattern, KeyVisitor visitor, long[] budget) {
            this.rt = rt;
            this.session = session;
            this.partition = partition;
            this.pattern = pattern;
            this.visitor = visitor;
            this.budget = budget;
            this.page = rt.cluster.scanPageKeys();
            this.cursor = partition; // token 0: the partition from its first key
        }

        CompletableFuture<Reply.Error> start() {
            loop();
            return done;
        }

        private void loop() {
            while (!done.isDone()) {
                if (budget[0] <= 0) {
                    done.complete(Reply.err("more than " + rt.cluster.scanMaxKeys() + " keys to examine ("
                            + ClusterModeSettings.SCAN_MAX_KEYS + ")"));
                    return;
                }
                int count = (int) Math.min(page, budget[0]);
                budget[0] -= count;
                CompletableFuture<Reply> f = call(rt, session, scanArgs(count));
                if (!f.isDone()) {
                    f.whenComplete((r, t) -> {
                        if (onPage(f)) {
                            loop();
                        }
                    });
                    return;
                }
                if (!onPage(f)) {
                    return;
                }
            }
        }

        private byte[][] scanArgs(int count) {
            List<byte[]> a = new ArrayList<>(6);
            a.add("SCAN".getBytes(StandardCharsets.US_ASCII));
            a.add(Long.toUnsignedString(cursor).getBytes(StandardCharsets.US_ASCII));
            if (pattern != null) {
                a.add("MATCH".getBytes(StandardCharsets.US_ASCII));
                a.add(pattern);
            }
            a.add("COUNT".getBytes(StandardCharsets.US_ASCII));
            a.add(String.valueOf(count).getBytes(StandardCharsets.US_ASCII));
            return a.toArray(new byte[0][]);
        }

        /** Handles a completed page; true if the walk goes on. */
        private boolean onPage(CompletableFuture<Reply> f) {
            Reply r = RespConnection.resultOf(f);
            if (!(r instanceof Reply.Array a) || a.items().size() != 2 || !(a.items().get(0) instanceof Reply.Bulk b)
                    || !(a.items().get(1) instanceof Reply.Array keys)) {
                done.complete(r instanceof Reply.Error e ? e : Reply.err("internal error: SCAN answered " + r));
                return false;
            }
            for (Reply k : keys.items()) {
                if (!(k instanceof Reply.Bulk kb)) {
                    done.complete(Reply.err("internal error: SCAN returned a key that is not a string: " + k));
                    return false;
                }
                byte[] key = kb.value();
                if (rt.context.cluster().partitionOfSlot(SlotHash.slot(key)) != partition) {
                    continue; // a single node's SCAN runs on into the next partitions
                }
                if (lastKey != null && Arrays.compareUnsigned(key, lastKey) <= 0) {
                    continue; // the service restarted the partition: already seen
                }
                lastKey = key;
                if (!visitor.visit(key)) {
                    done.complete(null);
                    return false;
                }
            }
            long next;
            try {
                next = Long.parseUnsignedLong(b.utf8());
            } catch (NumberFormatException e) {
                done.complete(Reply.err("internal error: SCAN answered cursor " + b.utf8()));
                return false;
            }
            if (next == 0 || (next & 0xFFFF) != partition) {
                done.complete(null); // the partition is exhausted
                return false;
            }
            cursor = next;
            return true;
        }
    }
}
