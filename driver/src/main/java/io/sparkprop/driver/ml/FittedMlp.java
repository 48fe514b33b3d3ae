package io.sparkprop.driver.ml;

import org.apache.spark.ml.util.HasTrainingSummary;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What both fitted models share as Spark ML models: the training summary of the fit that made
 * them, as Spark's {@link HasTrainingSummary} (so Spark Connect clients reach {@code summary} and
 * the server can move the model to local disk and back with its summary). Public: its methods are
 * the models' public {@code hasSummary()} and {@code summary()}, which callers in any package and
 * Spark's reflection reach through it.
 */
public interface FittedMlp extends HasTrainingSummary<TrainingSummary> {

  /** Whether this model carries the summary of the fit that made it (a loaded or copied model does not). */
  @Override
  default boolean hasSummary() {
    scala.Option<TrainingSummary> s = trainingSummary();
    return s != null && s.isDefined();
  }

  /** The fit's loss history, validation metric per epoch, best epoch (MLlib's training summary). */
  @Override
  default TrainingSummary summary() {
    if (!hasSummary()) throw new IllegalStateException("no training summary: this model was loaded or copied, not fitted");
    return trainingSummary().get();
  }

  @Override
  default void saveSummary(String path) {
    summary().saveTo(path);
  }

  @Override
  default void loadSummary(String path, Dataset<Row> dataset) {
    trainingSummary_$eq(scala.Option.apply(TrainingSummary.loadFrom(path)));
  }
}
