package io.sparkprop.driver;

import io.sparkprop.datasets.ExampleSet;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.NetworkSpec;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The validation pass that turns bad data into a result instead of a crash. Every task reads its
 * partition (the readers apply their rules: file and line, value, rule) and checks every value
 * against the network (feature count, label range, finite values); a rule broken is caught in the
 * task and returned as the partition's problem, so no task fails, Spark logs no task error and
 * retries nothing, and the driver reports the first problems in partition order as one
 * {@link IllegalArgumentException} (the CLI's exit code 2). Only failures that are not about the
 * data (an executor lost, out of memory) fail the task as usual.
 *
 * <p>The checked blocks are cached, so scaling and packing read them without parsing again;
 * {@link #release} drops them once the packed copy exists.
 */
public final class DataCheck {
  /** Problems quoted in the message; the rest are counted. */
  static final int QUOTED = 3;

  private DataCheck() {}

  /**
   * Checks {@code set} against {@code network}; returns it with its blocks cached.
   *
   * @param role "training", "validation", "test": named in the message
   * @throws IllegalArgumentException naming the first problems and how many partitions have one,
   *     or that the set is empty (after dropped rows, if any)
   */
  public static ExampleSet check(ExampleSet set, NetworkSpec network, String role) {
    int d = set.features();
    if (d != network.inputSize()) {
      throw new IllegalArgumentException(set.description() + " has " + d + " features but the network's input layer has "
          + network.inputSize() + "; set the first entry of model.layers to " + d);
    }
    if (!network.head().acceptsTargetWidth(set.targetWidth(), network.outputSize())) {
      throw new IllegalArgumentException(set.description() + " has targets of width " + set.targetWidth()
          + ", which do not fit the " + network.head().configName() + " output with " + network.outputSize() + " units");
    }
    // the check's output is what gets cached: were the raw blocks cached instead, a reader's error
    // would be thrown inside Spark's caching code, before this task could catch it
    JavaRDD<Checked> checked = set.blocks().mapPartitions(it -> {
      List<Examples> blocks = new ArrayList<>();
      long rows = 0;
      try {
        while (it.hasNext()) {
          Examples e = it.next();
          e.validate(network.head(), network.inputSize(), network.outputSize());
          blocks.add(e);
          rows += e.rows();
        }
        return List.of(new Checked(blocks, rows, null)).iterator();
      } catch (RuntimeException ex) {
        IllegalArgumentException bad = argumentError(ex);
        if (bad == null) throw ex; // not about the data: fail the task as Spark would
        return List.of(new Checked(List.of(), rows, bad.getMessage())).iterator();
      }
    }, true).persist(StorageLevel.MEMORY_AND_DISK());
    List<Tuple2<Long, String>> parts;
    try {
      parts = checked.map(c -> new Tuple2<Long, String>(c.rows, c.problem)).collect();
    } catch (RuntimeException e) {
      checked.unpersist(false);
      throw e;
    }
    JavaRDD<Examples> blocks = checked.flatMap(c -> c.blocks.iterator());
    List<String> problems = new ArrayList<>();
    long rows = 0;
    for (Tuple2<Long, String> p : parts) {
      rows += p._1();
      if (p._2() != null) problems.add(p._2());
    }
    if (!problems.isEmpty()) {
      checked.unpersist(false);
      StringBuilder m = new StringBuilder(problems.get(0));
      for (int i = 1; i < Math.min(QUOTED, problems.size()); i++) m.append("; also ").append(problems.get(i));
      if (problems.size() > 1) {
        m.append(" (").append(problems.size()).append(" of ").append(parts.size()).append(" partitions of the ").append(role)
            .append(" data have a bad row; each reports its first)");
      }
      if (set.dropped() != null) m.append(". Fix the data, or set data.bad-rows = drop to skip such rows");
      throw new IllegalArgumentException(m.toString());
    }
    if (rows == 0) {
      checked.unpersist(false);
      long dropped = set.droppedRows();
      throw new IllegalArgumentException(set.description() + " holds no " + role + " examples"
          + (dropped > 0 ? " after dropping " + dropped + " bad rows (data.bad-rows = drop): every row broke a rule"
              : ": check the path, the file's contents and the filters"));
    }
    CACHED.put(blocks.id(), checked);
    return set.withBlocks(blocks, set.description());
  }

  /** A partition after the check: its blocks, or the first problem found in it. */
  static final class Checked implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final List<Examples> blocks;
    final long rows;
    final String problem;

    Checked(List<Examples> blocks, long rows, String problem) {
      this.blocks = blocks;
      this.rows = rows;
      this.problem = problem;
    }
  }

  /** The cached check output behind each checked set's blocks, by the blocks' RDD id. */
  private static final java.util.Map<Integer, JavaRDD<Checked>> CACHED = new java.util.concurrent.ConcurrentHashMap<>();

  /** Drops the cached blocks of a checked set (once its packed copy is cached). */
  public static void release(ExampleSet checked) {
    if (checked == null) return;
    JavaRDD<Checked> c = CACHED.remove(checked.blocks().id());
    if (c != null) c.unpersist(false);
  }

  /** The data error in an exception's cause chain (a reader's BadRowException, a UDF's wrapped one), or null. */
  static IllegalArgumentException argumentError(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof IllegalArgumentException) return (IllegalArgumentException) c;
    }
    return null;
  }
}
