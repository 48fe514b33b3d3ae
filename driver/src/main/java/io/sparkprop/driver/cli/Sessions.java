package io.sparkprop.driver.cli;

import org.apache.spark.sql.SparkSession;

/** The Spark session of a CLI run. */
final class Sessions {
  /** The id of the last application this JVM started, for failure messages after the session stopped. */
  static volatile String lastApplicationId;

  private Sessions() {}

  /**
   * A session on {@code master} (when given; under spark-submit the master comes from there),
   * with one BLAS thread per executor task unless the user set otherwise.
   */
  static SparkSession open(String master, String appName) {
    return open(master, appName, "WARN");
  }

  /** As {@link #open(String, String)}, with Spark's and Sparkprop's loggers at {@code level} (WARN, INFO, ERROR). */
  static SparkSession open(String master, String appName, String level) {
    SparkSession.Builder b = SparkSession.builder().appName(appName);
    boolean submitted = System.getProperty("spark.master") != null;
    if (master != null) b.master(master);
    else if (!submitted) b.master("local[*]");
    org.apache.spark.SparkConf probe = new org.apache.spark.SparkConf(true);
    if (!probe.contains("spark.executorEnv.OPENBLAS_NUM_THREADS")) b.config("spark.executorEnv.OPENBLAS_NUM_THREADS", "1");
    if (!probe.contains("spark.ui.showConsoleProgress")) b.config("spark.ui.showConsoleProgress", "false");
    SparkSession s = b.getOrCreate();
    s.sparkContext().setLogLevel(level);
    lastApplicationId = s.sparkContext().applicationId();
    org.apache.logging.log4j.core.config.Configurator.setLevel("io.sparkprop",
        org.apache.logging.log4j.Level.toLevel(level.equals("WARN") ? "INFO" : level)); // our INFO lines (packing) unless quiet
    return s;
  }
}
