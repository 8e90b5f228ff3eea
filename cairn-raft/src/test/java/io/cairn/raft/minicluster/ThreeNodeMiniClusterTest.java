package io.cairn.raft.minicluster;

/** The mini-cluster suite on 3 nodes. */
class ThreeNodeMiniClusterTest extends AbstractMiniClusterSuite {
    @Override
    int size() {
        return 3;
    }
}
