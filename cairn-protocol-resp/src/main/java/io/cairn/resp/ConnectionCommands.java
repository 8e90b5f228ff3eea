package io.cairn.resp;

import static io.cairn.resp.Builtins.ascii;
import static io.cairn.resp.Builtins.is;

import io.cairn.api.reply.Errors;
import io.cairn.api.reply.Reply;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/** PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET, READONLY/READWRITE and CLIENT, as in Redis 7.2. */
final class ConnectionCommands {
    private ConnectionCommands() {}

    static final Reply.Error WRONGPASS =
            Reply.error("WRONGPASS invalid username-password pair or user is disabled.");
    private static final Reply.Simple RESET = new Reply.Simple("RESET");
    private static final byte[] DEFAULT_USER = "default".getBytes(StandardCharsets.US_ASCII);

    static Reply ping(RespConnection c, byte[][] a) {
        if (a.length > 2) {
            return Errors.wrongArity("ping");
        }
        return a.length == 1 ? Reply.PONG : Reply.bulk(a[1]);
    }

    static Reply echo(RespConnection c, byte[][] a) {
        return Reply.bulk(a[1]);
    }

    static Reply quit(RespConnection c, byte[][] a) {
        c.closeAfterReply();
        return Reply.OK;
    }

    static Reply reset(RespConnection c, byte[][] a) {
        c.resetSession();
        return RESET;
    }

    static Reply readonly(RespConnection c, byte[][] a) {
        c.readonlyMode(true);
        return Reply.OK;
    }

    static Reply readwrite(RespConnection c, byte[][] a) {
        c.readonlyMode(false);
        return Reply.OK;
    }

    /**
     * {@code CLIENT CONSISTENCY [READ level] [WRITE level]}: with no level, the current ones as a
     * flat array (read, level, write, level); otherwise sets them for this connection. Nothing
     * changes unless every argument is valid.
     */
    static Reply clientConsistency(RespConnection c, byte[][] a) {
        io.cairn.api.service.Session s = c.session();
        if (a.length == 2) {
            return Reply.array(List.of(Reply.bulk("read"), Reply.bulk(s.read().name().toLowerCase(java.util.Locale.ROOT)),
                    Reply.bulk("write"), Reply.bulk(s.write().name().toLowerCase(java.util.Locale.ROOT))));
        }
        if (a.length % 2 != 0) {
            return Errors.SYNTAX;
        }
        io.cairn.api.consistency.ReadConsistency read = s.read();
        io.cairn.api.consistency.WriteConsistency write = s.write();
        for (int i = 2; i < a.length; i += 2) {
            String value = ascii(a[i + 1]);
            try {
                if (is(a[i], "read")) {
                    read = io.cairn.api.consistency.ReadConsistency.parse(value);
                } else if (is(a[i], "write")) {
                    write = io.cairn.api.consistency.WriteConsistency.parse(value);
                } else {
                    return Errors.SYNTAX;
                }
            } catch (IllegalArgumentException e) {
                return Reply.err(e.getMessage());
            }
        }
        s.read(read);
        s.write(write);
        return Reply.OK;
    }

    static Reply select(RespConnection c, byte[][] a) {
        long db = RespNumbers.parseLong(a[1]);
        if (db == RespNumbers.INVALID) {
            return Errors.NOT_INTEGER;
        }
        if (db < Integer.MIN_VALUE || db > Integer.MAX_VALUE) {
            // Redis's getIntFromObjectOrReply, wording included.
            return Reply.err("value is out of range, value must between -2147483648 and 2147483647");
        }
        if (db != 0) {
            return Reply.err("SELECT is not allowed in cluster mode");
        }
        return Reply.OK;
    }

    static Reply auth(RespConnection c, byte[][] a) {
        if (a.length > 3) {
            return Errors.SYNTAX;
        }
        byte[] user;
        byte[] pass;
        if (a.length == 2) {
            if (c.rt.config.requirePass == null) {
                return Reply.err("AUTH <password> called without any password configured for the default user. "
                        + "Are you sure your configuration is correct?");
            }
            user = DEFAULT_USER;
            pass = a[1];
        } else {
            user = a[1];
            pass = a[2];
        }
        if (!credentialsValid(c.rt, user, pass)) {
            return WRONGPASS;
        }
        c.authenticated(true);
        return Reply.OK;
    }

    /**
     * The only user is "default". Without requirepass it has no password and any password is
     * accepted (Redis's nopass); otherwise the password must match, compared in constant time.
     */
    static boolean credentialsValid(RespRuntime rt, byte[] user, byte[] pass) {
        if (!MessageDigest.isEqual(user, DEFAULT_USER)) {
            return false;
        }
        String required = rt.config.requirePass;
        if (required == null) {
            return true;
        }
        return MessageDigest.isEqual(sha256(pass), sha256(required.getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the JDK", e);
        }
    }

    /** HELLO [protover [AUTH username password] [SETNAME clientname]] */
    static Reply hello(RespConnection c, byte[][] a) {
        long version = 0;
        int next = 1;
        if (a.length >= 2) {
            version = RespNumbers.parseLong(a[1]);
            next = 2;
            if (version == RespNumbers.INVALID) {
                return Reply.err("Protocol version is not an integer or out of range");
            }
            if (version < 2 || version > 3) {
                return Reply.error("NOPROTO unsupported protocol version");
            }
        }
        byte[] user = null;
        byte[] pass = null;
        byte[] clientName = null;
        for (int j = next; j < a.length; j++) {
            int more = a.length - 1 - j;
            if (is(a[j], "AUTH") && more >= 2) {
                user = a[j + 1];
                pass = a[j + 2];
                j += 2;
            } else if (is(a[j], "SETNAME") && more >= 1) {
                clientName = a[j + 1];
                if (!validAttribute(clientName)) {
                    return Reply.err("Client names cannot contain spaces, newlines or special characters.");
                }
                j++;
            } else {
                return Reply.err("Syntax error in HELLO option '" + ascii(a[j]) + "'");
            }
        }
        if (user != null) {
            if (!credentialsValid(c.rt, user, pass)) {
                return WRONGPASS;
            }
            c.authenticated(true);
        }
        if (c.authRequired()) {
            return Reply.error("NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                    + "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select "
                    + "the RESP protocol version at the same time");
        }
        if (clientName != null) {
            c.name(clientName.length == 0 ? null : ascii(clientName));
        }
        if (version != 0) {
            c.resp((int) version);
        }
        return new Reply.MapReply(List.of(
                Reply.bulk("server"), Reply.bulk("redis"),
                Reply.bulk("version"), Reply.bulk(c.rt.context.version()),
                Reply.bulk("proto"), Reply.integer(c.resp()),
                Reply.bulk("id"), Reply.integer(c.id()),
                Reply.bulk("mode"), Reply.bulk("cluster"),
                Reply.bulk("role"), Reply.bulk("master"),
                Reply.bulk("modules"), Reply.array(List.of())));
    }

    /** Redis's validateClientAttr: only printable ASCII without spaces ('!'..'~'). */
    static boolean validAttribute(byte[] v) {
        for (byte b : v) {
            if (b < '!' || b > '~') {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- CLIENT

    static Reply clientId(RespConnection c, byte[][] a) {
        return Reply.integer(c.id());
    }

    static Reply clientSetname(RespConnection c, byte[][] a) {
        if (!validAttribute(a[2])) {
            return Reply.err("Client names cannot contain spaces, newlines or special characters.");
        }
        c.name(a[2].length == 0 ? null : ascii(a[2]));
        return Reply.OK;
    }

    static Reply clientGetname(RespConnection c, byte[][] a) {
        String name = c.name();
        return name == null ? Reply.Null.BULK : Reply.bulk(name);
    }

    static Reply clientInfo(RespConnection c, byte[][] a) {
        return new Reply.Verbatim("txt", c.infoLine() + "\n");
    }

    static Reply clientSetinfo(RespConnection c, byte[][] a) {
        String attr = ascii(a[2]);
        boolean libName = is(a[2], "lib-name");
        if (!libName && !is(a[2], "lib-ver")) {
            return Reply.err("Unrecognized option '" + attr + "'");
        }
        if (!validAttribute(a[3])) {
            return Reply.err(attr + " cannot contain spaces, newlines or special characters.");
        }
        String value = a[3].length == 0 ? null : ascii(a[3]);
        if (libName) {
            c.libName(value);
        } else {
            c.libVersion(value);
        }
        return Reply.OK;
    }

    static Reply clientNoEvict(RespConnection c, byte[][] a) {
        if (is(a[2], "on")) {
            c.noEvict(true);
        } else if (is(a[2], "off")) {
            c.noEvict(false);
        } else {
            return Errors.SYNTAX;
        }
        return Reply.OK;
    }

    static Reply clientNoTouch(RespConnection c, byte[][] a) {
        if (is(a[2], "on")) {
            c.noTouch(true);
        } else if (is(a[2], "off")) {
            c.noTouch(false);
        } else {
            return Errors.SYNTAX;
        }
        return Reply.OK;
    }

    /** Client types of Redis's getClientTypeByName; every Cairn client is "normal". */
    private static int clientType(byte[] name) {
        if (is(name, "normal")) {
            return 0;
        }
        if (is(name, "slave") || is(name, "replica") || is(name, "pubsub") || is(name, "master")) {
            return 1;
        }
        return -1;
    }

    static Reply clientList(RespConnection c, byte[][] a) {
        StringBuilder sb = new StringBuilder();
        if (a.length == 4 && is(a[2], "type")) {
            int type = clientType(a[3]);
            if (type < 0) {
                return Reply.err("Unknown client type '" + ascii(a[3]) + "'");
            }
            if (type == 0) {
                appendAll(c, sb);
            }
        } else if (a.length > 3 && is(a[2], "id")) {
            List<Long> ids = new ArrayList<>();
            for (int j = 3; j < a.length; j++) {
                long id = RespNumbers.parseLong(a[j]);
                if (id == RespNumbers.INVALID) {
                    return Reply.err("Invalid client ID");
                }
                ids.add(id);
            }
            for (long id : ids) {
                RespConnection other = c.rt.clients.get(id);
                if (other != null) {
                    sb.append(other.infoLine()).append('\n');
                }
            }
        } else if (a.length != 2) {
            return Errors.SYNTAX;
        } else {
            appendAll(c, sb);
        }
        return new Reply.Verbatim("txt", sb.toString());
    }

    private static void appendAll(RespConnection c, StringBuilder sb) {
        for (RespConnection other : c.rt.clients.all()) {
            sb.append(other.infoLine()).append('\n');
        }
    }

    /** CLIENT KILL addr | CLIENT KILL [ID id] [ADDR a] [LADDR a] [TYPE t] [USER u] [SKIPME yes|no] ... */
    static Reply clientKill(RespConnection c, byte[][] a) {
        String addr = null;
        String laddr = null;
        int type = -1;
        long id = 0;
        boolean skipMe = true;
        if (a.length == 3) {
            addr = ascii(a[2]);
            skipMe = false; // with the old form, you can kill yourself
        } else {
            for (int i = 2; i < a.length; i += 2) {
                boolean more = a.length > i + 1;
                if (is(a[i], "id") && more) {
                    long v = RespNumbers.parseLong(a[i + 1]);
                    if (v == RespNumbers.INVALID || v < 1) {
                        return Reply.err("client-id should be greater than 0");
                    }
                    id = v;
                } else if (is(a[i], "type") && more) {
                    type = clientType(a[i + 1]);
                    if (type < 0) {
                        return Reply.err("Unknown client type '" + ascii(a[i + 1]) + "'");
                    }
                } else if (is(a[i], "addr") && more) {
                    addr = ascii(a[i + 1]);
                } else if (is(a[i], "laddr") && more) {
                    laddr = ascii(a[i + 1]);
                } else if (is(a[i], "user") && more) {
                    if (!is(a[i + 1], "default")) {
                        return Reply.err("No such user '" + ascii(a[i + 1]) + "'");
                    }
                } else if (is(a[i], "skipme") && more) {
                    if (is(a[i + 1], "yes")) {
                        skipMe = true;
                    } else if (is(a[i + 1], "no")) {
                        skipMe = false;
                    } else {
                        return Errors.SYNTAX;
                    }
                } else {
                    return Errors.SYNTAX;
                }
            }
        }
        int killed = 0;
        boolean killSelf = false;
        for (RespConnection other : c.rt.clients.all()) {
            if (addr != null && !addr.equals(other.addr())) {
                continue;
            }
            if (laddr != null && !laddr.equals(other.laddr())) {
                continue;
            }
            if (type > 0 || (id != 0 && other.id() != id)) {
                continue; // no master/replica/pubsub clients exist
            }
            if (other == c && skipMe) {
                continue;
            }
            if (other == c) {
                killSelf = true;
            } else {
                other.kill();
            }
            killed++;
        }
        if (killSelf) {
            c.closeAfterReply(); // after this reply is sent
        }
        if (a.length == 3) {
            return killed == 0 ? Reply.err("No such client") : Reply.OK;
        }
        return Reply.integer(killed);
    }

    static Reply clientHelp(RespConnection c, byte[][] a) {
        return Builtins.help("CLIENT",
                "GETNAME",
                "    Return the name of the current connection.",
                "ID",
                "    Return the ID of the current connection.",
                "INFO",
                "    Return information about the current client connection.",
                "KILL <ip:port>",
                "    Kill connection made from <ip:port>.",
                "KILL <option> <value> [<option> <value> [...]]",
                "    Kill connections. Options are:",
                "    * ADDR (<ip:port>|<unixsocket>:0)",
                "      Kill connections made from the specified address",
                "    * LADDR (<ip:port>|<unixsocket>:0)",
                "      Kill connections made to specified local address",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                "      Kill connections by type.",
                "    * USER <username>",
                "      Kill connections authenticated by <username>.",
                "    * SKIPME (YES|NO)",
                "      Skip killing current connection (default: yes).",
                "LIST [options ...]",
                "    Return information about client connections. Options:",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                "      Return clients of specified type.",
                "SETNAME <name>",
                "    Assign the name <name> to the current connection.",
                "SETINFO <option> <value>",
                "    Set client meta attr. Options are:",
                "    * LIB-NAME: the client lib name.",
                "    * LIB-VER: the client lib version.",
                "NO-EVICT (ON|OFF)",
                "    Protect current client connection from eviction.",
                "NO-TOUCH (ON|OFF)",
                "    Will not touch LRU/LFU stats when this mode is on.");
    }
}
