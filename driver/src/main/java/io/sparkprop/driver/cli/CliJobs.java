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

  /**
   * The Spark {@code sparkprop} opens: a SparkContext with one BLAS thread per task, no console
   * progress and direct task results up to 128 MB; a SparkSession only once something needs one.
   */
  public static Session session(String master, String appName) {
    return Session.open(master, appName);
  }

  /**
   * The compiler directives {@code sparkprop}'s {@code main} adds before anything else when the
   * master is local ({@link CompilerDirectives}), for in-process callers that start as the CLI does.
   */
  public static void compilerDirectives(String master) {
    CompilerDirectives.installForLocal(master);
  }

  /**
   * {@code sparkprop}'s session settings on another builder (see {@code Session.defaults}) with
   * {@code master}, for sessions the benchmarks build; a local master also gets the CLI's compiler
   * directives in this JVM ({@link CompilerDirectives}).
   */
  public static SparkSession.Builder withCliDefaults(SparkSession.Builder b, String master) {
    CompilerDirectives.installForLocal(master);
    return Session.defaults(b.master(master), master);
  }

  /** {@code sparkprop train}'s whole job, printing to {@code out}. */
  public static Model train(Session spark, JobConfig cfg, PrintStream out) {
    return TrainCommand.run(spark, cfg, out, false);
  }
}
