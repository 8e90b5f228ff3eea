package io.cairn.server.embedded;

import io.cairn.server.ServerConfig;
import java.util.List;
import java.util.Map;

/**
 * Entry point of the embedded API: {@code Cairn.node(config)} starts a node inside the calling
 * process. The process becomes a cluster member (with {@code peers}) or a single node, and also
 * serves RESP on {@code port} (0 = any free port) so that redis-cli and other nodes can reach it.
 *
 * <pre>{@code
 * try (CairnNode node = Cairn.node(Map.of("node-id", "n1", "port", "0",
 *         "peers", "n1@127.0.0.1:7001,n2@127.0.0.1:7002,n3@127.0.0.1:7003", "data-dir", "/var/lib/cairn/n1"))) {
 *     node.awaitReady(Duration.ofSeconds(30));
 *     node.put("greeting", "hello");
 *     node.get("greeting", CallOptions.defaults().withRead(ReadConsistency.FOLLOWER));
 * }
 * }</pre>
 */
public final class Cairn {
    private Cairn() {}

    /** Starts a node from settings (the same keys as {@code cairn server}'s flags and YAML). */
    public static CairnNode node(Map<String, String> settings) {
        return node(ServerConfig.load(null, settings, List.of(), Map.of()));
    }

    public static CairnNode node(ServerConfig config) {
        return CairnNode.start(config);
    }
}
