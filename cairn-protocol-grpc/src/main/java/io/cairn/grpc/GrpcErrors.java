package io.cairn.grpc;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.cairn.api.kv.CairnException;
import io.cairn.api.kv.InvalidKeyException;
import io.cairn.api.kv.KvCommands;
import io.cairn.api.kv.ValueTooLargeException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Redis-style error replies and infrastructure failures as canonical gRPC statuses with
 * {@code google.rpc.Status} details: an {@link ErrorInfo} (domain {@value #DOMAIN}, a reason,
 * metadata {@code redis_error} with the unchanged Redis text and {@code outcome_unknown}), a
 * {@link BadRequest} for invalid fields and a {@link RetryInfo} where a retry later may succeed.
 *
 * <table>
 *   <caption>Error mapping</caption>
 *   <tr><th>reply / failure</th><th>status</th><th>reason</th></tr>
 *   <tr><td>CROSSSLOT</td><td>INVALID_ARGUMENT</td><td>CROSS_PARTITION</td></tr>
 *   <tr><td>key/value over the engine's limit, empty key</td><td>INVALID_ARGUMENT</td><td>KEY_TOO_LARGE / VALUE_TOO_LARGE / INVALID_KEY</td></tr>
 *   <tr><td>WRONGTYPE, ERR not an integer / would overflow</td><td>FAILED_PRECONDITION</td><td>DATA_CONFLICT</td></tr>
 *   <tr><td>NOQUORUM, CLUSTERDOWN</td><td>UNAVAILABLE + RetryInfo</td><td>NO_QUORUM (outcome_unknown for writes)</td></tr>
 *   <tr><td>TRYAGAIN, LOADING, MASTERDOWN, MOVED, ASK, a full queue</td><td>UNAVAILABLE + RetryInfo</td><td>TRY_AGAIN</td></tr>
 *   <tr><td>SHUTDOWN, a closed service</td><td>UNAVAILABLE + RetryInfo</td><td>SHUTTING_DOWN</td></tr>
 *   <tr><td>TIMEOUT, no answer before the deadline</td><td>DEADLINE_EXCEEDED</td><td>TIMEOUT (outcome_unknown for writes)</td></tr>
 *   <tr><td>other ERR</td><td>INVALID_ARGUMENT</td><td>INVALID_REQUEST</td></tr>
 *   <tr><td>anything else</td><td>INTERNAL</td><td>INTERNAL</td></tr>
 * </table>
 */
final class GrpcErrors {
    static final String DOMAIN = "cairn.io";

    private final long retryDelayMillis;

    GrpcErrors(long retryDelayMillis) {
        this.retryDelayMillis = retryDelayMillis;
    }

    /** A bad request field: INVALID_ARGUMENT with a BadRequest naming it. */
    StatusRuntimeException invalid(String field, String message) {
        return invalid(field, message, "INVALID_REQUEST");
    }

    StatusRuntimeException invalid(String field, String message, String reason) {
        String text = field.isEmpty() ? message : field + ": " + message;
        com.google.rpc.Status.Builder s = status(Status.Code.INVALID_ARGUMENT, text, reason, Map.of());
        s.addDetails(Any.pack(BadRequest.newBuilder().addFieldViolations(
                BadRequest.FieldViolation.newBuilder().setField(field).setDescription(message)).build()));
        return StatusProto.toStatusRuntimeException(s.build());
    }

    /** A Put/Delete/Get condition that did not hold; nothing was written. */
    StatusRuntimeException conditionFailed(String message, Long currentVersion) {
        Map<String, String> meta = currentVersion == null ? Map.of()
                : Map.of("current_version", Long.toUnsignedString(currentVersion));
        return exception(Status.Code.FAILED_PRECONDITION, message, "CONDITION_FAILED", meta, false);
    }

    StatusRuntimeException durabilityUnavailable(String message) {
        return exception(Status.Code.FAILED_PRECONDITION, message, "DURABILITY_UNAVAILABLE", Map.of(), false);
    }

    /** The stored data conflicts with the request (not an integer, overflow); nothing was applied. */
    StatusRuntimeException dataConflict(String message, String redisError) {
        return exception(Status.Code.FAILED_PRECONDITION, message, "DATA_CONFLICT", Map.of("redis_error", redisError),
                false);
    }

    /** Optimistic attempts exhausted under concurrent writes; nothing was applied. */
    StatusRuntimeException conflict(String message) {
        return exception(Status.Code.ABORTED, message, "CONFLICT", Map.of(), true);
    }

    StatusRuntimeException overloaded(String message) {
        return exception(Status.Code.RESOURCE_EXHAUSTED, message, "OVERLOADED", Map.of(), true);
    }

    StatusRuntimeException deadline(boolean write) {
        return exception(Status.Code.DEADLINE_EXCEEDED, write
                        ? "no answer before the deadline; the write may or may not have been applied"
                        : "no answer before the deadline",
                "TIMEOUT", write ? Map.of("outcome_unknown", "true") : Map.of(), false);
    }

    StatusRuntimeException internal(String message) {
        return exception(Status.Code.INTERNAL, message, "INTERNAL", Map.of(), false);
    }

    /** The status of a Redis error reply ({@code text} as the service produced it). */
    StatusRuntimeException fromReply(String text, boolean write) {
        int space = text.indexOf(' ');
        String code = (space < 0 ? text : text.substring(0, space)).toUpperCase(Locale.ROOT);
        Map<String, String> redis = Map.of("redis_error", text);
        Map<String, String> unknownOutcome = write ? Map.of("redis_error", text, "outcome_unknown", "true") : redis;
        return switch (code) {
            case "CROSSSLOT" -> exception(Status.Code.INVALID_ARGUMENT,
                    "the keys are in different partitions; use one key or one hash tag", "CROSS_PARTITION", redis, false);
            case "WRONGTYPE" -> exception(Status.Code.FAILED_PRECONDITION, text, "DATA_CONFLICT", redis, false);
            case "NOQUORUM", "CLUSTERDOWN" -> exception(Status.Code.UNAVAILABLE, text, "NO_QUORUM", unknownOutcome, true);
            case "TRYAGAIN", "LOADING", "MASTERDOWN", "MOVED", "ASK" ->
                    exception(Status.Code.UNAVAILABLE, text, "TRY_AGAIN", redis, true);
            case "SHUTDOWN" -> exception(Status.Code.UNAVAILABLE, text, "SHUTTING_DOWN", redis, true);
            case "TIMEOUT" -> exception(Status.Code.DEADLINE_EXCEEDED, text, "TIMEOUT", unknownOutcome, false);
            case "ERR" -> {
                if (isDataConflict(text)) {
                    yield exception(Status.Code.FAILED_PRECONDITION, text, "DATA_CONFLICT", redis, false);
                }
                // The same loose matching the embedded API uses, so limits are reported alike everywhere.
                CairnException typed = KvCommands.errorFor(text, write);
                if (typed instanceof ValueTooLargeException) {
                    yield exception(Status.Code.INVALID_ARGUMENT, text, "VALUE_TOO_LARGE", redis, false);
                }
                if (typed instanceof InvalidKeyException) {
                    yield exception(Status.Code.INVALID_ARGUMENT, text, "INVALID_KEY", redis, false);
                }
                if (text.toLowerCase(Locale.ROOT).contains("no quorum")) {
                    yield exception(Status.Code.UNAVAILABLE, text, "NO_QUORUM", unknownOutcome, true);
                }
                if (text.toLowerCase(Locale.ROOT).contains("service is closed")) {
                    yield exception(Status.Code.UNAVAILABLE, text, "SHUTTING_DOWN", redis, true);
                }
                yield exception(Status.Code.INVALID_ARGUMENT, text, "INVALID_REQUEST", redis, false);
            }
            default -> exception(Status.Code.INTERNAL, text, "INTERNAL", redis, false);
        };
    }

    /** ERR replies caused by what is stored rather than by the request's form. */
    static boolean isDataConflict(String text) {
        return text.startsWith("ERR value is not an integer") || text.startsWith("ERR increment or decrement would overflow");
    }

    /**
     * The status of an exceptionally completed call: an already mapped status as it is, a timeout
     * DEADLINE_EXCEEDED, everything else (shutdown, a full queue, no quorum) UNAVAILABLE.
     */
    StatusRuntimeException fromFailure(Throwable error, boolean write) {
        Throwable cause = unwrap(error);
        if (cause instanceof StatusRuntimeException s) {
            return s;
        }
        if (cause instanceof TimeoutException) {
            return deadline(write);
        }
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        if (cause instanceof CancellationException) {
            return exception(Status.Code.CANCELLED, "cancelled: " + message, "CANCELLED",
                    write ? Map.of("outcome_unknown", "true") : Map.of(), false);
        }
        if (cause instanceof RejectedExecutionException) {
            return exception(Status.Code.UNAVAILABLE, "refused before it ran: " + message, "TRY_AGAIN", Map.of(), true);
        }
        if (cause instanceof IllegalStateException && message.toLowerCase(Locale.ROOT).contains("closed")) {
            return exception(Status.Code.UNAVAILABLE, message, "SHUTTING_DOWN", Map.of(), true);
        }
        return exception(Status.Code.UNAVAILABLE, message, "UNAVAILABLE",
                write ? Map.of("outcome_unknown", "true") : Map.of(), true);
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private StatusRuntimeException exception(Status.Code code, String message, String reason, Map<String, String> meta,
                                             boolean retryHint) {
        com.google.rpc.Status.Builder s = status(code, message, reason, meta);
        if (retryHint) {
            s.addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(com.google.protobuf.Duration.newBuilder()
                    .setSeconds(retryDelayMillis / 1000).setNanos((int) (retryDelayMillis % 1000) * 1_000_000)).build()));
        }
        return StatusProto.toStatusRuntimeException(s.build());
    }

    private static com.google.rpc.Status.Builder status(Status.Code code, String message, String reason,
                                                        Map<String, String> meta) {
        return com.google.rpc.Status.newBuilder()
                .setCode(code.value())
                .setMessage(message)
                .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason(reason).putAllMetadata(meta).build()));
    }
}
