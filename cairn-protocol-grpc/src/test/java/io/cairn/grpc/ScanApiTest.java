package io.cairn.grpc;

import static io.cairn.grpc.GrpcTestNode.bytes;
import static io.cairn.grpc.GrpcTestNode.expectStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cairn.api.grpc.Entry;
import io.cairn.api.grpc.KeyRange;
import io.cairn.api.grpc.PutRequest;
import io.cairn.api.grpc.ScanRequest;
import io.cairn.api.grpc.ScanResponse;
import io.cairn.api.reply.Reply;
import io.cairn.commands.CommandExecutor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Scan over a real single node: prefix, range, limit, values, resumable cursors (including after
 * the node's own SCAN cursor was evicted, where a plain SCAN repeats keys), and bad input.
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScanApiTest {
    private static final int PREFIXED = 160;
    private static final int OTHERS = 40;
    private GrpcTestNode node;

    @BeforeAll
    void start() {
        // One SCAN cursor slot: any other scan evicts a cursor, as a busy node's bounded table does.
        node = new GrpcTestNode(GrpcTestNode.SETTINGS, io.cairn.api.consistency.Durability.STRICT,
                new CommandExecutor.Settings(1, 1 << 20, 100_000, 1_000_000), s -> s);
        for (int i = 0; i < PREFIXED; i++) {
            put(String.format("p:%04d", i), "v" + i);
        }
        for (int i = 0; i < OTHERS; i++) {
            put(String.format("q:%04d", i), "w" + i);
        }
    }

    @AfterAll
    void stop() {
        node.close();
    }

    private void put(String key, String value) {
        node.kv().put(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)).build());
    }

    /** Every message of one Scan call. */
    private List<ScanResponse> scan(ScanRequest request) {
        List<ScanResponse> pages = new ArrayList<>();
        Iterator<ScanResponse> it = node.kv().scan(request);
        it.forEachRemaining(pages::add);
        return pages;
    }

    private static List<String> keys(List<ScanResponse> pages) {
        List<String> keys = new ArrayList<>();
        for (ScanResponse p : pages) {
            for (Entry e : p.getEntriesList()) {
                keys.add(e.getKey().toStringUtf8());
            }
        }
        return keys;
    }

    private static Set<String> expectedPrefixed() {
        Set<String> s = new TreeSet<>();
        for (int i = 0; i < PREFIXED; i++) {
            s.add(String.format("p:%04d", i));
        }
        return s;
    }

    @Test
    void prefixScanStreamsEveryMatchingKeyOnceWithValues() {
        List<ScanResponse> pages = scan(ScanRequest.newBuilder().setPrefix(bytes("p:")).setPageSize(17)
                .setIncludeValues(true).build());
        assertTrue(pages.size() > 1, "streamed in several messages: " + pages.size());
        assertTrue(pages.get(pages.size() - 1).getDone());
        for (int i = 0; i < pages.size() - 1; i++) {
            assertFalse(pages.get(i).getDone());
            assertTrue(pages.get(i).getEntriesCount() <= 17);
        }
        List<String> keys = keys(pages);
        assertEquals(PREFIXED, keys.size(), "no key twice");
        assertEquals(expectedPrefixed(), new TreeSet<>(keys));
        for (ScanResponse p : pages) {
            for (Entry e : p.getEntriesList()) {
                assertEquals("v" + Integer.parseInt(e.getKey().toStringUtf8().substring(2)), e.getValue().toStringUtf8());
            }
        }
        // Without a selector: every key.
        // Without a selector and limit: every key (fewer than grpc.max-scan-limit here).
        assertEquals(PREFIXED + OTHERS, keys(scan(ScanRequest.newBuilder().setPageSize(50).build())).size());
    }

    @Test
    void rangeScanReturnsExactlyTheKeysInTheHalfOpenRange() {
        List<String> keys = keys(scan(ScanRequest.newBuilder().setRange(KeyRange.newBuilder()
                .setStart(bytes("p:0100")).setEnd(bytes("p:0150"))).build()));
        Set<String> expected = new TreeSet<>();
        for (int i = 100; i < 150; i++) {
            expected.add(String.format("p:%04d", i));
        }
        assertEquals(50, keys.size());
        assertEquals(expected, new TreeSet<>(keys));
        // Open-ended: from q: on.
        assertEquals(OTHERS, keys(scan(ScanRequest.newBuilder().setRange(KeyRange.newBuilder()
                .setStart(bytes("q:"))).build())).size());
        expectStatus(Status.Code.INVALID_ARGUMENT, () -> scan(ScanRequest.newBuilder().setRange(KeyRange.newBuilder()
                .setStart(bytes("b")).setEnd(bytes("a"))).build()));
    }

    @Test
    void limitStopsTheStreamAndItsCursorResumesWithoutRepeatsEvenAfterEviction() {
        Set<String> seen = new HashSet<>();
        ByteString cursor = ByteString.EMPTY;
        int calls = 0;
        boolean done = false;
        while (!done) {
            List<ScanResponse> pages = scan(ScanRequest.newBuilder().setPrefix(bytes("p:")).setLimit(25).setPageSize(10)
                    .setCursor(cursor).build());
            calls++;
            List<String> keys = keys(pages);
            assertTrue(keys.size() <= 25, "limit honored: " + keys.size());
            for (String k : keys) {
                assertTrue(seen.add(k), "key " + k + " returned twice (call " + calls + ")");
            }
            ScanResponse last = pages.get(pages.size() - 1);
            cursor = last.getCursor();
            done = last.getDone();
            // Another scan in between evicts this scan's server-side SCAN cursor (the table holds one).
            scan(ScanRequest.newBuilder().setPrefix(bytes("q:")).setLimit(3).setPageSize(2).build());
            assertTrue(calls < 100, "scan did not finish");
        }
        assertEquals(expectedPrefixed(), new TreeSet<>(seen));
        assertTrue(calls >= PREFIXED / 25, "the limit split the scan: " + calls + " calls");
    }

    @Test
    void plainScanCursorsRepeatKeysAfterEvictionWhichIsWhatTheGrpcCursorPrevents() {
        // The control for the test above: the node's own SCAN restarts the partition once its cursor is evicted.
        Reply first = node.direct("SCAN", "0", "MATCH", "p:*", "COUNT", "10");
        Reply.Array a = (Reply.Array) first;
        String next = ((Reply.Bulk) a.items().get(0)).utf8();
        Set<String> firstKeys = new HashSet<>();
        for (Reply k : ((Reply.Array) a.items().get(1)).items()) {
            firstKeys.add(((Reply.Bulk) k).utf8());
        }
        node.direct("SCAN", "0", "MATCH", "q:*", "COUNT", "2"); // evicts
        Reply.Array again = (Reply.Array) node.direct("SCAN", next, "MATCH", "p:*", "COUNT", "10");
        boolean repeated = false;
        for (Reply k : ((Reply.Array) again.items().get(1)).items()) {
            repeated |= firstKeys.contains(((Reply.Bulk) k).utf8());
        }
        assertTrue(repeated, "an evicted SCAN cursor restarts its partition (repeats keys)");
    }

    @Test
    void badScanRequestsAreInvalidArgument() {
        expectStatus(Status.Code.INVALID_ARGUMENT, () -> scan(ScanRequest.newBuilder()
                .setLimit(GrpcTestNode.SETTINGS.maxScanLimit() + 1).build()));
        expectStatus(Status.Code.INVALID_ARGUMENT, () -> scan(ScanRequest.newBuilder()
                .setPageSize(GrpcTestNode.SETTINGS.scanMaxPageSize() + 1).build()));
        expectStatus(Status.Code.INVALID_ARGUMENT, () -> scan(ScanRequest.newBuilder()
                .setCursor(bytes("not a cursor")).build()));
        // A cursor of a finished scan: one final, empty, done message.
        List<ScanResponse> all = scan(ScanRequest.newBuilder().setPrefix(bytes("q:")).build());
        ScanResponse last = all.get(all.size() - 1);
        assertTrue(last.getDone());
        List<ScanResponse> after = scan(ScanRequest.newBuilder().setPrefix(bytes("q:")).setCursor(last.getCursor()).build());
        assertEquals(1, after.size());
        assertTrue(after.get(0).getDone());
        assertEquals(0, after.get(0).getEntriesCount());
    }
}
