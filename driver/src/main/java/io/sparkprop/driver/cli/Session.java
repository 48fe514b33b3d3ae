package io.sparkprop.driver.cli;

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
  /** {@code spark.broadcast.blockSize} for a local master: below half of G1's smallest region (1 MB). */
  static final String LOCAL_BROADCAST_PIECE = "256k";
  /** The id of the last application this JVM started, for failure messages after the session stopped. */
  static volatile String lastApplicationId;
  /** The HDFS client's first wait before asking again whether a closed file is complete (400 ms by default). */
  static final String HDFS_CLOSE_RETRY = "dfs.client.block.write.locateFollowingBlock.initial.delay.ms";

  private final SparkContext sc;
  private SparkSession spark; // made by the first spark()

  private Session(SparkContext sc, SparkSession spark) {
    this.sc = sc;
    this.spark = spark;
  }

  /**
   * Spark on {@code master} (when given; under spark-submit the master comes from there, and
   * local[*] without either), with {@link #defaults} where the user set nothing, Spark's
   * loggers at WARN and Sparkprop's INFO lines.
   */
  static Session open(String master, String appName) {
    return open(master, appName, "WARN");
  }

  /** As {@link #open(String, String)}, with Spark's and Sparkprop's loggers at {@code level} (WARN, INFO, ERROR). */
  static Session open(String master, String appName, String level) {
    SparkConf conf = new SparkConf(true).setAppName(appName); // the user's spark.* settings, as a session builder reads them
    conf.setMaster(master != null ? master : masterWithout(conf.contains("spark.master") ? conf.get("spark.master") : null));
    defaults(conf, conf.get("spark.master"), conf::set);
    CompilerDirectives.installForLocal(conf.get("spark.master"));
    SparkContext sc = SparkContext.getOrCreate(conf);
    sc.setLogLevel(level);
    lastApplicationId = sc.applicationId();
    org.apache.logging.log4j.core.config.Configurator.setLevel("io.sparkprop",
        org.apache.logging.log4j.Level.toLevel(level.equals("WARN") ? "INFO" : level)); // our INFO lines (packing) unless quiet
    return new Session(sc, null);
  }

  /**
   * Whether {@code master} runs the tasks in the driver's JVM: {@code local}, {@code local[N]},
   * {@code local[N,F]}, {@code local[*]} (not {@code local-cluster}, whose executors are JVMs of their own).
   */
  static boolean tasksInThisJvm(String master) {
    return master != null && (master.equals("local") || master.startsWith("local["));
  }

  /** The master when the command line names none: {@code sparkMaster} (spark-submit's {@code spark.master}), else local[*]. */
  static String masterWithout(String sparkMaster) {
    return sparkMaster != null ? sparkMaster : "local[*]";
  }

  /** A session whose SparkSession already exists (in-process callers that built their own). */
  static Session of(SparkSession spark) {
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
  synchronized boolean hasSparkSession() {
    return spark != null;
  }

  /** Stops Spark (the session, if one was built, and the context). */
  @Override
  public synchronized void close() {
    if (spark != null) spark.stop();
    else sc.stop();
  }

  /**
   * Sparkprop's settings on a session builder for {@code master}, each only where the user
   * (spark-submit --conf, spark-defaults.conf, -Dspark.*) did not set it: one BLAS thread per
   * executor task, no console progress bar, and task results up to 128 MB returned directly. A
   * step's or a chunk of steps' result (the gradient, or the parameters and optimizer state) is
   * above Spark's 1 MB default for networks of a few hundred thousand parameters, which would send
   * it through the block manager instead: stored by the executor, then fetched by the driver (over
   * loopback even in local mode), a second round trip per job. Spark
   * caps the value at {@code spark.rpc.message.maxSize} (128 MB by default); larger results still
   * take the block manager.
   *
   * <p>A local master also gets broadcast pieces of 256 KB ({@code spark.broadcast.blockSize},
   * 4 MB by default). Spark allocates a whole piece for every broadcast however small, and every
   * job broadcasts its task binary besides the state Sparkprop broadcasts. A 4 MB array is a
   * humongous object for the G1 collector (half a region or more: regions are 1 MB below a 4 GB
   * heap, 2 MB from 4 to 8 GB), allocated outside the young generation, and each humongous
   * allocation may start a collection ("G1 Humongous Allocation") during training; 256 KB pieces
   * are ordinary young objects (docs/benchmarks.md has the measurements). In local mode the
   * executors read a broadcast from the driver's own memory, so the piece size costs nothing; on a
   * cluster it sets how many pieces every executor fetches each step, so it stays Spark's there.
   */
  static SparkSession.Builder defaults(SparkSession.Builder b, String master) {
    defaults(new SparkConf(true), master, b::config);
    return b;
  }

  /** The settings of {@link #defaults(SparkSession.Builder, String)} that {@code user} (the user's Spark settings) lacks, given to {@code set}. */
  static void defaults(SparkConf user, String master, java.util.function.BiConsumer<String, String> set) {
    java.util.Map<String, String> ours = new java.util.LinkedHashMap<>();
    ours.put("spark.executorEnv.OPENBLAS_NUM_THREADS", "1");
    ours.put("spark.ui.showConsoleProgress", "false");
    ours.put("spark.task.maxDirectResultSize", "128m");
    if (tasksInThisJvm(master)) ours.put("spark.broadcast.blockSize", LOCAL_BROADCAST_PIECE);
    // closing an HDFS file, the client asks the namenode to complete it and, when the datanode's
    // report of the last block has not arrived yet (usual right after the write), sleeps 400 ms
    // before asking again: most of a small checkpoint's or registry version's write time
    ours.put("spark.hadoop." + HDFS_CLOSE_RETRY, "20");
    ours.forEach((k, v) -> {
      if (!user.contains(k)) set.accept(k, v);
    });
  }
}
