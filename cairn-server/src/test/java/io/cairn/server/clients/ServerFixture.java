package io.cairn.server.clients;

import io.cairn.server.CairnServer;
import io.cairn.server.ServerConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** An in-JVM Cairn node on an ephemeral loopback port, memory engine unless told otherwise. */
final class ServerFixture {
    private ServerFixture() {}

    static CairnServer start(Map<String, String> settings) throws InterruptedException {
        Map<String, String> flags = new HashMap<>(settings);
        flags.putIfAbsent("port", "0");
        flags.putIfAbsent("bind", "127.0.0.1");
        return CairnServer.start(ServerConfig.load(null, flags, List.of(), Map.of()));
    }

    static CairnServer start() throws InterruptedException {
        return start(Map.of());
    }
}
