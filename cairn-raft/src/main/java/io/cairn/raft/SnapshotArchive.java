package io.cairn.raft;

import io.cairn.raft.codec.CorruptEntryException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * One partition snapshot as a single file, so that Ratis's {@code SimpleStateMachineStorage} can
 * name, retain, purge and ship it (to a lagging follower) like any single-file snapshot. The
 * engine writes a snapshot as a directory (RocksDB: a checkpoint of several files); the archive
 * packs that directory with a small header of state-machine facts that must survive with it.
 *
 * <pre>
 * "CAIRNSNP" format:u8 (3) partition:i32 lastNow:i64 lastVersion:i64 removalVersion:i64
 * sessionsLength:i32 sessions nfiles:i32 (path:utf8 length:i64 bytes){nfiles}  crc32c:i64 (of everything before it)
 * </pre>
 * Format 2 (before the client sessions, {@link ClientSessions}) has no {@code sessionsLength
 * sessions} and is still read, as an empty table.
 */
final class SnapshotArchive {
    private static final byte[] MAGIC = "CAIRNSNP".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT = 3;
    private static final int FORMAT_WITHOUT_SESSIONS = 2;
    private static final int COPY_BUFFER = 64 * 1024;

    /** Facts recorded with the data; {@code sessions} is {@link ClientSessions#encode}d. */
    record Header(int partition, long lastNow, long lastVersion, long removalVersion, byte[] sessions) {}

    private SnapshotArchive() {}

    /** Packs every regular file under {@code dir} into {@code archive} (overwritten). */
    static void pack(Path dir, Header header, Path archive) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = new ArrayList<>(walk.filter(Files::isRegularFile).sorted(Comparator.naturalOrder()).toList());
        }
        CRC32C crc = new CRC32C();
        try (OutputStream fileOut = Files.newOutputStream(archive)) {
            BufferedOutputStream buffered = new BufferedOutputStream(fileOut, COPY_BUFFER);
            DataOutputStream out = new DataOutputStream(new CheckedOutputStream(buffered, crc));
            out.write(MAGIC);
            out.writeByte(FORMAT);
            out.writeInt(header.partition());
            out.writeLong(header.lastNow());
            out.writeLong(header.lastVersion());
            out.writeLong(header.removalVersion());
            out.writeInt(header.sessions().length);
            out.write(header.sessions());
            out.writeInt(files.size());
            byte[] buffer = new byte[COPY_BUFFER];
            for (Path f : files) {
                out.writeUTF(dir.relativize(f).toString());
                long length = Files.size(f);
                out.writeLong(length);
                try (InputStream in = Files.newInputStream(f)) {
                    long copied = 0;
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        out.write(buffer, 0, n);
                        copied += n;
                    }
                    if (copied != length) {
                        throw new IOException("snapshot file " + f + " changed size while packing");
                    }
                }
            }
            out.flush();
            // The checksum covers everything before it, so it goes around the checked stream.
            DataOutputStream tail = new DataOutputStream(buffered);
            tail.writeLong(crc.getValue());
            tail.flush();
        }
        try (var ch = java.nio.channels.FileChannel.open(archive, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /** Unpacks {@code archive} into the empty directory {@code dir}; verifies magic, format and checksum. */
    static Header unpack(Path archive, Path dir) throws IOException {
        Files.createDirectories(dir);
        long total = Files.size(archive);
        if (total < MAGIC.length + 8) {
            throw new CorruptEntryException("snapshot archive " + archive + " is truncated (" + total + " bytes)");
        }
        CRC32C crc = new CRC32C();
        Header header;
        try (InputStream fileIn = Files.newInputStream(archive);
             CheckedInputStream checked = new CheckedInputStream(
                     new BoundedInputStream(new BufferedInputStream(fileIn, COPY_BUFFER), total - 8), crc);
             DataInputStream in = new DataInputStream(checked)) {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new CorruptEntryException("snapshot archive " + archive + " has a bad magic");
            }
            int format = in.readUnsignedByte();
            if (format != FORMAT && format != FORMAT_WITHOUT_SESSIONS) {
                throw new CorruptEntryException("snapshot archive " + archive + " has unknown format " + format);
            }
            int partition = in.readInt();
            long lastNow = in.readLong();
            long lastVersion = in.readLong();
            long removalVersion = in.readLong();
            byte[] sessions = new byte[0];
            if (format == FORMAT) {
                int length = in.readInt();
                if (length < 0 || length > total) {
                    throw new CorruptEntryException("snapshot archive " + archive + " claims " + length + " bytes of sessions");
                }
                sessions = new byte[length];
                in.readFully(sessions);
            }
            header = new Header(partition, lastNow, lastVersion, removalVersion, sessions);
            int n = in.readInt();
            if (n < 0 || n > 1_000_000) {
                throw new CorruptEntryException("snapshot archive " + archive + " claims " + n + " files");
            }
            byte[] buffer = new byte[COPY_BUFFER];
            Path root = dir.toAbsolutePath().normalize();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                Path target = root.resolve(name).normalize();
                if (!target.startsWith(root) || target.equals(root)) {
                    throw new CorruptEntryException("snapshot archive " + archive + " names a path outside: " + name);
                }
                long length = in.readLong();
                if (length < 0 || length > total) {
                    throw new CorruptEntryException("snapshot archive " + archive + " file " + name + " length " + length);
                }
                Files.createDirectories(target.getParent());
                try (OutputStream out = Files.newOutputStream(target)) {
                    long left = length;
                    while (left > 0) {
                        int r = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                        if (r < 0) {
                            throw new EOFException("snapshot archive " + archive + " ends inside " + name);
                        }
                        out.write(buffer, 0, r);
                        left -= r;
                    }
                }
            }
            if (in.read() != -1) {
                throw new CorruptEntryException("snapshot archive " + archive + " has trailing bytes");
            }
            long expected = crc.getValue();
            long stored;
            try (DataInputStream tail = new DataInputStream(Files.newInputStream(archive))) {
                tail.skipNBytes(total - 8);
                stored = tail.readLong();
            }
            if (stored != expected) {
                throw new CorruptEntryException("snapshot archive " + archive + " fails its checksum");
            }
        } catch (EOFException e) {
            throw new CorruptEntryException("snapshot archive " + archive + " is truncated: " + e.getMessage());
        }
        return header;
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Reads at most {@code limit} bytes, so the trailing checksum is not fed to the CRC. */
    private static final class BoundedInputStream extends java.io.FilterInputStream {
        private long left;

        BoundedInputStream(InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = super.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int r = super.read(b, off, (int) Math.min(len, left));
            if (r > 0) {
                left -= r;
            }
            return r;
        }
    }
}
