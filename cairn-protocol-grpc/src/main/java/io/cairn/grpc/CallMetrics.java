package io.cairn.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts calls per method and bounds the calls in flight over all connections
 * ({@value GrpcSettings#MAX_IN_FLIGHT_CALLS}): a call past the bound is refused at once with
 * RESOURCE_EXHAUSTED and a retry hint, before its handler runs, so a flood of calls cannot queue
 * unbounded work on the command service. The method map is bounded by the registered methods:
 * gRPC answers UNIMPLEMENTED for others before interceptors run.
 */
final class CallMetrics implements ServerInterceptor {
    /** Counters of one method. */
    static final class Counters {
        final LongAdder calls = new LongAdder();
        final LongAdder failures = new LongAdder();
    }

    private final int maxInFlight;
    private final GrpcErrors errors;
    private final AtomicLong inFlight = new AtomicLong();
    private final LongAdder calls = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final Map<String, Counters> methods = new ConcurrentHashMap<>();

    CallMetrics(int maxInFlight, GrpcErrors errors) {
        this.maxInFlight = maxInFlight;
        this.errors = errors;
    }

    long calls() {
        return calls.sum();
    }

    long failures() {
        return failures.sum();
    }

    long inFlight() {
        return inFlight.get();
    }

    /** Per full method name, sorted. */
    Map<String, Counters> methods() {
        return new TreeMap<>(methods);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        Counters counters = methods.computeIfAbsent(call.getMethodDescriptor().getFullMethodName(), m -> new Counters());
        counters.calls.increment();
        calls.increment();
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            counters.failures.increment();
            failures.increment();
            StatusRuntimeException refused = errors.overloaded("more than " + maxInFlight + " calls in flight ("
                    + GrpcSettings.MAX_IN_FLIGHT_CALLS + "); retry later");
            call.close(refused.getStatus(), refused.getTrailers() == null ? new Metadata() : refused.getTrailers());
            return new ServerCall.Listener<>() { };
        }
        AtomicBoolean ended = new AtomicBoolean();
        ServerCall<Q, R> counted = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                end(ended, counters, !status.isOk());
                super.close(status, trailers);
            }
        };
        ServerCall.Listener<Q> listener;
        try {
            listener = next.startCall(counted, headers);
        } catch (RuntimeException e) {
            end(ended, counters, true);
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onCancel() {
                end(ended, counters, true); // the client went away or the deadline passed: close() may never come
                super.onCancel();
            }
        };
    }

    private void end(AtomicBoolean ended, Counters counters, boolean failed) {
        if (ended.compareAndSet(false, true)) {
            long now = inFlight.decrementAndGet();
            assert now >= 0 : "more calls ended than started";
            if (failed) {
                counters.failures.increment();
                failures.increment();
            }
        }
    }
}
