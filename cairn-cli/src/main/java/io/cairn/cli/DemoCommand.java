package io.cairn.cli;

import io.cairn.server.CairnServer;
import io.cairn.server.ServerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * Starts a local node on the embedded default (memory engine), drives a small workload through a
 * real Redis client, prints the topology and how to connect, then serves until interrupted.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start a local node, run a small workload, print topology and how to connect with redis-cli.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--port", description = "RESP port (default 6380, or a free one if taken).")
    int port = 6380;

    @Option(names = "--keys", description = "Keys the workload writes (default 20000).")
    int keys = 20_000;

    @Option(names = "--duration", description = "Seconds to keep serving after the workload; -1 = until Ctrl-C (default).")
    long durationSeconds = -1;

    @Override
    public Integer call() throws Exception {
        if (keys < 1 || keys > 10_000_000) {
            System.err.println("cairn demo: --keys must be in 1..10000000");
            return 1;
        }
        int chosen = portFree(port) ? port : 0;
        if (chosen == 0) {
            System.out.println("port " + port + " is taken; picking a free one");
        }
        ServerConfig config = ServerConfig.load(null, Map.of("port", String.valueOf(chosen), "node-id", "demo-1"),
                List.of(), Map.of());
        CairnServer server = CairnServer.start(config);
        ShutdownSignals.closeOnTermination(server);
        int p = server.port();
        System.out.println("started cairn node " + server.nodeId() + " on 127.0.0.1:" + p
                + " (memory engine, " + config.intValue("partitions") + " partitions)");
        try (Jedis jedis = new Jedis("127.0.0.1", p)) {
            runWorkload(jedis);
            System.out.println();
            System.out.println("topology (CLUSTER NODES):");
            System.out.print(jedis.clusterNodes());
            System.out.println("keyspace: " + jedis.info("keyspace").lines().filter(l -> l.startsWith("db")).findFirst()
                    .orElse("(empty)"));
        }
        System.out.println();
        System.out.println("connect with:   redis-cli -p " + p);
        System.out.println("for example:    redis-cli -p " + p + " GET demo:key:42");
        if (durationSeconds >= 0) {
            Thread.sleep(durationSeconds * 1000);
            server.close();
        } else {
            System.out.println("serving until Ctrl-C");
        }
        server.awaitTermination();
        return 0;
    }

    private void runWorkload(Jedis jedis) {
        long start = System.nanoTime();
        int batch = 1000;
        for (int done = 0; done < keys; ) {
            int n = Math.min(batch, keys - done);
            Pipeline pipe = jedis.pipelined();
            for (int i = done; i < done + n; i++) {
                pipe.set("demo:key:" + i, "value-" + i);
            }
            pipe.sync();
            done += n;
            System.out.printf("\rworkload: SET %d/%d", done, keys);
        }
        int mismatches = 0;
        for (int i = 0; i < keys; i += Math.max(1, keys / 1000)) {
            String v = jedis.get("demo:key:" + i);
            if (!("value-" + i).equals(v)) {
                mismatches++;
            }
        }
        for (int i = 0; i < 100; i++) {
            jedis.incr("demo:counter");
        }
        jedis.setex("demo:ephemeral".getBytes(StandardCharsets.UTF_8), 60, "gone in a minute".getBytes(StandardCharsets.UTF_8));
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("\rworkload: SET %d keys, read back a sample (%d mismatches), INCR x100 -> %s, in %.2f s%n",
                keys, mismatches, jedis.get("demo:counter"), seconds);
        if (mismatches > 0) {
            throw new IllegalStateException("demo read back wrong values: " + mismatches);
        }
    }

    private static boolean portFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
