package io.cairn.raft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.raft.codec.CorruptEntryException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotArchiveTest {
    @TempDir
    Path dir;

    @Test
    void packsAndUnpacksADirectoryTree() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src/sub"));
        byte[] big = new byte[300_000];
        new Random(1).nextBytes(big);
        Files.write(dir.resolve("src/a.sst"), big);
        Files.write(dir.resolve("src/sub/b"), new byte[0]);
        Files.writeString(dir.resolve("src/MANIFEST"), "manifest");
        Path archive = dir.resolve("snapshot.1_10");
        byte[] sessions = {1, 2, 3, 4, 5};
        SnapshotArchive.pack(dir.resolve("src"), new SnapshotArchive.Header(3, 1234L, 5678L, 91L, sessions), archive);

        SnapshotArchive.Header h = SnapshotArchive.unpack(archive, dir.resolve("out"));
        assertEquals(List.of(3L, 1234L, 5678L, 91L), List.of((long) h.partition(), h.lastNow(), h.lastVersion(), h.removalVersion()));
        assertArrayEquals(sessions, h.sessions());
        assertArrayEquals(big, Files.readAllBytes(dir.resolve("out/a.sst")));
        assertEquals(0, Files.size(dir.resolve("out/sub/b")));
        assertEquals("manifest", Files.readString(dir.resolve("out/MANIFEST")));
        assertTrue(Files.isDirectory(src));
    }

    @Test
    void detectsCorruptionAndTruncation() throws Exception {
        Files.createDirectories(dir.resolve("src"));
        Files.write(dir.resolve("src/data"), new byte[10_000]);
        Path archive = dir.resolve("snapshot.1_10");
        SnapshotArchive.pack(dir.resolve("src"), new SnapshotArchive.Header(0, 1, 1, 0, new byte[0]), archive);
        byte[] good = Files.readAllBytes(archive);

        byte[] flipped = good.clone();
        flipped[good.length / 2] ^= 0x40;
        Files.write(archive, flipped);
        CorruptEntryException e = assertThrows(CorruptEntryException.class,
                () -> SnapshotArchive.unpack(archive, dir.resolve("out1")));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());

        Files.write(archive, java.util.Arrays.copyOf(good, good.length - 100));
        assertThrows(CorruptEntryException.class, () -> SnapshotArchive.unpack(archive, dir.resolve("out2")));

        byte[] badMagic = good.clone();
        badMagic[0] = 'X';
        Files.write(archive, badMagic);
        e = assertThrows(CorruptEntryException.class, () -> SnapshotArchive.unpack(archive, dir.resolve("out3")));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
    }
}
