package io.cairn.storage.codec;

import io.cairn.storage.CorruptDataException;
import io.cairn.storage.StorageLimits;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The partition snapshot file, the same for every backend (so a snapshot can be restored into
 * either one):
 * <pre>
 *   "CAIRNSNP"  int format (1)  int sourcePartition
 *   entries, in strictly ascending unsigned key order:
 *     byte 1  int keyLength  key  int recordLength  record (see {@link RecordCodec})
 *   byte 0  long entryCount
 *   int CRC32C of every byte above
 * </pre>
 * The writer writes {@code partition.snapshot.tmp}, fsyncs it, renames it atomically to
 * {@code partition.snapshot} and fsyncs the directory; a crash leaves no half-written snapshot
 * under the final name.
 */
public final class SnapshotFile {
    public static final String FILE_NAME = "partition.snapshot";
    private static final String TMP_NAME = FILE_NAME + ".tmp";
    private static final byte[] MAGIC = "CAIRNSNP".getBytes(StandardCharsets.US_ASCII);
    public static final int FORMAT = 1;
    private static final int TAG_ENTRY = 1;
    private static final int TAG_END = 0;
    private static final int BUFFER = 1 << 16;

    private SnapshotFile() {}

    /** Creates {@code dir} if absent and checks that it is empty. */
    public static void prepareEmptyDir(Path dir) {
        if (dir == null) {
            throw new IllegalArgumentException("snapshot directory must not be null");
        }
        try {
            Files.createDirectories(dir);
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                if (entries.iterator().hasNext()) {
                    throw new IllegalArgumentException("snapshot directory " + dir + " is not empty");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare snapshot directory " + dir, e);
        }
    }

    /** Streams a snapshot; call {@link #commit()} to publish it, {@link #close()} always. */
    public static final class Writer implements Closeable {
        private final Path dir;
        private final Path tmp;
        private final FileChannel channel;
        private final CRC32C crc = new CRC32C();
        private final DataOutputStream out;
        private byte[] lastKey;
        private long count;
        private boolean committed;

        public Writer(Path dir, int partition) {
            prepareEmptyDir(dir);
            this.dir = dir;
            this.tmp = dir.resolve(TMP_NAME);
            try {
                this.channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create snapshot file " + tmp, e);
            }
            // Buffer above the checksum so CRC32C runs over 64 KiB chunks, not per field.
            this.out = new DataOutputStream(new BufferedOutputStream(
                    new CheckedOutputStream(Channels.newOutputStream(channel), crc), BUFFER));
            try {
                out.write(MAGIC);
                out.writeInt(FORMAT);
                out.writeInt(partition);
            } catch (IOException e) {
                close();
                throw new UncheckedIOException("cannot write snapshot file " + tmp, e);
            }
        }

        /** Appends one entry; keys must arrive in strictly ascending unsigned order. */
        public void add(byte[] key, byte[] encodedRecord) {
            if (committed) {
                throw new IllegalStateException("snapshot already committed");
            }
            if (lastKey != null && Arrays.compareUnsigned(lastKey, key) >= 0) {
                throw new IllegalStateException("snapshot keys out of order");
            }
            try {
                out.writeByte(TAG_ENTRY);
                out.writeInt(key.length);
                out.write(key);
                out.writeInt(encodedRecord.length);
                out.write(encodedRecord);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write snapshot file " + tmp, e);
            }
            lastKey = key;
            count++;
        }

        public long count() {
            return count;
        }

        public void commit() {
            try {
                out.writeByte(TAG_END);
                out.writeLong(count);
                out.flush(); // every byte so far has passed the checksum
                int sum = (int) crc.getValue();
                out.writeInt(sum);
                out.flush();
                channel.force(true);
                channel.close();
                try {
                    Files.move(tmp, dir.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("file system cannot rename atomically in " + dir, e);
                }
                fsyncDirectory(dir);
                committed = true;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot commit snapshot in " + dir, e);
            }
        }

        @Override
        public void close() {
            try {
                out.close();
            } catch (IOException ignored) {
                // Closing after a failure; the failure itself was already reported.
            }
            if (!committed) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // Best effort: a stale .tmp is never read.
                }
            }
        }
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open directories; Linux can, and that is where durability matters.
            if (System.getProperty("os.name", "").toLowerCase().contains("linux")) {
                throw e;
            }
        }
    }

    /**
     * Reads a snapshot entry by entry. The checksum covers the whole file and is only known at the
     * end, so callers must build the new contents aside and install them only after
     * {@link #next()} returned false (which verifies the checksum).
     */
    public static final class Reader implements Closeable {
        private final Path file;
        private final StorageLimits limits;
        private final CRC32C crc = new CRC32C();
        private final DataInputStream in;
        private final int sourcePartition;
        private long remaining;
        private byte[] key;
        private byte[] record;
        private byte[] lastKey;
        private long count;
        private boolean finished;

        public Reader(Path dir, StorageLimits limits) {
            if (dir == null) {
                throw new IllegalArgumentException("snapshot directory must not be null");
            }
            this.file = dir.resolve(FILE_NAME);
            this.limits = limits;
            InputStream raw;
            try {
                this.remaining = Files.size(file);
                raw = Files.newInputStream(file);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("no snapshot in " + dir + " (missing " + FILE_NAME + ")", e);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open snapshot " + file, e);
            }
            this.in = new DataInputStream(new CheckedInputStream(new BufferedInputStream(raw, BUFFER), crc));
            try {
                byte[] magic = readBytes(MAGIC.length, "magic");
                if (!Arrays.equals(magic, MAGIC)) {
                    throw corrupt("bad magic, not a Cairn snapshot");
                }
                int format = readInt("format");
                if (format != FORMAT) {
                    throw corrupt("unsupported snapshot format " + format + " (this build reads " + FORMAT + ")");
                }
                this.sourcePartition = readInt("partition");
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        public int sourcePartition() {
            return sourcePartition;
        }

        /** Advances to the next entry; false at the end, after the checksum was verified. */
        public boolean next() {
            if (finished) {
                return false;
            }
            int tag = readByte("entry tag");
            if (tag == TAG_END) {
                long declared = readLong("entry count");
                int expected = (int) crc.getValue();
                int stored = readInt("checksum");
                if (stored != expected) {
                    throw corrupt("checksum mismatch (stored 0x" + Integer.toHexString(stored)
                            + ", computed 0x" + Integer.toHexString(expected) + ")");
                }
                if (declared != count) {
                    throw corrupt("entry count mismatch (declared " + declared + ", read " + count + ")");
                }
                try {
                    if (in.read() != -1) {
                        throw corrupt("trailing bytes after the checksum");
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read snapshot " + file, e);
                }
                finished = true;
                key = null;
                record = null;
                return false;
            }
            if (tag != TAG_ENTRY) {
                throw corrupt("unknown entry tag " + tag);
            }
            int keyLength = readInt("key length");
            if (keyLength < 1 || keyLength > limits.maxKeyBytes() || keyLength > remaining) {
                throw corrupt("impossible key length " + keyLength + " (limit " + limits.maxKeyBytes() + ")");
            }
            byte[] k = readBytes(keyLength, "key");
            int recordLength = readInt("record length");
            if (recordLength < RecordCodec.MIN_LENGTH
                    || recordLength > limits.maxValueBytes() + RecordCodec.MAX_OVERHEAD || recordLength > remaining) {
                throw corrupt("impossible record length " + recordLength);
            }
            byte[] r = readBytes(recordLength, "record");
            if (lastKey != null && Arrays.compareUnsigned(lastKey, k) >= 0) {
                throw corrupt("keys out of order at entry " + count);
            }
            lastKey = k;
            key = k;
            record = r;
            count++;
            return true;
        }

        public byte[] key() {
            return key;
        }

        /** The current entry's record in {@link RecordCodec} form (not yet validated). */
        public byte[] record() {
            return record;
        }

        private CorruptDataException corrupt(String why) {
            return new CorruptDataException("corrupt snapshot " + file + ": " + why);
        }

        private int readByte(String what) {
            try {
                remaining -= 1;
                return in.readUnsignedByte();
            } catch (EOFException e) {
                throw corrupt("truncated while reading " + what);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read snapshot " + file, e);
            }
        }

        private int readInt(String what) {
            try {
                remaining -= 4;
                return in.readInt();
            } catch (EOFException e) {
                throw corrupt("truncated while reading " + what);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read snapshot " + file, e);
            }
        }

        private long readLong(String what) {
            try {
                remaining -= 8;
                return in.readLong();
            } catch (EOFException e) {
                throw corrupt("truncated while reading " + what);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read snapshot " + file, e);
            }
        }

        private byte[] readBytes(int n, String what) {
            byte[] b = new byte[n];
            try {
                in.readFully(b);
                remaining -= n;
                return b;
            } catch (EOFException e) {
                throw corrupt("truncated while reading " + what);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read snapshot " + file, e);
            }
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException ignored) {
                // Read-only stream; nothing to lose.
            }
        }
    }
}
