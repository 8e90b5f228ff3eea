package io.cairn.api.kv;

/**
 * The partition owning the key cannot reach a majority of its replicas (no leader, or the leader
 * lost its quorum), so it can neither commit writes nor serve linearizable reads. Retrying later or
 * with a weaker read consistency ({@code STALE}) may succeed. A write that fails this way may still
 * commit if the quorum comes back with it in the log, hence {@link #outcomeUnknown()}.
 */
public final class NoQuorumException extends CairnException {
    public NoQuorumException(String message, boolean outcomeUnknown) {
        super(message, outcomeUnknown, null);
    }
}
