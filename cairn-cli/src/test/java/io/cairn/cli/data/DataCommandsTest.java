package io.cairn.cli.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.cli.process.CliProcess;
import io.cairn.cli.process.CliProcess.Run;
import io.cairn.cli.process.ServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data commands, the REPL and completion as a user runs them: each {@code cairn} invocation a
 * real process (same JDK and class path) against a real {@code cairn server} process; exit codes
 * checked, JSON output parsed. The REPL is driven through piped stdin and through a pseudo-terminal
 * ({@code script(1)} allocates one), where it prints redis-cli's terminal formatting.
 */
@Timeout(180)
class DataCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ServerProcess server;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        server = ServerProcess.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private Run cairnWithInput(String stdin, String... args) throws IOException, InterruptedException {
        return CliProcess.run(dir, stdin, args);
    }

    private Run cairn(String... args) throws IOException, InterruptedException {
        return cairnWithInput(null, args);
    }

    private String port() {
        return String.valueOf(server.port);
    }

    @Test
    void putGetDeleteScanWithExitCodesAndJson() throws Exception {
        assertEquals(0, cairn("put", "-p", port(), "cli:a", "alpha").exit());
        Run get = cairn("get", "-p", port(), "cli:a");
        assertEquals(new Run(0, "alpha\n", ""), get);

        Run json = cairn("get", "-p", port(), "cli:a", "-o", "json");
        JsonNode j = JSON.readTree(json.out());
        assertEquals("alpha", j.get("value").asText());
        assertTrue(j.get("found").asBoolean());

        Run missing = cairn("get", "-p", port(), "cli:nope", "-o", "json");
        assertEquals(2, missing.exit(), "not found is exit code 2");
        assertTrue(!JSON.readTree(missing.out()).get("found").asBoolean());

        // Conditions: a failed one writes nothing and exits 2.
        assertEquals(2, cairn("put", "-p", port(), "--if-absent", "cli:a", "other").exit());
        assertEquals(2, cairn("put", "-p", port(), "--if-value", "wrong", "cli:a", "other").exit());
        assertEquals(0, cairn("put", "-p", port(), "--if-value", "alpha", "cli:a", "beta").exit());
        assertEquals("beta\n", cairn("get", "-p", port(), "cli:a").out());
        assertEquals(0, cairn("put", "-p", port(), "--ttl-ms", "600000", "cli:b", "with ttl").exit());

        JsonNode scan = JSON.readTree(cairn("scan", "-p", port(), "--prefix", "cli:", "-o", "json", "--values").out());
        assertEquals(2, scan.get("count").asInt());
        List<String> keys = new ArrayList<>();
        scan.get("keys").forEach(k -> keys.add(k.get("key").asText() + "=" + k.get("value").asText()));
        assertEquals(List.of("cli:a=beta", "cli:b=with ttl"), keys.stream().sorted().toList());
        assertTrue(JSON.readTree(cairn("scan", "-p", port(), "--limit", "1", "-o", "json").out()).get("truncated").asBoolean());

        Run del = cairn("delete", "-p", port(), "cli:a", "cli:b", "-o", "json");
        assertEquals(0, del.exit());
        assertEquals(2, JSON.readTree(del.out()).get("deleted").asInt());
        assertEquals(2, cairn("delete", "-p", port(), "cli:a").exit(), "deleting nothing is exit code 2");
    }

    @Test
    void statsPingAndFailures() throws Exception {
        JsonNode stats = JSON.readTree(cairn("stats", "-p", port(), "-o", "json").out());
        assertTrue(stats.get("server").get("cairn_version").asText().length() > 0, stats.toString());
        JsonNode ping = JSON.readTree(cairn("ping", "-p", port(), "-c", "3", "-o", "json").out());
        assertEquals(3, ping.get("latency_ms").size());

        int closed = ServerProcess.freePort();
        Run refused = cairn("get", "-p", String.valueOf(closed), "k");
        assertEquals(3, refused.exit(), "cannot connect is exit code 3: " + refused);
        assertTrue(refused.err().contains("cannot connect"), refused.err());
        assertEquals(1, cairn("scan", "-p", port(), "--limit", "0").exit(), "a bad option is exit code 1");
        assertEquals(1, cairn("get", "-p", port(), "-o", "yaml", "k").exit());
    }

    @Test
    void replReadsPipedStdinLikeRedisCli() throws Exception {
        Run r = cairnWithInput("SET repl:k \"two words\"\nGET repl:k\nINCR repl:n\nINCR repl:n\nGET repl:none\n"
                + "SET 'unbalanced\nNOSUCHCOMMAND x\nMGET repl:k repl:none\nquit\nGET repl:k\n", "repl", "-p", port());
        assertEquals(0, r.exit(), r.toString());
        assertEquals(List.of("OK", "two words", "1", "2", "", "(error) Invalid argument(s): unbalanced quotes",
                "(error) ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' ", "two words", ""),
                r.out().lines().toList());
        Run failing = cairnWithInput("GET\n", "repl", "-p", port(), "--fail-on-error");
        assertEquals(1, failing.exit(), failing.toString());
    }

    @Test
    void replOnAPseudoTerminalFormatsRepliesAsRedisCliDoes() throws Exception {
        // script(1) runs the REPL on a fresh pseudo-terminal and copies what it writes there to stdout.
        String repl = String.join(" ", CliProcess.command("repl", "-p", port(), "--history-file", dir.resolve("history").toString()))
                .replace("*", "\\*");
        ProcessBuilder pb = new ProcessBuilder("script", "-qfec", repl, "/dev/null");
        Path out = Files.createTempFile(dir, "tty", ".txt");
        pb.redirectOutput(out.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            for (String line : List.of("SET tty:k v1", "GET tty:k", "INCR tty:n", "GET tty:none", "MGET tty:k tty:none", "quit")) {
                in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                in.flush();
                Thread.sleep(300); // one line at a time, as typed
            }
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the REPL on a terminal did not finish: " + Files.readString(out));
        String screen = Files.readString(out).replaceAll("\u001B\\[[0-9;?]*[A-Za-z]|\u001B[=>]", "").replace("\r", "");
        assertEquals(0, p.exitValue(), screen);
        assertTrue(screen.contains("127.0.0.1:" + port() + "> "), "prompt: " + screen);
        assertTrue(screen.contains("\"v1\""), "bulk strings quoted: " + screen);
        assertTrue(screen.contains("(integer) 1"), screen);
        assertTrue(screen.contains("(nil)"), screen);
        assertTrue(screen.contains("1) \"v1\"\n2) (nil)"), "arrays numbered: " + screen);
        assertTrue(Files.readString(dir.resolve("history")).contains("INCR tty:n"), "history kept");
    }

    @Test
    void completionScriptsNameEverySubcommand() throws Exception {
        Run bash = cairn("completion", "bash");
        assertEquals(0, bash.exit());
        for (String sub : List.of("put", "get", "delete", "scan", "topology", "stats", "ping", "rebalance", "join",
                "leave", "verify", "server", "demo", "repl")) {
            assertTrue(bash.out().contains(sub), "completion lists " + sub);
        }
        assertTrue(cairn("completion", "zsh").out().contains("bashcompinit"));
        assertEquals(1, cairn("completion", "fish").exit());
        // The script is valid bash: sourcing it defines the completion function.
        Path script = dir.resolve("cairn-completion.bash");
        Files.writeString(script, bash.out());
        Process p = new ProcessBuilder("bash", "-c", "source " + script + " && complete -p cairn").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("cairn"), out);
    }
}
