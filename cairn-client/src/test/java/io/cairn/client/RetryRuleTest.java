package io.cairn.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.api.kv.BatchOp;
import io.cairn.api.kv.BatchResult;
import io.cairn.api.kv.CairnConnectionException;
import io.cairn.server.CairnServer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The retry rule when a reply is lost after the write was applied: idempotent writes and reads
 * fail over to the next seed, compare-and-set does not and reports an unknown outcome. Both seeds
 * lead to the same node (one through a proxy that drops a reply), as two nodes of a cluster would.
 */
@Timeout(60)
class RetryRuleTest {
    private CairnServer server;
    private ReplyDroppingProxy proxy;
    private CairnClient kv;

    @BeforeEach
    void start() throws Exception {
        server = TestServers.start();
        proxy = new ReplyDroppingProxy(server.port());
        kv = CairnClient.connect(List.of(proxy.seed(), TestServers.seed(server)));
        kv.put("rule:k", "v0"); // the connection through the proxy is established
    }

    @AfterEach
    void stop() throws Exception {
        kv.close();
        proxy.close();
        server.close();
    }

    @Test
    void aCompareAndSetWhoseReplyIsLostIsNotRetriedAndReportsAnUnknownOutcome() {
        proxy.dropNextReply();
        CairnConnectionException e = assertThrows(CairnConnectionException.class,
                () -> kv.compareAndSet("rule:k", "v0", "v1"));
        assertTrue(e.outcomeUnknown(), e.getMessage());
        // It was applied: a retry would now have answered "false" for a swap that happened.
        assertEquals("v1", kv.get("rule:k"));
        assertEquals(1L, kv.stats().details().get("currentNode"), "new calls moved to the next seed");
    }

    @Test
    void anIdempotentPutWhoseReplyIsLostIsRetriedOnTheNextSeed() {
        proxy.dropNextReply();
        kv.put("rule:k", "v2");
        assertEquals("v2", kv.get("rule:k"));
        assertTrue(kv.stats().retries() >= 1);
    }

    @Test
    void aReadWhoseReplyIsLostIsRetried() {
        proxy.dropNextReply();
        assertEquals("v0", kv.get("rule:k"));
    }

    @Test
    void aBatchWithACompareAndSetIsNotRetriedButOneWithoutIs() {
        proxy.dropNextReply();
        List<BatchResult> ok = kv.batch(List.of(BatchOp.put("rule:a", "1"), BatchOp.get("rule:k")));
        assertEquals(new BatchResult.Written(), ok.get(0));

        CairnClient second = CairnClient.connect(List.of(proxy.seed(), TestServers.seed(server)));
        try {
            second.put("rule:warm", "x");
            proxy.dropNextReply();
            CairnConnectionException e = assertThrows(CairnConnectionException.class,
                    () -> second.batch(List.of(BatchOp.put("rule:b", "1"), BatchOp.compareAndSet("rule:k", "v0", "v9"))));
            assertTrue(e.outcomeUnknown());
        } finally {
            second.close();
        }
    }
}
