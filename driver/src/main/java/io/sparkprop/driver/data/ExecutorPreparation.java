package io.sparkprop.driver.data;

import java.io.Serializable;

/**
 * What a packing task runs on its executor before it packs its block. The training loop passes
 * the preparation of its engine, so that packing never depends on the loop's classes.
 */
@FunctionalInterface
public interface ExecutorPreparation extends Serializable {
  /**
   * Called once per packing task, on the executor.
   *
   * @param threadsPerTask the blocks each training task will compute on its threads
   */
  void prepare(int threadsPerTask);
}
