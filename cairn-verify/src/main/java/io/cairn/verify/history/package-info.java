/**
 * Recording and persisting client-observed histories: what each client asked, what it saw, and
 * the time window in which the effect must have happened. Everything downstream (checkers,
 * reports) depends on these intervals being conservative, which is why the recorder reads the
 * clock itself and treats unfinished operations as indeterminate rather than failed.
 */
package io.cairn.verify.history;
