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

  /**
   * Sparkprop's settings on a session builder, each only where the user (spark-submit --conf,
   * spark-defaults.conf, -Dspark.*) did not set it: one BLAS thread per executor task, no console
   * progress bar, and task results up to 128 MB returned directly. A step's or a chunk of steps'
   * result (the gradient, or the parameters and optimizer state: 2.8 MB for the 235k Fashion-MNIST
   * network under Adam) is above Spark's 1 MB default, which would send it through the block
   * manager instead: stored by the executor, then fetched by the driver (over loopback even in
   * local mode), 15 ms per job warm and 160 ms in a fresh JVM's first epoch. Spark caps the value at
   * {@code spark.rpc.message.maxSize} (128 MB by default); larger results still take the block manager.
   */
  static SparkSession.Builder defaults(SparkSession.Builder b) {
    defaults(new org.apache.spark.SparkConf(true), b::config);
    return b;
  }

  /** The settings of {@link #defaults(SparkSession.Builder)} that {@code user} (the user's Spark settings) lacks, given to {@code set}. */
  static void defaults(org.apache.spark.SparkConf user, java.util.function.BiConsumer<String, String> set) {
    java.util.Map<String, String> ours = new java.util.LinkedHashMap<>();
    ours.put("spark.executorEnv.OPENBLAS_NUM_THREADS", "1");
    ours.put("spark.ui.showConsoleProgress", "false");
    ours.put("spark.task.maxDirectResultSize", "128m");
    ours.forEach((k, v) -> {
      if (!user.contains(k)) set.accept(k, v);
    });
  }

  /** As {@link #open(String, String)}, with Spark's and Sparkprop's loggers at {@code level} (WARN, INFO, ERROR). */
  static SparkSession open(String master, String appName, String level) {
    SparkSession.Builder b = SparkSession.builder().appName(appName);
    boolean submitted = System.getProperty("spark.master") != null;
    if (master != null) b.master(master);
    else if (!submitted) b.master("local[*]");
    SparkSession s = defaults(b).getOrCreate();
    s.sparkContext().setLogLevel(level);
    lastApplicationId = s.sparkContext().applicationId();
    org.apache.logging.log4j.core.config.Configurator.setLevel("io.sparkprop",
        org.apache.logging.log4j.Level.toLevel(level.equals("WARN") ? "INFO" : level)); // our INFO lines (packing) unless quiet
    return s;
  }
}
