package io.sparkprop.driver.tuning;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** The Spark settings Sparkprop gives a session where the user set none, and what a master string says about where tasks run. */
public final class SparkDefaults {
  /** {@code spark.broadcast.blockSize} for a local master: below half of G1's smallest region (1 MB). */
  public static final String LOCAL_BROADCAST_PIECE = "256k";
  /** The HDFS client's first wait before asking again whether a closed file is complete (400 ms by default). */
  public static final String HDFS_CLOSE_RETRY = "dfs.client.block.write.locateFollowingBlock.initial.delay.ms";

  private SparkDefaults() {}

  /**
   * Whether {@code master} runs the tasks in the driver's JVM: {@code local}, {@code local[N]},
   * {@code local[N,F]}, {@code local[*]} (not {@code local-cluster}, whose executors are JVMs of their own).
   */
  public static boolean tasksInThisJvm(String master) {
    return master != null && (master.equals("local") || master.startsWith("local["));
  }

  /** The master when the command line names none: {@code sparkMaster} (spark-submit's {@code spark.master}), else local[*]. */
  public static String masterWithout(String sparkMaster) {
    return sparkMaster != null ? sparkMaster : "local[*]";
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
  public static SparkSession.Builder apply(SparkSession.Builder b, String master) {
    apply(new SparkConf(true), master, b::config);
    return b;
  }

  /** The settings of {@link #apply(SparkSession.Builder, String)} that {@code user} (the user's Spark settings) lacks, given to {@code set}. */
  public static void apply(SparkConf user, String master, java.util.function.BiConsumer<String, String> set) {
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
