/**
 * Checkers over recorded histories. {@link io.cairn.verify.check.LinearizabilityChecker} is the
 * exact but potentially expensive check; {@link io.cairn.verify.check.AppendChecker} and
 * {@link io.cairn.verify.check.LostWriteChecker} check necessary conditions in linear time, scale
 * to any history size and name the exact offending operations. Every reported violation is real;
 * when a check cannot decide within its budget it says UNKNOWN, never OK.
 */
package io.cairn.verify.check;
