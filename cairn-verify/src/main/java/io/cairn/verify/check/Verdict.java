package io.cairn.verify.check;

/** Outcome of a linearizability check. */
public enum Verdict {
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    /**
     * The budget ran out (or the check was interrupted) before the search concluded. Never read
     * this as success: a pathological history that hides a violation looks exactly like this.
     */
    UNKNOWN;

    /** Combines per-key verdicts: any violation wins, then any unknown. */
    static Verdict combine(Iterable<Verdict> verdicts) {
        Verdict v = LINEARIZABLE;
        for (Verdict k : verdicts) {
            if (k == NOT_LINEARIZABLE) {
                return NOT_LINEARIZABLE;
            }
            if (k == UNKNOWN) {
                v = UNKNOWN;
            }
        }
        return v;
    }
}
