package io.cairn.storage.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.storage.CorruptDataException;
import io.cairn.storage.Record;
import io.cairn.storage.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CodecTest {
    @Test
    void roundTripsEveryShape() {
        List<Record> records = List.of(
                Record.value("hello".getBytes(StandardCharsets.UTF_8), 1),
                Record.value(new byte[0], Long.MAX_VALUE),
                Record.value(new byte[] {(byte) 0xFF, 0}, 42, 1_700_000_000_000L),
                Record.tombstone(9));
        for (Record r : records) {
            byte[] enc = RecordCodec.encode(r);
            assertEquals(RecordCodec.encodedLength(r), enc.length);
            assertEquals(r, RecordCodec.decode(enc));
            assertEquals(r.version(), RecordCodec.version(enc));
            assertEquals(r.expireAtMillis(), RecordCodec.expireAt(enc));
            assertEquals(r.tombstone(), RecordCodec.isTombstone(enc));
            assertEquals(r.value().length, RecordCodec.valueLength(enc));
            for (long now : new long[] {0, 1_699_999_999_999L, 1_700_000_000_000L, Long.MAX_VALUE}) {
                assertEquals(r.isDeadAt(now), RecordCodec.isDeadAt(enc, now));
            }
        }
    }

    @Test
    void rejectsCorruptEncodings() {
        byte[] good = RecordCodec.encode(Record.value(new byte[] {1, 2}, 3, 4));
        assertThrows(CorruptDataException.class, () -> RecordCodec.decode(new byte[3]));
        byte[] badFormat = good.clone();
        badFormat[0] = (byte) 0x23;
        assertThrows(CorruptDataException.class, () -> RecordCodec.decode(badFormat));
        byte[] badFlags = good.clone();
        badFlags[0] = (byte) 0x1C;
        assertThrows(CorruptDataException.class, () -> RecordCodec.decode(badFlags));
        byte[] zeroVersion = RecordCodec.encode(Record.value(new byte[0], 1));
        zeroVersion[8] = 0;
        CorruptDataException e = assertThrows(CorruptDataException.class, () -> RecordCodec.decode(zeroVersion));
        assertTrue(e.getMessage().contains("version"), e.getMessage());
        byte[] tombstoneWithValue = RecordCodec.encode(Record.value(new byte[] {1}, 1));
        tombstoneWithValue[0] |= 1;
        assertThrows(CorruptDataException.class, () -> RecordCodec.decode(tombstoneWithValue));
        assertFalse(RecordCodec.isExpiredAt(RecordCodec.encode(Record.tombstone(1)), Long.MAX_VALUE));
    }
}
