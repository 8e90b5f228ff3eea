package io.cairn.grpc;

import static io.cairn.grpc.GrpcTestNode.bytes;
import static io.cairn.grpc.GrpcTestNode.errorInfo;
import static io.cairn.grpc.GrpcTestNode.expectStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.cairn.api.grpc.BatchRequest;
import io.cairn.api.grpc.BatchResponse;
import io.cairn.api.grpc.Condition;
import io.cairn.api.grpc.DeleteOp;
import io.cairn.api.grpc.DeleteRequest;
import io.cairn.api.grpc.ExecuteRequest;
import io.cairn.api.grpc.ExecuteResponse;
import io.cairn.api.grpc.GetOp;
import io.cairn.api.grpc.GetRequest;
import io.cairn.api.grpc.GetResponse;
import io.cairn.api.grpc.IncrementOp;
import io.cairn.api.grpc.Operation;
import io.cairn.api.grpc.PutOp;
import io.cairn.api.grpc.PutRequest;
import io.cairn.api.grpc.ReadConsistency;
import io.cairn.api.grpc.RequestOptions;
import io.cairn.api.grpc.WriteConsistency;
import io.cairn.api.reply.Reply;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** Get, Put, Delete, Batch and Execute of {@code cairn.v1.KeyValue} on a real single node over loopback. */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeyValueApiTest {
    private GrpcTestNode node;

    @BeforeAll
    void start() {
        node = new GrpcTestNode();
    }

    @AfterAll
    void stop() {
        node.close();
    }

    private GetResponse get(String key, boolean version) {
        return node.kv().get(GetRequest.newBuilder().setKey(bytes(key)).setIncludeVersion(version).build());
    }

    private void put(String key, String value) {
        node.kv().put(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)).build());
    }

    @Test
    void putGetDeleteRoundTripWithBinaryKeysAndConsistencyOptions() {
        ByteString key = ByteString.copyFrom(new byte[] {0, (byte) 0xff, '/', 10});
        ByteString value = ByteString.copyFrom(new byte[] {(byte) 0x80, 0, 1});
        RequestOptions all = RequestOptions.newBuilder().setWrite(WriteConsistency.WRITE_CONSISTENCY_ALL)
                .setRead(ReadConsistency.READ_CONSISTENCY_STALE).build();
        node.kv().put(PutRequest.newBuilder().setKey(key).setValue(value).setOptions(all).build());
        GetResponse got = node.kv().get(GetRequest.newBuilder().setKey(key).setOptions(all).build());
        assertTrue(got.getFound());
        assertEquals(value, got.getValue());
        assertEquals(0, got.getVersion(), "no version unless asked");
        assertTrue(node.kv().delete(DeleteRequest.newBuilder().setKey(key).build()).getDeleted());
        assertFalse(node.kv().delete(DeleteRequest.newBuilder().setKey(key).build()).getDeleted());
        assertFalse(node.kv().get(GetRequest.newBuilder().setKey(key).build()).getFound());
        // Empty values are values.
        put("empty", "");
        GetResponse empty = get("empty", false);
        assertTrue(empty.getFound());
        assertTrue(empty.getValue().isEmpty());
    }

    @Test
    void ttlExpiresTheKeyAndAPlainPutDropsIt() throws InterruptedException {
        node.kv().put(PutRequest.newBuilder().setKey(bytes("ttl:a")).setValue(bytes("v")).setTtlMs(150).build());
        assertTrue(node.direct("PTTL", "ttl:a") instanceof Reply.Int t && t.value() > 0 && t.value() <= 150);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (get("ttl:a", false).getFound()) {
            assertTrue(System.nanoTime() < deadline, "ttl:a still there 10 s after a 150 ms TTL");
            Thread.sleep(20);
        }
        node.kv().put(PutRequest.newBuilder().setKey(bytes("ttl:b")).setValue(bytes("v")).setTtlMs(60_000).build());
        put("ttl:b", "w");
        assertEquals(new Reply.Int(-1), node.direct("PTTL", "ttl:b"), "a put without TTL removes the old one, as SET does");
    }

    @Test
    void versionsChangeOnEveryWriteAndGuardPutAndDelete() {
        put("ver", "1");
        long v1 = get("ver", true).getVersion();
        assertTrue(v1 > 0);
        assertEquals(v1, get("ver", true).getVersion(), "reading does not change the version");
        node.kv().put(PutRequest.newBuilder().setKey(bytes("ver")).setValue(bytes("2")).setIfVersion(v1).build());
        GetResponse after = get("ver", true);
        assertEquals("2", after.getValue().toStringUtf8());
        long v2 = after.getVersion();
        assertTrue(v2 > v1, "a write gets a later version");

        // The old version no longer matches: FAILED_PRECONDITION, the current version in the details, nothing written.
        StatusRuntimeException stale = expectStatus(Status.Code.FAILED_PRECONDITION, () -> node.kv().put(
                PutRequest.newBuilder().setKey(bytes("ver")).setValue(bytes("3")).setIfVersion(v1).build()));
        ErrorInfo info = errorInfo(stale);
        assertEquals("CONDITION_FAILED", info.getReason());
        assertEquals(Long.toString(v2), info.getMetadataOrThrow("current_version"));
        assertEquals("2", get("ver", false).getValue().toStringUtf8());

        expectStatus(Status.Code.FAILED_PRECONDITION, () -> node.kv().delete(
                DeleteRequest.newBuilder().setKey(bytes("ver")).setIfVersion(v1).build()));
        assertTrue(get("ver", false).getFound());
        assertTrue(node.kv().delete(DeleteRequest.newBuilder().setKey(bytes("ver")).setIfVersion(v2).build()).getDeleted());
        assertFalse(get("ver", false).getFound());
        assertEquals(0, get("ver", true).getVersion(), "absent keys have version 0");
        // A version condition on an absent key fails, reporting it absent.
        StatusRuntimeException absent = expectStatus(Status.Code.FAILED_PRECONDITION, () -> node.kv().put(
                PutRequest.newBuilder().setKey(bytes("ver")).setValue(bytes("x")).setIfVersion(v2).build()));
        assertEquals("0", errorInfo(absent).getMetadataOrThrow("current_version"));
    }

    @Test
    void ifAbsentAndIfValueConditions() {
        node.kv().put(PutRequest.newBuilder().setKey(bytes("cond")).setValue(bytes("a")).setIfAbsent(true).build());
        StatusRuntimeException exists = expectStatus(Status.Code.FAILED_PRECONDITION, () -> node.kv().put(
                PutRequest.newBuilder().setKey(bytes("cond")).setValue(bytes("b")).setIfAbsent(true).build()));
        assertEquals("CONDITION_FAILED", errorInfo(exists).getReason());
        assertEquals("a", get("cond", false).getValue().toStringUtf8());

        expectStatus(Status.Code.FAILED_PRECONDITION, () -> node.kv().put(PutRequest.newBuilder().setKey(bytes("cond"))
                .setValue(bytes("b")).setIfValue(bytes("zzz")).build()));
        assertEquals("a", get("cond", false).getValue().toStringUtf8());
        node.kv().put(PutRequest.newBuilder().setKey(bytes("cond")).setValue(bytes("b")).setIfValue(bytes("a"))
                .setTtlMs(60_000).build());
        assertEquals("b", get("cond", false).getValue().toStringUtf8());
        assertTrue(node.direct("PTTL", "cond") instanceof Reply.Int t && t.value() > 0, "the conditional put kept its TTL");
    }

    @Test
    void invalidRequestsAreInvalidArgumentWithTheFieldNamed() {
        StatusRuntimeException empty = expectStatus(Status.Code.INVALID_ARGUMENT,
                () -> node.kv().get(GetRequest.newBuilder().build()));
        assertEquals("INVALID_KEY", errorInfo(empty).getReason());
        assertEquals("key", badRequestField(empty));

        ByteString longKey = ByteString.copyFrom(new byte[GrpcTestNode.SETTINGS.maxKeyBytes() + 1]);
        StatusRuntimeException tooLong = expectStatus(Status.Code.INVALID_ARGUMENT,
                () -> node.kv().put(PutRequest.newBuilder().setKey(longKey).setValue(bytes("v")).build()));
        assertEquals("KEY_TOO_LARGE", errorInfo(tooLong).getReason());

        ByteString bigValue = ByteString.copyFrom(new byte[GrpcTestNode.SETTINGS.maxValueBytes() + 1]);
        StatusRuntimeException tooBig = expectStatus(Status.Code.INVALID_ARGUMENT,
                () -> node.kv().put(PutRequest.newBuilder().setKey(bytes("big")).setValue(bigValue).build()));
        assertEquals("VALUE_TOO_LARGE", errorInfo(tooBig).getReason());
        assertEquals("value", badRequestField(tooBig));
        assertEquals(Reply.Null.BULK, node.direct("GET", "big"));

        expectStatus(Status.Code.INVALID_ARGUMENT, () -> node.kv().put(PutRequest.newBuilder().setKey(bytes("k"))
                .setValue(bytes("v")).setTtlMs(-1).build())); // uint64 max
        expectStatus(Status.Code.INVALID_ARGUMENT, () -> node.kv().put(PutRequest.newBuilder().setKey(bytes("k"))
                .setValue(bytes("v")).setIfAbsent(false).build()));
        expectStatus(Status.Code.INVALID_ARGUMENT, () -> node.kv().get(GetRequest.newBuilder().setKey(bytes("k"))
                .setOptions(RequestOptions.newBuilder().setReadValue(99)).build()));
        expectStatus(Status.Code.INVALID_ARGUMENT, () -> node.kv().batch(BatchRequest.newBuilder().build()));
        expectStatus(Status.Code.INVALID_ARGUMENT, () -> node.kv().batch(BatchRequest.newBuilder()
                .addOperations(Operation.getDefaultInstance()).build()));
        BatchRequest.Builder tooMany = BatchRequest.newBuilder();
        for (int i = 0; i <= GrpcTestNode.SETTINGS.maxOperations(); i++) {
            tooMany.addOperations(getOp("{t}" + i));
        }
        expectStatus(Status.Code.INVALID_ARGUMENT, () -> node.kv().batch(tooMany.build()));
        expectStatus(Status.Code.INVALID_ARGUMENT, () -> node.kv().execute(ExecuteRequest.getDefaultInstance()));
        assertEquals(Reply.Null.BULK, node.direct("GET", "k"), "nothing of the refused requests was written");
    }

    private static String badRequestField(StatusRuntimeException e) {
        try {
            for (var any : StatusProto.fromThrowable(e).getDetailsList()) {
                if (any.is(BadRequest.class)) {
                    return any.unpack(BadRequest.class).getFieldViolations(0).getField();
                }
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            throw new AssertionError(ex);
        }
        throw new AssertionError("no BadRequest in " + e.getStatus());
    }

    static Operation getOp(String key) {
        return Operation.newBuilder().setGet(GetOp.newBuilder().setKey(bytes(key))).build();
    }

    static Operation putOp(String key, String value) {
        return Operation.newBuilder().setPut(PutOp.newBuilder().setKey(bytes(key)).setValue(bytes(value))).build();
    }

    static Operation incrOp(String key, long delta) {
        return Operation.newBuilder().setIncrement(IncrementOp.newBuilder().setKey(bytes(key)).setDelta(delta)).build();
    }

    static Operation delOp(String key) {
        return Operation.newBuilder().setDelete(DeleteOp.newBuilder().setKey(bytes(key))).build();
    }

    @Test
    void batchIsAtomicWithinOneHashTagAndRefusesOtherKeys() {
        BatchResponse r = node.kv().batch(BatchRequest.newBuilder()
                .addOperations(putOp("{b}x", "1"))
                .addOperations(incrOp("{b}n", 5))
                .addOperations(getOp("{b}x"))
                .addOperations(delOp("{b}gone"))
                .build());
        assertEquals(4, r.getResultsCount());
        assertTrue(r.getResults(0).hasPut());
        assertEquals(5, r.getResults(1).getIncrement().getValue());
        assertEquals("1", r.getResults(2).getGet().getValue().toStringUtf8());
        assertFalse(r.getResults(3).getDelete().getDeleted());

        // Keys without a shared hash tag may be in different partitions: refused on every node alike.
        StatusRuntimeException cross = expectStatus(Status.Code.INVALID_ARGUMENT, () -> node.kv().batch(
                BatchRequest.newBuilder().addOperations(putOp("a1", "1")).addOperations(putOp("a2", "2")).build()));
        assertEquals("CROSS_PARTITION", errorInfo(cross).getReason());
        assertEquals(Reply.Null.BULK, node.direct("GET", "a1"));

        // An increment of a non-integer would fail inside the block: the whole batch is refused, nothing applied.
        put("{b}text", "not a number");
        StatusRuntimeException conflict = expectStatus(Status.Code.FAILED_PRECONDITION, () -> node.kv().batch(
                BatchRequest.newBuilder().addOperations(putOp("{b}x", "changed")).addOperations(incrOp("{b}text", 1))
                        .build()));
        assertEquals("DATA_CONFLICT", errorInfo(conflict).getReason());
        assertEquals("1", get("{b}x", false).getValue().toStringUtf8());
        put("{b}max", Long.toString(Long.MAX_VALUE));
        expectStatus(Status.Code.FAILED_PRECONDITION, () -> node.kv().batch(BatchRequest.newBuilder()
                .addOperations(putOp("{b}x", "changed")).addOperations(incrOp("{b}max", 1)).build()));
        assertEquals("1", get("{b}x", false).getValue().toStringUtf8());
    }

    @Test
    void executeRunsTheBranchItsConditionsChoose() {
        put("{e}a", "10");
        long version = get("{e}a", true).getVersion();
        ExecuteResponse ok = node.kv().execute(ExecuteRequest.newBuilder()
                .addConditions(Condition.newBuilder().setKey(bytes("{e}a")).setVersionEquals(version))
                .addConditions(Condition.newBuilder().setKey(bytes("{e}a")).setValueEquals(bytes("10")))
                .addConditions(Condition.newBuilder().setKey(bytes("{e}b")).setAbsent(true))
                .addSuccess(putOp("{e}b", "created"))
                .addSuccess(incrOp("{e}a", -3))
                .addFailure(putOp("{e}failed", "yes"))
                .build());
        assertTrue(ok.getSucceeded());
        assertEquals(1, ok.getAttempts());
        assertEquals(7, ok.getResults(1).getIncrement().getValue());
        assertEquals("created", get("{e}b", false).getValue().toStringUtf8());

        // Now {e}b exists and {e}a moved on: the failure branch runs, and reports its own results.
        ExecuteResponse no = node.kv().execute(ExecuteRequest.newBuilder()
                .addConditions(Condition.newBuilder().setKey(bytes("{e}b")).setAbsent(true))
                .addSuccess(putOp("{e}a", "0"))
                .addFailure(getOp("{e}a"))
                .addFailure(putOp("{e}failed", "yes"))
                .build());
        assertFalse(no.getSucceeded());
        assertEquals(2, no.getResultsCount());
        assertEquals("7", no.getResults(0).getGet().getValue().toStringUtf8());
        assertEquals("yes", get("{e}failed", false).getValue().toStringUtf8());
        assertEquals("7", get("{e}a", false).getValue().toStringUtf8());

        // Conditions alone: a consistent check that writes nothing.
        ExecuteResponse check = node.kv().execute(ExecuteRequest.newBuilder()
                .addConditions(Condition.newBuilder().setKey(bytes("{e}a")).setPresent(true))
                .addConditions(Condition.newBuilder().setKey(bytes("{e}a")).setVersionEquals(version)).build());
        assertFalse(check.getSucceeded(), "the version changed with the increment");
        assertNotEquals(version, get("{e}a", true).getVersion());

        StatusRuntimeException cross = expectStatus(Status.Code.INVALID_ARGUMENT, () -> node.kv().execute(
                ExecuteRequest.newBuilder().addConditions(Condition.newBuilder().setKey(bytes("{e}a")).setPresent(true))
                        .addSuccess(putOp("{other}a", "1")).build()));
        assertEquals("CROSS_PARTITION", errorInfo(cross).getReason());
        expectStatus(Status.Code.INVALID_ARGUMENT, () -> node.kv().execute(ExecuteRequest.newBuilder()
                .addConditions(Condition.newBuilder().setKey(bytes("{e}a"))).build()));
        expectStatus(Status.Code.INVALID_ARGUMENT, () -> node.kv().execute(ExecuteRequest.newBuilder()
                .addConditions(Condition.newBuilder().setKey(bytes("{e}a")).setVersionEquals(0)).build()));
    }

    @Test
    void strictDurabilityIsRefusedOnARelaxedNode() {
        try (GrpcTestNode relaxed = new GrpcTestNode(GrpcTestNode.SETTINGS, io.cairn.api.consistency.Durability.RELAXED,
                io.cairn.commands.CommandExecutor.Settings.DEFAULTS, s -> s)) {
            RequestOptions strict = RequestOptions.newBuilder()
                    .setDurability(io.cairn.api.grpc.Durability.DURABILITY_STRICT).build();
            StatusRuntimeException e = expectStatus(Status.Code.FAILED_PRECONDITION, () -> relaxed.kv().put(
                    PutRequest.newBuilder().setKey(bytes("d")).setValue(bytes("v")).setOptions(strict).build()));
            assertEquals("DURABILITY_UNAVAILABLE", errorInfo(e).getReason());
            assertEquals(Reply.Null.BULK, relaxed.direct("GET", "d"));
            relaxed.kv().put(PutRequest.newBuilder().setKey(bytes("d")).setValue(bytes("v")).setOptions(
                    RequestOptions.newBuilder().setDurability(io.cairn.api.grpc.Durability.DURABILITY_RELAXED)).build());
            // A STRICT node meets a STRICT request.
            node.kv().put(PutRequest.newBuilder().setKey(bytes("d")).setValue(bytes("v")).setOptions(strict).build());
        }
    }
}
