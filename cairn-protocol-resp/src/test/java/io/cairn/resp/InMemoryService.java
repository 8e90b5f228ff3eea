package io.cairn.resp;

import io.cairn.api.reply.Errors;
import io.cairn.api.reply.Reply;
import io.cairn.api.service.CommandService;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Unit-test stand-in for the command service: a synchronized HashMap with just enough of
 * GET/SET/DEL/INCR/EXISTS/DBSIZE/FLUSHALL to exercise the protocol layer. Futures complete on the
 * calling thread, like the single-node service. Real command semantics live in cairn-commands.
 */
class InMemoryService implements CommandService {
    private final Map<ByteBuffer, byte[]> data = new HashMap<>();
    private final Map<ByteBuffer, Long> versions = new HashMap<>();
    private long clock;
    volatile boolean closed;

    @Override
    public synchronized CompletableFuture<Reply> execute(byte[][] argv) {
        return CompletableFuture.completedFuture(apply(argv));
    }

    Reply apply(byte[][] argv) {
        String name = new String(argv[0], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
        switch (name) {
            case "get": {
                byte[] v = data.get(ByteBuffer.wrap(argv[1]));
                return v == null ? Reply.Null.BULK : Reply.bulk(v);
            }
            case "set": {
                if (argv.length != 3) {
                    return Errors.SYNTAX;
                }
                touch(argv[1]);
                data.put(ByteBuffer.wrap(argv[1].clone()), argv[2].clone());
                return Reply.OK;
            }
            case "del": {
                long n = 0;
                for (int i = 1; i < argv.length; i++) {
                    if (data.remove(ByteBuffer.wrap(argv[i])) != null) {
                        touch(argv[i]);
                        n++;
                    }
                }
                return Reply.integer(n);
            }
            case "exists": {
                long n = 0;
                for (int i = 1; i < argv.length; i++) {
                    n += data.containsKey(ByteBuffer.wrap(argv[i])) ? 1 : 0;
                }
                return Reply.integer(n);
            }
            case "incr": {
                byte[] v = data.get(ByteBuffer.wrap(argv[1]));
                long n;
                try {
                    n = v == null ? 0 : Long.parseLong(new String(v, StandardCharsets.US_ASCII));
                } catch (NumberFormatException e) {
                    return Errors.NOT_INTEGER;
                }
                n++;
                touch(argv[1]);
                data.put(ByteBuffer.wrap(argv[1].clone()), Long.toString(n).getBytes(StandardCharsets.US_ASCII));
                return Reply.integer(n);
            }
            case "dbsize":
                return Reply.integer(data.size());
            case "flushall":
                for (ByteBuffer k : data.keySet()) {
                    versions.put(k, ++clock);
                }
                data.clear();
                return Reply.OK;
            default:
                return Reply.err("test service does not implement '" + name + "'");
        }
    }

    private void touch(byte[] key) {
        versions.put(ByteBuffer.wrap(key.clone()), ++clock);
    }

    @Override
    public synchronized CompletableFuture<Long> watchToken(byte[] key) {
        return CompletableFuture.completedFuture(versions.getOrDefault(ByteBuffer.wrap(key), 0L));
    }

    @Override
    public synchronized CompletableFuture<Reply> exec(List<byte[][]> commands, List<Watch> watches) {
        for (Watch w : watches) {
            if (versions.getOrDefault(ByteBuffer.wrap(w.key()), 0L) != w.token()) {
                return CompletableFuture.completedFuture(Reply.Null.ARRAY);
            }
        }
        List<Reply> replies = new ArrayList<>();
        for (byte[][] c : commands) {
            replies.add(apply(c));
        }
        return CompletableFuture.completedFuture(Reply.array(replies));
    }

    @Override
    public synchronized long approximateKeyCount() {
        return data.size();
    }

    @Override
    public void close() {
        closed = true;
    }
}
