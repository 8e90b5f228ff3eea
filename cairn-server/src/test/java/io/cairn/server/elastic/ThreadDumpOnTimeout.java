package io.cairn.server.elastic;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Prints every thread's stack when a test fails because a client waited in vain for a reply
 * (a socket read timeout, a future's timeout): in-process nodes share the JVM, so the dump shows
 * where the command stopped. The failure itself is rethrown unchanged.
 */
final class ThreadDumpOnTimeout implements TestExecutionExceptionHandler {
    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.net.SocketTimeoutException || t instanceof java.util.concurrent.TimeoutException) {
                StringBuilder dump = new StringBuilder("thread dump after " + t + " in " + context.getDisplayName() + ":\n");
                for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
                    dump.append('"').append(info.getThreadName()).append("\" ").append(info.getThreadState());
                    if (info.getLockName() != null) {
                        dump.append(" on ").append(info.getLockName());
                    }
                    if (info.getLockOwnerName() != null) {
                        dump.append(" held by \"").append(info.getLockOwnerName()).append('"');
                    }
                    dump.append('\n');
                    for (StackTraceElement frame : info.getStackTrace()) {
                        dump.append("    at ").append(frame).append('\n');
                    }
                }
                System.err.println(dump);
                break;
            }
        }
        throw failure;
    }
}
