package io.sparkprop.driver.loop;

/**
 * Timings of one distributed step, in nanoseconds.
 *
 * @param wallNanos the whole step on the driver: broadcast, job, optimizer update
 * @param jobNanos broadcast + Spark job + ordered sum (everything before the update)
 * @param maxTaskComputeNanos the slowest task's time inside the engine (members + forward + backward)
 * @param updateNanos the optimizer update on the driver
 */
public record StepStats(long wallNanos, long jobNanos, long maxTaskComputeNanos, long updateNanos) {
  /** What Spark adds: wall time minus the slowest task's compute. */
  public long overheadNanos() {
    return wallNanos - maxTaskComputeNanos;
  }
}
