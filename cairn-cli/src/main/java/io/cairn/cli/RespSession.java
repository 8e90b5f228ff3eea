package io.cairn.cli;

import java.nio.charset.StandardCharsets;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * One RESP connection for the data commands and the REPL: any command by name, its reply as Jedis
 * decodes it (byte[] for bulk strings, Long, List, or a {@link JedisDataException} for an error
 * reply), and connection failures turned into the CLI's exit codes by {@link #translate}.
 */
final class RespSession implements AutoCloseable {
    private final Jedis jedis;
    final String address;

    private RespSession(String host, int port, String password, int timeoutMs) throws AdminClient.Failure {
        this.address = host + ":" + port;
        Jedis j = null;
        try {
            j = new Jedis(host, port, timeoutMs); // Jedis 6 connects here
            if (password != null) {
                j.auth(password);
            } else {
                j.ping(); // a closed port or a silent server is reported as such before any command
            }
        } catch (RuntimeException e) {
            if (j != null) {
                j.close();
            }
            throw translate(e, "connecting to " + address);
        }
        this.jedis = j;
    }

    static RespSession connect(AdminClient.Options o) throws AdminClient.Failure {
        return new RespSession(o.host, o.port, o.password, o.socketTimeoutMs);
    }

    static RespSession connect(String host, int port, String password, int timeoutMs) throws AdminClient.Failure {
        return new RespSession(host, port, password, timeoutMs);
    }

    /**
     * Sends {@code args} (the command name first) and returns the decoded reply. An error reply is
     * returned as a {@link JedisDataException} value rather than thrown: the REPL prints it and goes
     * on; callers that want a failure use {@link #call}.
     */
    Object send(String... args) throws AdminClient.Failure {
        if (args.length == 0) {
            throw new IllegalArgumentException("no command");
        }
        ProtocolCommand name = commandNamed(args[0]);
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        try {
            return jedis.sendCommand(name, rest);
        } catch (JedisDataException e) {
            return e;
        } catch (RuntimeException e) {
            throw translate(e, args[0].toUpperCase(java.util.Locale.ROOT) + " on " + address);
        }
    }

    /** As {@link #send}, with an error reply turned into a failure (exit code 1). */
    Object call(String... args) throws AdminClient.Failure {
        Object reply = send(args);
        if (reply instanceof JedisDataException e) {
            throw new AdminClient.Failure(AdminClient.ERROR, args[0].toUpperCase(java.util.Locale.ROOT) + ": " + e.getMessage());
        }
        return reply;
    }

    private static ProtocolCommand commandNamed(String name) {
        byte[] raw = name.getBytes(StandardCharsets.UTF_8);
        return () -> raw;
    }

    /** A Jedis failure as the CLI's exit codes: 1 error reply, 3 cannot connect, 4 no answer in time. */
    static AdminClient.Failure translate(RuntimeException e, String what) {
        if (e instanceof JedisDataException d) {
            String m = String.valueOf(d.getMessage());
            int code = m.startsWith("UNKNOWNNODE") ? AdminClient.NOT_FOUND : AdminClient.ERROR;
            return new AdminClient.Failure(code, what + ": " + m);
        }
        if (e instanceof JedisConnectionException) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof java.net.SocketTimeoutException
                        && !String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("connect")) {
                    return new AdminClient.Failure(AdminClient.TIMEOUT, what + ": no answer in time (" + t.getMessage() + ")");
                }
            }
            return new AdminClient.Failure(AdminClient.CONNECTION, what + ": cannot connect (" + rootMessage(e) + ")");
        }
        return new AdminClient.Failure(AdminClient.ERROR, what + ": " + e);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }

    @Override
    public void close() {
        jedis.close();
    }
}
