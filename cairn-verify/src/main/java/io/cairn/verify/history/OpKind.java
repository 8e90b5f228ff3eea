package io.cairn.verify.history;

/**
 * What a recorded operation asked the store to do. The set is deliberately small: it covers the
 * workloads the checkers understand (registers, counters, append logs), and a closed enum lets
 * models reject anything else up front instead of misinterpreting it mid-search.
 */
public enum OpKind {
    /** Read the key; output is the value, or {@code null} when the key is absent. */
    READ,
    /** Unconditional write; input 0 is the value. */
    WRITE,
    /** Compare-and-set; input 0 is the expected value ({@code null}: only if absent), input 1 the new one. */
    CAS,
    /** Delete the key. */
    DELETE,
    /** Increment; input 0 is the delta ({@code 1} when omitted), output the new value. */
    INCR,
    /** Append; input 0 is the appended text (one token of an append workload). */
    APPEND
}
