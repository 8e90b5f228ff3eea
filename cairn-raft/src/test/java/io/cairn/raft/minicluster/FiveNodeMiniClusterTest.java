package io.cairn.raft.minicluster;

/** The mini-cluster suite on 5 nodes. */
class FiveNodeMiniClusterTest extends AbstractMiniClusterSuite {
    @Override
    int size() {
        return 5;
    }
}
