package io.cairn.grpc;

import com.google.protobuf.ByteString;
import io.cairn.api.grpc.DeleteResult;
import io.cairn.api.grpc.GetResult;
import io.cairn.api.grpc.IncrementResult;
import io.cairn.api.grpc.Operation;
import io.cairn.api.grpc.OperationResult;
import io.cairn.api.grpc.PutResult;
import io.cairn.api.reply.Reply;
import java.nio.charset.StandardCharsets;

/**
 * One validated operation of a Batch or Execute, its Redis command, and its result message.
 *
 * <table>
 *   <caption>Operations</caption>
 *   <tr><th>operation</th><th>Redis</th><th>result</th></tr>
 *   <tr><td>get</td><td>GET key</td><td>found, value</td></tr>
 *   <tr><td>put</td><td>SET key value [PX ms]</td><td>(empty)</td></tr>
 *   <tr><td>delete</td><td>DEL key</td><td>deleted</td></tr>
 *   <tr><td>increment</td><td>INCRBY key delta</td><td>the new value</td></tr>
 * </table>
 */
sealed interface TxOp {
    byte[] key();

    boolean isWrite();

    byte[][] argv();

    /** The result of a non-error reply; another shape is a bug of this layer (IllegalStateException). */
    OperationResult result(Reply reply);

    record Get(byte[] key) implements TxOp {
        @Override
        public boolean isWrite() {
            return false;
        }

        @Override
        public byte[][] argv() {
            return new byte[][] {ascii("GET"), key};
        }

        @Override
        public OperationResult result(Reply reply) {
            GetResult.Builder r = GetResult.newBuilder();
            if (reply instanceof Reply.Bulk b) {
                r.setFound(true).setValue(ByteString.copyFrom(b.value()));
            } else if (reply != Reply.Null.BULK) {
                throw unexpected(reply, this);
            }
            return OperationResult.newBuilder().setGet(r).build();
        }
    }

    /** @param ttlMillis relative expiry, 0 for none */
    record Put(byte[] key, byte[] value, long ttlMillis) implements TxOp {
        @Override
        public boolean isWrite() {
            return true;
        }

        @Override
        public byte[][] argv() {
            return ttlMillis > 0
                    ? new byte[][] {ascii("SET"), key, value, ascii("PX"), ascii(Long.toString(ttlMillis))}
                    : new byte[][] {ascii("SET"), key, value};
        }

        @Override
        public OperationResult result(Reply reply) {
            if (!(reply instanceof Reply.Simple s) || !s.text().equals("OK")) {
                throw unexpected(reply, this);
            }
            return OperationResult.newBuilder().setPut(PutResult.getDefaultInstance()).build();
        }
    }

    record Delete(byte[] key) implements TxOp {
        @Override
        public boolean isWrite() {
            return true;
        }

        @Override
        public byte[][] argv() {
            return new byte[][] {ascii("DEL"), key};
        }

        @Override
        public OperationResult result(Reply reply) {
            if (!(reply instanceof Reply.Int n) || n.value() < 0 || n.value() > 1) {
                throw unexpected(reply, this);
            }
            return OperationResult.newBuilder().setDelete(DeleteResult.newBuilder().setDeleted(n.value() == 1)).build();
        }
    }

    record Increment(byte[] key, long delta) implements TxOp {
        @Override
        public boolean isWrite() {
            return true;
        }

        @Override
        public byte[][] argv() {
            return new byte[][] {ascii("INCRBY"), key, ascii(Long.toString(delta))};
        }

        @Override
        public OperationResult result(Reply reply) {
            if (!(reply instanceof Reply.Int n)) {
                throw unexpected(reply, this);
            }
            return OperationResult.newBuilder().setIncrement(IncrementResult.newBuilder().setValue(n.value())).build();
        }
    }

    /** Validates one proto operation; {@code field} names it in errors ("operations[3]"). */
    static TxOp of(Operation op, String field, Requests requests, GrpcErrors errors) {
        return switch (op.getOpCase()) {
            case GET -> new Get(requests.key(op.getGet().getKey(), field + ".get.key"));
            case PUT -> new Put(requests.key(op.getPut().getKey(), field + ".put.key"),
                    requests.value(op.getPut().getValue(), field + ".put.value"),
                    requests.ttl(op.getPut().getTtlMs(), field + ".put.ttl_ms"));
            case DELETE -> new Delete(requests.key(op.getDelete().getKey(), field + ".delete.key"));
            case INCREMENT -> new Increment(requests.key(op.getIncrement().getKey(), field + ".increment.key"),
                    op.getIncrement().getDelta());
            case OP_NOT_SET -> throw errors.invalid(field, "no operation set (get, put, delete or increment)");
        };
    }

    private static IllegalStateException unexpected(Reply reply, TxOp op) {
        return new IllegalStateException("unexpected reply " + reply + " to " + op.getClass().getSimpleName());
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
