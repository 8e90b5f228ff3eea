package io.cairn.verify.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The network of one test cluster: a {@link LinkProxy} for every directed link between nodes,
 * plus the per-node hosts files that route each node's Raft connections through those proxies.
 *
 * <h2>The routing trick</h2>
 * Nodes are real {@code cairn server} processes on one machine, and each real node binds its Raft
 * port on {@code 127.0.0.1} only. The peer list names nodes by host name ({@code n2.cairn}), never
 * by IP, and every node process gets its own hosts file through the JVM option
 * {@code -Djdk.net.hosts.file=<hostsFile(node)>} (with it the JVM resolves names from that file
 * only). In node a's file the name of every other node b maps to the loopback address
 * {@code 127.0.<index(a)>.<index(b)>}, where the proxy for the link a→b listens on b's real Raft
 * port and forwards to {@code 127.0.0.1:<raftPort(b)>}. All of 127/8 is loopback on Linux, so no
 * interface configuration is needed, and a listener on {@code 127.0.A.B:p} does not clash with the
 * node's own {@code 127.0.0.1:p}. As a result every byte a sends to b (and b's replies on that
 * connection) crosses the proxy of a→b and nothing else, so faults can be injected per directed
 * link: blocking a→b and b→a partitions a from b; blocking only a→b is an asymmetric fault (a
 * cannot reach b, b can still reach a over its own connections).
 *
 * <p>Node {@code i} (0-based, in list order) has index {@code i + 1}; at most
 * {@value #MAX_NODES} nodes so that every index is a valid address byte. All fault operations are
 * synchronized; see {@link LinkProxy} for what blocking and healing a link do to its connections.
 */
public final class FaultNetwork implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(FaultNetwork.class.getName());

    /** Suffix of every node's host name. */
    public static final String DOMAIN = ".cairn";
    public static final int MAX_NODES = 250;
    /** Raft opens one or a few gRPC connections per peer; this leaves ample head room. */
    public static final int MAX_CONNECTIONS_PER_LINK = 64;

    private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    /** Where every real node binds its Raft port; explicit so that IPv6 preferences cannot change it. */
    private static final InetAddress LOCALHOST = loopback(1);

    private final List<String> nodes;
    private final Map<String, Integer> indexByName; // 1-based
    private final Map<String, Integer> raftPortByName;
    private final Map<String, Path> hostsFiles;
    /** links[from - 1][to - 1], null on the diagonal. */
    private final LinkProxy[][] links;
    private boolean closed;

    private FaultNetwork(List<String> nodes, Map<String, Integer> indexByName, Map<String, Integer> raftPortByName,
            Map<String, Path> hostsFiles, LinkProxy[][] links) {
        this.nodes = nodes;
        this.indexByName = indexByName;
        this.raftPortByName = raftPortByName;
        this.hostsFiles = hostsFiles;
        this.links = links;
    }

    /**
     * Starts a proxy for every ordered pair of distinct nodes and writes one hosts file per node
     * ({@code hostsDir/<name>.hosts}, directory created if needed).
     *
     * @param raftPortByName the real Raft port of every node (bound on 127.0.0.1)
     * @throws IOException if a proxy cannot bind or a hosts file cannot be written; everything
     *     started so far is closed again
     */
    public static FaultNetwork start(List<String> nodeNames, Map<String, Integer> raftPortByName, Path hostsDir)
            throws IOException {
        Objects.requireNonNull(hostsDir, "hostsDir");
        List<String> nodes = List.copyOf(nodeNames);
        if (nodes.isEmpty() || nodes.size() > MAX_NODES) {
            throw new IllegalArgumentException("need 1.." + MAX_NODES + " nodes, got " + nodes.size());
        }
        Map<String, Integer> index = new LinkedHashMap<>();
        Map<String, Integer> ports = new HashMap<>();
        Set<String> hostNames = new HashSet<>();
        for (String n : nodes) {
            if (!NODE_NAME.matcher(n).matches()) {
                throw new IllegalArgumentException("node name is not a valid host name label: '" + n + "'");
            }
            if (!hostNames.add(hostName(n))) {
                throw new IllegalArgumentException("duplicate node name (case-insensitive): " + n);
            }
            Integer port = raftPortByName.get(n);
            if (port == null || port < 1 || port > 65535) {
                throw new IllegalArgumentException("no valid raft port for node " + n + ": " + port);
            }
            index.put(n, index.size() + 1);
            ports.put(n, port);
        }

        int size = nodes.size();
        Map<String, Path> hostsFiles = new HashMap<>();
        for (String n : nodes) {
            hostsFiles.put(n, hostsDir.resolve(n + ".hosts"));
        }
        // Everything is built before the constructor runs, so the final fields are safely published
        // and the unsynchronized getters (link, linkAddress, hostsFile) need no lock.
        LinkProxy[][] links = new LinkProxy[size][size];
        try {
            for (String a : nodes) {
                for (String b : nodes) {
                    if (!a.equals(b)) {
                        InetSocketAddress listen = address(index.get(a), index.get(b), ports.get(b));
                        InetSocketAddress target = new InetSocketAddress(LOCALHOST, ports.get(b));
                        links[index.get(a) - 1][index.get(b) - 1] =
                                LinkProxy.start(a + "->" + b, listen, target, MAX_CONNECTIONS_PER_LINK);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            closeAll(links);
            throw e;
        }
        FaultNetwork net = new FaultNetwork(nodes, Map.copyOf(index), Map.copyOf(ports), Map.copyOf(hostsFiles), links);
        try {
            Files.createDirectories(hostsDir);
            for (String n : nodes) {
                Files.writeString(hostsFiles.get(n), net.hostsFileContent(n), StandardCharsets.US_ASCII);
            }
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
        LOG.info(() -> "fault network up: " + nodes.size() + " nodes, " + size * (size - 1) + " links, hosts files in "
                + hostsDir);
        return net;
    }

    /** The host name of a node in peer lists and hosts files: lower-case name + {@value #DOMAIN}. */
    public static String hostName(String node) {
        return node.toLowerCase(Locale.ROOT) + DOMAIN;
    }

    /** The node names in order (index = position + 1). */
    public List<String> nodes() {
        return nodes;
    }

    /** The hosts file to pass to {@code node}'s JVM as {@code -Djdk.net.hosts.file=...}. */
    public Path hostsFile(String node) {
        checkNode(node);
        return hostsFiles.get(node);
    }

    /** Where the proxy of link {@code from}→{@code to} listens: 127.0.index(from).index(to):raftPort(to). */
    public InetSocketAddress linkAddress(String from, String to) {
        checkLink(from, to);
        return address(indexByName.get(from), indexByName.get(to), raftPortByName.get(to));
    }

    /** The proxy of the directed link {@code from}→{@code to}. */
    public LinkProxy link(String from, String to) {
        checkLink(from, to);
        return links[indexByName.get(from) - 1][indexByName.get(to) - 1];
    }

    /**
     * The {@code --peers} value: {@code name@hostName:raftPort/respPort} for every node in order,
     * comma-separated.
     */
    public String peersSpec(Map<String, Integer> respPortByName) {
        StringJoiner peers = new StringJoiner(",");
        for (String n : nodes) {
            Integer resp = respPortByName.get(n);
            if (resp == null) {
                throw new IllegalArgumentException("no resp port for node " + n);
            }
            peers.add(n + "@" + hostName(n) + ":" + raftPortByName.get(n) + "/" + resp);
        }
        return peers.toString();
    }

    /**
     * Sets the whole fault state: nodes in different components cannot talk to each other (both
     * directions blocked), every other link is healed. A node listed in no component is isolated
     * from all others. Links whose state does not change are left alone (their connections
     * survive).
     *
     * @throws IllegalArgumentException for an unknown node or a node listed twice
     */
    public synchronized void partition(Collection<? extends Collection<String>> components) {
        checkOpen();
        Map<String, Integer> component = new HashMap<>();
        int c = 0;
        for (Collection<String> comp : components) {
            c++;
            for (String n : comp) {
                checkNode(n);
                if (component.put(n, c) != null) {
                    throw new IllegalArgumentException("node " + n + " is in more than one component");
                }
            }
        }
        Set<String> cut = new HashSet<>();
        for (String a : nodes) {
            for (String b : nodes) {
                Integer ca = component.get(a);
                Integer cb = component.get(b);
                if (!a.equals(b) && (ca == null || cb == null || !ca.equals(cb))) {
                    cut.add(a + "->" + b);
                }
            }
        }
        apply(link -> cut.contains(link.name()));
        LOG.info(() -> "partition " + components + ": blocked " + blockedLinks());
    }

    /**
     * Additionally cuts {@code node} off from every other node (both directions); other links keep
     * their state. Use {@link #partition} to set the whole state at once.
     */
    public synchronized void isolate(String node) {
        checkOpen();
        checkNode(node);
        apply(link -> link.isBlocked() || link.name().startsWith(node + "->") || link.name().endsWith("->" + node));
        LOG.info(() -> "isolate " + node + ": blocked " + blockedLinks());
    }

    /** Blocks the single directed link {@code from}→{@code to} (asymmetric fault). */
    public synchronized void block(String from, String to) {
        checkOpen();
        link(from, to).block();
        LOG.info(() -> "block " + from + "->" + to + ": blocked " + blockedLinks());
    }

    /** Heals the single directed link {@code from}→{@code to}. */
    public synchronized void heal(String from, String to) {
        checkOpen();
        link(from, to).heal();
        LOG.info(() -> "heal " + from + "->" + to + ": blocked " + blockedLinks());
    }

    /** Heals every link. */
    public synchronized void healAll() {
        checkOpen();
        apply(link -> false);
        LOG.info("heal all");
    }

    /** The blocked links as {@code "from->to"}, sorted by (index(from), index(to)), i.e. node order. */
    public synchronized List<String> blockedLinks() {
        List<String> out = new ArrayList<>();
        for (LinkProxy[] row : links) {
            for (LinkProxy l : row) {
                if (l != null && l.isBlocked()) {
                    out.add(l.name());
                }
            }
        }
        return List.copyOf(out);
    }

    /** Closes all proxies (the hosts files stay). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeAll(links);
    }

    @Override
    public String toString() {
        return "FaultNetwork" + nodes;
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * Brings every link to the wanted state. All gates that must close are closed first and only
     * then awaited, so a partition takes effect on all links at (nearly) the same instant.
     */
    private void apply(java.util.function.Predicate<LinkProxy> shouldBlock) {
        Set<LinkProxy> toBlock = new HashSet<>(); // identity: LinkProxy keeps Object.equals
        for (LinkProxy[] row : links) {
            for (LinkProxy l : row) {
                if (l == null) {
                    continue;
                }
                if (shouldBlock.test(l)) {
                    toBlock.add(l);
                    l.setBlocked();
                }
            }
        }
        long deadline = System.nanoTime() + LinkProxy.DRAIN_TIMEOUT.toNanos();
        for (LinkProxy l : toBlock) {
            l.awaitNoInFlightWrites(deadline);
        }
        for (LinkProxy[] row : links) {
            for (LinkProxy l : row) {
                if (l != null && !toBlock.contains(l)) {
                    l.heal();
                }
            }
        }
        assert blockedLinks().size() == toBlock.size() : blockedLinks() + " vs " + toBlock;
    }

    private static InetSocketAddress address(int fromIndex, int toIndex, int port) {
        assert fromIndex >= 1 && fromIndex <= MAX_NODES && toIndex >= 1 && toIndex <= MAX_NODES && fromIndex != toIndex;
        byte[] ip = {127, 0, (byte) fromIndex, (byte) toIndex};
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (IOException e) {
            throw new AssertionError("4-byte address rejected", e);
        }
    }

    private static InetAddress loopback(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void closeAll(LinkProxy[][] links) {
        for (LinkProxy[] row : links) {
            for (LinkProxy l : row) {
                if (l != null) {
                    l.close();
                }
            }
        }
    }

    private String hostsFileContent(String self) {
        StringBuilder sb = new StringBuilder();
        sb.append("# generated by ").append(FaultNetwork.class.getName()).append(" for node ").append(self)
                .append("; use with -Djdk.net.hosts.file\n");
        sb.append("127.0.0.1 localhost\n");
        sb.append("127.0.0.1 ").append(hostName(self)).append('\n');
        for (String b : nodes) {
            if (!b.equals(self)) {
                sb.append(linkAddress(self, b).getAddress().getHostAddress()).append(' ').append(hostName(b)).append('\n');
            }
        }
        return sb.toString();
    }

    private void checkNode(String node) {
        if (!indexByName.containsKey(node)) {
            throw new IllegalArgumentException("unknown node: " + node);
        }
    }

    private void checkLink(String from, String to) {
        checkNode(from);
        checkNode(to);
        if (from.equals(to)) {
            throw new IllegalArgumentException("no link from a node to itself: " + from);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("fault network is closed");
        }
    }
}
