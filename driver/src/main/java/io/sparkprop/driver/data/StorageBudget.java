package io.sparkprop.driver.data;

import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.nn.NetworkSpec;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;

/**
 * What the executors can hold, as the driver sees it when the data is loaded: storage memory per
 * executor (the block managers' maximum, which Spark derives from the heap:
 * {@code (heap - 300 MB) x spark.memory.fraction}), the executor count and the cores (task
 * slots) per executor. Before executors have registered (a cluster still starting) it is
 * estimated from {@code spark.executor.memory}, {@code spark.executor.instances} and
 * {@code spark.executor.cores}.
 *
 * <p>{@link Placement#AUTO} keeps the packed data in memory when it takes at most
 * {@link #FRACTION} of the total: the check's cached blocks and the packed copy coexist while
 * packing, and the rest of the pool is the executors' working room.
 */
public record StorageBudget(long storagePerExecutor, long heapPerExecutor, int executors, int coresPerExecutor,
    boolean estimated) {
  /** Share of the executors' storage memory the packed data may take and stay in memory. */
  public static final double FRACTION = 0.5;
  private static final long RESERVED = 300L << 20;

  public static StorageBudget of(SparkContext sc) {
    SparkConf conf = sc.getConf();
    boolean local = sc.isLocal();
    String driver = sc.env().blockManager().blockManagerId().hostPort();
    scala.collection.Iterator<scala.Tuple2<String, scala.Tuple2<Object, Object>>> it = sc.getExecutorMemoryStatus().iterator();
    long min = Long.MAX_VALUE;
    int n = 0;
    while (it.hasNext()) {
      scala.Tuple2<String, scala.Tuple2<Object, Object>> e = it.next();
      if (!local && e._1().equals(driver)) continue;
      min = Math.min(min, (Long) e._2()._1());
      n++;
    }
    double memFraction = conf.getDouble("spark.memory.fraction", 0.6);
    long heap = local ? Runtime.getRuntime().maxMemory() : conf.getSizeAsBytes("spark.executor.memory", "1g");
    int cores;
    if (local) {
      cores = Math.max(1, sc.defaultParallelism());
    } else {
      int execs = n > 0 ? n : conf.getInt("spark.executor.instances", 2);
      cores = conf.getInt("spark.executor.cores", Math.max(1, sc.defaultParallelism() / Math.max(1, execs)));
    }
    if (n > 0) return new StorageBudget(min, heap, n, cores, false);
    long storage = (long) (Math.max(0, heap - RESERVED) * memFraction);
    return new StorageBudget(storage, heap, Math.max(1, conf.getInt("spark.executor.instances", 2)), cores, true);
  }

  /**
   * This budget with {@code bytes} of each executor's storage memory taken by something else
   * than cached data: the gradient slices of executor-side reduction, which live in the same
   * block managers and would otherwise evict training blocks.
   */
  public StorageBudget reserving(long bytes) {
    return new StorageBudget(Math.max(0, storagePerExecutor - bytes), heapPerExecutor, executors, coresPerExecutor, estimated);
  }

  /**
   * Storage memory each executor's gradient slices take when {@code partitions} partitions of
   * {@code params} parameters are reduced on {@code executors} executors: the slices of every
   * partition it computes (a whole gradient each, cut into slices), serialized float32.
   */
  public static long sliceBytesPerExecutor(int partitions, int executors, long params) {
    long perExecutor = (partitions + Math.max(1, executors) - 1) / Math.max(1, executors);
    return perExecutor * 4L * params;
  }

  public long total() {
    return storagePerExecutor * executors;
  }

  /** Whether {@code bytes} of packed data stay in memory under {@link Placement#AUTO}. */
  public boolean fits(long bytes) {
    return bytes <= FRACTION * total();
  }

  /** A partition larger than this cannot stay in memory (its executor runs other tasks too). */
  public long perPartition() {
    return (long) (FRACTION * storagePerExecutor / Math.max(1, coresPerExecutor));
  }

  public String describe() {
    return String.format("%d executor(s) x %.0f MB storage memory%s", executors, storagePerExecutor / 1e6,
        estimated ? " (estimated from spark.executor.memory: no executor had registered)" : "");
  }

  /**
   * Heap one training task needs, whatever the placement: the gathered block and its activations
   * and deltas (block rows x widths), the batch's member indices, one gradient; plus the
   * parameters, decoded once per executor.
   */
  static long taskBytes(TrainingSpec spec) {
    NetworkSpec n = spec.network();
    long widths = 0;
    for (int l = 0; l <= n.layers(); l++) widths += n.size(l);
    long block = (long) spec.blockRows() * (2 * widths + 2L * n.maxWidth() + n.outputSize() + 2);
    return 4L * (block + spec.batchSize() + n.paramCount());
  }

  /**
   * Refuses, before the first step, a step that cannot fit an executor's heap: what its tasks
   * need at once must stay under half of the heap Spark leaves to user code.
   *
   * @throws IllegalArgumentException naming the sizes and what to change
   */
  public void checkStepFits(TrainingSpec spec) {
    long perTask = taskBytes(spec);
    long need = perTask * coresPerExecutor + 4L * spec.network().paramCount();
    long room = (heapPerExecutor - RESERVED) / 2;
    if (need > room) {
      throw new IllegalArgumentException(String.format("a training step needs %.0f MB on each executor (%d task(s) x %.0f MB: "
          + "%d block rows through layers %s, %d parameters) but an executor's heap of %.0f MB leaves %.0f MB for it; "
          + "lower training.block-rows or training.batch-size, use fewer cores per executor, or raise spark.executor.memory "
          + "(the driver's --driver-memory in local mode)",
          need / 1e6, coresPerExecutor, perTask / 1e6, spec.blockRows(), java.util.Arrays.toString(spec.network().sizes()),
          spec.network().paramCount(), heapPerExecutor / 1e6, room / 1e6));
    }
  }
}
