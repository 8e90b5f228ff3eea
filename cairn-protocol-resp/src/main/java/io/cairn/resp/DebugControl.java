package io.cairn.resp;

import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * The fault-injection hooks behind {@code DEBUG}, supplied by the server wiring through
 * {@link ServerContext#debug()}. Calls come from event-loop threads: none may block.
 */
public interface DebugControl {
    /** Who may run DEBUG: Redis's {@code enable-debug-command} ({@code no}, {@code yes}, {@code local}). */
    enum Access {
        NO, YES, LOCAL;

        /** Parses {@code no}, {@code yes} or {@code local} (any case), as Redis accepts them. */
        public static Access parse(String value) {
            if (value != null) {
                switch (value.trim().toLowerCase(Locale.ROOT)) {
                    case "no" -> { return NO; }
                    case "yes" -> { return YES; }
                    case "local" -> { return LOCAL; }
                    default -> { }
                }
            }
            throw new IllegalArgumentException("enable-debug-command must be no, yes or local, got '" + value + "'");
        }

        /** Redis's allowProtectedAction: {@code yes}, or {@code local} from a loopback (or local) client. */
        public boolean allows(boolean localClient) {
            return this == YES || (this == LOCAL && localClient);
        }
    }

    /** Who may run DEBUG on this node. */
    Access access();

    /** The node clock's offset from system time, in milliseconds. */
    long clockOffset();

    /**
     * Makes the node's wall clock read system time + {@code millis} from now on (replacing any
     * earlier offset). Monotonic time is not affected.
     *
     * @throws IllegalArgumentException if the offset is out of the clock's bounds
     */
    void clockOffset(long millis);

    /**
     * Hands leadership of up to {@code max} partitions this node leads to other replicas. The work
     * runs off the calling thread; the future completes with how many leaderships moved (0 on a
     * node that is not part of a cluster).
     */
    CompletableFuture<Integer> stepDown(int max);

    /** For servers without DEBUG support: access is {@link Access#NO}, and every hook refuses. */
    DebugControl DISABLED = new DebugControl() {
        @Override
        public Access access() {
            return Access.NO;
        }

        @Override
        public long clockOffset() {
            throw new UnsupportedOperationException("this server has no DEBUG support");
        }

        @Override
        public void clockOffset(long millis) {
            throw new UnsupportedOperationException("this server has no DEBUG support");
        }

        @Override
        public CompletableFuture<Integer> stepDown(int max) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException("this server has no DEBUG support"));
        }
    };
}
