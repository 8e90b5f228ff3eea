package io.cairn.bench.latency;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Not a test: the latency of one command at a time against a running node, over one RESP
 * connection (no client library, no process start per command as with {@code redis-cli}, which
 * adds ~5 ms here). Warm the cluster first: a fresh JVM runs the Ratis path interpreted and its
 * C2 compiler threads take a third of a 2-core machine for the first minutes.
 *
 * <pre>
 * ./cairn build   (or: mvn -q -o -pl cairn-bench package -DskipTests)
 * java -cp cairn-bench/target/classes io.cairn.bench.latency.RespLatency \
 *     [port=6380] [count=1000] [set|get] [gap-ms=0] [warm-up=200]
 * </pre>
 *
 * Prints min/p50/p90/p99/max in milliseconds. A gap between commands shows the latency of a lone
 * write (no queueing behind the previous one).
 */
public final class RespLatency {
    public static void main(String[] args) throws IOException, InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 6380;
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        String op = args.length > 2 ? args[2] : "set";
        long gapMs = args.length > 3 ? Long.parseLong(args[3]) : 0;
        int warmUp = args.length > 4 ? Integer.parseInt(args[4]) : 200;
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            for (int i = 0; i < warmUp; i++) {
                call(out, in, "SET", "warm:" + i, "v");
            }
            long[] nanos = new long[count];
            for (int i = 0; i < count; i++) {
                if (gapMs > 0) {
                    Thread.sleep(gapMs);
                }
                long start = System.nanoTime();
                if (op.equalsIgnoreCase("get")) {
                    call(out, in, "GET", "key:" + i);
                } else {
                    call(out, in, "SET", "key:" + i, "value:" + i);
                }
                nanos[i] = System.nanoTime() - start;
            }
            Arrays.sort(nanos);
            System.out.printf("%s port=%d n=%d gap=%dms  min=%.2f p50=%.2f p90=%.2f p99=%.2f max=%.2f ms%n",
                    op.toUpperCase(), port, count, gapMs, ms(nanos[0]), ms(nanos[count / 2]),
                    ms(nanos[count * 9 / 10]), ms(nanos[Math.min(count - 1, count * 99 / 100)]), ms(nanos[count - 1]));
        }
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    /** Sends one command and reads one reply (simple string, error, integer, bulk or null). */
    private static void call(OutputStream out, InputStream in, String... argv) throws IOException {
        StringBuilder sb = new StringBuilder().append('*').append(argv.length).append("\r\n");
        for (String a : argv) {
            byte[] b = a.getBytes(StandardCharsets.UTF_8);
            sb.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
        }
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        int type = in.read();
        String line = readLine(in);
        switch (type) {
            case '+', ':' -> { }
            case '-' -> throw new IOException("server error: " + line);
            case '$' -> {
                int len = Integer.parseInt(line);
                if (len >= 0) {
                    in.readNBytes(len + 2);
                }
            }
            default -> throw new IOException("unexpected reply type " + (char) type + line);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            sb.append((char) c);
        }
        in.read(); // '\n'
        return sb.toString();
    }
}
