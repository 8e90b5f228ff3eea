package io.cairn.cluster;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One member of a statically configured cluster, as written in {@code --peers}:
 * {@code name@host:raftPort[/respPort]}. The RESP port is what CLUSTER NODES/SLOTS advertise to
 * cluster-aware clients; without it they are told the node's Raft port is unknown (port 0).
 */
public record Peer(String name, String host, int raftPort, int respPort) {
    public Peer {
        if (name == null || !name.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("peer name must be 1-64 of [A-Za-z0-9_-], got '" + name + "'");
        }
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("peer " + name + " needs a host");
        }
        if (raftPort < 1 || raftPort > 65535) {
            throw new IllegalArgumentException("peer " + name + ": raft port must be in 1..65535, got " + raftPort);
        }
        if (respPort < 0 || respPort > 65535) {
            throw new IllegalArgumentException("peer " + name + ": RESP port must be in 0..65535, got " + respPort);
        }
    }

    public String raftAddress() {
        return host + ":" + raftPort;
    }

    /** Parses {@code n1@127.0.0.1:7001/6381,n2@...}; names and Raft addresses must be distinct. */
    public static List<Peer> parseList(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("peers: expected name@host:raftPort[/respPort],..., got nothing");
        }
        List<Peer> peers = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        for (String part : spec.split(",")) {
            Peer p = parse(part.trim());
            if (!names.add(p.name())) {
                throw new IllegalArgumentException("peers: name '" + p.name() + "' appears twice");
            }
            if (!addresses.add(p.raftAddress())) {
                throw new IllegalArgumentException("peers: address " + p.raftAddress() + " appears twice");
            }
            peers.add(p);
        }
        if (peers.size() > 1024) {
            throw new IllegalArgumentException("peers: at most 1024 nodes, got " + peers.size());
        }
        return List.copyOf(peers);
    }

    static Peer parse(String s) {
        int at = s.indexOf('@');
        int colon = s.lastIndexOf(':');
        if (at <= 0 || colon < at + 2 || colon == s.length() - 1) {
            throw new IllegalArgumentException("peer '" + s + "': expected name@host:raftPort[/respPort]");
        }
        String name = s.substring(0, at);
        String host = s.substring(at + 1, colon);
        String ports = s.substring(colon + 1);
        int slash = ports.indexOf('/');
        try {
            int raft = Integer.parseInt(slash < 0 ? ports : ports.substring(0, slash));
            int resp = slash < 0 ? 0 : Integer.parseInt(ports.substring(slash + 1));
            return new Peer(name, host, raft, resp);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("peer '" + s + "': ports must be numbers");
        }
    }

    @Override
    public String toString() {
        return name + "@" + host + ":" + raftPort + (respPort > 0 ? "/" + respPort : "");
    }
}
