package io.sparkprop.driver.job;

import io.sparkprop.driver.tuning.CompilerDirectives;
import io.sparkprop.driver.tuning.SparkDefaults;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark of one CLI run: a SparkContext, started at once, and a SparkSession on it, made only
 * when the run needs Spark SQL (reading parquet, orc or json, string class labels, writing
 * predictions). Building a SparkSession costs about 1 s in a fresh JVM (Scala reflection for
 * Catalyst's encoders, the SQL configuration and function registries) that IDX, CSV, LibSVM and
 * generated data never use.
 */
public final class Session implements AutoCloseable {
  /** The id of the last application this JVM started, for failure messages after the session stopped. */
  public static volatile String lastApplicationId;

  private final SparkContext sc;
  private SparkSession spark; // made by the first spark()

  private Session(SparkContext sc, SparkSession spark) {
    this.sc = sc;
    this.spark = spark;
  }

  /**
   * Spark on {@code master} (when given; under spark-submit the master comes from there, and
   * local[*] without either), with {@link SparkDefaults} where the user set nothing, Spark's
   * loggers at WARN and Sparkprop's INFO lines.
   */
  public static Session open(String master, String appName) {
    return open(master, appName, "WARN");
  }

  /** As {@link #open(String, String)}, with Spark's and Sparkprop's loggers at {@code level} (WARN, INFO, ERROR). */
  public static Session open(String master, String appName, String level) {
    SparkConf conf = new SparkConf(true).setAppName(appName); // the user's spark.* settings, as a session builder reads them
    conf.setMaster(master != null ? master : SparkDefaults.masterWithout(conf.contains("spark.master") ? conf.get("spark.master") : null));
    SparkDefaults.apply(conf, conf.get("spark.master"), conf::set);
    CompilerDirectives.installForLocal(conf.get("spark.master"));
    SparkContext sc = SparkContext.getOrCreate(conf);
    sc.setLogLevel(level);
    lastApplicationId = sc.applicationId();
    org.apache.logging.log4j.core.config.Configurator.setLevel("io.sparkprop",
        org.apache.logging.log4j.Level.toLevel(level.equals("WARN") ? "INFO" : level)); // our INFO lines (packing) unless quiet
    return new Session(sc, null);
  }

  /** A session whose SparkSession already exists (in-process callers that built their own). */
  public static Session of(SparkSession spark) {
    return new Session(spark.sparkContext(), spark);
  }

  /** The run's SparkContext. */
  public SparkContext sc() {
    return sc;
  }

  /** The run's SparkContext, as the Java API takes it. */
  public JavaSparkContext jsc() {
    return JavaSparkContext.fromSparkContext(sc);
  }

  /** The run's SparkSession, built on {@link #sc()} by the first call. */
  public synchronized SparkSession spark() {
    if (spark == null) spark = SparkSession.builder().getOrCreate(); // takes the active context: sc
    return spark;
  }

  /** Whether a SparkSession was built (tests: an IDX run must not build one). */
  public synchronized boolean hasSparkSession() {
    return spark != null;
  }

  /** Stops Spark (the session, if one was built, and the context). */
  @Override
  public synchronized void close() {
    if (spark != null) spark.stop();
    else sc.stop();
  }

}
