package io.cairn.grpc;

import static io.cairn.grpc.GrpcTestNode.bytes;
import static io.cairn.grpc.GrpcTestNode.errorInfo;
import static io.cairn.grpc.GrpcTestNode.expectStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cairn.api.grpc.BatchRequest;
import io.cairn.api.grpc.Condition;
import io.cairn.api.grpc.ExecuteRequest;
import io.cairn.api.reply.Reply;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The gRPC translation of the shared transaction runner's outcomes, on a real node: an increment that
 * fails on the stored data is FAILED_PRECONDITION / DATA_CONFLICT naming the operation, with the Redis
 * text as {@code redis_error}, whether the runner predicted it (an increment next to other writes, or
 * under conditions) or the one-block path met it (a lone increment); nothing is applied either way.
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TransactionStatusTest {
    private final GrpcTestNode node = new GrpcTestNode();

    @AfterAll
    void close() {
        node.close();
    }

    private void assertDataConflict(StatusRuntimeException e, String message, String redisError) {
        assertEquals(message, e.getStatus().getDescription());
        assertEquals("DATA_CONFLICT", errorInfo(e).getReason());
        assertEquals(redisError, errorInfo(e).getMetadataMap().get("redis_error"));
    }

    @Test
    void aFailingIncrementIsNamedTheSameOnEveryPath() {
        node.direct("SET", "{s}text", "abc");
        node.direct("SET", "{s}max", Long.toString(Long.MAX_VALUE));

        // Predicted by the replay: nothing ran.
        assertDataConflict(expectStatus(Status.Code.FAILED_PRECONDITION, () -> node.kv().batch(BatchRequest.newBuilder()
                        .addOperations(KeyValueApiTest.putOp("{s}x", "changed"))
                        .addOperations(KeyValueApiTest.incrOp("{s}text", 1)).build())),
                "success[1]: the value is not an integer or out of range (nothing was applied)",
                "ERR value is not an integer or out of range");
        assertDataConflict(expectStatus(Status.Code.FAILED_PRECONDITION, () -> node.kv().batch(BatchRequest.newBuilder()
                        .addOperations(KeyValueApiTest.incrOp("{s}max", 1))
                        .addOperations(KeyValueApiTest.putOp("{s}x", "changed")).build())),
                "success[0]: increment or decrement would overflow (nothing was applied)",
                "ERR increment or decrement would overflow");
        // A lone increment runs as one block and fails alone: the same status.
        assertDataConflict(expectStatus(Status.Code.FAILED_PRECONDITION, () -> node.kv().batch(BatchRequest.newBuilder()
                        .addOperations(KeyValueApiTest.getOp("{s}x"))
                        .addOperations(KeyValueApiTest.incrOp("{s}text", 1)).build())),
                "success[1]: the value is not an integer or out of range (nothing was applied)",
                "ERR value is not an integer or out of range");
        // The failure branch's operations are named as such.
        assertDataConflict(expectStatus(Status.Code.FAILED_PRECONDITION, () -> node.kv().execute(ExecuteRequest.newBuilder()
                        .addConditions(Condition.newBuilder().setKey(bytes("{s}text")).setAbsent(true))
                        .addFailure(KeyValueApiTest.incrOp("{s}text", 1)).build())),
                "failure[0]: the value is not an integer or out of range (nothing was applied)",
                "ERR value is not an integer or out of range");
        assertEquals(Reply.Null.BULK, node.direct("GET", "{s}x"));
        assertEquals("abc", ((Reply.Bulk) node.direct("GET", "{s}text")).utf8());
    }
}
