package io.cairn.cluster;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON encoding of control commands (the controller group's log entries), their replies and the
 * cluster map (snapshots, query answers). JSON because the map is small (a few hundred bytes per
 * node plus ~60 per partition), changes rarely, and is read by people debugging a cluster.
 *
 * <p>The encoding is explicit (field by field, fixed order, nodes sorted by id), not reflective,
 * so equal values always encode to equal bytes and a renamed Java field cannot silently change
 * the replicated format. Decoding is strict about what it needs (missing or mistyped fields are
 * refused with a {@link ClusterCodecException}) and ignores fields it does not know, so a newer
 * writer can add some. A decoded map passes through {@link ClusterMap}'s invariant checks.
 */
public final class ClusterCodec {
    /** Bumped when the map's encoding changes incompatibly; a reader refuses formats it does not know. */
    public static final int MAP_FORMAT = 1;
    /** Refuse oversized input before parsing: a map of 16384 partitions and 4096 nodes is well below this. */
    public static final int MAX_ENCODED_BYTES = 64 << 20;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private ClusterCodec() {
    }

    /** A malformed command, reply or map. */
    public static final class ClusterCodecException extends IllegalArgumentException {
        public ClusterCodecException(String message) {
            super(message);
        }

        public ClusterCodecException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    // ------------------------------------------------------------------ commands

    public static byte[] encode(ControlCommand command) {
        ObjectNode o = F.objectNode();
        switch (command) {
            case ControlCommand.Bootstrap c -> {
                o.put("type", "bootstrap");
                o.set("settings", settings(c.settings()));
                o.set("node", spec(c.firstNode()));
            }
            case ControlCommand.Join c -> {
                o.put("type", "join");
                o.set("node", spec(c.node()));
            }
            case ControlCommand.MarkUp c -> nodeObservation(o, "mark-up", c.node(), c.observedAtEpoch());
            case ControlCommand.MarkSuspect c -> nodeObservation(o, "mark-suspect", c.node(), c.observedAtEpoch());
            case ControlCommand.MarkDown c -> nodeObservation(o, "mark-down", c.node(), c.observedAtEpoch());
            case ControlCommand.Leave c -> o.put("type", "leave").put("node", c.node());
            case ControlCommand.Remove c -> o.put("type", "remove").put("node", c.node());
            case ControlCommand.BeginMove c -> move(o, "begin-move", c.partition(), c.add(), c.remove()).put("expectedEpoch", c.expectedEpoch());
            case ControlCommand.CompleteMove c -> move(o, "complete-move", c.partition(), c.add(), c.remove()).put("startedAtEpoch", c.startedAtEpoch());
            case ControlCommand.AbortMove c -> move(o, "abort-move", c.partition(), c.add(), c.remove()).put("startedAtEpoch", c.startedAtEpoch());
            case ControlCommand.SetPreferredLeader c -> o.put("type", "set-preferred-leader").put("partition", c.partition())
                    .put("node", c.node()).put("expectedEpoch", c.expectedEpoch());
            case ControlCommand.RequestRebalance c -> o.put("type", "request-rebalance");
            case ControlCommand.ClearRebalance c -> o.put("type", "clear-rebalance").put("requestedAtEpoch", c.requestedAtEpoch());
        }
        return write(o);
    }

    private static void nodeObservation(ObjectNode o, String type, String node, long observedAtEpoch) {
        o.put("type", type).put("node", node).put("observedAtEpoch", observedAtEpoch);
    }

    private static ObjectNode move(ObjectNode o, String type, int partition, String add, String remove) {
        o.put("type", type).put("partition", partition).put("add", add);
        if (remove == null) {
            o.putNull("remove");
        } else {
            o.put("remove", remove);
        }
        return o;
    }

    public static ControlCommand decodeCommand(byte[] bytes) {
        JsonNode o = read(bytes, "command");
        String type = text(o, "type");
        try {
            return switch (type) {
                case "bootstrap" -> new ControlCommand.Bootstrap(settings(field(o, "settings")), spec(field(o, "node")));
                case "join" -> new ControlCommand.Join(spec(field(o, "node")));
                case "mark-up" -> new ControlCommand.MarkUp(text(o, "node"), longValue(o, "observedAtEpoch"));
                case "mark-suspect" -> new ControlCommand.MarkSuspect(text(o, "node"), longValue(o, "observedAtEpoch"));
                case "mark-down" -> new ControlCommand.MarkDown(text(o, "node"), longValue(o, "observedAtEpoch"));
                case "leave" -> new ControlCommand.Leave(text(o, "node"));
                case "remove" -> new ControlCommand.Remove(text(o, "node"));
                case "begin-move" -> new ControlCommand.BeginMove(intValue(o, "partition"), text(o, "add"),
                        optText(o, "remove"), longValue(o, "expectedEpoch"));
                case "complete-move" -> new ControlCommand.CompleteMove(intValue(o, "partition"), text(o, "add"),
                        optText(o, "remove"), longValue(o, "startedAtEpoch"));
                case "abort-move" -> new ControlCommand.AbortMove(intValue(o, "partition"), text(o, "add"),
                        optText(o, "remove"), longValue(o, "startedAtEpoch"));
                case "set-preferred-leader" -> new ControlCommand.SetPreferredLeader(intValue(o, "partition"),
                        text(o, "node"), longValue(o, "expectedEpoch"));
                case "request-rebalance" -> new ControlCommand.RequestRebalance();
                case "clear-rebalance" -> new ControlCommand.ClearRebalance(longValue(o, "requestedAtEpoch"));
                default -> throw new ClusterCodecException("unknown command type '" + type + "'");
            };
        } catch (ClusterCodecException e) {
            throw e;
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ClusterCodecException("invalid " + type + " command: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ replies

    /**
     * The controller's answer to a command: accepted (with the new epoch) or refused (with the
     * reason, its message and the epoch of the unchanged map).
     */
    public record ControlReply(boolean accepted, long epoch, ApplyResult.Reason reason, String message) {
        public static ControlReply of(ApplyResult result, long epochBefore) {
            return switch (result) {
                case ApplyResult.Applied a -> new ControlReply(true, a.map().epoch(), null, "");
                case ApplyResult.Rejected r -> new ControlReply(false, epochBefore, r.reason(), r.message());
            };
        }

        /** Redis-style error text of a refusal ({@code STALEEPOCH ...}), or "OK". */
        public String errorLine() {
            return accepted ? "OK" : reason.code() + " " + message;
        }
    }

    public static byte[] encode(ControlReply reply) {
        ObjectNode o = F.objectNode().put("accepted", reply.accepted()).put("epoch", reply.epoch());
        if (!reply.accepted()) {
            o.put("reason", reply.reason().name()).put("message", reply.message());
        }
        return write(o);
    }

    public static ControlReply decodeReply(byte[] bytes) {
        JsonNode o = read(bytes, "reply");
        JsonNode accepted = field(o, "accepted");
        if (!accepted.isBoolean()) {
            throw new ClusterCodecException("reply field 'accepted' must be a boolean");
        }
        if (accepted.booleanValue()) {
            return new ControlReply(true, longValue(o, "epoch"), null, "");
        }
        return new ControlReply(false, longValue(o, "epoch"), enumValue(ApplyResult.Reason.class, o, "reason"), text(o, "message"));
    }

    // ------------------------------------------------------------------ heartbeats

    /**
     * The controller leader's answer to a heartbeat: the map's epoch and the controller group's
     * members (node id to Raft address; both sets while a membership change is half done).
     */
    public record HeartbeatReply(long epoch, java.util.Map<String, String> controllers) {
        public HeartbeatReply {
            if (epoch < 0) {
                throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
            }
            controllers = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(controllers));
        }
    }

    public static byte[] encode(HeartbeatReply reply) {
        ObjectNode o = F.objectNode().put("epoch", reply.epoch());
        ObjectNode c = o.putObject("controllers");
        reply.controllers().forEach(c::put);
        return write(o);
    }

    public static HeartbeatReply decodeHeartbeatReply(byte[] bytes) {
        JsonNode o = read(bytes, "heartbeat reply");
        JsonNode c = field(o, "controllers");
        if (!c.isObject()) {
            throw new ClusterCodecException("field 'controllers' must be an object");
        }
        java.util.Map<String, String> controllers = new java.util.TreeMap<>();
        for (java.util.Map.Entry<String, JsonNode> e : c.properties()) {
            if (!e.getValue().isTextual()) {
                throw new ClusterCodecException("controller " + e.getKey() + ": address must be a string");
            }
            controllers.put(e.getKey(), e.getValue().textValue());
        }
        try {
            return new HeartbeatReply(longValue(o, "epoch"), controllers);
        } catch (IllegalArgumentException e) {
            throw new ClusterCodecException("invalid heartbeat reply: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ map

    public static byte[] encode(ClusterMap map) {
        ObjectNode o = F.objectNode().put("format", MAP_FORMAT).put("epoch", map.epoch());
        if (!map.isBootstrapped()) {
            return write(o);
        }
        o.set("settings", settings(map.settings()));
        if (map.rebalanceRequestedAtEpoch() > 0) {
            // Absent when none: maps written before the field existed read the same.
            o.put("rebalanceRequestedAtEpoch", map.rebalanceRequestedAtEpoch());
        }
        ArrayNode nodes = o.putArray("nodes");
        for (NodeInfo n : map.nodes()) {
            ObjectNode j = spec(n.spec());
            j.put("state", n.state().name()).put("since", n.sinceEpoch());
            nodes.add(j);
        }
        ArrayNode parts = o.putArray("partitions");
        for (PartitionReplicas p : map.partitions()) {
            ObjectNode j = F.objectNode();
            ArrayNode rs = j.putArray("replicas");
            p.replicas().forEach(rs::add);
            j.put("changed", p.changedAtEpoch());
            if (p.move() != null) {
                ObjectNode m = j.putObject("move").put("add", p.move().add());
                if (p.move().remove() == null) {
                    m.putNull("remove");
                } else {
                    m.put("remove", p.move().remove());
                }
                m.put("started", p.move().startedAtEpoch());
            }
            parts.add(j);
        }
        return write(o);
    }

    public static ClusterMap decodeMap(byte[] bytes) {
        JsonNode o = read(bytes, "cluster map");
        int format = intValue(o, "format");
        if (format != MAP_FORMAT) {
            throw new ClusterCodecException("cluster map format " + format + " is not supported (this version reads "
                    + MAP_FORMAT + ")");
        }
        long epoch = longValue(o, "epoch");
        try {
            if (epoch == 0) {
                return new ClusterMap(0, null, List.of(), List.of());
            }
            ClusterSettings settings = settings(field(o, "settings"));
            List<NodeInfo> nodes = new ArrayList<>();
            for (JsonNode j : array(o, "nodes")) {
                nodes.add(new NodeInfo(spec(j), enumValue(NodeState.class, j, "state"), longValue(j, "since")));
            }
            List<PartitionReplicas> parts = new ArrayList<>();
            int p = 0;
            for (JsonNode j : array(o, "partitions")) {
                List<String> replicas = new ArrayList<>();
                for (JsonNode r : array(j, "replicas")) {
                    if (!r.isTextual()) {
                        throw new ClusterCodecException("partition " + p + ": replicas must be node ids");
                    }
                    replicas.add(r.textValue());
                }
                ReplicaMove move = null;
                JsonNode m = j.get("move");
                if (m != null && !m.isNull()) {
                    move = new ReplicaMove(text(m, "add"), optText(m, "remove"), longValue(m, "started"));
                }
                parts.add(new PartitionReplicas(p, replicas, move, longValue(j, "changed")));
                p++;
            }
            JsonNode rebalance = o.get("rebalanceRequestedAtEpoch");
            long rebalanceRequestedAtEpoch = rebalance == null || rebalance.isNull() ? 0 : longValue(o, "rebalanceRequestedAtEpoch");
            return new ClusterMap(epoch, settings, nodes, parts, rebalanceRequestedAtEpoch);
        } catch (ClusterCodecException e) {
            throw e;
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ClusterCodecException("invalid cluster map: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ parts

    private static ObjectNode settings(ClusterSettings s) {
        return F.objectNode().put("clusterId", s.clusterId()).put("partitions", s.partitions())
                .put("replicationFactor", s.replicationFactor()).put("vnodesPerNode", s.vnodesPerNode())
                .put("maxConcurrentMoves", s.maxConcurrentMoves()).put("maxNodes", s.maxNodes());
    }

    private static ClusterSettings settings(JsonNode j) {
        return new ClusterSettings(text(j, "clusterId"), intValue(j, "partitions"), intValue(j, "replicationFactor"),
                intValue(j, "vnodesPerNode"), intValue(j, "maxConcurrentMoves"), intValue(j, "maxNodes"));
    }

    private static ObjectNode spec(NodeSpec s) {
        return F.objectNode().put("id", s.id()).put("raft", s.raftAddress()).put("resp", s.respAddress()).put("zone", s.zone());
    }

    private static NodeSpec spec(JsonNode j) {
        return new NodeSpec(text(j, "id"), text(j, "raft"), text(j, "resp"), j.has("zone") ? text(j, "zone") : "");
    }

    private static byte[] write(ObjectNode o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("encoding a JSON tree cannot fail", e);
        }
    }

    private static JsonNode read(byte[] bytes, String what) {
        if (bytes == null || bytes.length == 0) {
            throw new ClusterCodecException("empty " + what);
        }
        if (bytes.length > MAX_ENCODED_BYTES) {
            throw new ClusterCodecException(what + " of " + bytes.length + " bytes exceeds " + MAX_ENCODED_BYTES);
        }
        JsonNode o;
        try {
            o = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new ClusterCodecException(what + " is not valid JSON: " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
        if (o == null || !o.isObject()) {
            throw new ClusterCodecException(what + " must be a JSON object");
        }
        return o;
    }

    private static JsonNode field(JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) {
            throw new ClusterCodecException("missing field '" + name + "'");
        }
        return v;
    }

    private static String text(JsonNode o, String name) {
        JsonNode v = field(o, name);
        if (!v.isTextual()) {
            throw new ClusterCodecException("field '" + name + "' must be a string");
        }
        return v.textValue();
    }

    private static String optText(JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new ClusterCodecException("field '" + name + "' must be a string or null");
        }
        return v.textValue();
    }

    private static long longValue(JsonNode o, String name) {
        JsonNode v = field(o, name);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new ClusterCodecException("field '" + name + "' must be an integer");
        }
        return v.longValue();
    }

    private static int intValue(JsonNode o, String name) {
        JsonNode v = field(o, name);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new ClusterCodecException("field '" + name + "' must be a 32-bit integer");
        }
        return v.intValue();
    }

    private static ArrayNode array(JsonNode o, String name) {
        JsonNode v = field(o, name);
        if (!v.isArray()) {
            throw new ClusterCodecException("field '" + name + "' must be an array");
        }
        return (ArrayNode) v;
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, JsonNode o, String name) {
        String v = text(o, name);
        try {
            return Enum.valueOf(type, v);
        } catch (IllegalArgumentException e) {
            throw new ClusterCodecException("field '" + name + "': unknown value '" + v + "'");
        }
    }
}
