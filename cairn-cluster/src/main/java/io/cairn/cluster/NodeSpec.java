package io.cairn.cluster;

import java.util.regex.Pattern;

/**
 * What a node tells the controller about itself when it joins: its id, where its Raft server
 * listens ({@code host:port}, the address its peers replicate to), where it serves RESP
 * ({@code host:port}, advertised to clients by CLUSTER SLOTS/NODES and MOVED replies) and its
 * optional failure zone ({@code ""} for none). Placement spreads a partition's replicas over
 * distinct zones when there are enough of them.
 */
public record NodeSpec(String id, String raftAddress, String respAddress, String zone) {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern ZONE = Pattern.compile("[A-Za-z0-9_.-]{0,64}");

    public NodeSpec {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("node id must be 1-64 of [A-Za-z0-9_-], got '" + id + "'");
        }
        checkAddress(id, "raft", raftAddress);
        checkAddress(id, "RESP", respAddress);
        if (zone == null) {
            zone = "";
        }
        if (!ZONE.matcher(zone).matches()) {
            throw new IllegalArgumentException("node " + id + ": zone must be 0-64 of [A-Za-z0-9_.-], got '" + zone + "'");
        }
    }

    /** Accepts {@code host:port} with a port in 1..65535 (IPv6 hosts in brackets: {@code [::1]:7001}). */
    static void checkAddress(String id, String what, String address) {
        if (address == null || address.length() > 255) {
            throw new IllegalArgumentException("node " + id + ": " + what + " address must be host:port, got '" + address + "'");
        }
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1 || address.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("node " + id + ": " + what + " address must be host:port, got '" + address + "'");
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("node " + id + ": " + what + " port must be a number, got '" + address + "'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("node " + id + ": " + what + " port must be in 1..65535, got '" + address + "'");
        }
    }

    /** The node of a statically configured {@link Peer}; a peer without a RESP port advertises its Raft host with port 6380. */
    public static NodeSpec of(Peer peer, String zone) {
        int resp = peer.respPort() > 0 ? peer.respPort() : 6380;
        return new NodeSpec(peer.name(), peer.raftAddress(), peer.host() + ":" + resp, zone);
    }
}
