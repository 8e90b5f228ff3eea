package io.cairn.resp;

import io.cairn.storage.SlotHash;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.IntSupplier;

/** A one-node cluster: this node holds and leads every partition, so it serves every slot. */
public final class SingleNodeClusterView implements ClusterView {
    private final String nodeId;
    private final String host;
    private final IntSupplier port;
    private final int partitions;
    private final List<Partition> partitionList;

    /**
     * A view with one partition: right for everything the CLUSTER commands report; a server
     * that knows its partition count should pass it ({@link #SingleNodeClusterView(String, String,
     * IntSupplier, int)}) so that walks of one slot's keys scan only that slot's partition.
     */
    public SingleNodeClusterView(String nodeId, String host, IntSupplier port) {
        this(nodeId, host, port, 1);
    }

    /**
     * @param nodeId     40-character hex id
     * @param host       the address the node listens on (a wildcard is reported per connection)
     * @param port       the bound RESP port, read when asked (the port is known only after binding)
     * @param partitions the node's partition count (slots map to partitions as {@link SlotHash#partitionOfSlot})
     */
    public SingleNodeClusterView(String nodeId, String host, IntSupplier port, int partitions) {
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        this.host = Objects.requireNonNull(host, "host");
        this.port = Objects.requireNonNull(port, "port");
        if (!nodeId.matches("[0-9a-f]{40}")) {
            throw new IllegalArgumentException("node id must be 40 lower-case hex characters: " + nodeId);
        }
        if (partitions < 1 || partitions > SLOTS) {
            throw new IllegalArgumentException("partitions must be in 1.." + SLOTS + ", got " + partitions);
        }
        this.partitions = partitions;
        List<Partition> list = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            list.add(new Partition(p, new SlotRange(SlotHash.firstSlotOf(p, partitions), SlotHash.lastSlotOf(p, partitions)),
                    nodeId, List.of(nodeId), true));
        }
        this.partitionList = List.copyOf(list);
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
    public List<Partition> partitions() {
        return partitionList;
    }

    @Override
    public int partitionOfSlot(int slot) {
        return SlotHash.partitionOfSlot(slot, partitions);
    }

    @Override
    public Route route(int slot) {
        return new Route(partitionOfSlot(slot), new Endpoint(nodeId, host, port.getAsInt()), true, true);
    }

    /** Never asked: DBSIZE asks the command service when this node leads every partition. */
    @Override
    public long localKeyCount(int partition) {
        throw new UnsupportedOperationException("a single node answers DBSIZE through its command service");
    }

    @Override
    public long currentEpoch() {
        return 0;
    }
}
