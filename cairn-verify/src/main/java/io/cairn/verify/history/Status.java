package io.cairn.verify.history;

/**
 * How an operation ended, as far as the client can tell. The distinction between {@link #FAIL}
 * and {@link #INFO} is the whole point: treating a timeout as a failure makes a checker report
 * violations that did not happen, and treating it as success hides real ones.
 */
public enum Status {
    /** Completed; the operation took effect exactly once and its output is known. */
    OK,
    /** Definitely had no effect (e.g. an error that guarantees the command was not applied). */
    FAIL,
    /**
     * Indeterminate (timeout, connection lost, still pending when recording stopped): it may have
     * taken effect at any time after its invocation, or never, and its output is unknown.
     */
    INFO
}
