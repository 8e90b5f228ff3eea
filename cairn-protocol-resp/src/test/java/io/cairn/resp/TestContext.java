package io.cairn.resp;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/** A ServerContext for tests: counts shutdown requests instead of stopping anything. */
final class TestContext implements ServerContext {
    static final String NODE_ID = "0123456789abcdef0123456789abcdef01234567";
    final AtomicInteger shutdownRequests = new AtomicInteger();
    final Map<String, String> config = new LinkedHashMap<>();
    private final ClusterView cluster;

    TestContext(String host, IntSupplier port) {
        this.cluster = new SingleNodeClusterView(NODE_ID, host, port);
        config.put("storage", "memory");
        config.put("partitions", "16");
        config.put("maxclients", "999"); // overridden by the RESP layer's live value
    }

    TestContext() {
        this("127.0.0.1", () -> 6380);
    }

    @Override
    public String nodeId() {
        return NODE_ID;
    }

    @Override
    public String version() {
        return "7.2.0";
    }

    @Override
    public String cairnVersion() {
        return "0.1.0-test";
    }

    @Override
    public Map<String, String> config() {
        return java.util.Collections.unmodifiableMap(config);
    }

    @Override
    public void requestShutdown() {
        shutdownRequests.incrementAndGet();
    }

    @Override
    public ClusterView cluster() {
        return cluster;
    }
}
