package io.cairn.cli.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code cairn server} process (same JDK, the test classpath), for kill -9 and signal tests.
 * Public so other test packages (e.g. {@code io.cairn.cli.cluster}) can drive real nodes.
 */
public final class ServerProcess implements AutoCloseable {
    private static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(30);

    public final int port;
    public final Process process;
    public final List<String> output = new CopyOnWriteArrayList<>();

    private ServerProcess(int port, Process process) {
        this.port = port;
        this.process = process;
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    output.add(line);
                }
            } catch (IOException ignored) {
                // the process went away; output so far is kept
            }
        }, "server-output-" + port);
        pump.setDaemon(true);
        pump.start();
    }

    public static ServerProcess start(String... extraArgs) throws IOException, InterruptedException {
        return start(freePort(), extraArgs);
    }

    public static ServerProcess start(int port, String... extraArgs) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("--port", String.valueOf(port)));
        args.addAll(List.of(extraArgs));
        return startExact(port, List.of("-Xmx512m"), args, DEFAULT_READY_TIMEOUT);
    }

    /**
     * Starts {@code cairn server <serverArgs>} with exactly the given arguments: nothing is added, so
     * {@code serverArgs} must itself set the RESP port (e.g. {@code --port}, or the node's entry in
     * {@code --peers}); {@code port} is that port, as this handle reports it. {@code jvmOptions} go
     * before the class path (heap size, GC). Returns once the node printed "ready on".
     */
    public static ServerProcess startExact(int port, List<String> jvmOptions, List<String> serverArgs,
                                           Duration readyTimeout) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.cairn.cli.CairnCli", "server"));
        cmd.addAll(serverArgs);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ServerProcess sp = new ServerProcess(port, p);
        sp.awaitReady(readyTimeout);
        return sp;
    }

    private void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (output.stream().anyMatch(l -> l.contains("ready on"))) {
                return;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("server exited with " + process.exitValue() + ": " + output);
            }
            if (output.stream().anyMatch(l -> l.startsWith("Exception in thread \"main\""))) {
                // startup failed, but non-daemon threads (Raft, gRPC) may keep the JVM alive: do not wait it out
                Thread.sleep(200); // let the stack trace arrive for the message
                process.destroyForcibly();
                throw new IllegalStateException("server startup failed: " + output);
            }
            Thread.sleep(50);
        }
        process.destroyForcibly();
        throw new IllegalStateException("server not ready within " + timeout.toSeconds() + " s: " + output);
    }

    /** Sends a real SIGTERM (kill -15), as a supervisor would. */
    public void sigterm() throws IOException, InterruptedException {
        signal("TERM", this);
    }

    /** kill -9: no shutdown hook, no flush. */
    public void sigkill() throws IOException, InterruptedException {
        signal("KILL", this);
    }

    /**
     * kill -9 of several servers at (nearly) the same moment: one {@code kill} process gets all the
     * pids, so the signals go out back-to-back from a single loop of kill(2) calls.
     */
    public static void sigkillAll(List<ServerProcess> servers) throws IOException, InterruptedException {
        signal("KILL", servers.toArray(ServerProcess[]::new));
    }

    private static void signal(String name, ServerProcess... servers) throws IOException, InterruptedException {
        if (servers.length == 0) {
            throw new IllegalArgumentException("no process to signal");
        }
        List<String> cmd = new ArrayList<>(List.of("kill", "-" + name));
        for (ServerProcess s : servers) {
            cmd.add(String.valueOf(s.process.pid()));
        }
        Process kill = new ProcessBuilder(cmd).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + name + " failed: " + cmd);
        }
    }

    public long pid() {
        return process.pid();
    }

    public int awaitExit() throws InterruptedException {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("server did not exit within 30 s: " + output);
        }
        return process.exitValue();
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
