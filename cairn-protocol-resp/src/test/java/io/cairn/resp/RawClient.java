package io.cairn.resp;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A blocking test client on 127.0.0.1 that sends raw bytes and reads whole RESP2/RESP3 replies as raw text. */
final class RawClient implements AutoCloseable {
    final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /** 30 s: a first reply from a cold JVM on a loaded 2-core CI machine has taken over 5 s. */
    RawClient(int port) throws IOException {
        this(port, 30_000);
    }

    RawClient(int port, int readTimeoutMillis) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(readTimeoutMillis);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void send(String raw) throws IOException {
        send(raw.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends one command and returns its reply. */
    String call(String... args) throws IOException {
        send(Wire.command(args));
        return readReply();
    }

    /** Reads exactly one complete reply and returns its bytes (Latin-1, so bytes map 1:1 to chars). */
    String readReply() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        readOne(b);
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private void readOne(ByteArrayOutputStream b) throws IOException {
        String line = readLine(b);
        char type = line.charAt(0);
        switch (type) {
            case '+', '-', ':', '_', ',', '#', '(' -> { }
            case '$', '=', '!' -> {
                int n = Integer.parseInt(line.substring(1));
                if (n >= 0) {
                    b.write(readExactly(n + 2));
                }
            }
            case '*', '~', '>' -> {
                int n = Integer.parseInt(line.substring(1));
                for (int i = 0; i < n; i++) {
                    readOne(b);
                }
            }
            case '%', '|' -> {
                int n = Integer.parseInt(line.substring(1));
                for (int i = 0; i < 2 * n; i++) {
                    readOne(b);
                }
            }
            default -> throw new IOException("not a RESP reply: " + line);
        }
    }

    private String readLine(ByteArrayOutputStream b) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("connection closed after '" + sb + "'");
            }
            b.write(c);
            if (c == '\r') {
                int lf = in.read();
                if (lf < 0) {
                    throw new EOFException();
                }
                b.write(lf);
                return sb.toString();
            }
            sb.append((char) c);
        }
    }

    private byte[] readExactly(int n) throws IOException {
        return in.readNBytes(n);
    }

    /** True if the server closed the connection (EOF or reset) within the socket's read timeout. */
    boolean closedByPeer() throws IOException {
        try {
            int c = in.read();
            if (c >= 0) {
                throw new IOException("expected the connection to be closed, got byte " + c);
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // connection reset
        }
    }

    /** Everything up to and including {@code marker}, or up to EOF if the peer closes first. */
    String readUntil(String marker) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] m = marker.getBytes(StandardCharsets.ISO_8859_1);
        while (true) {
            int c;
            try {
                c = in.read();
            } catch (IOException reset) {
                c = -1;
            }
            if (c < 0) {
                return b.toString(StandardCharsets.ISO_8859_1);
            }
            b.write(c);
            if (b.size() >= m.length && endsWith(b.toByteArray(), m)) {
                return b.toString(StandardCharsets.ISO_8859_1);
            }
        }
    }

    private static boolean endsWith(byte[] data, byte[] suffix) {
        for (int i = 0; i < suffix.length; i++) {
            if (data[data.length - suffix.length + i] != suffix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Everything that arrives until the peer closes or {@code millis} pass without data. */
    String readUntilQuiet(int millis) throws IOException {
        socket.setSoTimeout(millis);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                b.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            // quiet
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
