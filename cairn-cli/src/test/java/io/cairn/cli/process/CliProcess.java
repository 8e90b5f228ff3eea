package io.cairn.cli.process;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the {@code cairn} command as a real process (same JDK and class path as the test). */
public final class CliProcess {
    private CliProcess() {}

    /** What one run printed, and how it ended. */
    public record Run(int exit, String out, String err) {}

    /** The command line of {@code cairn <args>}. */
    public static List<String> command(String... args) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), "io.cairn.cli.CairnCli"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs {@code cairn <args>} with {@code stdin} (null: /dev/null) to its end, at most 90 s. */
    public static Run run(Path scratch, String stdin, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile(scratch, "out", ".txt");
        Path err = Files.createTempFile(scratch, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command(args)).redirectOutput(out.toFile()).redirectError(err.toFile());
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        Process p = pb.start();
        if (stdin != null) {
            try (var in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("cairn " + String.join(" ", args) + " did not finish in 90 s: " + Files.readString(out));
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
