package io.cairn.grpc;

import static io.cairn.grpc.GrpcTestNode.bytes;
import static io.cairn.grpc.GrpcTestNode.errorInfo;
import static io.cairn.grpc.GrpcTestNode.expectStatus;
import static io.cairn.grpc.GrpcTestNode.hasRetryInfo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.cairn.api.consistency.Durability;
import io.cairn.api.grpc.BatchRequest;
import io.cairn.api.grpc.Condition;
import io.cairn.api.grpc.ExecuteRequest;
import io.cairn.api.grpc.GetRequest;
import io.cairn.api.grpc.GetResponse;
import io.cairn.api.grpc.KeyValueGrpc;
import io.cairn.api.grpc.PingRequest;
import io.cairn.api.grpc.PutRequest;
import io.cairn.api.grpc.ScanRequest;
import io.cairn.api.grpc.StatsRequest;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.api.service.Session;
import io.cairn.commands.CommandExecutor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Statuses for every failure a command service reports, deadlines (the client's and the server's
 * own request timeout), the in-flight bound and the message size limit. The service is a real
 * single node wrapped by a stand-in that answers some keys as a cluster would in trouble.
 */
@Timeout(90)
class ErrorsAndDeadlinesTest {

    /**
     * Answers by the key's first word: "hang" never, "noquorum"/"clusterdown"/"tryagain"/"timeout"
     * with that Redis error, "closed" fails like a closed service; everything else runs for real.
     */
    static class TroubledService implements CommandService {
        final CommandService real;

        TroubledService(CommandService real) {
            this.real = real;
        }

        private static CompletableFuture<Reply> trouble(byte[] key, boolean write) {
            String k = new String(key, StandardCharsets.UTF_8);
            if (k.startsWith("hang")) {
                return new CompletableFuture<>();
            }
            if (k.startsWith("noquorum")) {
                return CompletableFuture.completedFuture(Reply.error("NOQUORUM partition 3 has no leader"));
            }
            if (k.startsWith("clusterdown")) {
                return CompletableFuture.completedFuture(Reply.error(write
                        ? "CLUSTERDOWN the write may or may not have been applied: RaftRetryFailureException: x"
                        : "CLUSTERDOWN RaftRetryFailureException: x"));
            }
            if (k.startsWith("tryagain")) {
                return CompletableFuture.completedFuture(Reply.error("TRYAGAIN the queue is full"));
            }
            if (k.startsWith("timeout")) {
                return CompletableFuture.completedFuture(Reply.error("TIMEOUT no reply from the partition's replicas"));
            }
            if (k.startsWith("closed")) {
                return CompletableFuture.failedFuture(new IllegalStateException("command service is closed"));
            }
            return null;
        }

        private static boolean isWrite(byte[][] argv) {
            String name = new String(argv[0], StandardCharsets.US_ASCII).toUpperCase();
            return !name.equals("GET") && !name.equals("SCAN");
        }

        @Override
        public CompletableFuture<Reply> execute(byte[][] argv) {
            return execute(argv, Session.defaults());
        }

        @Override
        public CompletableFuture<Reply> execute(byte[][] argv, Session session) {
            CompletableFuture<Reply> t = argv.length > 1 ? trouble(argv[1], isWrite(argv)) : null;
            return t != null ? t : real.execute(argv, session);
        }

        @Override
        public CompletableFuture<Long> watchToken(byte[] key) {
            return real.watchToken(key);
        }

        @Override
        public CompletableFuture<Long> watchToken(byte[] key, Session session) {
            return real.watchToken(key, session);
        }

        @Override
        public CompletableFuture<Reply> exec(List<byte[][]> commands, List<Watch> watches) {
            return exec(commands, watches, Session.defaults());
        }

        @Override
        public CompletableFuture<Reply> exec(List<byte[][]> commands, List<Watch> watches, Session session) {
            CompletableFuture<Reply> t = trouble(commands.get(0)[1], true);
            return t != null ? t : real.exec(commands, watches, session);
        }

        @Override
        public long approximateKeyCount() {
            return real.approximateKeyCount();
        }

        @Override
        public void close() {
        }
    }

    private static GrpcTestNode node(GrpcSettings settings) {
        return new GrpcTestNode(settings, Durability.STRICT, CommandExecutor.Settings.DEFAULTS, TroubledService::new);
    }

    private static PutRequest put(String key) {
        return PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes("v")).build();
    }

    @Test
    void clusterTroubleMapsToCanonicalStatusesWithDetails() {
        try (GrpcTestNode node = node(GrpcTestNode.SETTINGS)) {
            StatusRuntimeException noQuorum = expectStatus(Status.Code.UNAVAILABLE,
                    () -> node.kv().get(GetRequest.newBuilder().setKey(bytes("noquorum:1")).build()));
            assertEquals("NO_QUORUM", errorInfo(noQuorum).getReason());
            assertTrue(hasRetryInfo(noQuorum), "UNAVAILABLE carries a retry hint");
            assertTrue(errorInfo(noQuorum).getMetadataOrThrow("redis_error").startsWith("NOQUORUM"));

            StatusRuntimeException down = expectStatus(Status.Code.UNAVAILABLE, () -> node.kv().put(put("clusterdown:1")));
            ErrorInfo downInfo = errorInfo(down);
            assertEquals("NO_QUORUM", downInfo.getReason());
            assertEquals("true", downInfo.getMetadataOrThrow("outcome_unknown"), "a write that may have been applied says so");

            StatusRuntimeException tryAgain = expectStatus(Status.Code.UNAVAILABLE, () -> node.kv().put(put("tryagain:1")));
            assertEquals("TRY_AGAIN", errorInfo(tryAgain).getReason());
            assertFalse(errorInfo(tryAgain).containsMetadata("outcome_unknown"), "TRYAGAIN was refused before it ran");

            StatusRuntimeException closed = expectStatus(Status.Code.UNAVAILABLE,
                    () -> node.kv().get(GetRequest.newBuilder().setKey(bytes("closed:1")).build()));
            assertEquals("SHUTTING_DOWN", errorInfo(closed).getReason());
            assertTrue(hasRetryInfo(closed));

            StatusRuntimeException timeout = expectStatus(Status.Code.DEADLINE_EXCEEDED, () -> node.kv().put(put("timeout:1")));
            assertEquals("TIMEOUT", errorInfo(timeout).getReason());
            assertEquals("true", errorInfo(timeout).getMetadataOrThrow("outcome_unknown"));

            // The same mapping for atomic requests and scans.
            expectStatus(Status.Code.UNAVAILABLE, () -> node.kv().batch(BatchRequest.newBuilder()
                    .addOperations(KeyValueApiTest.putOp("noquorum:{t}1", "v")).build()));
            expectStatus(Status.Code.UNAVAILABLE, () -> node.kv().put(PutRequest.newBuilder().setKey(bytes("noquorum:2"))
                    .setValue(bytes("v")).setIfVersion(5).build()));
        }
    }

    @Test
    void clientDeadlinesAreHonoredAndFreeTheCall() throws Exception {
        try (GrpcTestNode node = node(GrpcTestNode.SETTINGS)) {
            long start = System.nanoTime();
            expectStatus(Status.Code.DEADLINE_EXCEEDED, () -> KeyValueGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                    .get(GetRequest.newBuilder().setKey(bytes("hang:1")).build()));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMs < 5_000, "answered after " + tookMs + " ms");
            // Execute (several steps) and Scan too.
            expectStatus(Status.Code.DEADLINE_EXCEEDED, () -> KeyValueGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(300, TimeUnit.MILLISECONDS).execute(ExecuteRequest.newBuilder()
                            .addSuccess(KeyValueApiTest.putOp("hang:{x}", "1")).build()));
            // A deadline already past when the call arrives: refused at once.
            expectStatus(Status.Code.DEADLINE_EXCEEDED, () -> KeyValueGrpc.newBlockingStub(node.channel)
                    .withDeadlineAfter(1, TimeUnit.NANOSECONDS).get(GetRequest.newBuilder().setKey(bytes("k")).build()));
            // The abandoned calls no longer count as in flight (only this Stats call does).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            long inFlight;
            do {
                inFlight = node.cluster().stats(StatsRequest.getDefaultInstance()).getInFlight();
                if (inFlight > 1) {
                    Thread.sleep(20);
                }
            } while (inFlight > 1 && System.nanoTime() < deadline);
            assertEquals(1, inFlight);
        }
    }

    @Test
    void theServersOwnRequestTimeoutEndsCallsWithoutAClientDeadline() {
        GrpcSettings s = GrpcTestNode.SETTINGS;
        GrpcSettings shortTimeout = new GrpcSettings(s.bind(), 0, s.maxMessageBytes(), s.maxKeyBytes(), s.maxValueBytes(),
                s.maxOperations(), s.maxScanLimit(), s.scanMaxPageSize(), s.executeMaxAttempts(), 300,
                s.maxInFlightCalls(), s.maxCallsPerConnection(), 0, s.retryDelayHintMillis(), s.healthPollMillis(), 2);
        try (GrpcTestNode node = node(shortTimeout)) {
            StatusRuntimeException e = expectStatus(Status.Code.DEADLINE_EXCEEDED, () -> node.kv().put(put("hang:2")));
            ErrorInfo info = errorInfo(e);
            assertEquals("TIMEOUT", info.getReason());
            assertEquals("true", info.getMetadataOrThrow("outcome_unknown"), "the write may or may not have happened");
            StatusRuntimeException read = expectStatus(Status.Code.DEADLINE_EXCEEDED,
                    () -> node.kv().get(GetRequest.newBuilder().setKey(bytes("hang:3")).build()));
            assertFalse(errorInfo(read).containsMetadata("outcome_unknown"), "a read has no outcome to be unsure of");
            // Unaffected keys still work.
            node.kv().put(put("fine"));
            GetResponse fine = node.kv().get(GetRequest.newBuilder().setKey(bytes("fine")).build());
            assertEquals(ByteString.copyFromUtf8("v"), fine.getValue());
        }
    }

    @Test
    void callsBeyondTheInFlightBoundAreRefusedWithARetryHint() throws Exception {
        GrpcSettings s = GrpcTestNode.SETTINGS;
        GrpcSettings one = new GrpcSettings(s.bind(), 0, s.maxMessageBytes(), s.maxKeyBytes(), s.maxValueBytes(),
                s.maxOperations(), s.maxScanLimit(), s.scanMaxPageSize(), s.executeMaxAttempts(), s.requestTimeoutMillis(),
                1, s.maxCallsPerConnection(), 0, s.retryDelayHintMillis(), s.healthPollMillis(), 2);
        try (GrpcTestNode node = node(one)) {
            StatusRuntimeException refused = null;
            HangingCall hanging = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (refused == null && System.nanoTime() < deadline) {
                if (hanging == null || hanging.ended.getCount() == 0) {
                    // (Re)start it: it is itself refused if it arrives while a ping is in flight.
                    hanging = new HangingCall(node);
                }
                try {
                    node.cluster().ping(PingRequest.getDefaultInstance()); // fine until the hanging call is admitted
                    Thread.sleep(10);
                } catch (StatusRuntimeException e) {
                    refused = e;
                }
            }
            assertTrue(refused != null, "a second call was admitted while one was in flight");
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
            assertEquals("OVERLOADED", errorInfo(refused).getReason());
            assertTrue(hasRetryInfo(refused));
            assertTrue(hanging.ended.await(10, TimeUnit.SECONDS), "the hanging call ended at its deadline");
            assertEquals(Status.Code.DEADLINE_EXCEEDED, Status.fromThrowable(hanging.result.get()).getCode());
            // Its end frees the slot.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (true) {
                try {
                    node.cluster().ping(PingRequest.getDefaultInstance());
                    break;
                } catch (StatusRuntimeException e) {
                    assertTrue(System.nanoTime() < until, "the slot was never freed: " + e.getStatus());
                    Thread.sleep(20);
                }
            }
        }
    }

    /** A Get of a key the service never answers, with a 3 s deadline. */
    private static final class HangingCall {
        final CountDownLatch ended = new CountDownLatch(1);
        final AtomicReference<Throwable> result = new AtomicReference<>();

        HangingCall(GrpcTestNode node) {
            KeyValueGrpc.newStub(node.channel).withDeadlineAfter(3, TimeUnit.SECONDS)
                    .get(GetRequest.newBuilder().setKey(bytes("hang:4")).build(), new StreamObserver<>() {
                        @Override
                        public void onNext(GetResponse value) {
                        }

                        @Override
                        public void onError(Throwable t) {
                            result.set(t);
                            ended.countDown();
                        }

                        @Override
                        public void onCompleted() {
                            ended.countDown();
                        }
                    });
        }
    }

    @Test
    void messagesOverTheSizeLimitAreRefusedByTheTransport() {
        try (GrpcTestNode node = node(GrpcTestNode.SETTINGS)) {
            ByteString huge = ByteString.copyFrom(new byte[GrpcTestNode.SETTINGS.maxMessageBytes() + 1024]);
            expectStatus(Status.Code.RESOURCE_EXHAUSTED, () -> node.kv().put(PutRequest.newBuilder()
                    .setKey(bytes("huge")).setValue(huge).build()));
            assertEquals(Reply.Null.BULK, node.direct("GET", "huge"));
            // The connection still serves.
            node.kv().put(put("after-huge"));
            // A scan ends with the service's failure status as well (here: reading a value it found).
            node.direct("SET", "noquorum:s", "v");
            expectStatus(Status.Code.UNAVAILABLE, () -> node.kv().scan(ScanRequest.newBuilder()
                    .setIncludeValues(true).setPrefix(bytes("noquorum")).build()).forEachRemaining(r -> { }));
        }
    }

    @Test
    void executeConditionsOnTroubledKeysFailLikeTheirReads() {
        try (GrpcTestNode node = node(GrpcTestNode.SETTINGS)) {
            // The probe of the condition key goes through exec: its failure is the request's.
            expectStatus(Status.Code.UNAVAILABLE, () -> node.kv().execute(ExecuteRequest.newBuilder()
                    .addConditions(Condition.newBuilder().setKey(bytes("noquorum:{c}")).setAbsent(true))
                    .addSuccess(KeyValueApiTest.putOp("noquorum:{c}", "1")).build()));
        }
    }
}
