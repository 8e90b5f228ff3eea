package io.cairn.cluster.agent;

import io.cairn.cluster.ClusterMap;
import io.cairn.cluster.NodeInfo;
import io.cairn.cluster.NodeState;
import io.cairn.cluster.PartitionReplicas;
import io.cairn.raft.RaftNode;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.ProtoUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes this node's replicas match the map, on every map change and periodically ({@code
 * cluster.reconcile-interval-ms}); one pass at a time on its own thread, passes requested
 * meanwhile coalesce into one.
 *
 * <p>Per partition: point the node's client at the map's replicas, preferred leader first — the
 * order the node's leader balancing follows (not at a move's destination, which the clients learn
 * once it votes); host a replica if the map assigns one here (a replica, or the destination of a
 * move: hosted empty and non-voting until the controller's {@code changeReplicas} catches it up
 * and makes it a voter); drop a replica the map no longer involves — {@link RaftNode#dropReplica} does so only once the
 * partition's leader confirms this node is no longer a voter, so the copy that still counts is
 * never deleted, and a refused drop is simply tried again on a later pass. A replica the map
 * assigns here that is not on disk is created empty and caught up by the group's leader; the one
 * exception is a partition whose only replica the map puts here (the bootstrap): it is created as
 * a one-voter group, which only the bootstrap or a partition never moved since may do.
 *
 * <p>The controller replica: once this node is LEFT, or the controller leader (confirmed in a
 * term at least this replica's) no longer counts it among the members although it was one, and
 * is not catching it up to add it back (it is not among the leader's followers), its controller
 * replica is removed. (A node re-added to the controller group before that — it came
 * back UP and the group needed a member — keeps its replica, which the leader catches up like any
 * lagging member.)
 */
final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final ClusterAgent agent;
    private final RaftNode node;
    private final ExecutorService thread;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final AtomicBoolean forceClients = new AtomicBoolean();
    /** Per partition, the peers (id@address, in order) last given to the node's client. Guarded by this. */
    private final Map<Integer, List<String>> pushed = new HashMap<>();
    private volatile Map<String, String> heardMembers = Map.of();
    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong hostedNew = new AtomicLong();
    private volatile boolean closed;

    Reconciler(ClusterAgent agent) {
        this.agent = agent;
        this.node = agent.node;
        this.thread = Executors.newSingleThreadExecutor(ClusterAgent.daemon("cairn-agent-reconciler-" + agent.selfId));
    }

    /** Requests a pass (coalesced with one already pending). */
    void wake() {
        if (closed || !pending.compareAndSet(false, true)) {
            return;
        }
        try {
            thread.execute(this::run);
        } catch (RejectedExecutionException e) {
            pending.set(false);
        }
    }

    /** The periodic pass: also re-feeds every client (the node may have reordered a partition's peers meanwhile). */
    void resync() {
        forceClients.set(true);
        wake();
    }

    void controllerMembersHeard(Map<String, String> members) {
        heardMembers = members;
    }

    private void run() {
        pending.set(false);
        try {
            reconcile(agent.map(), true);
        } catch (RuntimeException e) {
            LOG.warn("node {}: reconciling with the map failed: {}", agent.selfId, e.toString(), e);
        }
    }

    /**
     * One pass over {@code m}; drops replicas only if {@code mayDrop} (the start does not wait on
     * drops: the first background pass does them).
     */
    synchronized void reconcile(ClusterMap m, boolean mayDrop) {
        if (closed || !m.isBootstrapped()) {
            return;
        }
        passes.incrementAndGet();
        boolean force = forceClients.getAndSet(false);
        String self = agent.selfId;
        Duration timeout = Duration.ofMillis(agent.config.replicaOpTimeoutMs());
        Map<Integer, List<RaftPeer>> firstReplicas = new java.util.TreeMap<>();
        for (PartitionReplicas part : m.partitions()) {
            if (closed) {
                return;
            }
            int p = part.partition();
            // The map's replicas only, not a move's destination: until the destination hosts the group a
            // request sent there fails with "group mismatch", which Ratis's client does not retry (and it
            // fails the client's other requests with it). Nodes learn of the destination once it is a voter:
            // from their own replica's configuration, from "not leader" answers, and from CompleteMove.
            List<RaftPeer> peers = ClusterAgent.peers(m, part.replicas());
            List<String> key = peers.stream().map(x -> x.getId() + "@" + x.getAddress()).toList();
            try {
                if (force || !key.equals(pushed.get(p))) {
                    node.updateReplicas(p, peers);
                    pushed.put(p, key);
                }
                boolean involved = part.replicas().contains(self) || (part.move() != null && self.equals(part.move().add()));
                // A replica removed from the group earlier closes itself but still counts as hosted until
                // dropped; if the map lists this node again (a move back), it must be replaced by a fresh
                // one, or the leader's catch-up would wait on a replica that never answers.
                if (involved && (!node.hosts(p) || !divisionAlive(p))) {
                    host(m, part, timeout, firstReplicas);
                } else if (!involved && mayDrop && (node.hosts(p) || hasGroup(p))) {
                    // A replica removed from its group while it led closes itself and no longer counts as
                    // hosted, but its group and its data stay until dropped.
                    drop(p, m, timeout);
                }
            } catch (IOException | RuntimeException e) {
                LOG.info("node {}: partition {} not reconciled with the map at epoch {} yet: {}", self, p, m.epoch(), e.toString());
            }
        }
        if (!firstReplicas.isEmpty()) {
            // Created together: RaftNode adds the groups in parallel (a bootstrap creates every partition).
            try {
                node.join(firstReplicas, Duration.ofMillis(agent.config.replicaOpTimeoutMs() + 50L * firstReplicas.size()));
                hostedNew.addAndGet(firstReplicas.size());
                LOG.info("node {}: hosts the first replica of partitions {}", self, firstReplicas.keySet());
            } catch (IOException | RuntimeException e) {
                LOG.warn("node {}: creating the first replicas of partitions {} failed: {}", self, firstReplicas.keySet(),
                        e.toString());
            }
        }
        if (mayDrop) {
            cleanUpController(m);
        }
    }

    private void host(ClusterMap m, PartitionReplicas part, Duration timeout, Map<Integer, List<RaftPeer>> firstReplicas)
            throws IOException {
        int p = part.partition();
        List<String> others = part.replicas().stream().filter(r -> !r.equals(agent.selfId)).toList();
        if (others.isEmpty()) {
            // The map says the only replica is here. That is the bootstrap's doing; otherwise this node
            // lost its copy, and an empty one-voter group would answer for keys it no longer has.
            if (!agent.bootstrappedHere() && part.changedAtEpoch() > 1) {
                LOG.error("node {}: the map lists this node as partition {}'s only replica but it has none: its data is"
                        + " lost; not creating an empty one (restore the node's data directory)", agent.selfId, p);
                return;
            }
            if (!agent.bootstrappedHere()) {
                // Never moved since the bootstrap: this node created the cluster and stopped before creating it
                // (or lost its data directory, then the partition starts empty).
                LOG.warn("node {}: creating partition {}'s only replica, which the bootstrap assigned here", agent.selfId, p);
            }
            firstReplicas.put(p, List.of(ClusterAgent.peer(m, agent.selfId)));
            return;
        }
        List<RaftPeer> current = ClusterAgent.peers(m, others);
        try {
            node.hostReplica(p, current, timeout);
        } catch (IllegalStateException stopped) {
            // A replica that left the group earlier and stopped itself is still here: delete it first
            // (dropReplica refuses if it were still a voter), then host a fresh one.
            LOG.info("node {}: partition {}: {}", agent.selfId, p, stopped.getMessage());
            node.dropReplica(p, timeout);
            node.hostReplica(p, current, timeout);
        }
        hostedNew.incrementAndGet();
        LOG.info("node {}: hosts a replica of partition {} (map epoch {}{})", agent.selfId, p, m.epoch(),
                part.move() != null && agent.selfId.equals(part.move().add()) ? ", destination of move " + part.move() : "");
    }

    /** True if this node's replica of {@code p} exists and is not closing or closed. */
    private boolean divisionAlive(int p) {
        try {
            return node.division(p).getInfo().isAlive();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** True if this node's Raft server still has partition {@code p}'s group (alive or closed). */
    private boolean hasGroup(int p) {
        try {
            node.division(p);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void drop(int p, ClusterMap m, Duration timeout) throws IOException {
        try {
            if (node.dropReplica(p, timeout)) {
                dropped.incrementAndGet();
                LOG.info("node {}: dropped its replica of partition {} (not in the map at epoch {})", agent.selfId, p, m.epoch());
            }
        } catch (IllegalStateException stillNeeded) {
            // Still a voter, or a change is half done: the copy stays until a later pass.
            LOG.debug("node {}: keeping partition {} for now: {}", agent.selfId, p, stillNeeded.getMessage());
        }
    }

    /**
     * Removes this node's controller replica once it no longer belongs to the group: the node has
     * left, or the leader's (stable) configuration leaves it out although the replica was a voter.
     * A replica that was never a voter may be a new member the leader is catching up: kept.
     */
    private void cleanUpController(ClusterMap m) {
        Optional<RaftServer.Division> local = agent.localControllerDivision();
        if (local.isEmpty()) {
            return;
        }
        RaftServer.Division d = local.get();
        RaftPeerId me = ClusterAgent.peerId(agent.selfId);
        boolean left = m.node(agent.selfId).map(NodeInfo::state).map(s -> s == NodeState.LEFT).orElse(true);
        Map<String, String> members = heardMembers;
        if (!left && (members.isEmpty() || members.containsKey(agent.selfId))) {
            return;
        }
        if (!left && d.getRaftConf().getPeer(me) == null) {
            return;
        }
        if (d.getInfo().isLeader()) {
            return;
        }
        long localTerm = d.getInfo().getCurrentTerm();
        Map<String, String> ask = new java.util.LinkedHashMap<>(members);
        d.getRaftConf().getCurrentPeers().forEach(x -> ask.putIfAbsent(x.getId().toString(), x.getAddress()));
        ask.remove(agent.selfId);
        for (Map.Entry<String, String> c : ask.entrySet()) {
            RaftPeer peer = RaftPeer.newBuilder().setId(c.getKey()).setAddress(c.getValue()).build();
            try (RaftClient client = agent.oneShotClient(List.of(peer), Math.min(agent.config.commandTimeoutMs(), 5000))) {
                GroupInfoReply info = client.getGroupManagementApi(peer.getId()).info(agent.controllerGroupId);
                if (!info.isSuccess() || info.getRoleInfoProto().getRole() != RaftPeerRole.LEADER || info.getConf().isEmpty()) {
                    continue;
                }
                long term = info.getRoleInfoProto().getLeaderInfo().getTerm();
                var conf = info.getConf().get();
                boolean member = ProtoUtils.toRaftPeers(conf.getPeersList()).stream().anyMatch(x -> x.getId().equals(me))
                        || ProtoUtils.toRaftPeers(conf.getOldPeersList()).stream().anyMatch(x -> x.getId().equals(me));
                // A leader replicating to this node is catching it up to add it (a change's staging phase, not in
                // any configuration yet): the replica is wanted. Deleting it then stalled the change until it timed out.
                boolean catchingUp = info.getRoleInfoProto().getLeaderInfo().getFollowerInfoList().stream()
                        .anyMatch(f -> f.getId().getId().toStringUtf8().equals(agent.selfId));
                if (term < localTerm || conf.getOldPeersCount() > 0 || member || catchingUp) {
                    return;
                }
                if (agent.localControllerDivision().orElse(null) != d) {
                    return; // replaced meanwhile (the leader deleted the leftover and hosted a fresh one): look again later
                }
                removeLocalController(term);
                return;
            } catch (IOException | RuntimeException e) {
                LOG.debug("node {}: {} did not answer about the controller: {}", agent.selfId, c.getKey(), e.toString());
            }
        }
    }

    private void removeLocalController(long leaderTerm) {
        RaftPeer me = node.peer();
        try (RaftClient client = agent.oneShotClient(List.of(me), agent.config.replicaOpTimeoutMs())) {
            RaftClientReply r = client.getGroupManagementApi(me.getId()).remove(agent.controllerGroupId, true, false);
            if (r.isSuccess()) {
                LOG.info("node {}: removed its controller replica (no longer a member as of the leader's term {})",
                        agent.selfId, leaderTerm);
            } else {
                LOG.info("node {}: removing its controller replica failed: {}", agent.selfId, r.getException());
            }
        } catch (IOException | RuntimeException e) {
            LOG.info("node {}: removing its controller replica failed: {}", agent.selfId, e.toString());
        }
    }

    long passes() {
        return passes.get();
    }

    long dropped() {
        return dropped.get();
    }

    long hostedNew() {
        return hostedNew.get();
    }

    void close() {
        closed = true;
        thread.shutdownNow();
        try {
            thread.awaitTermination(agent.config.replicaOpTimeoutMs(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
