package io.cairn.raft.minicluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.cairn.api.reply.Reply;
import io.cairn.raft.RaftConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose partition client gave up on a write (its Ratis retries spent while the group had
 * no majority) must write again once the majority is back. Ratis's ordered client fails every
 * later request of a client whose sliding window saw a request fail for good, so without a fresh
 * client the node would refuse that partition's writes forever.
 */
@Timeout(180)
class QuorumLossRecoveryTest {
    @TempDir
    Path dir;

    @Test
    void writesResumeAfterTheRetriesOfAWriteWithoutQuorumRanOut() throws Exception {
        // Few, quick attempts: the client gives up on the write long before the majority returns.
        try (MiniCluster c = new MiniCluster(dir, 3, 1, Map.of(RaftConfig.CLIENT_RETRY_ATTEMPTS, "5",
                MiniCluster.COMMAND_TIMEOUT_MS, "3000")).start()) {
            c.awaitLeaders(Duration.ofSeconds(30));
            assertEquals(Reply.OK, c.service(0).execute(argv("SET", "k", "1")).get());
            c.stop(1);
            c.stop(2);
            Reply lost = c.service(0).execute(argv("SET", "k", "2")).get();
            assertInstanceOf(Reply.Error.class, lost, "no majority: " + lost);
            Thread.sleep(4000); // past every attempt of that write
            c.restart(1);
            c.restart(2);
            c.awaitLeaders(Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            Reply r;
            do {
                r = c.service(0).execute(argv("SET", "k", "3")).get();
            } while (!Reply.OK.equals(r) && System.nanoTime() < deadline && sleep(200));
            assertEquals(Reply.OK, r, "node 0 writes again once the majority is back");
        }
    }

    private static boolean sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
        return true;
    }

    private static byte[][] argv(String... words) {
        byte[][] a = new byte[words.length][];
        for (int i = 0; i < words.length; i++) {
            a[i] = words[i].getBytes(StandardCharsets.UTF_8);
        }
        return a;
    }
}
