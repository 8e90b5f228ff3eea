package io.cairn.grpc;

import com.google.protobuf.ByteString;
import io.cairn.api.grpc.BatchRequest;
import io.cairn.api.grpc.BatchResponse;
import io.cairn.api.grpc.DeleteRequest;
import io.cairn.api.grpc.DeleteResponse;
import io.cairn.api.grpc.ExecuteRequest;
import io.cairn.api.grpc.ExecuteResponse;
import io.cairn.api.grpc.GetRequest;
import io.cairn.api.grpc.GetResponse;
import io.cairn.api.grpc.KeyValueGrpc;
import io.cairn.api.grpc.Operation;
import io.cairn.api.grpc.PutRequest;
import io.cairn.api.grpc.PutResponse;
import io.cairn.api.grpc.ScanRequest;
import io.cairn.api.grpc.ScanResponse;
import io.cairn.api.kv.KvCommands;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import io.cairn.api.service.Session;
import io.cairn.commands.tx.TransactionRunner;
import io.cairn.commands.tx.TxCondition;
import io.cairn.commands.tx.TxOp;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cairn.v1.KeyValue} over the {@link CommandService}. Each handler validates its request
 * completely ({@link Requests}) before anything reaches the service, translates it to Redis
 * commands, and answers with the reply or a status from {@link GrpcErrors}.
 *
 * <table>
 *   <caption>RPCs</caption>
 *   <tr><th>rpc</th><th>Redis</th></tr>
 *   <tr><td>Get</td><td>GET; with include_version WATCH token + GET in one watched EXEC ({@link Transactions#snapshot})</td></tr>
 *   <tr><td>Put</td><td>SET [PX]; if_absent SET NX; if_value SET IFEQ; if_version EXEC [SET] watching the version</td></tr>
 *   <tr><td>Delete</td><td>DEL; if_version EXEC [DEL] watching the version</td></tr>
 *   <tr><td>Scan</td><td>SCAN steps ({@link ScanStreamer})</td></tr>
 *   <tr><td>Batch, Execute</td><td>MULTI/EXEC blocks ({@link Transactions})</td></tr>
 * </table>
 *
 * <p>A record's version is its WATCH token: the HLC stamp its leader gave the write that stored it,
 * unique per write of the key. So {@code if_version} is exactly WATCH's check, done by the
 * partition's state machine in the same log entry as the write.
 */
final class KeyValueService extends KeyValueGrpc.KeyValueImplBase {
    private static final Logger log = LoggerFactory.getLogger(KeyValueService.class);

    private final CommandService service;
    private final GrpcSettings settings;
    private final GrpcErrors errors;
    private final Requests requests;
    private final Transactions transactions;
    private final int partitions;

    KeyValueService(CommandService service, GrpcSettings settings, GrpcErrors errors, Requests requests,
                    Transactions transactions, int partitions) {
        this.service = service;
        this.settings = settings;
        this.errors = errors;
        this.requests = requests;
        this.transactions = transactions;
        this.partitions = partitions;
    }

    private CallScope scope(Session session) {
        return CallScope.current(session, settings.requestTimeoutMillis());
    }

    // ------------------------------------------------------------------------------------------ Get

    @Override
    public void get(GetRequest request, StreamObserver<GetResponse> out) {
        respond(out, false, () -> {
            byte[] key = requests.key(request.getKey(), "key");
            CallScope scope = scope(requests.session(request.getOptions()));
            if (request.getIncludeVersion()) {
                return transactions.snapshot(List.of(key), scope).thenApply(s -> {
                    GetResponse.Builder r = GetResponse.newBuilder();
                    byte[] value = s.values().get(0);
                    if (value != null) {
                        r.setFound(true).setValue(ByteString.copyFrom(value)).setVersion(s.version(0));
                    }
                    return r.build();
                });
            }
            return scope.bound(service.execute(new byte[][] {Requests.ascii("GET"), key}, scope.session())).thenApply(reply ->
                    switch (reply) {
                        case Reply.Bulk b -> GetResponse.newBuilder().setFound(true).setValue(ByteString.copyFrom(b.value())).build();
                        case Reply.Null n -> GetResponse.getDefaultInstance();
                        case Reply.Error e -> throw errors.fromReply(e.text(), false);
                        default -> throw errors.internal("GET answered " + reply);
                    });
        });
    }

    // ------------------------------------------------------------------------------------------ Put

    @Override
    public void put(PutRequest request, StreamObserver<PutResponse> out) {
        respond(out, true, () -> {
            byte[] key = requests.key(request.getKey(), "key");
            byte[] value = requests.value(request.getValue(), "value");
            long ttl = requests.ttl(request.getTtlMs(), "ttl_ms");
            CallScope scope = scope(requests.session(request.getOptions()));
            TxOp.Set put = new TxOp.Set(key, value, ttl);
            return switch (request.getConditionCase()) {
                case CONDITION_NOT_SET -> scope.bound(service.execute(put.argv(), scope.session()))
                        .thenApply(reply -> ok(reply));
                case IF_ABSENT -> {
                    if (!request.getIfAbsent()) {
                        throw errors.invalid("if_absent", "set it to true, or leave the condition unset");
                    }
                    yield scope.bound(service.execute(withCondition(put, Requests.ascii("NX"), null), scope.session()))
                            .thenApply(reply -> reply == Reply.Null.BULK
                                    ? failed(errors.conditionFailed("if_absent: the key exists; nothing was written", null))
                                    : ok(reply));
                }
                case IF_VALUE -> {
                    byte[] expected = requests.value(request.getIfValue(), "if_value");
                    yield scope.bound(service.execute(withCondition(put, Requests.ascii("IFEQ"), expected), scope.session()))
                            .thenApply(reply -> reply == Reply.Null.BULK
                                    ? failed(errors.conditionFailed("if_value: the key is absent or holds another value; "
                                    + "nothing was written", null))
                                    : ok(reply));
                }
                case IF_VERSION -> {
                    long version = requests.version(request.getIfVersion(), "if_version");
                    yield atVersion(put, version, scope).thenApply(reply -> ok(reply));
                }
            };
        });
    }

    /** SET key value NX|IFEQ expected [PX ms]. */
    private static byte[][] withCondition(TxOp.Set put, byte[] word, byte[] expected) {
        List<byte[]> a = new ArrayList<>(List.of(Requests.ascii("SET"), put.key(), put.value(), word));
        if (expected != null) {
            a.add(expected);
        }
        if (put.ttlMillis() > 0) {
            a.add(Requests.ascii("PX"));
            a.add(Requests.ascii(Long.toString(put.ttlMillis())));
        }
        return a.toArray(byte[][]::new);
    }

    /**
     * Runs one write only if its key is at {@code version}: an EXEC watching that token. On a mismatch
     * FAILED_PRECONDITION with the key's current version (read afterwards, so only a hint).
     */
    private CompletableFuture<Reply> atVersion(TxOp op, long version, CallScope scope) {
        CommandService.Watch watch = new CommandService.Watch(op.key(), version);
        return scope.bound(service.exec(List.<byte[][]>of(op.argv()), List.of(watch), scope.session()))
                .thenCompose(reply -> {
                    if (reply == Reply.Null.ARRAY) {
                        return scope.bound(service.watchToken(op.key(), scope.session())).handle((token, error) -> {
                            Long current = error != null ? null : Long.valueOf(Math.max(token, 0));
                            throw errors.conditionFailed("if_version: the key is not at version "
                                    + Long.toUnsignedString(version) + (current == null ? "" : current == 0
                                    ? " (it is absent)" : " (it is at " + current + ")") + "; nothing was written", current);
                        });
                    }
                    if (reply instanceof Reply.Error e) {
                        throw errors.fromReply(e.text(), true);
                    }
                    if (!(reply instanceof Reply.Array a) || a.items().size() != 1) {
                        throw errors.internal("EXEC of one command answered " + reply);
                    }
                    return CompletableFuture.completedFuture(a.items().get(0));
                });
    }

    private PutResponse ok(Reply reply) {
        if (reply instanceof Reply.Error e) {
            throw errors.fromReply(e.text(), true);
        }
        if (!KvCommands.isOk(reply)) {
            throw errors.internal("SET answered " + reply);
        }
        return PutResponse.getDefaultInstance();
    }

    private static <T> T failed(StatusRuntimeException e) {
        throw e;
    }

    // ------------------------------------------------------------------------------------------ Delete

    @Override
    public void delete(DeleteRequest request, StreamObserver<DeleteResponse> out) {
        respond(out, true, () -> {
            byte[] key = requests.key(request.getKey(), "key");
            CallScope scope = scope(requests.session(request.getOptions()));
            TxOp.Delete del = new TxOp.Delete(key);
            CompletableFuture<Reply> reply = request.getIfVersion() == 0
                    ? scope.bound(service.execute(del.argv(), scope.session()))
                    : atVersion(del, requests.version(request.getIfVersion(), "if_version"), scope);
            return reply.thenApply(r -> switch (r) {
                case Reply.Int n when n.value() == 0 || n.value() == 1 ->
                        DeleteResponse.newBuilder().setDeleted(n.value() == 1).build();
                case Reply.Error e -> throw errors.fromReply(e.text(), true);
                default -> throw errors.internal("DEL answered " + r);
            });
        });
    }

    // ------------------------------------------------------------------------------------------ Scan

    @Override
    public void scan(ScanRequest request, StreamObserver<ScanResponse> observer) {
        ServerCallStreamObserver<ScanResponse> out = (ServerCallStreamObserver<ScanResponse>) observer;
        ScanStreamer streamer;
        try {
            int limit = request.getLimit() == 0 ? settings.maxScanLimit() : request.getLimit();
            if (limit < 0 || limit > settings.maxScanLimit()) {
                throw errors.invalid("limit", "must be in 1.." + settings.maxScanLimit() + " ("
                        + GrpcSettings.MAX_SCAN_LIMIT + "), or 0 for that maximum; got "
                        + Integer.toUnsignedString(request.getLimit()));
            }
            int pageSize = request.getPageSize() == 0 ? Math.min(GrpcSettings.SCAN_DEFAULT_PAGE_SIZE,
                    settings.scanMaxPageSize()) : request.getPageSize();
            if (pageSize < 0 || pageSize > settings.scanMaxPageSize()) {
                throw errors.invalid("page_size", "must be in 1.." + settings.scanMaxPageSize() + " ("
                        + GrpcSettings.SCAN_MAX_PAGE_SIZE + "), or 0 for " + GrpcSettings.SCAN_DEFAULT_PAGE_SIZE
                        + "; got " + Integer.toUnsignedString(request.getPageSize()));
            }
            ScanStreamer.Selector selector = switch (request.getSelectorCase()) {
                case SELECTOR_NOT_SET -> new ScanStreamer.Selector(null, null, null);
                case PREFIX -> {
                    byte[] prefix = request.getPrefix().toByteArray();
                    if (prefix.length > settings.maxKeyBytes()) {
                        throw errors.invalid("prefix", "longer than the key limit of " + settings.maxKeyBytes()
                                + " bytes", "KEY_TOO_LARGE");
                    }
                    yield new ScanStreamer.Selector(prefix.length == 0 ? null
                            : io.cairn.api.kv.ScanRequest.globForPrefix(prefix), null, null);
                }
                case RANGE -> {
                    byte[] start = request.getRange().getStart().toByteArray();
                    byte[] end = request.getRange().getEnd().toByteArray();
                    if (start.length > settings.maxKeyBytes() || end.length > settings.maxKeyBytes()) {
                        throw errors.invalid("range", "a bound is longer than the key limit of "
                                + settings.maxKeyBytes() + " bytes", "KEY_TOO_LARGE");
                    }
                    if (end.length > 0 && java.util.Arrays.compareUnsigned(start, end) >= 0) {
                        throw errors.invalid("range", "start must sort before end (end is exclusive)");
                    }
                    // Keys in [start, end) all begin with the bounds' common prefix: SCAN seeks to it.
                    byte[] common = end.length == 0 ? new byte[0] : commonPrefix(start, end);
                    yield new ScanStreamer.Selector(common.length == 0 ? null
                            : io.cairn.api.kv.ScanRequest.globForPrefix(common),
                            start.length == 0 ? null : start, end.length == 0 ? null : end);
                }
            };
            ScanCursor cursor;
            try {
                cursor = ScanCursor.decode(request.getCursor(), settings.maxKeyBytes());
            } catch (IllegalArgumentException e) {
                throw errors.invalid("cursor", e.getMessage());
            }
            CallScope scope = scope(requests.session(request.getOptions()));
            streamer = new ScanStreamer(service, errors, partitions, selector, limit, pageSize,
                    request.getIncludeValues(), cursor, scope, out);
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        }
        streamer.start();
    }

    private static byte[] commonPrefix(byte[] a, byte[] b) {
        int n = 0;
        while (n < a.length && n < b.length && a[n] == b[n]) {
            n++;
        }
        return java.util.Arrays.copyOf(a, n);
    }

    // ------------------------------------------------------------------------------------------ Batch, Execute

    @Override
    public void batch(BatchRequest request, StreamObserver<BatchResponse> out) {
        respond(out, true, () -> {
            if (request.getOperationsCount() == 0) {
                throw errors.invalid("operations", "a batch needs at least one operation");
            }
            if (request.getOperationsCount() > settings.maxOperations()) {
                throw requests.tooMany("operations", request.getOperationsCount());
            }
            List<TxOp> ops = ops(request.getOperationsList(), "operations");
            requireOnePartition(ops.stream().map(TxOp::key).toList());
            CallScope scope = scope(requests.session(request.getOptions()));
            return transactions.batch(ops, scope).thenApply(results ->
                    BatchResponse.newBuilder().addAllResults(results).build());
        });
    }

    @Override
    public void execute(ExecuteRequest request, StreamObserver<ExecuteResponse> out) {
        respond(out, true, () -> {
            int total = request.getConditionsCount() + request.getSuccessCount() + request.getFailureCount();
            if (total == 0) {
                throw errors.invalid("", "an execute request needs at least one condition or operation");
            }
            if (total > settings.maxOperations()) {
                throw requests.tooMany("conditions, success and failure", total);
            }
            List<TxCondition> conditions = new ArrayList<>(request.getConditionsCount());
            for (int i = 0; i < request.getConditionsCount(); i++) {
                conditions.add(condition(request.getConditions(i), "conditions[" + i + "]"));
            }
            List<TxOp> success = ops(request.getSuccessList(), "success");
            List<TxOp> failure = ops(request.getFailureList(), "failure");
            List<byte[]> keys = new ArrayList<>(total);
            conditions.forEach(c -> keys.add(c.key()));
            success.forEach(op -> keys.add(op.key()));
            failure.forEach(op -> keys.add(op.key()));
            requireOnePartition(keys);
            CallScope scope = scope(requests.session(request.getOptions()));
            return transactions.execute(conditions, success, failure, scope).thenApply(o ->
                    ExecuteResponse.newBuilder().setSucceeded(o.succeeded()).addAllResults(o.results())
                            .setAttempts(o.attempts()).build());
        });
    }

    private TxCondition condition(io.cairn.api.grpc.Condition c, String field) {
        byte[] key = requests.key(c.getKey(), field + ".key");
        return switch (c.getTestCase()) {
            case VERSION_EQUALS -> TxCondition.versionEquals(key,
                    requests.version(c.getVersionEquals(), field + ".version_equals"));
            case VALUE_EQUALS -> TxCondition.valueEquals(key, requests.value(c.getValueEquals(), field + ".value_equals"));
            case ABSENT -> {
                if (!c.getAbsent()) {
                    throw errors.invalid(field + ".absent", "set it to true (false tests nothing)");
                }
                yield TxCondition.absent(key);
            }
            case PRESENT -> {
                if (!c.getPresent()) {
                    throw errors.invalid(field + ".present", "set it to true (false tests nothing)");
                }
                yield TxCondition.present(key);
            }
            case TEST_NOT_SET -> throw errors.invalid(field, "no test set (version_equals, value_equals, absent or present)");
        };
    }

    private List<TxOp> ops(List<Operation> list, String field) {
        List<TxOp> ops = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            ops.add(Transactions.operation(list.get(i), field + "[" + i + "]", requests, errors));
        }
        return ops;
    }

    private void requireOnePartition(List<byte[]> keys) {
        if (!TransactionRunner.onePartition(keys)) {
            throw errors.invalid("", "the keys of an atomic request must be one key or share one hash tag "
                    + "({tag}), so that they live in one partition", "CROSS_PARTITION");
        }
    }

    // ------------------------------------------------------------------------------------------ plumbing

    /**
     * Runs a unary handler: validation failures (thrown as statuses) and service failures both end the
     * call with a status; a bug of this layer ends it INTERNAL and is logged.
     */
    private <T> void respond(StreamObserver<T> out, boolean write, Supplier<CompletableFuture<T>> work) {
        CompletableFuture<T> result;
        try {
            result = work.get();
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        } catch (RuntimeException e) {
            log.error("gRPC request failed inside the gRPC layer", e);
            out.onError(errors.internal("internal error: " + e));
            return;
        }
        result.whenComplete((value, error) -> {
            if (error == null) {
                out.onNext(value);
                out.onCompleted();
            } else {
                out.onError(errors.fromFailure(error, write));
            }
        });
    }
}
