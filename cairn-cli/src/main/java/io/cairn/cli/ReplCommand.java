package io.cairn.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.completer.StringsCompleter;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cairn repl}: an interactive shell for Redis-style commands against one node, like
 * redis-cli. On a terminal it reads lines with JLine (history in {@code ~/.cairn_history},
 * completion of the command names the server lists in COMMAND LIST, Ctrl-C drops the line, Ctrl-D
 * or {@code quit} leaves) and prints replies as redis-cli does ({@code "bulk"}, {@code (integer) n},
 * {@code (nil)}, {@code (error) ...}, numbered arrays). With piped stdin it runs each line and
 * prints raw replies, one value per line, as {@code redis-cli} does without a terminal.
 */
@Command(name = "repl", mixinStandardHelpOptions = true,
        description = {"Interactive shell for Redis-style commands (history, completion); reads piped stdin too.",
                "Exit code: 0 ok, 1 error (with piped input: a command got an error reply and --fail-on-error), "
                        + "3 cannot connect or the connection was lost."})
final class ReplCommand implements Callable<Integer> {
    @Mixin
    AdminClient.Options options = new AdminClient.Options();

    @Option(names = "--raw", negatable = true, description = "Print raw replies (default: raw unless on a terminal).")
    Boolean raw;

    @Option(names = "--history-file", description = "History file on a terminal (default ~/.cairn_history; 'none' keeps none).")
    String historyFile;

    @Option(names = "--fail-on-error", description = "With piped input: exit 1 if any command got an error reply.")
    boolean failOnError;

    /** Longest input line accepted: a larger one is refused, not sent. */
    static final int MAX_LINE_BYTES = 64 * 1024 * 1024;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            options.validate();
        } catch (AdminClient.Failure f) {
            err.println("cairn repl: " + f.getMessage());
            return f.exitCode;
        }
        boolean interactive = stdinIsTerminal();
        boolean rawOutput = raw != null ? raw : !interactive;
        try (RawRespConnection c = connect()) {
            if (options.password != null) {
                RawRespConnection.Reply r = c.execute(List.of("AUTH".getBytes(StandardCharsets.UTF_8),
                        options.password.getBytes(StandardCharsets.UTF_8)));
                if (r instanceof RawRespConnection.Error e) {
                    err.println("cairn repl: AUTH: " + e.text());
                    return AdminClient.ERROR;
                }
            }
            return interactive ? interactive(c, rawOutput) : piped(c, rawOutput, out, err);
        } catch (IOException e) {
            err.println("cairn repl: " + options.host + ":" + options.port + ": " + e.getMessage());
            return AdminClient.CONNECTION;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private RawRespConnection connect() throws IOException {
        return new RawRespConnection(options.host, options.port, options.socketTimeoutMs);
    }

    private int piped(RawRespConnection c, boolean rawOutput, PrintWriter out, PrintWriter err) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        boolean anyError = false;
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            List<byte[]> args;
            try {
                args = splitArgs(line);
            } catch (IllegalArgumentException e) {
                out.println("(error) " + e.getMessage());
                anyError = true;
                continue;
            }
            if (args.isEmpty()) {
                continue;
            }
            String name = new String(args.get(0), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
            if (name.equals("quit") || name.equals("exit")) {
                break;
            }
            RawRespConnection.Reply reply = c.execute(args);
            anyError |= reply instanceof RawRespConnection.Error;
            out.println(rawOutput ? formatRaw(reply) : format(reply));
            out.flush();
        }
        return anyError && failOnError ? AdminClient.ERROR : AdminClient.OK;
    }

    private int interactive(RawRespConnection first, boolean rawOutput) throws IOException {
        RawRespConnection c = first;
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            if (terminal.getWidth() <= 0) {
                // A pseudo-terminal nobody sized (script(1), some CI runners): JLine would squeeze the prompt into 0 columns.
                terminal.setSize(new org.jline.terminal.Size(120, 40));
            }
            LineReaderBuilder builder = LineReaderBuilder.builder().terminal(terminal).appName("cairn")
                    .completer(new StringsCompleter(commandNames(c)));
            Path history = historyPath();
            if (history != null) {
                builder.variable(LineReader.HISTORY_FILE, history);
            }
            LineReader reader = builder.build();
            PrintWriter out = terminal.writer();
            String prompt = c.address + "> ";
            while (true) {
                String line;
                try {
                    line = reader.readLine(prompt);
                } catch (UserInterruptException e) {
                    continue; // Ctrl-C drops the line being typed
                } catch (EndOfFileException e) {
                    return AdminClient.OK;
                }
                List<byte[]> args;
                try {
                    args = splitArgs(line);
                } catch (IllegalArgumentException e) {
                    out.println("(error) " + e.getMessage());
                    continue;
                }
                if (args.isEmpty()) {
                    continue;
                }
                String name = new String(args.get(0), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
                if (name.equals("quit") || name.equals("exit")) {
                    return AdminClient.OK;
                }
                try {
                    RawRespConnection.Reply reply = c.execute(args);
                    out.println(rawOutput ? formatRaw(reply) : format(reply));
                } catch (IOException e) {
                    out.println("(error) connection to " + c.address + " lost: " + e.getMessage() + "; reconnecting");
                    c.close();
                    c = connect(); // a failure here ends the REPL with exit code 3
                }
                out.flush();
            }
        } finally {
            if (c != first) {
                c.close();
            }
        }
    }

    private Path historyPath() {
        if ("none".equals(historyFile)) {
            return null;
        }
        return historyFile != null ? Path.of(historyFile) : Path.of(System.getProperty("user.home"), ".cairn_history");
    }

    /** Command names for completion, as the server lists them (upper and lower case), plus the REPL's own. */
    private static List<String> commandNames(RawRespConnection c) {
        TreeSet<String> names = new TreeSet<>(List.of("quit", "exit"));
        try {
            if (c.execute(List.of("COMMAND".getBytes(StandardCharsets.UTF_8), "LIST".getBytes(StandardCharsets.UTF_8)))
                    instanceof RawRespConnection.Multi m) {
                for (RawRespConnection.Reply r : m.items()) {
                    if (r instanceof RawRespConnection.Bulk b) {
                        String n = new String(b.value(), StandardCharsets.UTF_8);
                        names.add(n.toLowerCase(Locale.ROOT));
                        names.add(n.toUpperCase(Locale.ROOT));
                    }
                }
            }
        } catch (IOException e) {
            // completion is a convenience: without the list the REPL still works
        }
        return new ArrayList<>(names);
    }

    private static boolean stdinIsTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try { // JDK 22+ returns a Console even when redirected; isTerminal() tells (not in the Java 21 API)
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21: a non-null console means a terminal
        }
    }

    /**
     * Splits a line into arguments as redis-cli does: whitespace-separated; "double quotes" with
     * \n \r \t \b \a \\ \" and \xHH escapes; 'single quotes' literal but for \'. A closing quote must
     * be followed by a space or the end of the line.
     */
    static List<byte[]> splitArgs(String line) {
        if (line.length() > MAX_LINE_BYTES) {
            throw new IllegalArgumentException("line longer than " + MAX_LINE_BYTES + " characters");
        }
        List<byte[]> args = new ArrayList<>();
        int i = 0;
        int n = line.length();
        while (true) {
            while (i < n && Character.isWhitespace(line.charAt(i))) {
                i++;
            }
            if (i >= n) {
                return args;
            }
            java.io.ByteArrayOutputStream cur = new java.io.ByteArrayOutputStream();
            char quote = 0;
            boolean done = false;
            while (!done) {
                if (i >= n) {
                    if (quote != 0) {
                        throw new IllegalArgumentException("Invalid argument(s): unbalanced quotes");
                    }
                    done = true;
                    continue;
                }
                char ch = line.charAt(i);
                if (quote == '"') {
                    if (ch == '\\' && i + 3 < n && line.charAt(i + 1) == 'x' && isHex(line.charAt(i + 2)) && isHex(line.charAt(i + 3))) {
                        cur.write(Integer.parseInt(line.substring(i + 2, i + 4), 16));
                        i += 3;
                    } else if (ch == '\\' && i + 1 < n) {
                        i++;
                        char e = line.charAt(i);
                        switch (e) {
                            case 'n' -> cur.write('\n');
                            case 'r' -> cur.write('\r');
                            case 't' -> cur.write('\t');
                            case 'b' -> cur.write('\b');
                            case 'a' -> cur.write(7);
                            default -> cur.writeBytes(String.valueOf(e).getBytes(StandardCharsets.UTF_8));
                        }
                    } else if (ch == '"') {
                        if (i + 1 < n && !Character.isWhitespace(line.charAt(i + 1))) {
                            throw new IllegalArgumentException("Invalid argument(s): a closing quote must be followed by a space");
                        }
                        done = true;
                    } else {
                        cur.writeBytes(String.valueOf(ch).getBytes(StandardCharsets.UTF_8));
                    }
                } else if (quote == '\'') {
                    if (ch == '\\' && i + 1 < n && line.charAt(i + 1) == '\'') {
                        cur.write('\'');
                        i++;
                    } else if (ch == '\'') {
                        if (i + 1 < n && !Character.isWhitespace(line.charAt(i + 1))) {
                            throw new IllegalArgumentException("Invalid argument(s): a closing quote must be followed by a space");
                        }
                        done = true;
                    } else {
                        cur.writeBytes(String.valueOf(ch).getBytes(StandardCharsets.UTF_8));
                    }
                } else if (Character.isWhitespace(ch)) {
                    done = true;
                } else if (ch == '"' || ch == '\'') {
                    quote = ch;
                } else {
                    cur.writeBytes(String.valueOf(ch).getBytes(StandardCharsets.UTF_8));
                }
                i++;
            }
            args.add(cur.toByteArray());
        }
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }

    /** A reply as redis-cli prints it on a terminal. */
    static String format(RawRespConnection.Reply reply) {
        return switch (reply) {
            case RawRespConnection.Status s -> s.text();
            case RawRespConnection.Error e -> "(error) " + e.text();
            case RawRespConnection.Int i -> "(integer) " + i.value();
            case RawRespConnection.Nil nil -> "(nil)";
            case RawRespConnection.Bulk b -> quote(b.value());
            case RawRespConnection.Multi m -> formatArray(m.items());
        };
    }

    private static String formatArray(List<RawRespConnection.Reply> items) {
        if (items.isEmpty()) {
            return "(empty array)";
        }
        int width = String.valueOf(items.size()).length();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < items.size(); i++) {
            String label = String.format("%" + width + "d) ", i + 1);
            String[] lines = format(items.get(i)).split("\n", -1);
            for (int l = 0; l < lines.length; l++) {
                if (b.length() > 0) {
                    b.append('\n');
                }
                b.append(l == 0 ? label : " ".repeat(label.length())).append(lines[l]);
            }
        }
        return b.toString();
    }

    /** A reply as redis-cli prints it without a terminal: values as they are, one per line. */
    static String formatRaw(RawRespConnection.Reply reply) {
        return switch (reply) {
            case RawRespConnection.Status s -> s.text();
            case RawRespConnection.Error e -> "(error) " + e.text();
            case RawRespConnection.Int i -> String.valueOf(i.value());
            case RawRespConnection.Nil nil -> "";
            case RawRespConnection.Bulk b -> new String(b.value(), StandardCharsets.UTF_8);
            case RawRespConnection.Multi m -> String.join("\n", m.items().stream().map(ReplCommand::formatRaw).toList());
        };
    }

    static String quote(byte[] value) {
        StringBuilder b = new StringBuilder("\"");
        for (byte x : value) {
            int c = x & 0xff;
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case 7 -> b.append("\\a");
                case '\b' -> b.append("\\b");
                default -> {
                    if (c >= 0x20 && c < 0x7f) {
                        b.append((char) c);
                    } else {
                        b.append(String.format("\\x%02x", c));
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
