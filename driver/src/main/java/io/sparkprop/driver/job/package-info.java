/**
 * The training pipeline every entry point runs ({@link io.sparkprop.driver.job.TrainingJob}):
 * read, check, scale, pack, place, train with checkpoints, resume and divergence handling,
 * evaluate, and the model with its provenance; and what evaluation and prediction share
 * ({@link io.sparkprop.driver.job.ModelJob}). {@link io.sparkprop.driver.job.Session} is a run's
 * Spark. Imports every package below it; nothing here imports the command line or Spark ML.
 */
package io.sparkprop.driver.job;
