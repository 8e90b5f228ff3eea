package io.cairn.verify.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A TCP proxy for one <em>directed</em> link between two cluster nodes, which can be partitioned
 * ({@link #block()}) and healed ({@link #heal()}) at run time.
 *
 * <p>{@link FaultNetwork} gives every ordered pair of nodes its own proxy and routes each node's
 * outgoing Raft connections through the proxies of its links, so blocking a→b and b→a cuts a off
 * from b without touching any other pair.
 *
 * <h2>Why freeze instead of drop</h2>
 * Raft traffic is gRPC, i.e. HTTP/2 over one long-lived TCP connection. A proxy cannot drop
 * "packets" of a TCP stream: skipping a chunk would hand the receiver a corrupted byte stream
 * (broken frames, HPACK state out of sync), which is a fault real networks never produce. A real
 * partition instead makes the stream <em>stall</em>. So while blocked, every pump thread that has
 * read a chunk holds on to it and waits; nothing is forwarded, nothing is discarded from a live
 * stream. Connections accepted while blocked are accepted (like a SYN that gets answered by the
 * kernel) but never connected to the target and never read.
 *
 * <h2>Why heal closes the frozen connections</h2>
 * After a long freeze the two ends of a stalled stream are in an arbitrary state (keep-alive
 * timeouts fired, RPC deadlines expired, the held chunks are stale). Resuming it would deliver a
 * burst of ancient bytes that a real network would have lost with the connection, and gRPC may
 * wait a long time before it notices a wedged connection. Closing every connection that was frozen
 * makes both sides see the connection end at once, so gRPC reconnects immediately through the now
 * open link, exactly as after a real partition that outlived the TCP connections. The held chunks
 * are discarded together with their connection, which is safe: that stream no longer exists.
 *
 * <h2>Bounds</h2>
 * At most {@code maxConnections} connections are open (excess ones are accepted and closed at
 * once); each direction of a connection uses one virtual thread and one 64 KiB buffer; there are no
 * queues; every wait is bounded or ends when the connection or the proxy is closed. Bytes that had
 * already passed the gate when {@link #block()} was called are still written (they were "on the
 * wire"); {@code block()} waits a bounded time for such writes to finish so that
 * {@link #bytesForwarded()} is stable once it returns.
 */
public final class LinkProxy implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LinkProxy.class.getName());

    static final int BUFFER_SIZE = 64 * 1024;
    static final int CONNECT_TIMEOUT_MILLIS = 2_000;
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(1);
    static final Duration CLOSE_JOIN_TIMEOUT = Duration.ofSeconds(3);

    private final String name;
    private final InetSocketAddress target;
    private final int maxConnections;
    private final ServerSocket server;
    private final InetSocketAddress listenAddress;

    /** Guards {@link #blocked}, {@link #closed}, {@link #inFlightWrites} and {@link #conns}. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when the gate opens, a connection or the proxy closes, or in-flight writes end. */
    private final Condition changed = lock.newCondition();
    private boolean blocked;
    private boolean closed;
    /** Chunks that passed the gate and are being written. */
    private int inFlightWrites;
    private final Set<Conn> conns = new HashSet<>();

    private final LongAdder bytes = new LongAdder();
    private final AtomicLong connIds = new AtomicLong();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

    private LinkProxy(String name, ServerSocket server, InetSocketAddress target, int maxConnections) {
        this.name = name;
        this.server = server;
        this.listenAddress = (InetSocketAddress) server.getLocalSocketAddress();
        this.target = target;
        this.maxConnections = maxConnections;
    }

    /**
     * Binds {@code listen} and starts accepting connections, forwarding each to {@code target}.
     *
     * @param listen address to listen on; port 0 picks a free port (see {@link #listenAddress()})
     * @param maxConnections upper bound on simultaneously open connections, &ge; 1
     * @throws IOException if {@code listen} cannot be bound
     */
    public static LinkProxy start(String name, InetSocketAddress listen, InetSocketAddress target,
            int maxConnections) throws IOException {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(target, "target");
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be >= 1: " + maxConnections);
        }
        if (listen.isUnresolved() || target.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address: " + listen + " / " + target);
        }
        ServerSocket server = new ServerSocket();
        try {
            server.setReuseAddress(true);
            server.bind(listen, 128);
        } catch (IOException e) {
            closeQuietly(server);
            throw new IOException("link " + name + ": cannot listen on " + listen + ": " + e.getMessage(), e);
        }
        LinkProxy proxy = new LinkProxy(name, server, target, maxConnections);
        proxy.startThread("link-" + name + "-accept", proxy::acceptLoop);
        LOG.fine(() -> "link " + name + ": " + proxy.listenAddress + " -> " + target);
        return proxy;
    }

    public String name() {
        return name;
    }

    /** The bound listen address (with the real port if 0 was requested). */
    public InetSocketAddress listenAddress() {
        return listenAddress;
    }

    public InetSocketAddress target() {
        return target;
    }

    /**
     * Partitions the link: from now on no byte is forwarded in either direction on any connection
     * of this link; existing connections freeze, new ones are accepted but frozen. Idempotent.
     * Returns once writes that were already under way have finished (bounded wait).
     */
    public void block() {
        setBlocked();
        awaitNoInFlightWrites(System.nanoTime() + DRAIN_TIMEOUT.toNanos());
    }

    /** First half of {@link #block()}: closes the gate without waiting; for batching many links. */
    void setBlocked() {
        lock.lock();
        try {
            if (!closed && !blocked) {
                blocked = true;
                LOG.fine(() -> "link " + name + ": blocked");
            }
        } finally {
            lock.unlock();
        }
    }

    /** Second half of {@link #block()}: waits until no chunk is being written or the deadline. */
    void awaitNoInFlightWrites(long deadlineNanos) {
        lock.lock();
        try {
            while (inFlightWrites > 0 && !closed) {
                long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0) {
                    LOG.warning("link " + name + ": " + inFlightWrites + " write(s) still under way after block");
                    return;
                }
                changed.awaitNanos(remaining);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the partition: every connection that was frozen is closed on both sides (their held
     * chunks are discarded with them) and new connections forward normally. Idempotent: does
     * nothing when the link is not blocked.
     */
    public void heal() {
        List<Conn> frozen;
        lock.lock();
        try {
            if (closed || !blocked) {
                return;
            }
            // Every connection open now existed during the block (it was open when block() was
            // called or was accepted since), so all of them are frozen. They are marked closed
            // before the gate opens, so no pump can forward a held chunk after the heal.
            frozen = new ArrayList<>(conns);
            for (Conn c : frozen) {
                c.markClosed();
            }
            conns.clear();
            blocked = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        for (Conn c : frozen) {
            c.closeSockets();
        }
        LOG.fine(() -> "link " + name + ": healed, closed " + frozen.size() + " frozen connection(s)");
    }

    public boolean isBlocked() {
        lock.lock();
        try {
            return blocked;
        } finally {
            lock.unlock();
        }
    }

    /** Connections currently held by the proxy (forwarding, connecting or frozen). */
    public int openConnections() {
        lock.lock();
        try {
            return conns.size();
        } finally {
            lock.unlock();
        }
    }

    /** Total bytes written to either side since start. */
    public long bytesForwarded() {
        return bytes.sum();
    }

    /**
     * Stops listening, closes every connection and waits (bounded) for all threads of the proxy
     * to end. Idempotent.
     */
    @Override
    public void close() {
        List<Conn> all;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(conns);
            for (Conn c : all) {
                c.markClosed();
            }
            conns.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        closeQuietly(server);
        for (Conn c : all) {
            c.closeSockets();
        }
        long deadline = System.nanoTime() + CLOSE_JOIN_TIMEOUT.toNanos();
        for (Thread t : List.copyOf(threads)) {
            long remaining = deadline - System.nanoTime();
            try {
                if (remaining <= 0 || !t.join(Duration.ofNanos(remaining))) {
                    t.interrupt();
                    LOG.warning("link " + name + ": thread " + t.getName() + " did not end in time");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        LOG.fine(() -> "link " + name + ": closed");
    }

    /** Threads of this proxy still alive; for tests. */
    int liveThreads() {
        return (int) threads.stream().filter(Thread::isAlive).count();
    }

    @Override
    public String toString() {
        return "LinkProxy[" + name + " " + listenAddress + "->" + target + (isBlocked() ? " BLOCKED" : "") + "]";
    }

    // ---------------------------------------------------------------------------------------------

    private void acceptLoop() {
        while (true) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (server.isClosed() || isClosed()) {
                    return;
                }
                // e.g. too many open files: back off instead of spinning
                LOG.log(Level.FINE, "link " + name + ": accept failed", e);
                try {
                    TimeUnit.MILLISECONDS.sleep(50);
                } catch (InterruptedException ie) {
                    return;
                }
                continue;
            }
            admit(client);
        }
    }

    private void admit(Socket client) {
        Conn conn = null;
        boolean frozen = false;
        lock.lock();
        try {
            if (!closed && conns.size() < maxConnections) {
                conn = new Conn(connIds.incrementAndGet(), client);
                conns.add(conn);
                frozen = blocked;
            }
            assert conns.size() <= maxConnections : conns.size();
        } finally {
            lock.unlock();
        }
        if (conn == null) {
            closeQuietly(client);
            LOG.fine(() -> "link " + name + ": rejected connection (closed or at " + maxConnections + ")");
            return;
        }
        if (frozen) {
            // Accepted during a partition: held open, never read, never connected; heal() or
            // close() will close it.
            return;
        }
        Conn c = conn;
        startThread("link-" + name + "-c" + c.id + "-up", () -> connectAndPump(c));
    }

    private void connectAndPump(Conn c) {
        Socket t = new Socket();
        try {
            c.client.setTcpNoDelay(true);
            t.setTcpNoDelay(true);
            t.connect(target, CONNECT_TIMEOUT_MILLIS);
        } catch (IOException e) {
            closeQuietly(t);
            LOG.fine(() -> "link " + name + ": connect to " + target + " failed: " + e);
            closeConn(c);
            return;
        }
        if (!c.attachTarget(t)) {
            closeQuietly(t); // closed (healed or proxy closed) while connecting
            return;
        }
        startThread("link-" + name + "-c" + c.id + "-down", () -> pump(c, t, c.client));
        pump(c, c.client, t);
    }

    /** Copies {@code from} to {@code to} until EOF or error, passing the gate before every write. */
    private void pump(Conn c, Socket from, Socket to) {
        byte[] buf = new byte[BUFFER_SIZE];
        boolean clean = false;
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            while (true) {
                int n = in.read(buf);
                if (!enterGate(c)) {
                    return; // connection closed while frozen: the held chunk dies with it
                }
                try {
                    if (n < 0) {
                        to.shutdownOutput(); // forward the half-close
                        clean = true;
                        return;
                    }
                    out.write(buf, 0, n);
                    bytes.add(n);
                } finally {
                    leaveGate();
                }
            }
        } catch (IOException e) {
            // reset by a peer, or our own close(): the whole connection ends
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (!clean || c.directionDone()) {
                closeConn(c);
            }
        }
    }

    /** Waits while blocked; false if the connection or proxy closed meanwhile. */
    private boolean enterGate(Conn c) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (blocked && !c.closed && !closed) {
                changed.await();
            }
            if (c.closed || closed) {
                return false;
            }
            inFlightWrites++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void leaveGate() {
        lock.lock();
        try {
            inFlightWrites--;
            assert inFlightWrites >= 0 : inFlightWrites;
            if (inFlightWrites == 0) {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    private void closeConn(Conn c) {
        lock.lock();
        try {
            c.markClosed();
            conns.remove(c);
            changed.signalAll(); // wake the other direction if it is frozen at the gate
        } finally {
            lock.unlock();
        }
        c.closeSockets();
    }

    private boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    private void startThread(String threadName, Runnable body) {
        Thread t = Thread.ofVirtual().name(threadName).unstarted(() -> {
            try {
                body.run();
            } catch (RuntimeException | Error e) {
                LOG.log(Level.WARNING, "link " + name + ": " + Thread.currentThread().getName() + " failed", e);
            } finally {
                threads.remove(Thread.currentThread());
            }
        });
        threads.add(t);
        t.start();
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is best effort
        }
    }

    /** One proxied connection: the accepted client socket and (once connected) the target socket. */
    private static final class Conn {
        final long id;
        final Socket client;
        private Socket target;
        volatile boolean closed;
        private int directionsDone;

        Conn(long id, Socket client) {
            this.id = id;
            this.client = client;
        }

        synchronized boolean attachTarget(Socket t) {
            if (closed) {
                return false;
            }
            target = t;
            return true;
        }

        synchronized void markClosed() {
            closed = true;
        }

        /** Records a clean EOF in one direction; true once both directions saw EOF. */
        synchronized boolean directionDone() {
            return ++directionsDone >= 2;
        }

        void closeSockets() {
            Socket t;
            synchronized (this) {
                assert closed;
                t = target;
            }
            closeQuietly(client);
            closeQuietly(t);
        }
    }
}
