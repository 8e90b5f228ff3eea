package io.cairn.resp;

import io.netty.util.internal.PlatformDependent;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * INFO's text: Redis's sections and field names for what Cairn has, "# Section" headers, "k:v"
 * lines ending in CRLF, sections separated by an empty line. Sections Cairn has no data for
 * (latencystats, modules) are not produced; a data point Redis has but Cairn does not is left
 * out rather than invented.
 */
final class Info {
    private Info() {}

    /** INFO with no argument or "default". */
    private static final List<String> DEFAULT = List.of("server", "clients", "memory", "persistence", "stats",
            "replication", "errorstats", "cluster", "keyspace");
    /** "all" and "everything": default plus commandstats, in Redis's order. */
    private static final List<String> ALL = List.of("server", "clients", "memory", "persistence", "stats",
            "replication", "commandstats", "errorstats", "cluster", "keyspace");

    static String render(RespConnection c, Set<String> requested) {
        Set<String> wanted = new java.util.HashSet<>();
        if (requested.isEmpty() || requested.contains("default")) {
            wanted.addAll(DEFAULT);
        }
        if (requested.contains("all") || requested.contains("everything")) {
            wanted.addAll(ALL);
        }
        wanted.addAll(requested);
        StringBuilder sb = new StringBuilder(2048);
        for (String section : ALL) {
            if (!wanted.contains(section)) {
                continue;
            }
            if (!sb.isEmpty()) {
                sb.append("\r\n");
            }
            switch (section) {
                case "server" -> server(c, sb);
                case "clients" -> clients(c, sb);
                case "memory" -> memory(c, sb);
                case "persistence" -> persistence(sb);
                case "stats" -> stats(c, sb);
                case "replication" -> replication(sb);
                case "commandstats" -> commandstats(c, sb);
                case "errorstats" -> errorstats(c, sb);
                case "cluster" -> cluster(sb);
                case "keyspace" -> keyspace(c, sb);
                default -> throw new IllegalStateException("unhandled INFO section " + section);
            }
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, String key, Object value) {
        sb.append(key).append(':').append(value).append("\r\n");
    }

    private static void server(RespConnection c, StringBuilder sb) {
        RespRuntime rt = c.rt;
        long nowMillis = System.currentTimeMillis();
        long uptime = (nowMillis - rt.startMillis) / 1000;
        sb.append("# Server\r\n");
        line(sb, "redis_version", rt.context.version());
        line(sb, "cairn_version", rt.context.cairnVersion());
        line(sb, "redis_mode", "cluster");
        line(sb, "os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        line(sb, "arch_bits", System.getProperty("sun.arch.data.model", "64"));
        line(sb, "multiplexing_api", rt.multiplexingApi);
        line(sb, "java_version", System.getProperty("java.version"));
        line(sb, "process_id", ProcessHandle.current().pid());
        line(sb, "run_id", rt.runId);
        line(sb, "tcp_port", rt.config.port);
        line(sb, "server_time_usec", rt.context.clock().currentTimeMicros());
        line(sb, "uptime_in_seconds", uptime);
        line(sb, "uptime_in_days", uptime / 86400);
        line(sb, "io_threads_active", rt.config.ioThreads == 0 ? Runtime.getRuntime().availableProcessors()
                : rt.config.ioThreads);
    }

    private static void clients(RespConnection c, StringBuilder sb) {
        sb.append("# Clients\r\n");
        line(sb, "connected_clients", c.rt.clients.size());
        line(sb, "maxclients", c.rt.config.maxClients);
        // Cairn has no blocking commands and no client-side caching: these are zero by construction.
        line(sb, "blocked_clients", 0);
        line(sb, "tracking_clients", 0);
    }

    private static void memory(RespConnection c, StringBuilder sb) {
        Runtime jvm = Runtime.getRuntime();
        long used = ServerStats.usedHeap();
        long peak = c.rt.stats.peakHeapBytes();
        sb.append("# Memory\r\n");
        line(sb, "used_memory", used);
        line(sb, "used_memory_human", human(used));
        line(sb, "used_memory_peak", peak);
        line(sb, "used_memory_peak_human", human(peak));
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long total = os.getTotalMemorySize();
            line(sb, "total_system_memory", total);
            line(sb, "total_system_memory_human", human(total));
        }
        line(sb, "maxmemory", 0);
        line(sb, "maxmemory_human", human(0));
        line(sb, "maxmemory_policy", "noeviction");
        line(sb, "mem_allocator", "jvm");
        line(sb, "jvm_heap_committed", jvm.totalMemory());
        line(sb, "jvm_heap_max", jvm.maxMemory());
        line(sb, "netty_direct_memory_used", PlatformDependent.usedDirectMemory());
    }

    private static void persistence(StringBuilder sb) {
        sb.append("# Persistence\r\n");
        // The RESP port opens only after storage has recovered; Cairn never writes an AOF.
        line(sb, "loading", 0);
        line(sb, "aof_enabled", 0);
    }

    private static void stats(RespConnection c, StringBuilder sb) {
        ServerStats s = c.rt.stats;
        sb.append("# Stats\r\n");
        line(sb, "total_connections_received", c.rt.clients.totalConnections.get());
        line(sb, "total_commands_processed", s.totalCommands());
        line(sb, "instantaneous_ops_per_sec", s.instantaneousOps());
        line(sb, "total_net_input_bytes", s.netIn());
        line(sb, "total_net_output_bytes", s.netOut());
        line(sb, "instantaneous_input_kbps", kbps(s.instantaneousInputBytesPerSecond()));
        line(sb, "instantaneous_output_kbps", kbps(s.instantaneousOutputBytesPerSecond()));
        line(sb, "rejected_connections", c.rt.clients.rejectedConnections.get());
        line(sb, "total_error_replies", s.totalErrors());
    }

    private static void replication(StringBuilder sb) {
        // Replication is Raft's business below the command service; to RESP clients every node is a primary.
        sb.append("# Replication\r\n");
        line(sb, "role", "master");
        line(sb, "connected_slaves", 0);
    }

    private static void commandstats(RespConnection c, StringBuilder sb) {
        sb.append("# Commandstats\r\n");
        Commands commands = c.rt.commands;
        for (int i = 0; i < commands.size(); i++) {
            ServerStats.CommandCounters k = c.rt.stats.command(i);
            if (k.calls() == 0 && k.failed() == 0 && k.rejected() == 0) {
                continue;
            }
            long usec = k.nanos() / 1000;
            sb.append("cmdstat_").append(commands.byIndex(i).fullName)
                    .append(":calls=").append(k.calls())
                    .append(",usec=").append(usec)
                    .append(",usec_per_call=").append(String.format(Locale.ROOT, "%.2f",
                            k.calls() == 0 ? 0.0 : (double) usec / k.calls()))
                    .append(",rejected_calls=").append(k.rejected())
                    .append(",failed_calls=").append(k.failed())
                    .append("\r\n");
        }
    }

    private static void errorstats(RespConnection c, StringBuilder sb) {
        sb.append("# Errorstats\r\n");
        for (Map.Entry<String, Long> e : c.rt.stats.errorCounts().entrySet()) {
            sb.append("errorstat_").append(e.getKey()).append(":count=").append(e.getValue()).append("\r\n");
        }
    }

    private static void cluster(StringBuilder sb) {
        sb.append("# Cluster\r\n");
        line(sb, "cluster_enabled", 1);
    }

    private static void keyspace(RespConnection c, StringBuilder sb) {
        sb.append("# Keyspace\r\n");
        long keys = c.rt.service.approximateKeyCount();
        if (keys > 0) {
            // The service reports no expiry statistics; Redis prints expires/avg_ttl, so they stay 0.
            sb.append("db0:keys=").append(keys).append(",expires=0,avg_ttl=0\r\n");
        }
    }

    private static String kbps(long bytesPerSecond) {
        return String.format(Locale.ROOT, "%.2f", bytesPerSecond / 1024.0);
    }

    /** Redis's bytesToHuman. */
    static String human(long n) {
        double d;
        if (n < 1024) {
            return n + "B";
        } else if (n < 1024L * 1024) {
            d = n / 1024.0;
            return String.format(Locale.ROOT, "%.2fK", d);
        } else if (n < 1024L * 1024 * 1024) {
            d = n / (1024.0 * 1024);
            return String.format(Locale.ROOT, "%.2fM", d);
        } else if (n < 1024L * 1024 * 1024 * 1024) {
            d = n / (1024.0 * 1024 * 1024);
            return String.format(Locale.ROOT, "%.2fG", d);
        } else if (n < 1024L * 1024 * 1024 * 1024 * 1024) {
            d = n / (1024.0 * 1024 * 1024 * 1024);
            return String.format(Locale.ROOT, "%.2fT", d);
        } else if (n < 1024L * 1024 * 1024 * 1024 * 1024 * 1024) {
            d = n / (1024.0 * 1024 * 1024 * 1024 * 1024);
            return String.format(Locale.ROOT, "%.2fP", d);
        }
        return n + "B";
    }
}
