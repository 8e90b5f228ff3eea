package io.cairn.cli;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The key-value commands of the {@code cairn} CLI, each a thin RESP call through {@link DataCommand}. */
final class DataCommands {
    private DataCommands() {}

    static final String EXIT_CODES = "Exit code: 0 ok, 1 error, 2 not found, 3 cannot connect, 4 timeout.";

    @Command(name = "put", mixinStandardHelpOptions = true,
            description = {"Set a key to a value (SET), optionally with a TTL or a condition.", EXIT_CODES
                    + " With --if-absent or --if-value, 2 means the condition did not hold and nothing was written."})
    static final class Put extends DataCommand {
        @Parameters(index = "0", description = "The key.")
        String key;

        @Parameters(index = "1", description = "The value.")
        String value;

        @Option(names = "--ttl-ms", description = "Expire the key after this many milliseconds.")
        Long ttlMs;

        @Option(names = "--if-absent", description = "Only if the key does not exist (SET NX).")
        boolean ifAbsent;

        @Option(names = "--if-value", description = "Only if the key's current value is this one (SET IFEQ: compare-and-set).")
        String ifValue;

        @Override
        void validateArguments() throws AdminClient.Failure {
            if (ttlMs != null && ttlMs < 1) {
                throw new AdminClient.Failure(AdminClient.ERROR, "--ttl-ms must be positive, got " + ttlMs);
            }
            if (ifAbsent && ifValue != null) {
                throw new AdminClient.Failure(AdminClient.ERROR, "--if-absent and --if-value exclude each other");
            }
        }

        @Override
        int run(RespSession session) throws AdminClient.Failure {
            List<String> args = new ArrayList<>(List.of("SET", key, value));
            if (ttlMs != null) {
                args.addAll(List.of("PX", ttlMs.toString()));
            }
            if (ifAbsent) {
                args.add("NX");
            }
            if (ifValue != null) {
                args.addAll(List.of("IFEQ", ifValue));
            }
            Object reply = session.call(args.toArray(String[]::new));
            boolean written = reply != null; // SET with a condition that fails answers nil
            if (json()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("key", key);
                j.put("written", written);
                printJson(j);
            } else {
                out.println(written ? "OK" : "(not written: condition not met)");
            }
            return written ? AdminClient.OK : AdminClient.NOT_FOUND;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = {"Print a key's value (GET).", EXIT_CODES + " 2: no such key."})
    static final class Get extends DataCommand {
        @Parameters(index = "0", description = "The key.")
        String key;

        @Override
        int run(RespSession session) throws AdminClient.Failure {
            Object reply = session.call("GET", key);
            if (reply == null) {
                if (json()) {
                    Map<String, Object> j = new LinkedHashMap<>();
                    j.put("key", key);
                    j.put("found", false);
                    printJson(j);
                } else {
                    err.println("cairn get: no such key '" + key + "'");
                }
                return AdminClient.NOT_FOUND;
            }
            byte[] value = (byte[]) reply;
            if (json()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("key", key);
                j.put("found", true);
                putValue(j, "value", value);
                printJson(j);
            } else {
                out.println(new String(value, StandardCharsets.UTF_8));
            }
            return AdminClient.OK;
        }
    }

    @Command(name = "delete", aliases = "del", mixinStandardHelpOptions = true,
            description = {"Delete keys (DEL).", EXIT_CODES + " 2: none of the keys existed."})
    static final class Delete extends DataCommand {
        @Parameters(arity = "1..*", description = "The keys.")
        List<String> keys;

        @Override
        int run(RespSession session) throws AdminClient.Failure {
            List<String> args = new ArrayList<>();
            args.add("DEL");
            args.addAll(keys);
            long deleted = (Long) session.call(args.toArray(String[]::new));
            if (json()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("deleted", deleted);
                printJson(j);
            } else {
                out.println(deleted);
            }
            return deleted > 0 ? AdminClient.OK : AdminClient.NOT_FOUND;
        }
    }

    @Command(name = "scan", mixinStandardHelpOptions = true,
            description = {"List keys (SCAN over every partition), optionally matching a glob pattern.", EXIT_CODES})
    static final class Scan extends DataCommand {
        @Option(names = "--match", description = "Glob pattern, as SCAN MATCH (default *).")
        String match = "*";

        @Option(names = "--prefix", description = "Only keys starting with this (a MATCH pattern with glob characters escaped).")
        String prefix;

        @Option(names = "--limit", description = "Print at most this many keys (default 1000, at most 1000000).")
        int limit = 1000;

        @Option(names = "--count", description = "SCAN COUNT hint per call (default 100).")
        int count = 100;

        @Option(names = "--values", description = "Also print each key's value.")
        boolean values;

        /** Bounds the number of SCAN calls too: a pattern matching little must not loop forever on a huge keyspace. */
        static final int MAX_CALLS = 1_000_000;

        @Override
        void validateArguments() throws AdminClient.Failure {
            if (limit < 1 || limit > 1_000_000) {
                throw new AdminClient.Failure(AdminClient.ERROR, "--limit must be in 1..1000000, got " + limit);
            }
            if (count < 1 || count > 100_000) {
                throw new AdminClient.Failure(AdminClient.ERROR, "--count must be in 1..100000, got " + count);
            }
            if (prefix != null && !"*".equals(match)) {
                throw new AdminClient.Failure(AdminClient.ERROR, "--prefix and --match exclude each other");
            }
        }

        @Override
        int run(RespSession session) throws AdminClient.Failure {
            String pattern = prefix != null ? escapeGlob(prefix) + "*" : match;
            List<Map<String, Object>> rows = new ArrayList<>();
            String cursor = "0";
            boolean truncated = false;
            int calls = 0;
            do {
                List<?> page = (List<?>) session.call("SCAN", cursor, "MATCH", pattern, "COUNT", String.valueOf(count));
                cursor = text(page.get(0));
                for (Object k : (List<?>) page.get(1)) {
                    if (rows.size() == limit) {
                        truncated = true;
                        break;
                    }
                    Map<String, Object> row = new LinkedHashMap<>();
                    byte[] key = (byte[]) k;
                    putValue(row, "key", key);
                    if (values) {
                        Object v = session.call("GET", new String(key, StandardCharsets.UTF_8));
                        if (v != null) {
                            putValue(row, "value", (byte[]) v);
                        }
                    }
                    rows.add(row);
                }
            } while (!truncated && !cursor.equals("0") && ++calls < MAX_CALLS);
            if (json()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("keys", rows);
                j.put("count", rows.size());
                j.put("truncated", truncated);
                printJson(j);
            } else {
                for (Map<String, Object> row : rows) {
                    Object k = row.getOrDefault("key", row.get("key_base64"));
                    out.println(values ? k + "\t" + row.getOrDefault("value", row.getOrDefault("value_base64", "(gone)")) : k);
                }
                if (truncated) {
                    err.println("(stopped at --limit " + limit + "; more keys match)");
                }
            }
            return AdminClient.OK;
        }

        static String escapeGlob(String s) {
            StringBuilder b = new StringBuilder();
            for (char c : s.toCharArray()) {
                if ("*?[]\\".indexOf(c) >= 0) {
                    b.append('\\');
                }
                b.append(c);
            }
            return b.toString();
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true,
            description = {"Print a node's statistics (INFO), by section.", EXIT_CODES})
    static final class Stats extends DataCommand {
        @Option(names = "--section", description = "One INFO section (server, clients, memory, stats, keyspace, "
                + "replication, cluster, ...; default: the default set).")
        String section;

        @Override
        int run(RespSession session) throws AdminClient.Failure {
            String info = text(section == null ? session.call("INFO") : session.call("INFO", section));
            Map<String, Map<String, String>> sections = parseInfo(info);
            if (json()) {
                printJson(sections);
            } else {
                sections.forEach((name, fields) -> {
                    out.println("# " + name);
                    int width = fields.keySet().stream().mapToInt(String::length).max().orElse(0);
                    fields.forEach((k, v) -> out.println("  " + k + " ".repeat(width - k.length() + 2) + v));
                });
            }
            return AdminClient.OK;
        }

        /** INFO's text: "# Section" headers, then "field:value" lines. */
        static Map<String, Map<String, String>> parseInfo(String info) {
            Map<String, Map<String, String>> out = new LinkedHashMap<>();
            Map<String, String> current = null;
            for (String line : info.split("\r?\n")) {
                if (line.startsWith("# ")) {
                    current = new LinkedHashMap<>();
                    out.put(line.substring(2).trim().toLowerCase(java.util.Locale.ROOT), current);
                } else if (!line.isBlank() && current != null) {
                    int colon = line.indexOf(':');
                    if (colon > 0) {
                        current.put(line.substring(0, colon), line.substring(colon + 1));
                    }
                }
            }
            return out;
        }
    }

    @Command(name = "ping", mixinStandardHelpOptions = true,
            description = {"Check that a node answers (PING) and how fast.", EXIT_CODES})
    static final class Ping extends DataCommand {
        @Option(names = {"-c", "--count"}, description = "How many PINGs (default 1, at most 10000).")
        int count = 1;

        @Override
        void validateArguments() throws AdminClient.Failure {
            if (count < 1 || count > 10_000) {
                throw new AdminClient.Failure(AdminClient.ERROR, "--count must be in 1..10000, got " + count);
            }
        }

        @Override
        int run(RespSession session) throws AdminClient.Failure {
            List<Double> latencies = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                long started = System.nanoTime();
                String reply = text(session.call("PING"));
                double ms = (System.nanoTime() - started) / 1e6;
                if (!reply.equals("PONG")) {
                    throw new AdminClient.Failure(AdminClient.ERROR, "PING answered '" + reply + "'");
                }
                latencies.add(Math.round(ms * 1000) / 1000.0);
                if (!json()) {
                    out.printf("PONG from %s: %.3f ms%n", session.address, ms);
                }
            }
            if (json()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("address", session.address);
                j.put("pong", true);
                j.put("latency_ms", latencies);
                printJson(j);
            }
            return AdminClient.OK;
        }
    }
}
