package io.cairn.grpc;

import com.google.protobuf.ByteString;
import io.cairn.api.grpc.DeleteResult;
import io.cairn.api.grpc.GetResult;
import io.cairn.api.grpc.IncrementResult;
import io.cairn.api.grpc.Operation;
import io.cairn.api.grpc.OperationResult;
import io.cairn.api.grpc.PutResult;
import io.cairn.api.reply.Errors;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.commands.tx.TransactionRunner;
import io.cairn.commands.tx.TxCondition;
import io.cairn.commands.tx.TxOp;
import io.cairn.commands.tx.TxOutcome;
import io.cairn.commands.tx.TxResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;

/**
 * Batch, Execute and Get with its version over the protocol-neutral {@link TransactionRunner}: one
 * MULTI/EXEC block in one partition is one Raft log entry, applied all together and isolated from
 * other commands; with conditions, or an increment next to other writes, an optimistic transaction
 * (see the runner), at most {@value GrpcSettings#EXECUTE_MAX_ATTEMPTS} attempts. This class only
 * translates operations and outcomes to and from gRPC:
 *
 * <table>
 *   <caption>Operations</caption>
 *   <tr><th>operation</th><th>Redis</th><th>result</th></tr>
 *   <tr><td>get</td><td>GET key</td><td>found, value</td></tr>
 *   <tr><td>put</td><td>SET key value [PX ms]</td><td>(empty)</td></tr>
 *   <tr><td>delete</td><td>DEL key</td><td>deleted</td></tr>
 *   <tr><td>increment</td><td>INCRBY key delta</td><td>the new value</td></tr>
 * </table>
 *
 * <table>
 *   <caption>Outcomes</caption>
 *   <tr><th>outcome</th><th>status ({@link GrpcErrors})</th></tr>
 *   <tr><td>an increment would fail on the stored data</td><td>FAILED_PRECONDITION, DATA_CONFLICT, nothing applied</td></tr>
 *   <tr><td>the block or an operation refused</td><td>the status of its Redis error</td></tr>
 *   <tr><td>attempts exhausted</td><td>ABORTED, CONFLICT, nothing applied</td></tr>
 *   <tr><td>service failure, deadline</td><td>UNAVAILABLE / DEADLINE_EXCEEDED (by the handler)</td></tr>
 *   <tr><td>a write failing next to applied writes, a reply of the wrong shape</td><td>INTERNAL</td></tr>
 * </table>
 */
final class Transactions {
    /** What a transaction did. */
    record Outcome(boolean succeeded, List<OperationResult> results, int attempts) {}

    private final TransactionRunner runner;
    private final GrpcErrors errors;

    Transactions(CommandService service, GrpcErrors errors, int maxAttempts, LongAdder retries) {
        this.runner = new TransactionRunner(service, maxAttempts, retries::increment);
        this.errors = errors;
    }

    /** Runs {@code ops} as one block (Batch). */
    CompletableFuture<List<OperationResult>> batch(List<TxOp> ops, CallScope scope) {
        return execute(List.of(), ops, List.of(), scope).thenApply(Outcome::results);
    }

    /** Execute: the branch chosen by {@code conditions}, atomically. */
    CompletableFuture<Outcome> execute(List<TxCondition> conditions, List<TxOp> success, List<TxOp> failure,
                                       CallScope scope) {
        return runner.run(conditions, success, failure, scope).thenCompose(outcome -> {
            if (outcome instanceof TxOutcome.Completed done) {
                List<OperationResult> results = new ArrayList<>(done.results().size());
                done.results().forEach(r -> results.add(result(r)));
                return CompletableFuture.completedFuture(new Outcome(done.conditionsHeld(), results, done.attempts()));
            }
            return failed(outcome, success, failure);
        });
    }

    /** The values and versions of {@code keys}, read consistently ({@link TransactionRunner#read}). */
    CompletableFuture<TxOutcome.Snapshot> snapshot(List<byte[]> keys, CallScope scope) {
        return runner.read(keys, scope).thenCompose(outcome -> outcome instanceof TxOutcome.Read read
                ? CompletableFuture.completedFuture(read.snapshot())
                : failed(outcome, List.of(), List.of()));
    }

    /**
     * A failed outcome as a failed future: a status, or the service's own failure for the handler to
     * map ({@link GrpcErrors#fromFailure}, which knows whether the call writes).
     */
    private <T> CompletableFuture<T> failed(TxOutcome outcome, List<TxOp> success, List<TxOp> failure) {
        if (outcome instanceof TxOutcome.Unavailable u) {
            return CompletableFuture.failedFuture(u.cause());
        }
        return CompletableFuture.failedFuture(switch (outcome) {
            case TxOutcome.Refused r -> errors.fromReply(r.error().text(), r.hadWrites()); // nothing applied
            case TxOutcome.DataConflict c -> dataConflict(c.branch(), c.index(), c.error());
            case TxOutcome.OperationFailed f -> GrpcErrors.isDataConflict(f.error().text())
                    ? dataConflict(f.branch(), f.index(), f.error())
                    : errors.fromReply(f.error().text(),
                    (f.branch() == TxOutcome.Branch.SUCCESS ? success : failure).stream().anyMatch(TxOp::isWrite));
            case TxOutcome.PartiallyApplied p -> errors.internal("operation " + p.index() + ": " + p.error().text()
                    + " after validation; " + p.appliedWrites() + " other write(s) of this request were applied");
            case TxOutcome.Conflict c -> errors.conflict("the watched keys kept changing under concurrent writes ("
                    + c.attempts() + " attempts, " + GrpcSettings.EXECUTE_MAX_ATTEMPTS
                    + "); nothing was applied, retry the request");
            case TxOutcome.Internal i -> errors.internal(i.message());
            case TxOutcome.Unavailable u -> throw new AssertionError("handled above");
            case TxOutcome.Completed c -> errors.internal("a read answered a transaction: " + c);
            case TxOutcome.Read r -> errors.internal("a transaction answered a read");
        });
    }

    /** FAILED_PRECONDITION naming the operation ("success[2]") whose increment fails on the stored data. */
    private RuntimeException dataConflict(TxOutcome.Branch branch, int index, Reply.Error error) {
        String text = error.text();
        String what = text.equals(Errors.NOT_INTEGER.text()) ? "the value is not an integer or out of range"
                : text.startsWith("ERR ") ? text.substring(4) : text;
        return errors.dataConflict((branch == TxOutcome.Branch.SUCCESS ? "success" : "failure") + "[" + index + "]: "
                + what + " (nothing was applied)", text);
    }

    private OperationResult result(TxResult result) {
        return switch (result) {
            case TxResult.Value v -> {
                GetResult.Builder r = GetResult.newBuilder();
                if (v.value() != null) {
                    r.setFound(true).setValue(ByteString.copyFrom(v.value()));
                }
                yield OperationResult.newBuilder().setGet(r).build();
            }
            case TxResult.Written w -> OperationResult.newBuilder().setPut(PutResult.getDefaultInstance()).build();
            case TxResult.Deleted d ->
                    OperationResult.newBuilder().setDelete(DeleteResult.newBuilder().setDeleted(d.deleted())).build();
            case TxResult.Incremented n ->
                    OperationResult.newBuilder().setIncrement(IncrementResult.newBuilder().setValue(n.value())).build();
            // No gRPC operation is a compare-and-set (Execute has conditions instead); reaching here is a bug.
            case TxResult.Compared c -> throw errors.internal("a gRPC operation answered a cas result");
        };
    }

    /** Validates one proto operation; {@code field} names it in errors ("operations[3]"). */
    static TxOp operation(Operation op, String field, Requests requests, GrpcErrors errors) {
        return switch (op.getOpCase()) {
            case GET -> new TxOp.Get(requests.key(op.getGet().getKey(), field + ".get.key"));
            case PUT -> new TxOp.Set(requests.key(op.getPut().getKey(), field + ".put.key"),
                    requests.value(op.getPut().getValue(), field + ".put.value"),
                    requests.ttl(op.getPut().getTtlMs(), field + ".put.ttl_ms"));
            case DELETE -> new TxOp.Delete(requests.key(op.getDelete().getKey(), field + ".delete.key"));
            case INCREMENT -> new TxOp.Incr(requests.key(op.getIncrement().getKey(), field + ".increment.key"),
                    op.getIncrement().getDelta());
            case OP_NOT_SET -> throw errors.invalid(field, "no operation set (get, put, delete or increment)");
        };
    }
}
