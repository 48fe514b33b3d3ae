/**
 * The Spark application: packing examples ({@link io.sparkprop.driver.PackedData}) into Spark's
 * block cache or, past the executors' memory, into memory-mapped local files
 * ({@link io.sparkprop.driver.Placement}, {@link io.sparkprop.driver.StorageBudget}), grouped one
 * task per executor; the synchronous data-parallel training loop
 * ({@link io.sparkprop.driver.DistributedTrainer}) with the gradients added on the driver or by a
 * reduce-scatter among the executors (ExecutorReduce), or, when one task computes the whole
 * batch, several steps per job (FusedSteps, bitwise the same); its resumable state
 * ({@link io.sparkprop.driver.TrainingState}), checkpoint hook and divergence guard, and
 * distributed evaluation.
 */
package io.sparkprop.driver;
