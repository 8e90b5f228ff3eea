package io.cairn.verify.runner;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How to start one {@code cairn server} process: the verifier does not depend on the server's
 * code, only on a command line, so it can drive any build of Cairn (the CLI passes its own class
 * path; tests pass theirs).
 *
 * @param java       the java binary
 * @param jvmOptions options before the class path (heap, GC, system properties)
 * @param classPath  class path holding the server
 * @param mainClass  class whose main takes {@code server <args>}
 */
public record NodeLauncher(String java, List<String> jvmOptions, String classPath, String mainClass) {
    /** Lean child JVMs: the verifier runs 3-5 of them on a 2-core machine next to the workload. */
    public static final List<String> LEAN_JVM_OPTIONS = List.of("-Xmx384m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
            "-Dio.netty.leakDetection.level=disabled");

    public NodeLauncher {
        Objects.requireNonNull(java, "java");
        jvmOptions = List.copyOf(jvmOptions);
        Objects.requireNonNull(classPath, "classPath");
        Objects.requireNonNull(mainClass, "mainClass");
    }

    /** The running JVM's own java binary and class path, with {@link #LEAN_JVM_OPTIONS}. */
    public static NodeLauncher sameJvm(String mainClass) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> options = new ArrayList<>(LEAN_JVM_OPTIONS);
        if (Runtime.version().feature() < 24) {
            options.remove("--sun-misc-unsafe-memory-access=allow"); // unknown option before JDK 24
        }
        return new NodeLauncher(java, options, System.getProperty("java.class.path"), mainClass);
    }

    /** The full command: java, options, {@code extraJvmOptions}, class path, main class, "server", args. */
    public List<String> command(List<String> extraJvmOptions, List<String> serverArgs) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmOptions);
        cmd.addAll(extraJvmOptions);
        cmd.addAll(List.of("-cp", classPath, mainClass, "server"));
        cmd.addAll(serverArgs);
        return cmd;
    }
}
