package io.cairn.grpc;

import static io.cairn.grpc.GrpcTestNode.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.grpc.BatchRequest;
import io.cairn.api.grpc.BatchResponse;
import io.cairn.api.grpc.Condition;
import io.cairn.api.grpc.ExecuteRequest;
import io.cairn.api.grpc.ExecuteResponse;
import io.cairn.api.grpc.GetRequest;
import io.cairn.api.grpc.GetResponse;
import io.cairn.api.grpc.KeyValueGrpc;
import io.cairn.api.grpc.PutRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Concurrent conflicting Execute requests on a real node: transfers between two accounts through
 * increments and through compare-and-swap conditions, while readers check in one Batch that no
 * transfer is ever seen half done, and the totals add up exactly at the end.
 */
@Timeout(90)
class ExecuteAtomicityTest {
    static final int WRITERS = 4;
    static final int TRANSFERS_PER_WRITER = 25;

    /** Runs a transfer until it commits, as a client would on ABORTED; counts the retries. */
    static int transfer(KeyValueGrpc.KeyValueBlockingStub kv, ExecuteRequest request) {
        for (int attempt = 1; ; attempt++) {
            try {
                ExecuteResponse r = kv.execute(request);
                assertTrue(r.getSucceeded());
                return attempt - 1 + r.getAttempts() - 1;
            } catch (StatusRuntimeException e) {
                assertEquals(Status.Code.ABORTED, e.getStatus().getCode(), () -> "status " + e.getStatus());
                assertTrue(attempt < 20, "transfer still conflicting after " + attempt + " requests");
            }
        }
    }

    static ExecuteRequest incrementTransfer(String from, String to) {
        return ExecuteRequest.newBuilder()
                .addSuccess(KeyValueApiTest.incrOp(from, -1))
                .addSuccess(KeyValueApiTest.incrOp(to, 1))
                .build();
    }

    /**
     * Checks the invariant {@code a + b == total} in one atomic read, {@code rounds} times, through
     * {@code kv(i)}; fails on any half-applied transfer.
     */
    static int readers(IntFunction<KeyValueGrpc.KeyValueBlockingStub> kv, String a, String b, long total, int rounds) {
        int reads = 0;
        for (int i = 0; i < rounds; i++) {
            BatchResponse both = kv.apply(i).batch(BatchRequest.newBuilder()
                    .addOperations(KeyValueApiTest.getOp(a)).addOperations(KeyValueApiTest.getOp(b)).build());
            long sum = Long.parseLong(both.getResults(0).getGet().getValue().toStringUtf8())
                    + Long.parseLong(both.getResults(1).getGet().getValue().toStringUtf8());
            assertEquals(total, sum, "a reader saw half a transfer: " + both);
            reads++;
        }
        return reads;
    }

    @Test
    void concurrentIncrementTransfersAndCasTransfersNeverTearAndAllCount() throws Exception {
        try (GrpcTestNode node = new GrpcTestNode()) {
            node.kv().put(PutRequest.newBuilder().setKey(bytes("{acct}a")).setValue(bytes("1000")).build());
            node.kv().put(PutRequest.newBuilder().setKey(bytes("{acct}b")).setValue(bytes("0")).build());
            ExecutorService pool = Executors.newFixedThreadPool(WRITERS * 2 + 1);
            try {
                List<Future<Integer>> writers = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    boolean cas = w % 2 == 1;
                    writers.add(pool.submit(() -> {
                        int retries = 0;
                        for (int i = 0; i < TRANSFERS_PER_WRITER; i++) {
                            retries += cas ? casTransfer(node) : transfer(node.kv(), incrementTransfer("{acct}a", "{acct}b"));
                        }
                        return retries;
                    }));
                }
                Future<Integer> reads = pool.submit(() -> readers(i -> node.kv(), "{acct}a", "{acct}b", 1000, 100));
                int retries = 0;
                for (Future<Integer> f : writers) {
                    retries += f.get();
                }
                assertEquals(100, reads.get());
                System.out.println("ExecuteAtomicityTest: " + WRITERS * TRANSFERS_PER_WRITER
                        + " transfers, " + retries + " optimistic retries");
            } finally {
                pool.shutdownNow();
            }
            int moved = WRITERS * TRANSFERS_PER_WRITER;
            assertEquals(Long.toString(1000 - moved), value(node, "{acct}a"));
            assertEquals(Long.toString(moved), value(node, "{acct}b"));
        }
    }

    /**
     * A write that lands between an Execute's decision and its commit (injected deterministically
     * into the first committing EXEC) must abort the commit: the request starts over, sees the new
     * value, and takes the other branch, instead of overwriting it (a lost update).
     */
    @Test
    void aWriteBetweenDecisionAndCommitMakesTheRequestStartOver() {
        java.util.concurrent.atomic.AtomicBoolean intruded = new java.util.concurrent.atomic.AtomicBoolean();
        try (GrpcTestNode node = new GrpcTestNode(GrpcTestNode.SETTINGS, io.cairn.api.consistency.Durability.STRICT,
                io.cairn.commands.CommandExecutor.Settings.DEFAULTS, real -> new ErrorsAndDeadlinesTest.TroubledService(real) {
                    @Override
                    public java.util.concurrent.CompletableFuture<io.cairn.api.reply.Reply> exec(
                            List<byte[][]> commands, List<Watch> watches, io.cairn.api.service.Session session) {
                        boolean commits = commands.stream().anyMatch(c -> new String(c[0]).equals("SET"));
                        if (commits && intruded.compareAndSet(false, true)) {
                            real.execute(new byte[][] {"SET".getBytes(), "{lu}k".getBytes(), "intruder".getBytes()}).join();
                        }
                        return real.exec(commands, watches, session);
                    }
                })) {
            node.kv().put(PutRequest.newBuilder().setKey(bytes("{lu}k")).setValue(bytes("v0")).build());
            ExecuteResponse r = node.kv().execute(ExecuteRequest.newBuilder()
                    .addConditions(Condition.newBuilder().setKey(bytes("{lu}k")).setValueEquals(bytes("v0")))
                    .addSuccess(KeyValueApiTest.putOp("{lu}k", "mine"))
                    .addFailure(KeyValueApiTest.getOp("{lu}k"))
                    .build());
            assertTrue(intruded.get());
            assertEquals(2, r.getAttempts(), "the first commit was aborted by the intruding write");
            assertEquals(false, r.getSucceeded(), "re-evaluated on the new value");
            assertEquals("intruder", r.getResults(0).getGet().getValue().toStringUtf8());
            assertEquals("intruder", value(node, "{lu}k"));
        }
    }

    private static String value(GrpcTestNode node, String key) {
        GetResponse r = node.kv().get(GetRequest.newBuilder().setKey(bytes(key)).build());
        return r.getValue().toStringUtf8();
    }

    /**
     * A read-modify-write the client does itself: read both values with versions, then Execute with
     * version conditions; a false outcome (someone wrote in between) is retried with fresh reads.
     */
    private static int casTransfer(GrpcTestNode node) {
        for (int attempt = 0; ; attempt++) {
            assertTrue(attempt < 200, "CAS transfer never got through");
            GetResponse a = node.kv().get(GetRequest.newBuilder().setKey(bytes("{acct}a")).setIncludeVersion(true).build());
            GetResponse b = node.kv().get(GetRequest.newBuilder().setKey(bytes("{acct}b")).setIncludeVersion(true).build());
            long av = Long.parseLong(a.getValue().toStringUtf8());
            long bv = Long.parseLong(b.getValue().toStringUtf8());
            ExecuteRequest cas = ExecuteRequest.newBuilder()
                    .addConditions(Condition.newBuilder().setKey(bytes("{acct}a")).setVersionEquals(a.getVersion()))
                    .addConditions(Condition.newBuilder().setKey(bytes("{acct}b")).setVersionEquals(b.getVersion()))
                    .addSuccess(KeyValueApiTest.putOp("{acct}a", Long.toString(av - 1)))
                    .addSuccess(KeyValueApiTest.putOp("{acct}b", Long.toString(bv + 1)))
                    .build();
            try {
                if (node.kv().execute(cas).getSucceeded()) {
                    return attempt;
                }
            } catch (StatusRuntimeException e) {
                assertEquals(Status.Code.ABORTED, e.getStatus().getCode(), () -> "status " + e.getStatus());
            }
        }
    }
}
