/**
 * The Spark application: packing and caching examples ({@link io.sparkprop.driver.PackedData}),
 * the synchronous data-parallel training loop ({@link io.sparkprop.driver.DistributedTrainer}) and
 * distributed evaluation.
 */
package io.sparkprop.driver;
