package io.sparkprop.driver.ml;

import org.apache.spark.sql.SparkSession;

/**
 * Run in a child JVM by {@link EstimatorResumeTest}: the fit of {@link EstimatorResumeTest#classifier}
 * with checkpoints in args[0], in a local[2] session of its own; -Dsparkprop.test.halt-at halts the
 * JVM at a checkpoint, as a killed driver.
 */
public final class EstimatorFitMain {
  private EstimatorFitMain() {}

  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().master("local[2]").appName("estimator-fit").config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    EstimatorResumeTest.classifier().setCheckpointDir(args[0]).fit(EstimatorResumeTest.data(spark));
    spark.stop();
    System.exit(0);
  }
}
