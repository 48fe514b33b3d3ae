package io.sparkprop.driver.data;

import io.sparkprop.datasets.ExampleSet;
import io.sparkprop.datasets.Rdds;
import io.sparkprop.driver.failure.JobFailures;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.NetworkSpec;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
  private static final Logger LOG = LoggerFactory.getLogger(DataCheck.class);

  private DataCheck() {}

  /**
   * Checks {@code set} against {@code network}; returns it with its blocks cached.
   *
   * @param role "training", "validation", "test": named in the message
   * @throws IllegalArgumentException naming the first problems and how many partitions have one,
   *     or that the set is empty (after dropped rows, if any)
   */
  public static ExampleSet check(ExampleSet set, NetworkSpec network, String role) {
    return checkPlaced(set, network, role, Placement.MEMORY, null).set();
  }

  /** A checked set and where its packed copy goes: MEMORY (its blocks are cached) or DISK (they are not). */
  public record Placed(ExampleSet set, Placement placement) {}

  /**
   * As {@link #check}, deciding where the packed data goes. MEMORY caches the checked blocks as
   * {@link #check} does. DISK caches nothing: the pass only validates and counts, and the set
   * comes back with its source blocks, so packing reads the source again, one block at a time.
   * AUTO caches a partition's blocks until they pass {@link StorageBudget#perPartition()}, and
   * keeps them (MEMORY) when no partition did and the whole fits {@link StorageBudget#fits};
   * otherwise it drops them (DISK). The decision is logged with the sizes.
   *
   * @param budget the executors' memory (unused for MEMORY and DISK; may then be null)
   */
  public static Placed checkPlaced(ExampleSet set, NetworkSpec network, String role, Placement placement,
      StorageBudget budget) {
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
    long keep = switch (placement) {
      case MEMORY -> Long.MAX_VALUE;
      case DISK -> -1;
      case AUTO -> budget.perPartition();
    };
    JavaRDD<Checked> checked = Rdds.mapPartitions(set.blocks(), true, (p, it) -> {
      List<Examples> blocks = new ArrayList<>();
      long rows = 0;
      long bytes = 0;
      boolean overflow = keep < 0;
      try {
        while (it.hasNext()) {
          Examples e = it.next();
          e.validate(network.head(), network.inputSize(), network.outputSize());
          rows += e.rows();
          bytes += e.bytes();
          if (!overflow) {
            blocks.add(e);
            if (bytes > keep) { // this partition would not stay in memory: stop holding its rows
              overflow = true;
              blocks = null;
            }
          }
        }
        return List.of(new Checked(blocks, rows, bytes, null)).iterator();
      } catch (RuntimeException ex) {
        IllegalArgumentException bad = argumentError(ex);
        if (bad == null) throw ex; // not about the data: fail the task as Spark would
        return List.of(new Checked(List.of(), rows, bytes, bad.getMessage())).iterator();
      }
    }).persist(StorageLevel.MEMORY_AND_DISK());
    List<Checked> parts;
    try {
      parts = Rdds.collect(Rdds.map(checked, c -> new Checked(c.blocks == null ? null : List.of(), c.rows, c.bytes, c.problem)));
    } catch (Exception e) { // SparkException included
      JobFailures.cleanUpAfter(e, () -> checked.unpersist(false));
      throw e;
    }
    List<String> problems = new ArrayList<>();
    long rows = 0;
    long bytes = 0;
    boolean overflow = false;
    for (Checked p : parts) {
      rows += p.rows;
      bytes += p.bytes;
      overflow |= p.blocks == null;
      if (p.problem != null) problems.add(p.problem);
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
    Placement chosen = placement;
    if (placement == Placement.AUTO) {
      chosen = !overflow && budget.fits(bytes) ? Placement.MEMORY : Placement.DISK;
      LOG.info("{} data: {} MB packed, {}; placement {}: {}", role, String.format("%.0f", bytes / 1e6), budget.describe(),
          chosen.configName(), chosen == Placement.MEMORY
              ? String.format("at most %.0f%% of the storage memory", 100 * StorageBudget.FRACTION)
              : overflow ? String.format("a partition holds more than %.0f MB (%.0f%% of an executor's storage over its %d cores); "
                  + "files on the executors' local disks", budget.perPartition() / 1e6, 100 * StorageBudget.FRACTION,
                  budget.coresPerExecutor())
              : String.format("more than %.0f%% of the storage memory; files on the executors' local disks",
                  100 * StorageBudget.FRACTION));
    }
    if (chosen == Placement.DISK) {
      checked.unpersist(false);
      return new Placed(set, Placement.DISK);
    }
    JavaRDD<Examples> blocks = Rdds.flatMap(checked, c -> c.blocks.iterator());
    CACHED.put(blocks.id(), checked);
    return new Placed(set.withBlocks(blocks, set.description()), Placement.MEMORY);
  }

  /** A partition after the check: its blocks, or the first problem found in it. */
  static final class Checked implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final List<Examples> blocks; // null: not kept (the partition goes to disk)
    final long rows;
    final long bytes;
    final String problem;

    Checked(List<Examples> blocks, long rows, long bytes, String problem) {
      this.blocks = blocks;
      this.rows = rows;
      this.bytes = bytes;
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
