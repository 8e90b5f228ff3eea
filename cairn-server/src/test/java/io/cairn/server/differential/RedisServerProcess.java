package io.cairn.server.differential;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real redis-server (Debian package) on an ephemeral loopback port, persistence off. */
final class RedisServerProcess implements AutoCloseable {
    final int port;
    private final Process process;

    private RedisServerProcess(int port, Process process) {
        this.port = port;
        this.process = process;
    }

    static RedisServerProcess start(Path workDir) throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Files.createDirectories(workDir);
        Process p = new ProcessBuilder(List.of("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", workDir.toString(), "--daemonize", "no"))
                .redirectErrorStream(true).redirectOutput(workDir.resolve("redis.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return new RedisServerProcess(port, p);
            } catch (IOException notYet) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("redis-server exited: " + Files.readString(workDir.resolve("redis.log")));
                }
                Thread.sleep(50);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("redis-server did not start on port " + port);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
