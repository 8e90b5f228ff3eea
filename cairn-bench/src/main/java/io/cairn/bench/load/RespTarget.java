package io.cairn.bench.load;

import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Cairn or any Redis server over RESP2, with one Jedis {@link redis.clients.jedis.Connection} per client used as a
 * pipeline: a batch's commands are written back to back and their replies read in order, each
 * timed as it arrives. Client {@code i} starts on server {@code i mod n} of the list and moves to
 * the next server each time it reconnects, so a dead node's clients spread over the others.
 * Cairn's default (proxy) mode serves every key on every node, so no slot routing is needed; a
 * {@code MOVED} reply (a node in redirect mode, or a Redis Cluster) counts as an error whose text
 * says so.
 */
public final class RespTarget implements Target {
    private final List<HostAndPort> servers;
    private final JedisClientConfig config;

    /**
     * @param servers {@code host:port} of each server (at least one)
     * @param password AUTH password or null
     * @param timeoutMillis connect and read timeout per request
     */
    public RespTarget(List<String> servers, String password, int timeoutMillis) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("at least one server is needed");
        }
        if (timeoutMillis < 1) {
            throw new IllegalArgumentException("timeout must be >= 1 ms");
        }
        List<HostAndPort> parsed = new ArrayList<>();
        for (String s : servers) {
            parsed.add(parse(s));
        }
        this.servers = List.copyOf(parsed);
        this.config = DefaultJedisClientConfig.builder().connectionTimeoutMillis(timeoutMillis)
                .socketTimeoutMillis(timeoutMillis).password(password).build();
    }

    /** {@code host:port} (IPv6 hosts in brackets) with the port checked. */
    public static HostAndPort parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("expected host:port, got '" + hostPort + "'");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in '" + hostPort + "'");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port must be in 1..65535 in '" + hostPort + "'");
        }
        return new HostAndPort(host, port);
    }

    @Override
    public String describe() {
        return "resp://" + String.join(",", servers.stream().map(HostAndPort::toString).toList());
    }

    @Override
    public void probe() throws TargetException {
        for (HostAndPort server : servers) {
            try (redis.clients.jedis.Connection c = new redis.clients.jedis.Connection(server, config)) {
                if (!c.ping()) {
                    throw new TargetException("no PONG from " + server, null);
                }
            } catch (JedisException e) {
                throw new TargetException("cannot reach " + server + ": " + rootMessage(e), e);
            }
        }
    }

    @Override
    public Target.Connection connect(int client, int attempt) throws TargetException {
        HostAndPort server = servers.get(Math.floorMod(client + attempt, servers.size()));
        try {
            return new RespConnection(new redis.clients.jedis.Connection(server, config), server.toString());
        } catch (JedisException e) {
            throw new TargetException("cannot connect to " + server + ": " + rootMessage(e), e);
        }
    }

    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }

    private static final class RespConnection implements Target.Connection {
        private final redis.clients.jedis.Connection connection;
        private final String address;
        /** Per batch: the READ_MODIFY_WRITE operations whose GET came back and whose SET is still to send. */
        private final List<Integer> pendingWrites = new ArrayList<>();

        RespConnection(redis.clients.jedis.Connection connection, String address) {
            this.connection = connection;
            this.address = address;
        }

        @Override
        public String address() {
            return address;
        }

        @Override
        public void execute(List<Operation> batch, Completion completion) throws TargetException {
            pendingWrites.clear();
            try {
                for (Operation op : batch) {
                    switch (op.type()) {
                        case READ, READ_MODIFY_WRITE -> connection.sendCommand(Protocol.Command.GET, op.keys()[0]);
                        case UPDATE, INSERT -> connection.sendCommand(Protocol.Command.SET, op.keys()[0], op.value());
                        case SCAN -> {
                            for (byte[] key : op.keys()) {
                                connection.sendCommand(Protocol.Command.GET, key);
                            }
                        }
                    }
                }
                for (int i = 0; i < batch.size(); i++) {
                    Operation op = batch.get(i);
                    String error = null;
                    boolean found = true;
                    for (int k = 0; k < (op.type() == OperationType.SCAN ? op.keys().length : 1); k++) {
                        try {
                            Object reply = connection.getOne();
                            found &= reply != null;
                        } catch (JedisDataException e) {
                            error = errorText(e); // the reply was read whole: the pipeline stays in step
                        }
                    }
                    if (op.type() == OperationType.READ_MODIFY_WRITE && error == null) {
                        pendingWrites.add(i); // write after the read came back, as a read-modify-write does
                    } else {
                        completion.completed(i, error, found && error == null, System.nanoTime());
                    }
                }
                if (!pendingWrites.isEmpty()) {
                    for (int i : pendingWrites) {
                        Operation op = batch.get(i);
                        connection.sendCommand(Protocol.Command.SET, op.keys()[0], op.value());
                    }
                    for (int i : pendingWrites) {
                        String error = null;
                        try {
                            connection.getOne();
                        } catch (JedisDataException e) {
                            error = errorText(e);
                        }
                        completion.completed(i, error, true, System.nanoTime());
                    }
                }
            } catch (JedisConnectionException e) {
                throw new TargetException("connection to " + address + " lost: " + rootMessage(e), e);
            } catch (JedisException e) {
                // Anything else leaves the stream in an unknown state: treat it as a lost connection.
                throw new TargetException("connection to " + address + " failed: " + rootMessage(e), e);
            }
        }

        private static String errorText(JedisDataException e) {
            String m = String.valueOf(e.getMessage());
            return m.startsWith("MOVED") ? m + " (the server redirects: point cairn bench at a proxy-mode node)" : m;
        }

        @Override
        public void close() {
            connection.close();
        }
    }
}
