package io.cairn.server;

import io.cairn.api.clock.Clock;
import io.cairn.api.clock.HybridLogicalClock;
import io.cairn.commands.CommandExecutor;
import io.cairn.commands.DataCommands;
import io.cairn.commands.LocalCommandService;
import io.cairn.resp.ClusterView;
import io.cairn.resp.RespServer;
import io.cairn.resp.RespSettings;
import io.cairn.resp.ServerContext;
import io.cairn.resp.SingleNodeClusterView;
import io.cairn.storage.StorageEngine;
import io.cairn.storage.StorageEngines;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One Cairn node: storage engine → command service → RESP server. Owns all three and closes them
 * in reverse order. Single node for now; the replicated service replaces {@link LocalCommandService}
 * behind the same {@code CommandService} interface.
 */
public final class CairnServer implements AutoCloseable {
    public static final String VERSION = "0.1.0";
    /** Reported as redis_version: the Redis release whose command semantics Cairn follows. */
    public static final String REDIS_COMPAT_VERSION = "7.2.0";

    private final ServerConfig config;
    private final String nodeId;
    private final StorageEngine engine;
    private final LocalCommandService service;
    private final RespServer resp;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean closing = new AtomicBoolean();

    private CairnServer(ServerConfig config) throws InterruptedException {
        this.config = config;
        Path dataDir = config.string("data-dir") == null ? null : Path.of(config.string("data-dir"));
        this.nodeId = resolveNodeId(config.string("node-id"), dataDir);
        Map<String, String> engineSettings = new LinkedHashMap<>(config.storageOptions());
        this.engine = StorageEngines.open(config.string("storage"),
                dataDir == null ? null : dataDir.resolve("storage"), engineSettings);
        try {
            Clock clock = Clock.SYSTEM;
            HybridLogicalClock hlc = new HybridLogicalClock(clock, config.longValue("hlc.max-offset-ms"));
            CommandExecutor executor = new CommandExecutor(engine, config.intValue("partitions"),
                    CommandExecutor.Settings.from(config.values()));
            this.service = new LocalCommandService(executor, clock, hlc, LocalCommandService.Options.from(config.values()));
            this.resp = new RespServer(respSettings(config), service, DataCommands.specs(), new Context());
            resp.start();
        } catch (RuntimeException | InterruptedException e) {
            engine.close();
            throw e;
        }
    }

    /** Starts a node and returns once its RESP port is bound. */
    public static CairnServer start(ServerConfig config) throws InterruptedException {
        return new CairnServer(config);
    }

    static RespSettings respSettings(ServerConfig c) {
        long bulk = c.longValue("proto-max-bulk-len");
        if (bulk > Integer.MAX_VALUE - 1024) {
            throw new IllegalArgumentException("proto-max-bulk-len must be at most " + (Integer.MAX_VALUE - 1024));
        }
        return new RespSettings(c.string("bind"), c.intValue("port"), c.intValue("maxclients"), (int) bulk,
                c.intValue("max-multibulk-len"), c.longValue("client-query-buffer-limit"),
                c.longValue("client-output-buffer-limit"), c.intValue("timeout"), c.bool("protected-mode"),
                c.string("requirepass"), c.intValue("io-threads"), c.intValue("multi-max-queued"),
                c.intValue("client-max-inflight"), c.intValue("shutdown-timeout"));
    }

    /**
     * Cluster node ids are 40 hex characters (Redis Cluster's shape). A configured name is hashed to
     * one, so the same name always yields the same id; without a name the id is random and kept in
     * the data directory so a restart keeps its identity.
     */
    static String resolveNodeId(String configured, Path dataDir) {
        if (configured != null && !configured.isBlank()) {
            return configured.matches("[0-9a-f]{40}") ? configured : sha1Hex(configured);
        }
        if (dataDir == null) {
            return randomId();
        }
        try {
            Files.createDirectories(dataDir);
            Path file = dataDir.resolve("node-id");
            if (Files.exists(file)) {
                String id = Files.readString(file, StandardCharsets.US_ASCII).trim();
                if (!id.matches("[0-9a-f]{40}")) {
                    throw new IllegalStateException(file + " does not hold a 40-character hex node id");
                }
                return id;
            }
            String id = randomId();
            Path tmp = dataDir.resolve("node-id.tmp");
            Files.writeString(tmp, id + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the node id in " + dataDir, e);
        }
    }

    private static String randomId() {
        byte[] b = new byte[20];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static String sha1Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by the JDK", e);
        }
    }

    public int port() {
        return resp.port();
    }

    public String nodeId() {
        return nodeId;
    }

    public ServerConfig config() {
        return config;
    }

    /** Blocks until {@link #close()} has finished (from SHUTDOWN, a signal, or another thread). */
    public void awaitTermination() throws InterruptedException {
        stopped.await();
    }

    /** Graceful and idempotent: stop accepting, finish in-flight commands, flush, release storage. */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        try {
            resp.close();
        } finally {
            try {
                service.close();
            } finally {
                try {
                    engine.flush();
                } finally {
                    engine.close();
                    stopped.countDown();
                }
            }
        }
    }

    private final class Context implements ServerContext {
        private final ClusterView cluster = new SingleNodeClusterView(nodeId, config.string("bind"), () -> resp.port());

        @Override
        public String nodeId() {
            return nodeId;
        }

        @Override
        public String version() {
            return REDIS_COMPAT_VERSION;
        }

        @Override
        public String cairnVersion() {
            return VERSION;
        }

        @Override
        public Map<String, String> config() {
            return config.effective();
        }

        @Override
        public void requestShutdown() {
            // SHUTDOWN arrives on an event-loop thread; closing waits for event loops, so hand it off.
            Thread t = new Thread(CairnServer.this::close, "cairn-shutdown");
            t.setDaemon(false);
            t.start();
        }

        @Override
        public ClusterView cluster() {
            return cluster;
        }
    }
}
