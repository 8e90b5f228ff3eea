package io.cairn.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn join SEED...}: runs a node that joins a running elastic cluster — the same as
 * {@code cairn server --join SEED,...} with every other server option; a shorter spelling for the
 * common operation.
 */
@Command(name = "join", mixinStandardHelpOptions = true,
        description = {"Run a node that joins a running elastic cluster through any member's Raft address "
                + "(host:raftPort); every `cairn server` option applies (--node-id, --raft-port and --data-dir are needed).",
                "Exit code: 0 after a clean stop, 1 if the node could not start or join."})
final class JoinCommand extends ServerCommand {
    @Parameters(arity = "1..*", paramLabel = "SEED", description = "Raft address host:raftPort of a cluster member.")
    List<String> seeds;

    @Override
    public Integer call() throws Exception {
        if (bootstrap) {
            System.err.println("cairn join: --bootstrap starts a new cluster; join an existing one instead");
            return 1;
        }
        join = String.join(",", seeds);
        return super.call();
    }
}
