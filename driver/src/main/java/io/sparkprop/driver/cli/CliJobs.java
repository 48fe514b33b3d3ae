package io.sparkprop.driver.cli;

import io.sparkprop.driver.config.JobConfig;
import io.sparkprop.driver.model.Model;
import java.io.PrintStream;
import org.apache.spark.sql.SparkSession;

/**
 * The CLI's own session and training job for in-process callers (the real-path benchmark), so
 * that what they measure is exactly what {@code sparkprop train} runs.
 */
public final class CliJobs {
  private CliJobs() {}

  /** The session {@code sparkprop} opens (one BLAS thread per task, no console progress, direct task results up to 128 MB). */
  public static SparkSession session(String master, String appName) {
    return Sessions.open(master, appName);
  }

  /** {@code sparkprop}'s session settings on another builder (see {@code Sessions.defaults}), for sessions the benchmarks build. */
  public static SparkSession.Builder withCliDefaults(SparkSession.Builder b) {
    return Sessions.defaults(b);
  }

  /** {@code sparkprop train}'s whole job, printing to {@code out}. */
  public static Model train(SparkSession spark, JobConfig cfg, PrintStream out) {
    return TrainCommand.run(spark, cfg, out, false);
  }
}
