package io.cairn.storage.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Unit test of the package-private key wrapper (here because it needs package access). */
class ByteKeyTest {
    @Test
    void equalityHashAndOrderMatchTheBytes() {
        Random r = new Random(3);
        for (int round = 0; round < 20_000; round++) {
            byte[] a = new byte[r.nextInt(41)];
            r.nextBytes(a);
            byte[] b = a.clone();
            if (r.nextBoolean() && b.length > 0) {
                b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8)); // one bit differs somewhere
            }
            ByteKey ka = new ByteKey(a);
            ByteKey kb = new ByteKey(b);
            boolean same = Arrays.equals(a, b);
            assertEquals(same, ka.equals(kb), () -> Arrays.toString(a) + " vs " + Arrays.toString(b));
            if (same) {
                assertEquals(ka.hashCode(), kb.hashCode());
            }
            assertEquals(Integer.signum(Arrays.compareUnsigned(a, b)), Integer.signum(ka.compareTo(kb)));
        }
    }

    @Test
    void zeroPaddingDoesNotMakeDifferentLengthsEqual() {
        byte[][] keys = {{}, {0}, {0, 0}, {'a'}, {'a', 0}, new byte[16], new byte[17], new byte[24], new byte[25]};
        Set<ByteKey> set = new HashSet<>();
        for (byte[] k : keys) {
            set.add(ByteKey.copyOf(k));
        }
        assertEquals(keys.length, set.size());
        assertNotEquals(new ByteKey(new byte[] {'a'}), new ByteKey(new byte[] {'a', 0}));
        assertEquals(new ByteKey(new byte[] {1, 2, 3}), ByteKey.copyOf(new byte[] {1, 2, 3}));
    }

    @Test
    void longKeysCompareBeyondTheInlineHead() {
        byte[] a = new byte[40];
        byte[] b = new byte[40];
        b[39] = 1;
        assertNotEquals(new ByteKey(a), new ByteKey(b));
        b[39] = 0;
        assertEquals(new ByteKey(a), new ByteKey(b));
        assertEquals(new ByteKey(a).hashCode(), new ByteKey(b).hashCode());
    }
}
