package io.cairn.resp;

import io.cairn.storage.SlotHash;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A three-node cluster as one of its nodes sees it, for unit tests: {@link #partitions} partitions,
 * each held by all three nodes, its leader set by the test ({@link #lead}; -1 = no leader known).
 * Node i (0..2) has id {@code "<i repeated>"}, host 127.0.0.1 and RESP port 7001 + i.
 */
final class FakeClusterView implements ClusterView {
    static final List<String> IDS = List.of("0".repeat(40), "1".repeat(40), "2".repeat(40));

    final int partitions;
    final int me;
    private final int[] leaders;
    /** Partitions this node holds a copy of (all of them unless the test removes some). */
    final Set<Integer> hosted = ConcurrentHashMap.newKeySet();
    /** What {@link #localKeyCount} answers, per partition. */
    final long[] localKeys;

    FakeClusterView(int partitions, int me) {
        this.partitions = partitions;
        this.me = me;
        this.leaders = new int[partitions];
        this.localKeys = new long[partitions];
        for (int p = 0; p < partitions; p++) {
            hosted.add(p);
        }
    }

    /** Node {@code node} (-1: none known) leads partition {@code p} from now on. */
    synchronized void lead(int p, int node) {
        leaders[p] = node;
    }

    synchronized int leader(int p) {
        return leaders[p];
    }

    static int port(int node) {
        return 7001 + node;
    }

    @Override
    public String myId() {
        return IDS.get(me);
    }

    @Override
    public synchronized List<Partition> partitions() {
        List<Partition> out = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            List<String> replicas = new ArrayList<>(IDS);
            // placement order: the preferred leader first
            java.util.Collections.rotate(replicas, -(p % 3));
            out.add(new Partition(p, new SlotRange(SlotHash.firstSlotOf(p, partitions), SlotHash.lastSlotOf(p, partitions)),
                    leaders[p] < 0 ? null : IDS.get(leaders[p]), replicas, hosted.contains(p)));
        }
        return out;
    }

    @Override
    public int partitionOfSlot(int slot) {
        return SlotHash.partitionOfSlot(slot, partitions);
    }

    @Override
    public synchronized Route route(int slot) {
        int p = partitionOfSlot(slot);
        int l = leaders[p];
        Endpoint e = l < 0 ? null : new Endpoint(IDS.get(l), "127.0.0.1", port(l));
        return new Route(p, e, l == me, hosted.contains(p));
    }

    @Override
    public long localKeyCount(int partition) {
        return hosted.contains(partition) ? localKeys[partition] : -1;
    }

    @Override
    public List<Node> nodes() {
        List<Partition> parts = partitions();
        List<Node> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            out.add(new Node(IDS.get(i), "127.0.0.1", port(i), 17001 + i, true, null, 0, true,
                    ClusterView.slotsLedBy(IDS.get(i), parts)));
        }
        return out;
    }

    @Override
    public long currentEpoch() {
        return 0;
    }

    /** A key (prefix + number) whose slot falls in partition {@code p}. */
    String keyIn(int p, String prefix) {
        for (int i = 0; ; i++) {
            String k = prefix + i;
            if (partitionOfSlot(SlotHash.slot(k.getBytes(java.nio.charset.StandardCharsets.UTF_8))) == p) {
                return k;
            }
        }
    }
}
