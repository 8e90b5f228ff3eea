package io.cairn.cli;

import io.cairn.server.CairnServer;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT close the server gracefully and the process exits 0, as a supervisor expects
 * from a clean stop. A plain shutdown hook would also close it, but the JVM then exits 143.
 */
final class ShutdownSignals {
    private ShutdownSignals() {}

    static void closeOnTermination(CairnServer server) {
        closeOnTermination((Runnable) server::close);
    }

    /** Runs {@code close} (once per signal) on SIGTERM/SIGINT, e.g. to stop several in-process nodes. */
    static void closeOnTermination(Runnable close) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), sig -> {
                    Thread t = new Thread(() -> {
                        System.out.println("cairn server: SIG" + name + " received, shutting down");
                        close.run();
                    }, "cairn-signal-" + name);
                    t.start();
                });
            } catch (IllegalArgumentException unsupported) {
                Runtime.getRuntime().addShutdownHook(new Thread(close, "cairn-shutdown-hook"));
            }
        }
    }
}
