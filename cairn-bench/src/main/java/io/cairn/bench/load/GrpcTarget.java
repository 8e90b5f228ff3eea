package io.cairn.bench.load;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import com.google.rpc.ErrorInfo;
import io.cairn.api.grpc.GetRequest;
import io.cairn.api.grpc.GetResponse;
import io.cairn.api.grpc.KeyValueGrpc;
import io.cairn.api.grpc.PutRequest;
import io.cairn.api.grpc.PutResponse;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.HostAndPort;

/**
 * Cairn's public gRPC API ({@code cairn.v1.KeyValue} on a node's {@code grpc.port}), with the same
 * operation semantics as {@link RespTarget} (see {@link OperationType}): READ is one {@code Get},
 * UPDATE and INSERT one {@code Put}, READ_MODIFY_WRITE a {@code Get} whose reply is awaited before
 * the {@code Put} of the same record, and SCAN one {@code Get} per record of its run. A SCAN is not
 * the {@code Scan} RPC: keys are hashed over partitions, so a run of consecutive records is not
 * stored contiguously and a key-range {@code Scan} visits every key of every partition; point reads
 * are what a scan of consecutive records costs on a hash-partitioned store, and what the RESP
 * target sends too, so the two targets measure the same work.
 *
 * <p><b>Connections.</b> Each client has its own {@link ManagedChannel} (one HTTP/2 connection),
 * as each RESP client has its own socket: {@code --clients} means the same for both targets, a
 * lost connection affects one client, and a client that lost its server moves to the next one of
 * the list exactly as {@link RespTarget} does. Calls are asynchronous; their replies are handed to
 * the client thread through a queue, so {@link Target.Completion} runs on the client thread (the
 * driver's bookkeeping is not thread-safe) while the reply time is taken on the network thread as
 * the reply arrives.
 *
 * <p><b>Bounds.</b> A batch has at most {@code --pipeline} operations; its calls go out as fast as
 * the window allows: at most {@code maxCallsInFlight} calls per connection (default {@value
 * #DEFAULT_MAX_CALLS_IN_FLIGHT}, the server's default {@code grpc.max-calls-per-connection}, so a
 * connection never queues HTTP/2 streams on the client side; at most {@value
 * #MAX_CALLS_IN_FLIGHT}). The reply queue holds at most that many replies, one per call in flight.
 * Every call has a deadline of {@code timeoutMillis}; a connection whose calls neither answer nor
 * expire for {@value #STALL_GRACE_MS} ms past that is given up. Replies larger than {@value
 * #MAX_INBOUND_MESSAGE_BYTES} bytes are refused (a reply holds one value, and the bench never
 * writes values larger than {@link BenchConfig#MAX_VALUE_SIZE}).
 *
 * <p><b>Errors.</b> A status Cairn sent (it carries an {@code ErrorInfo} of domain {@value
 * #ERROR_DOMAIN}) fails that operation, reported as {@code CODE/REASON: description} (e.g. {@code
 * UNAVAILABLE/NO_QUORUM: ...}), and the connection carries on. {@code UNAVAILABLE} or {@code
 * DEADLINE_EXCEEDED} without it is the connection failing (refused, reset, closed, or no answer
 * before the deadline, as a read timeout is for RESP): the batch's calls in flight are awaited
 * (each ends by its deadline), its finished operations are reported, and {@link #execute} throws so
 * the driver counts the rest as failed and the client reconnects to its next server. Any other
 * status (e.g. {@code RESOURCE_EXHAUSTED} from gRPC itself) fails the one operation.
 */
public final class GrpcTarget implements Target {
    /** Default window of calls in flight per connection: the server's default {@code grpc.max-calls-per-connection}. */
    public static final int DEFAULT_MAX_CALLS_IN_FLIGHT = 1024;
    /** Largest window accepted (each call in flight holds one HTTP/2 stream and one reply slot). */
    public static final int MAX_CALLS_IN_FLIGHT = 4096;
    /** Largest reply message accepted: one value of at most {@link BenchConfig#MAX_VALUE_SIZE} bytes and its framing. */
    static final int MAX_INBOUND_MESSAGE_BYTES = BenchConfig.MAX_VALUE_SIZE + (1 << 20);
    /** How long past a call's deadline a reply may still take before the connection is given up as stuck. */
    static final long STALL_GRACE_MS = 5_000;
    /** How long closing a connection waits for its channel to terminate (calls are cancelled first). */
    static final long CLOSE_WAIT_MS = 2_000;
    /** The ErrorInfo domain of statuses Cairn's gRPC front end sends. */
    static final String ERROR_DOMAIN = "cairn.io";
    /** The key the probe reads (a read: the probe writes nothing). */
    private static final ByteString PROBE_KEY = ByteString.copyFromUtf8("cairn-bench:probe");

    private final List<HostAndPort> servers;
    private final int timeoutMillis;
    private final int maxCallsInFlight;

    /**
     * @param servers {@code host:port} of each node's gRPC port (at least one)
     * @param timeoutMillis deadline of each call, and the longest wait to connect
     * @param maxCallsInFlight calls in flight per connection at most, 1..{@value #MAX_CALLS_IN_FLIGHT}
     */
    public GrpcTarget(List<String> servers, int timeoutMillis, int maxCallsInFlight) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("at least one server is needed");
        }
        if (timeoutMillis < 1) {
            throw new IllegalArgumentException("timeout must be >= 1 ms");
        }
        if (maxCallsInFlight < 1 || maxCallsInFlight > MAX_CALLS_IN_FLIGHT) {
            throw new IllegalArgumentException("--grpc-max-calls must be in 1.." + MAX_CALLS_IN_FLIGHT);
        }
        List<HostAndPort> parsed = new ArrayList<>();
        for (String s : servers) {
            parsed.add(RespTarget.parse(s));
        }
        this.servers = List.copyOf(parsed);
        this.timeoutMillis = timeoutMillis;
        this.maxCallsInFlight = maxCallsInFlight;
    }

    @Override
    public String describe() {
        return "grpc://" + String.join(",", servers.stream().map(HostAndPort::toString).toList());
    }

    /**
     * Reads one key on every server. A server answers when the read succeeds or fails with a status
     * Cairn sent (e.g. no quorum yet: the run then counts those errors, as RESP's PING would not
     * notice them either); a connection failure, or an answer that is not Cairn's (no KeyValue
     * service on that port), fails the probe.
     */
    @Override
    public void probe() throws TargetException {
        for (HostAndPort server : servers) {
            ManagedChannel channel = channel(server);
            try {
                KeyValueGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)
                        .get(GetRequest.newBuilder().setKey(PROBE_KEY).build());
            } catch (StatusRuntimeException e) {
                if (isConnectionFailure(e)) {
                    throw new TargetException("cannot reach " + server + ": " + errorText(e), e);
                }
                if (cairnReason(e) == null) {
                    throw new TargetException(server + " answered the probe (cairn.v1.KeyValue/Get) with " + errorText(e)
                            + ": is it a Cairn node's gRPC port (grpc.port)?", e);
                }
            } finally {
                shutdown(channel);
            }
        }
    }

    @Override
    public Target.Connection connect(int client, int attempt) throws TargetException {
        HostAndPort server = servers.get(Math.floorMod(client + attempt, servers.size()));
        ManagedChannel channel = channel(server);
        try {
            awaitReady(channel, server.toString());
        } catch (TargetException e) {
            shutdown(channel);
            throw e;
        }
        return new GrpcConnection(channel, server.toString());
    }

    private static ManagedChannel channel(HostAndPort server) {
        return ManagedChannelBuilder.forAddress(server.getHost(), server.getPort())
                .usePlaintext()
                // Callbacks only stamp the time and enqueue: run them on the network thread, so the
                // reply time is not delayed by a hand-off to another executor.
                .directExecutor()
                // A benchmark measures each call once: no transparent or configured retries.
                .disableRetry()
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                .build();
    }

    /** Connects now (a RESP connection is made before its first command too), within the timeout. */
    private void awaitReady(ManagedChannel channel, String address) throws TargetException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        ConnectivityState state = channel.getState(true);
        while (state != ConnectivityState.READY) {
            if (state == ConnectivityState.TRANSIENT_FAILURE || state == ConnectivityState.SHUTDOWN) {
                throw new TargetException("cannot connect to " + address + " (channel " + state + ")", null);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TargetException("cannot connect to " + address + " within " + timeoutMillis + " ms", null);
            }
            CountDownLatch changed = new CountDownLatch(1);
            channel.notifyWhenStateChanged(state, changed::countDown);
            try {
                changed.await(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TargetException("interrupted while connecting to " + address, e);
            }
            state = channel.getState(true); // IDLE asks for a connection again
        }
    }

    private static void shutdown(ManagedChannel channel) {
        channel.shutdownNow();
        try {
            channel.awaitTermination(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The reason of the ErrorInfo Cairn attached to a status, or null when there is none (not Cairn's answer). */
    static String cairnReason(Throwable t) {
        com.google.rpc.Status details = StatusProto.fromThrowable(t);
        if (details == null) {
            return null;
        }
        for (Any any : details.getDetailsList()) {
            if (any.is(ErrorInfo.class)) {
                try {
                    ErrorInfo info = any.unpack(ErrorInfo.class);
                    if (ERROR_DOMAIN.equals(info.getDomain())) {
                        return info.getReason();
                    }
                } catch (InvalidProtocolBufferException e) {
                    return null; // a malformed detail: not an answer Cairn sent
                }
            }
        }
        return null;
    }

    /**
     * Whether a failed call means the connection failed rather than the server refusing the call:
     * UNAVAILABLE (refused, reset, closed, GOAWAY) or DEADLINE_EXCEEDED (no answer in time) that
     * did not come from Cairn.
     */
    static boolean isConnectionFailure(Throwable t) {
        Status.Code code = Status.fromThrowable(t).getCode();
        return (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) && cairnReason(t) == null;
    }

    /**
     * A failed call as one line: {@code CODE/REASON: description}. The report groups errors by the
     * text before the first space or colon, so each status code and Cairn reason is its own group.
     */
    static String errorText(Throwable t) {
        Status status = Status.fromThrowable(t);
        String reason = cairnReason(t);
        String code = status.getCode().name() + (reason == null || reason.isEmpty() ? "" : "/" + reason);
        String description = status.getDescription();
        if (status.getCause() != null) {
            String cause = RespTarget.rootMessage(status.getCause());
            description = description == null ? cause : description + " (" + cause + ")";
        }
        return description == null ? code : code + ": " + description;
    }

    /** One call to send: a Get ({@code value} null) or a Put of operation {@code op}'s key. */
    private record Call(int op, byte[] key, byte[] value) {
    }

    /** One call's outcome, as the network thread saw it: {@code failure} null on success. */
    private record Reply(int op, boolean put, boolean found, Throwable failure, long doneNanos) {
    }

    private final class GrpcConnection implements Target.Connection {
        private final ManagedChannel channel;
        private final KeyValueGrpc.KeyValueStub stub;
        private final String address;
        /** One slot per call in flight: the network thread never waits to hand a reply over. */
        private final ArrayBlockingQueue<Reply> replies = new ArrayBlockingQueue<>(maxCallsInFlight);
        /** Calls of the current batch not sent yet (at most the batch's calls). */
        private final ArrayDeque<Call> unsent = new ArrayDeque<>();
        private volatile boolean closed;
        // Per operation of the current batch (grown to the largest batch seen, at most --pipeline).
        private int[] callsLeft = new int[0];
        private boolean[] allFound = new boolean[0];
        private String[] firstError = new String[0];

        GrpcConnection(ManagedChannel channel, String address) {
            this.channel = channel;
            this.stub = KeyValueGrpc.newStub(channel);
            this.address = address;
        }

        @Override
        public String address() {
            return address;
        }

        @Override
        public void execute(List<Operation> batch, Completion completion) throws TargetException {
            if (closed) {
                throw new IllegalStateException("connection to " + address + " is closed");
            }
            if (!replies.isEmpty()) {
                throw new IllegalStateException("replies of an earlier batch are still queued");
            }
            int n = batch.size();
            if (callsLeft.length < n) {
                callsLeft = new int[n];
                allFound = new boolean[n];
                firstError = new String[n];
            }
            unsent.clear();
            for (int i = 0; i < n; i++) {
                Operation op = batch.get(i);
                allFound[i] = true;
                firstError[i] = null;
                switch (op.type()) {
                    case READ, READ_MODIFY_WRITE -> unsent.add(new Call(i, op.keys()[0], null));
                    case UPDATE, INSERT -> unsent.add(new Call(i, op.keys()[0], op.value()));
                    case SCAN -> {
                        for (byte[] key : op.keys()) {
                            unsent.add(new Call(i, key, null));
                        }
                    }
                }
                callsLeft[i] = op.type() == OperationType.SCAN ? op.keys().length : 1;
            }
            int inFlight = 0;
            String lost = null; // set once a call failed with the connection: send nothing more
            long replyWaitMillis = timeoutMillis + STALL_GRACE_MS;
            while (inFlight > 0 || (lost == null && !unsent.isEmpty())) {
                if (lost == null && !unsent.isEmpty() && inFlight < maxCallsInFlight) {
                    send(unsent.poll());
                    inFlight++;
                    continue;
                }
                Reply reply;
                try {
                    reply = replies.poll(replyWaitMillis, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    channel.shutdownNow(); // cancels the calls in flight; the driver closes this connection
                    throw new TargetException("interrupted waiting for " + address, e);
                }
                if (reply == null) {
                    // Every call has a deadline, so gRPC should have ended it by now: the channel is stuck.
                    channel.shutdownNow();
                    throw new TargetException("no reply from " + address + " within " + replyWaitMillis
                            + " ms although every call has a " + timeoutMillis + " ms deadline", null);
                }
                inFlight--;
                int i = reply.op();
                if (reply.failure() != null && isConnectionFailure(reply.failure())) {
                    if (lost == null) {
                        lost = errorText(reply.failure());
                    }
                    continue; // the operation stays unfinished: the driver counts it as failed with the reason
                }
                if (reply.failure() != null) {
                    if (firstError[i] == null) {
                        firstError[i] = errorText(reply.failure());
                    }
                } else {
                    allFound[i] &= reply.found();
                }
                if (--callsLeft[i] > 0) {
                    continue; // more reads of this scan to come
                }
                Operation op = batch.get(i);
                if (op.type() == OperationType.READ_MODIFY_WRITE && !reply.put() && firstError[i] == null) {
                    // The write goes out once the read came back, as a read-modify-write does.
                    callsLeft[i] = 1;
                    if (lost == null) {
                        unsent.add(new Call(i, op.keys()[0], op.value()));
                    }
                    continue;
                }
                boolean found = op.type().isWrite() || allFound[i];
                completion.completed(i, firstError[i], found && firstError[i] == null, reply.doneNanos());
            }
            if (lost != null) {
                throw new TargetException("connection to " + address + " lost: " + lost, null);
            }
        }

        private void send(Call call) {
            KeyValueGrpc.KeyValueStub s = stub.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS);
            // The key and value arrays are the operation's own and never change once built: no copy.
            ByteString key = UnsafeByteOperations.unsafeWrap(call.key());
            if (call.value() == null) {
                s.get(GetRequest.newBuilder().setKey(key).build(), new ReplyObserver<GetResponse>(call.op(), false));
            } else {
                s.put(PutRequest.newBuilder().setKey(key).setValue(UnsafeByteOperations.unsafeWrap(call.value())).build(),
                        new ReplyObserver<PutResponse>(call.op(), true));
            }
        }

        /** Hands one unary call's outcome to the client thread, timed on arrival. */
        private final class ReplyObserver<T> implements StreamObserver<T> {
            private final int op;
            private final boolean put;
            private boolean found;

            ReplyObserver(int op, boolean put) {
                this.op = op;
                this.put = put;
            }

            @Override
            public void onNext(T value) {
                found = !(value instanceof GetResponse get) || get.getFound();
            }

            @Override
            public void onError(Throwable t) {
                deliver(new Reply(op, put, false, t, System.nanoTime()));
            }

            @Override
            public void onCompleted() {
                deliver(new Reply(op, put, found, null, System.nanoTime()));
            }

            private void deliver(Reply reply) {
                // At most maxCallsInFlight calls are in flight and each ends once, so there is always
                // room; after close() late replies of cancelled calls are of no interest.
                if (!replies.offer(reply) && !closed) {
                    throw new IllegalStateException("reply queue of " + address + " full: more calls in flight than "
                            + maxCallsInFlight);
                }
            }
        }

        @Override
        public void close() {
            closed = true;
            shutdown(channel);
            replies.clear();
        }
    }
}
