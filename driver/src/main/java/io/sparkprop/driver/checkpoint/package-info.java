/**
 * Checkpoints and exact resume: {@link io.sparkprop.driver.checkpoint.CheckpointStore} writes
 * and reads versioned checkpoint directories on any Hadoop path (docs/checkpoint-format.md);
 * {@link io.sparkprop.driver.checkpoint.Checkpointer} decides when the training loop saves and
 * keeps the last good state in memory for divergence rollbacks.
 */
package io.sparkprop.driver.checkpoint;
