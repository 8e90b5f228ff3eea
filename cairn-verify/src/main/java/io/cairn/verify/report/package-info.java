/**
 * Human-readable reports of verification runs. {@link io.cairn.verify.report.TimelineReport}
 * renders a history, the faults injected during it and the checker's evidence as one
 * self-contained HTML file, so a failing CI run can be understood from a single artifact opened
 * offline: which ops overlapped a partition, which ones the checker blamed, how latency reacted.
 */
package io.cairn.verify.report;
