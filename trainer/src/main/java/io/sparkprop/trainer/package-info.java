/**
 * The Sparkprop engine: {@link io.sparkprop.trainer.TrainingSpec} (what a run computes),
 * {@link io.sparkprop.trainer.ShardStep} (one shard's share of one step, the code Spark tasks run)
 * and {@link io.sparkprop.trainer.LocalTrainer} (the single-process reference trainer).
 * Nothing in this module depends on Spark.
 */
package io.sparkprop.trainer;
