/**
 * The Spark application: packing and caching examples ({@link io.sparkprop.driver.PackedData}),
 * the synchronous data-parallel training loop ({@link io.sparkprop.driver.DistributedTrainer})
 * with its resumable state ({@link io.sparkprop.driver.TrainingState}), checkpoint hook and
 * divergence guard, and distributed evaluation.
 */
package io.sparkprop.driver;
