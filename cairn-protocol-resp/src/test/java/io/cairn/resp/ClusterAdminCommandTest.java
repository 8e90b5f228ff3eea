package io.cairn.resp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * CLUSTER MAP, LEAVE, REBALANCE [START] and LAG on the connection handler, with a scripted {@link ClusterAdmin}
 * (the real one, over a cluster agent, is tested end to end in cairn-server's
 * ClusterAdminCommandsTest): reply shapes, refusals passed through with the controller's code
 * word, replies sent in order once the controller answers, and the errors of nodes without
 * elastic membership.
 */
class ClusterAdminCommandTest {

    /** Answers from a script; LEAVE waits until the test completes its future. */
    static final class FakeAdmin implements ClusterAdmin {
        final List<String> leaves = new ArrayList<>();
        final List<CompletableFuture<Verdict>> leaveReplies = new ArrayList<>();
        final List<CompletableFuture<Verdict>> rebalanceRequests = new ArrayList<>();
        List<PartitionLag> lag = List.of();

        @Override
        public String unavailableReason() {
            return null;
        }

        @Override
        public String mapJson() {
            return "{\"format\":1,\"epoch\":7}";
        }

        @Override
        public long epoch() {
            return 7;
        }

        @Override
        public CompletableFuture<Verdict> leave(String node) {
            leaves.add(String.valueOf(node));
            CompletableFuture<Verdict> f = new CompletableFuture<>();
            leaveReplies.add(f);
            return f;
        }

        @Override
        public RebalanceStatus rebalance() {
            return new RebalanceStatus(7, 2, 1, 0, 5, 300);
        }

        @Override
        public CompletableFuture<Verdict> requestRebalance() {
            CompletableFuture<Verdict> f = new CompletableFuture<>();
            rebalanceRequests.add(f);
            return f;
        }

        @Override
        public List<PartitionLag> lag() {
            return lag;
        }
    }

    /** The test context with membership hooks. */
    static final class AdminContext implements ServerContext {
        private final TestContext base = new TestContext();
        final ClusterAdmin admin;

        AdminContext(ClusterAdmin admin) {
            this.admin = admin;
        }

        @Override
        public String nodeId() {
            return base.nodeId();
        }

        @Override
        public String version() {
            return base.version();
        }

        @Override
        public Map<String, String> config() {
            return base.config();
        }

        @Override
        public void requestShutdown() {
            base.requestShutdown();
        }

        @Override
        public ClusterView cluster() {
            return base.cluster();
        }

        @Override
        public ClusterAdmin clusterAdmin() {
            return admin;
        }
    }

    private static Wire wire(ServerContext context) {
        return new Wire(Wire.runtime(Wire.settings(), new InMemoryService(), context));
    }

    private static String[] c(String... args) {
        return args;
    }

    @Test
    void mapAndRebalanceReplies() {
        Wire w = wire(new AdminContext(new FakeAdmin()));
        assertEquals("$22\r\n{\"format\":1,\"epoch\":7}\r\n", w.cmd("CLUSTER", "MAP"));
        assertEquals("*12\r\n$5\r\nepoch\r\n:7\r\n$17\r\nmoves-in-progress\r\n:2\r\n$15\r\nmoves-startable\r\n:1\r\n"
                        + "$15\r\nother-proposals\r\n:0\r\n$18\r\nreplicas-misplaced\r\n:5\r\n"
                        + "$27\r\ncontroller-loop-interval-ms\r\n:300\r\n",
                w.cmd("cluster", "rebalance"));
        assertEquals("-ERR wrong number of arguments for 'cluster|map' command\r\n", w.cmd("CLUSTER", "MAP", "x"));
        assertEquals("-ERR unknown subcommand or wrong number of arguments for 'rebalance'. Try CLUSTER HELP.\r\n",
                w.cmd("CLUSTER", "rebalance", "now"));
        assertEquals("-ERR unknown subcommand or wrong number of arguments for 'REBALANCE'. Try CLUSTER HELP.\r\n",
                w.cmd("CLUSTER", "REBALANCE", "START", "now"));
    }

    @Test
    void rebalanceStartRepliesWithTheControllersVerdictInOrder() {
        FakeAdmin admin = new FakeAdmin();
        Wire w = wire(new AdminContext(admin));
        assertEquals("", w.pipeline(c("CLUSTER", "REBALANCE", "start"), c("PING")), "nothing before the controller answers");
        assertEquals(1, admin.rebalanceRequests.size());
        admin.rebalanceRequests.get(0).complete(new ClusterAdmin.Verdict(true, 12, null));
        assertEquals("+OK epoch 12\r\n+PONG\r\n", w.output());

        assertEquals("", w.cmd("CLUSTER", "REBALANCE", "START"));
        admin.rebalanceRequests.get(1).complete(new ClusterAdmin.Verdict(false, 12,
                "NOTBOOTSTRAPPED the cluster has no map yet"));
        assertEquals("-NOTBOOTSTRAPPED the cluster has no map yet\r\n", w.output());

        assertEquals("", w.cmd("CLUSTER", "REBALANCE", "START"));
        admin.rebalanceRequests.get(2).completeExceptionally(new java.io.IOException("no answer within 5000 ms"));
        assertEquals("-ERR no answer within 5000 ms\r\n", w.output());

        // Plain REBALANCE only reports: it asks the controller for nothing.
        assertTrue(w.cmd("CLUSTER", "REBALANCE").startsWith("*12\r\n$5\r\nepoch\r\n:7\r\n"));
        assertEquals(3, admin.rebalanceRequests.size());

        String out = w.pipeline(c("MULTI"), c("CLUSTER", "REBALANCE", "START"), c("EXEC"));
        assertTrue(out.endsWith("*1\r\n-ERR Command not allowed inside a transaction\r\n"), out);
        assertEquals(3, admin.rebalanceRequests.size(), "refused inside EXEC: nothing started");
    }

    @Test
    void lagListsTheLedPartitionsWithTheirReplicas() {
        FakeAdmin admin = new FakeAdmin();
        Wire w = wire(new AdminContext(admin));
        assertEquals("*0\r\n", w.cmd("CLUSTER", "LAG"), "a node leading nothing");
        admin.lag = List.of(new ClusterAdmin.PartitionLag(3, "n1", 2, 40, 41, List.of(
                new ClusterAdmin.ReplicaLag("n2", "voter", 41, 0, 12),
                new ClusterAdmin.ReplicaLag("n3", "catching-up", 7, 34, 4100))));
        String replica2 = "*10\r\n$4\r\nnode\r\n$2\r\nn2\r\n$4\r\nrole\r\n$5\r\nvoter\r\n"
                + "$11\r\nmatch-index\r\n:41\r\n$3\r\nlag\r\n:0\r\n$15\r\nlast-contact-ms\r\n:12\r\n";
        String replica3 = "*10\r\n$4\r\nnode\r\n$2\r\nn3\r\n$4\r\nrole\r\n$11\r\ncatching-up\r\n"
                + "$11\r\nmatch-index\r\n:7\r\n$3\r\nlag\r\n:34\r\n$15\r\nlast-contact-ms\r\n:4100\r\n";
        assertEquals("*1\r\n*12\r\n$9\r\npartition\r\n:3\r\n$6\r\nleader\r\n$2\r\nn1\r\n$4\r\nterm\r\n:2\r\n"
                        + "$12\r\ncommit-index\r\n:40\r\n$10\r\nlast-index\r\n:41\r\n$8\r\nreplicas\r\n*2\r\n"
                        + replica2 + replica3,
                w.cmd("CLUSTER", "LAG"));
        assertEquals("-ERR wrong number of arguments for 'cluster|lag' command\r\n", w.cmd("CLUSTER", "LAG", "3"));
        // RESP3: maps.
        w.cmd("HELLO", "3");
        assertTrue(w.cmd("CLUSTER", "LAG").startsWith("*1\r\n%6\r\n$9\r\npartition\r\n:3\r\n"));
    }

    @Test
    void leaveRepliesWithTheControllersVerdictInOrder() {
        FakeAdmin admin = new FakeAdmin();
        Wire w = wire(new AdminContext(admin));
        assertEquals("", w.pipeline(c("CLUSTER", "LEAVE"), c("PING")), "nothing before the controller answers");
        assertEquals(List.of("null"), admin.leaves, "no argument: this node");
        admin.leaveReplies.get(0).complete(new ClusterAdmin.Verdict(true, 8, null));
        assertEquals("+OK epoch 8\r\n+PONG\r\n", w.output());

        assertEquals("", w.cmd("CLUSTER", "LEAVE", "n4"));
        assertEquals("n4", admin.leaves.get(1));
        admin.leaveReplies.get(1).complete(new ClusterAdmin.Verdict(false, 8,
                "TOOFEWNODES node n4 holds 3 replicas and only 2 other nodes are UP"));
        assertEquals("-TOOFEWNODES node n4 holds 3 replicas and only 2 other nodes are UP\r\n", w.output());

        assertEquals("", w.cmd("CLUSTER", "LEAVE", "n4"));
        admin.leaveReplies.get(2).completeExceptionally(new java.io.IOException("no answer within 5000 ms"));
        assertEquals("-ERR no answer within 5000 ms\r\n", w.output());

        assertEquals("-ERR unknown subcommand or wrong number of arguments for 'LEAVE'. Try CLUSTER HELP.\r\n",
                w.cmd("CLUSTER", "LEAVE", "a", "b"));
        assertEquals("-ERR node id must not be empty\r\n", w.cmd("CLUSTER", "LEAVE", " "));
        assertEquals(3, admin.leaves.size(), "refused commands start nothing");
    }

    @Test
    void leaveIsRefusedInsideATransaction() {
        FakeAdmin admin = new FakeAdmin();
        Wire w = wire(new AdminContext(admin));
        String out = w.pipeline(c("MULTI"), c("CLUSTER", "LEAVE"), c("EXEC"));
        assertTrue(out.endsWith("*1\r\n-ERR Command not allowed inside a transaction\r\n"), out);
        assertTrue(admin.leaves.isEmpty());
    }

    @Test
    void nodesWithoutElasticMembershipGetAClearError() {
        Wire w = wire(new TestContext()); // the default hooks
        for (String sub : new String[] {"MAP", "LEAVE", "REBALANCE", "LAG"}) {
            assertEquals("-ERR " + ClusterAdmin.NOT_ELASTIC + "\r\n", w.cmd("CLUSTER", sub));
        }
        Wire staticNode = wire(new AdminContext(ClusterAdmin.unavailable("this node has static membership (peers)")));
        assertEquals("-ERR this node has static membership (peers)\r\n", staticNode.cmd("CLUSTER", "LEAVE", "n2"));
        assertEquals("-ERR this node has static membership (peers)\r\n", staticNode.cmd("CLUSTER", "REBALANCE", "START"));
        assertEquals("-ERR this node has static membership (peers)\r\n", staticNode.cmd("CLUSTER", "LAG"));
        assertEquals("+PONG\r\n", staticNode.cmd("PING"));
    }

    @Test
    void theExtensionsNeedAuthenticationLikeEveryCommand() {
        Wire w = new Wire(Wire.runtime(Wire.settings().withRequirePass("pw"), new InMemoryService(),
                new AdminContext(new FakeAdmin())));
        assertEquals("-NOAUTH Authentication required.\r\n", w.cmd("CLUSTER", "MAP"));
        assertEquals("-NOAUTH Authentication required.\r\n", w.cmd("CLUSTER", "LEAVE"));
        assertEquals("+OK\r\n", w.cmd("AUTH", "pw"));
        assertEquals("$22\r\n{\"format\":1,\"epoch\":7}\r\n", w.cmd("CLUSTER", "MAP"));
    }

    @Test
    void helpListsTheExtensions() {
        String help = wire(new TestContext()).cmd("CLUSTER", "HELP");
        assertTrue(help.contains("+LEAVE [<node-id>]\r\n") && help.contains("+MAP\r\n")
                && help.contains("+REBALANCE [START]\r\n") && help.contains("+LAG\r\n"), help);
    }
}
