/**
 * The synchronous data-parallel training loop: the trainer
 * ({@link io.sparkprop.driver.loop.DistributedTrainer}: broadcast the weights, executors return
 * gradients, the driver applies the step), the step's task functions and the executors' reused
 * buffers ({@link io.sparkprop.driver.loop.ExecutorState}), several steps per job when one task
 * computes the whole batch ({@link io.sparkprop.driver.loop.FusedSteps}, bitwise the same), a
 * fit's steps streamed through one job's long-lived tasks on a cluster
 * ({@link io.sparkprop.driver.loop.StepStream} over a {@link io.sparkprop.driver.loop.StepChannel},
 * bitwise the same), the reduce-scatter among executors ({@link io.sparkprop.driver.loop.ExecutorReduce}), the fixed
 * order of additions that makes runs reproducible ({@link io.sparkprop.driver.loop.OrderedSum}),
 * the resumable state, the divergence guard, distributed evaluation, and the warm-up of the
 * step's own code on synthetic data ({@link io.sparkprop.driver.loop.EngineWarmup} on executors,
 * {@link io.sparkprop.driver.loop.DriverWarmup} for the driver's half), which lives with the code
 * it warms. Imports {@code data} and {@code failure}; knows nothing of configs,
 * checkpoints' storage, the command line or Spark ML.
 */
package io.sparkprop.driver.loop;
