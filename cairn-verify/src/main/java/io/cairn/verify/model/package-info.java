/**
 * Sequential specifications ("what a single correct server would answer") for the data types the
 * workloads use. Linearizability is always relative to such a model; keeping them tiny and
 * deterministic is what makes the checker's memoization effective.
 */
package io.cairn.verify.model;
