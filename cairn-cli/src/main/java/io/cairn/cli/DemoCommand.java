package io.cairn.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "demo", description = "Start a local cluster, run a small workload, print how to connect.")
final class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("cairn demo: the server is not built yet (see the open issues); nothing was started.");
        return 1;
    }
}
