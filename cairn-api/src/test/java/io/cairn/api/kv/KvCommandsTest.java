package io.cairn.api.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.consistency.ReadConsistency;
import io.cairn.api.consistency.WriteConsistency;
import io.cairn.api.reply.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(10)
class KvCommandsTest {
    private final KvCommands cmds = new KvCommands(new KvLimits(8, 16));

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String show(byte[][] argv) {
        return Arrays.stream(argv).map(a -> new String(a, StandardCharsets.UTF_8)).collect(Collectors.joining(" "));
    }

    @Test
    void keysAreValidatedBeforeAnyCommandIsBuilt() {
        assertEquals("key must not be null", assertThrows(InvalidKeyException.class, () -> cmds.get(null)).getMessage());
        assertEquals("key must not be empty",
                assertThrows(InvalidKeyException.class, () -> cmds.delete(new byte[0])).getMessage());
        assertEquals("key of 9 bytes exceeds the limit of 8 bytes",
                assertThrows(InvalidKeyException.class, () -> cmds.put(b("123456789"), b("v"), null)).getMessage());
        assertEquals("GET 12345678", show(cmds.get(b("12345678"))));
    }

    @Test
    void valuesAreValidatedBeforeAnyCommandIsBuilt() {
        ValueTooLargeException e = assertThrows(ValueTooLargeException.class,
                () -> cmds.put(b("k"), new byte[17], null));
        assertEquals(17, e.valueBytes());
        assertEquals(16, e.limitBytes());
        assertThrows(ValueTooLargeException.class, () -> cmds.compareAndSet(b("k"), null, new byte[17], null));
        assertThrows(IllegalArgumentException.class, () -> cmds.put(b("k"), null, null));
        assertEquals(16, cmds.put(b("k"), new byte[16], null)[2].length);
    }

    @Test
    void putAndCompareAndSetCommands() {
        assertEquals("SET k v", show(cmds.put(b("k"), b("v"), null)));
        assertEquals("SET k v PX 1500", show(cmds.put(b("k"), b("v"), Duration.ofMillis(1500))));
        assertEquals("SET k v PX 2", show(cmds.put(b("k"), b("v"), Duration.ofNanos(1_000_001))),
                "TTLs round up: a key must not expire earlier than asked");
        assertEquals("SET k v PX 1", show(cmds.put(b("k"), b("v"), Duration.ofNanos(1))));
        assertEquals("SET k new NX", show(cmds.compareAndSet(b("k"), null, b("new"), null)));
        assertEquals("SET k new IFEQ old PX 10", show(cmds.compareAndSet(b("k"), b("old"), b("new"),
                Duration.ofMillis(10))));
        assertEquals("SET k new IFEQ ", show(cmds.compareAndSet(b("k"), new byte[0], b("new"), null)),
                "an empty expected value is a value, not 'absent'");
        assertEquals("DEL k", show(cmds.delete(b("k"))));
        assertThrows(IllegalArgumentException.class, () -> PutOptions.ttl(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> KvCommands.ttlMillis(Duration.ofMillis(-1)));
    }

    @Test
    void scanCommandsEscapePrefixes() {
        assertEquals("SCAN 0 COUNT 100", show(cmds.scan(ScanRequest.all())));
        assertEquals("SCAN 42 MATCH a\\*b\\?\\[c\\]\\\\* COUNT 7",
                show(cmds.scan(ScanRequest.prefix("a*b?[c]\\").withCursor("42").withCount(7))));
        assertEquals("SCAN 0 MATCH user:* COUNT 100", show(cmds.scan(ScanRequest.match("user:*"))));
        assertThrows(IllegalArgumentException.class, () -> ScanRequest.all().withCursor("abc"));
        assertThrows(IllegalArgumentException.class, () -> ScanRequest.all().withCount(0));
    }

    @Test
    void batchesAreAtomicOnlyWithinOneHashTag() {
        assertTrue(KvCommands.atomic(List.of()));
        assertTrue(KvCommands.atomic(List.of(BatchOp.put("a", "1"), BatchOp.get("a"), BatchOp.delete("a"))));
        assertTrue(KvCommands.atomic(List.of(BatchOp.put("{u1}.name", "x"), BatchOp.get("x{u1}y"))));
        assertFalse(KvCommands.atomic(List.of(BatchOp.put("{u1}.name", "x"), BatchOp.get("{u2}.name"))));
        assertFalse(KvCommands.atomic(List.of(BatchOp.put("a", "1"), BatchOp.get("b"))));
        assertFalse(KvCommands.atomic(List.of(BatchOp.put("{}a", "1"), BatchOp.get("{}b"))),
                "an empty tag hashes the whole key, as in Redis Cluster");
        assertArrayEquals(b("u1"), KvCommands.hashTag(b("x{u1}{u2}")));
        assertNull(KvCommands.hashTag(b("x{u1")));
    }

    @Test
    void aBatchIsValidatedCompletelyBeforeAnythingIsBuilt() {
        List<BatchOp> ops = List.of(BatchOp.put("a", "1"), BatchOp.get(new byte[0]));
        assertThrows(InvalidKeyException.class, () -> cmds.batch(ops));
        assertThrows(IllegalArgumentException.class, () -> cmds.batch(Arrays.asList(BatchOp.get("a"), null)));
        assertEquals(List.of("SET a 1", "GET a"),
                cmds.batch(List.of(BatchOp.put("a", "1"), BatchOp.get("a"))).stream().map(KvCommandsTest::show).toList());
    }

    @Test
    void decodersAcceptStatusAndBulkOk() {
        assertNull(KvCommands.decodePut(Reply.OK));
        assertNull(KvCommands.decodePut(Reply.bulk("OK")));
        assertThrows(CairnServerException.class, () -> KvCommands.decodePut(Reply.Null.BULK));
        assertTrue(KvCommands.decodeCompareAndSet(Reply.OK));
        assertTrue(KvCommands.decodeCompareAndSet(Reply.bulk("OK")));
        assertFalse(KvCommands.decodeCompareAndSet(Reply.Null.BULK));
        assertTrue(KvCommands.decodeDelete(Reply.ONE));
        assertFalse(KvCommands.decodeDelete(Reply.ZERO));
        assertArrayEquals(b("v"), KvCommands.decodeGet(Reply.bulk("v")));
        assertNull(KvCommands.decodeGet(Reply.Null.BULK));
    }

    @Test
    void scanRepliesDecodeToPages() {
        ScanPage page = KvCommands.decodeScan(Reply.array(List.of(Reply.bulk("17"),
                Reply.array(List.of(Reply.bulk("a"), Reply.bulk("b"))))));
        assertEquals("17", page.nextCursor());
        assertFalse(page.done());
        assertEquals(List.of("a", "b"), page.keys().stream().map(String::new).toList());
        ScanPage last = KvCommands.decodeScan(Reply.array(List.of(Reply.bulk("0"), Reply.array(List.of()))));
        assertTrue(last.done());
        ScanPage values = KvCommands.withValues(page, Arrays.asList(b("1"), null));
        assertEquals(1, values.entries().size(), "a key deleted between SCAN and GET is left out");
        assertArrayEquals(b("1"), values.entries().get(0).value());
    }

    @Test
    void batchRepliesDecodePerOperation() {
        List<BatchOp> ops = List.of(BatchOp.get("a"), BatchOp.put("a", "1"), BatchOp.delete("a"),
                BatchOp.compareAndSet("a", "1", "2"));
        List<BatchResult> results = KvCommands.decodeBatch(ops, List.of(Reply.Null.BULK,
                Reply.err("string exceeds maximum allowed size (proto-max-bulk-len)"), Reply.ONE, Reply.Null.BULK));
        assertEquals(new BatchResult.Value(null), results.get(0));
        assertInstanceOf(ValueTooLargeException.class, ((BatchResult.Failed) results.get(1)).error());
        assertEquals(new BatchResult.Deleted(true), results.get(2));
        assertEquals(new BatchResult.Swapped(false), results.get(3));
        assertThrows(CairnServerException.class, () -> KvCommands.decodeExec(ops,
                Reply.error("EXECABORT Transaction discarded because of previous errors.")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "NOQUORUM partition 3 has no leader|NoQuorumException|true",
            "ERR raft: no quorum for partition 3|NoQuorumException|true",
            "CLUSTERDOWN The cluster is down|NoQuorumException|true",
            "TIMEOUT write not committed in time|CairnTimeoutException|true",
            "TRYAGAIN partition moving|CairnTimeoutException|false",
            "SHUTDOWN node is shutting down|ShuttingDownException|false",
            "ERR server is shutting down|ShuttingDownException|false",
            "ERR command service is closed|ShuttingDownException|false",
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)|ValueTooLargeException|false",
            "ERR key exceeds maximum allowed size of 6 bytes (storage.max-key-bytes)|InvalidKeyException|false",
            "ERR empty keys are not supported|InvalidKeyException|false",
            "ERR syntax error|CairnServerException|false",
            "WRONGTYPE Operation against a key holding the wrong kind of value|CairnServerException|false",
    })
    void errorTextsMapToExceptionTypes(String text, String type, boolean outcomeUnknownForWrites) {
        CairnException forWrite = KvCommands.errorFor(text, true);
        assertEquals(type, forWrite.getClass().getSimpleName());
        assertEquals(text, forWrite.getMessage(), "the server's text is kept verbatim");
        assertEquals(outcomeUnknownForWrites, forWrite.outcomeUnknown());
        assertFalse(KvCommands.errorFor(text, false).outcomeUnknown(), "a read never has an unknown outcome");
    }

    @Test
    void serverExceptionsExposeTheirCode() {
        CairnServerException e = (CairnServerException) KvCommands.errorFor("WRONGTYPE Operation", false);
        assertEquals("WRONGTYPE", e.code());
        assertEquals("WRONGTYPE Operation", e.errorText());
    }

    @Test
    void failedServiceFuturesCompleteWithUnwrappedCairnExceptions() {
        CompletableFuture<Reply> closed = CompletableFuture.failedFuture(
                new CompletionException(new IllegalStateException("command service is closed")));
        CompletableFuture<byte[]> get = KvCommands.decode(closed, KvCommands::decodeGet, false);
        assertInstanceOf(ShuttingDownException.class, get.exceptionNow());

        CompletableFuture<Boolean> timedOut = KvCommands.decode(
                CompletableFuture.failedFuture(new TimeoutException("raft")), KvCommands::decodeCompareAndSet, true);
        CairnTimeoutException t = assertInstanceOf(CairnTimeoutException.class, timedOut.exceptionNow());
        assertTrue(t.outcomeUnknown());

        CompletableFuture<Void> refused = KvCommands.decode(
                CompletableFuture.completedFuture(Reply.err("string exceeds maximum allowed size (proto-max-bulk-len)")),
                KvCommands::decodePut, true);
        ValueTooLargeException v = assertInstanceOf(ValueTooLargeException.class, refused.exceptionNow());
        assertSame(v, assertThrows(ValueTooLargeException.class, () -> KvCommands.await(refused)),
                "sync callers get the very same exception");
        ExecutionException viaGet = assertThrows(ExecutionException.class, () -> refused.get());
        assertSame(v, viaGet.getCause(), "one level of wrapping from get(), never two");
    }

    @Test
    void mapKeepsFailuresUnwrapped() {
        NoQuorumException e = new NoQuorumException("no quorum", false);
        CompletableFuture<String> mapped = KvCommands.map(CompletableFuture.<byte[]>failedFuture(e), String::new);
        assertSame(e, mapped.exceptionNow());
    }

    @Test
    void consistencyRepliesDecodeFromArraysAndMaps() {
        KvCommands.Consistency c = KvCommands.decodeConsistency(Reply.array(List.of(Reply.bulk("read"),
                Reply.bulk("follower"), Reply.bulk("write"), Reply.bulk("all"))));
        assertEquals(new KvCommands.Consistency(ReadConsistency.FOLLOWER, WriteConsistency.ALL), c);
        KvCommands.Consistency m = KvCommands.decodeConsistency(new Reply.MapReply(List.of(Reply.bulk("write"),
                Reply.bulk("majority"), Reply.bulk("read"), Reply.bulk("linearizable"))));
        assertEquals(new KvCommands.Consistency(ReadConsistency.LINEARIZABLE, WriteConsistency.MAJORITY), m);
        assertEquals("CLIENT CONSISTENCY READ STALE WRITE ALL",
                show(KvCommands.clientConsistency(ReadConsistency.STALE, WriteConsistency.ALL)));
        assertThrows(CairnServerException.class, () -> KvCommands.decodeConsistency(
                Reply.err("unknown subcommand 'CONSISTENCY'. Try CLIENT HELP.")));
    }

    @Test
    void callOptionsDefaultsAndWithers() {
        CallOptions d = CallOptions.defaults();
        assertEquals(ReadConsistency.LINEARIZABLE, d.read());
        assertEquals(WriteConsistency.MAJORITY, d.write());
        assertEquals(CallOptions.DEFAULT_TIMEOUT, d.timeout());
        CallOptions o = d.withRead(ReadConsistency.STALE).withWrite(WriteConsistency.ALL).withTimeout(Duration.ofMillis(5));
        assertEquals(new CallOptions(ReadConsistency.STALE, WriteConsistency.ALL, Duration.ofMillis(5)), o);
        assertThrows(IllegalArgumentException.class, () -> d.withTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> d.withRead(null));
    }

    @Test
    void stringConveniencesOfKeyValueKeepFailuresUnwrapped() {
        ShuttingDownException down = new ShuttingDownException("bye");
        KeyValue kv = new FailingKeyValue(down);
        assertSame(down, kv.getAsync("k").exceptionNow());
        assertSame(down, assertThrows(ShuttingDownException.class, () -> kv.get("k")));
        assertSame(down, assertThrows(ShuttingDownException.class, () -> kv.put("k", "v")));
    }

    /** Every call fails with one exception: enough to test the interface's default methods. */
    private record FailingKeyValue(CairnException e) implements KeyValue {
        @Override
        public CompletableFuture<byte[]> getAsync(byte[] key, CallOptions options) {
            return CompletableFuture.failedFuture(e);
        }

        @Override
        public CompletableFuture<Void> putAsync(byte[] key, byte[] value, PutOptions options) {
            return CompletableFuture.failedFuture(e);
        }

        @Override
        public CompletableFuture<Boolean> deleteAsync(byte[] key, CallOptions options) {
            return CompletableFuture.failedFuture(e);
        }

        @Override
        public CompletableFuture<Boolean> compareAndSetAsync(byte[] key, byte[] expected, byte[] newValue,
                                                             PutOptions options) {
            return CompletableFuture.failedFuture(e);
        }

        @Override
        public CompletableFuture<ScanPage> scanAsync(ScanRequest request) {
            return CompletableFuture.failedFuture(e);
        }

        @Override
        public CompletableFuture<List<BatchResult>> batchAsync(List<BatchOp> ops, CallOptions options) {
            return CompletableFuture.failedFuture(e);
        }

        @Override
        public void awaitReady(Duration timeout) {
            throw e;
        }

        @Override
        public Health health() {
            return new Health(Health.Status.DOWN, Map.of("error", e.getMessage()));
        }

        @Override
        public Stats stats() {
            return new Stats(0, 0, 0, 0, 0, Map.of());
        }

        @Override
        public CallOptions defaultCallOptions() {
            return CallOptions.defaults();
        }

        @Override
        public void close() {
        }
    }
}
