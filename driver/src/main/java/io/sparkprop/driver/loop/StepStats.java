package io.sparkprop.driver.loop;

/**
 * Timings of one distributed step, in nanoseconds.
 *
 * @param wallNanos the whole step on the driver: broadcast, job, optimizer update
 * @param jobNanos broadcast + Spark job + ordered sum (everything before the update)
 * @param maxTaskComputeNanos the slowest task's time inside the engine (members + forward + backward)
 * @param updateNanos the optimizer update on the driver
 * @param broadcastNanos the driver's encoding and broadcasting of the weights (0 when they go by reference)
 * @param maxParamsNanos the longest any task took to get the weights (fetch and decode; inside {@code maxTaskComputeNanos})
 */
public record StepStats(long wallNanos, long jobNanos, long maxTaskComputeNanos, long updateNanos, long broadcastNanos,
    long maxParamsNanos) {
  /** Timings of a step that has no broadcast of its own (fused steps). */
  public StepStats(long wallNanos, long jobNanos, long maxTaskComputeNanos, long updateNanos) {
    this(wallNanos, jobNanos, maxTaskComputeNanos, updateNanos, 0, 0);
  }

  /** What Spark adds: wall time minus the slowest task's compute. */
  public long overheadNanos() {
    return wallNanos - maxTaskComputeNanos;
  }
}
