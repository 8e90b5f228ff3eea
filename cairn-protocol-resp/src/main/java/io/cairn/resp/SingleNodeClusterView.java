package io.cairn.resp;

import java.util.List;
import java.util.Objects;
import java.util.function.IntSupplier;

/** A one-node cluster: this node is the primary of every slot. */
public final class SingleNodeClusterView implements ClusterView {
    private final String nodeId;
    private final String host;
    private final IntSupplier port;

    /**
     * @param nodeId 40-character hex id
     * @param host   the address the node listens on (a wildcard is reported per connection)
     * @param port   the bound RESP port, read when asked (the port is known only after binding)
     */
    public SingleNodeClusterView(String nodeId, String host, IntSupplier port) {
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        this.host = Objects.requireNonNull(host, "host");
        this.port = Objects.requireNonNull(port, "port");
        if (!nodeId.matches("[0-9a-f]{40}")) {
            throw new IllegalArgumentException("node id must be 40 lower-case hex characters: " + nodeId);
        }
    }

    @Override
    public String myId() {
        return nodeId;
    }

    @Override
    public List<Node> nodes() {
        return List.of(new Node(nodeId, host, port.getAsInt(), 0, true, null, 0, true,
                List.of(new SlotRange(0, SLOTS - 1))));
    }

    @Override
    public long currentEpoch() {
        return 0;
    }
}
