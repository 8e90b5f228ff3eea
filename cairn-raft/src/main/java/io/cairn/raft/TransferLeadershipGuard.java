package io.cairn.raft;

import org.apache.ratis.proto.RaftProtos.TransferLeadershipRequestProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCall;
import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCallListener;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallHandler;
import org.apache.ratis.thirdparty.io.grpc.ServerInterceptor;
import org.apache.ratis.thirdparty.io.grpc.Status;

/**
 * Tells this node about every leadership transfer its Raft server is asked to make, before the
 * server sees the request and again once it has answered: whoever asks (this node, another node
 * moving a replica away from this leader, an operator's tool). A transfer lets its target start
 * an election at once, without waiting out an election timeout, which voids the argument behind
 * a leader's read lease; {@link RaftNode} drops the lease when told, and renews none until the
 * transfer is over.
 */
final class TransferLeadershipGuard implements ServerInterceptor {
    static final String TRANSFER_METHOD = "/transferLeadership";

    interface Observer {
        /** A transfer of {@code group}'s leadership is starting ({@code true}) or was answered ({@code false}). Must not block. */
        void transfer(RaftGroupId group, boolean starting);
    }

    private final Observer observer;

    TransferLeadershipGuard(Observer observer) {
        this.observer = observer;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!call.getMethodDescriptor().getFullMethodName().endsWith(TRANSFER_METHOD)) {
            return next.startCall(call, headers);
        }
        Tracked tracked = new Tracked();
        ServerCall<Q, R> watched = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                tracked.end();
                super.close(status, trailers);
            }
        };
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(watched, headers)) {
            @Override
            public void onMessage(Q message) {
                if (message instanceof TransferLeadershipRequestProto request) {
                    tracked.start(RaftGroupId.valueOf(request.getRpcRequest().getRaftGroupId().getId()));
                }
                super.onMessage(message);
            }

            @Override
            public void onCancel() {
                tracked.end();
                super.onCancel();
            }
        };
    }

    /** One call's transfer: started at most once, ended at most once, and only if started. */
    private final class Tracked {
        private RaftGroupId group;
        private boolean ended;

        synchronized void start(RaftGroupId g) {
            if (group == null && !ended) {
                group = g;
                observer.transfer(g, true);
            }
        }

        synchronized void end() {
            if (!ended) {
                ended = true;
                if (group != null) {
                    observer.transfer(group, false);
                }
            }
        }
    }
}
