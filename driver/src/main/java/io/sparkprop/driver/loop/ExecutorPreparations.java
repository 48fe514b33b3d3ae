package io.sparkprop.driver.loop;

import io.sparkprop.driver.data.ExecutorPreparation;
import io.sparkprop.driver.failure.ExecutorFaults;
import io.sparkprop.trainer.TrainingSpec;

/** The preparations that packing tasks run on executors for the loop (see {@link ExecutorState#prepareInBackground}). */
public final class ExecutorPreparations {
  private ExecutorPreparations() {}

  /** Loads BLAS and warms the step's code for {@code spec} in the background (a packing task is also the first fault point). */
  public static ExecutorPreparation forTraining(TrainingSpec spec) {
    return threads -> {
      ExecutorFaults.point(ExecutorFaults.PACK);
      ExecutorState.prepareInBackground(spec, threads);
    };
  }

  /** Loads BLAS in the background: evaluation and prediction run no training step to warm. */
  public static ExecutorPreparation forEvaluation() {
    return threads -> ExecutorState.prepareInBackground(null, threads);
  }
}
