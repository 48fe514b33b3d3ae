package io.sparkprop.driver.data;

import io.sparkprop.datasets.ExampleSet;
import io.sparkprop.datasets.Rdds;
import io.sparkprop.datasets.SparkFailures;
import io.sparkprop.driver.failure.JobFailures;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.data.MappedExamples;
import io.sparkprop.trainer.data.RowSource;
import io.sparkprop.trainer.nn.NetworkSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.storage.StorageLevel;
import scala.reflect.ClassTag$;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Training examples packed one {@link Examples} block per partition, with stable ids: partition p
 * holds ids [firstId(p), firstId(p) + rows(p)), contiguous and in partition order, so that ids
 * run 0..N-1 over the data set. Cached at the given storage level; the per-step path touches only
 * these dense float arrays.
 *
 * <p>Packing runs two jobs: one concatenates each partition's blocks and counts its rows, one
 * assigns ids and validates every value against the network (so a bad row is reported with its
 * global id before any training starts).
 */
public final class PackedData {
  /**
   * Free space left on an executor's local disk when packed files are written there (the
   * command line's training.disk-reserve-mb default; the estimators use it as it is).
   */
  public static final long DEFAULT_DISK_RESERVE = 64L << 20;
  private static final Logger LOG = LoggerFactory.getLogger(PackedData.class);

  private final JavaRDD<Examples> rdd;
  private final RDD<RowSource> blocks;
  private final Placement placement;
  private final Runnable release;
  private final long rows;
  private final long[] firstIds;
  private final int features;
  private final int targetWidth;
  private final long bytes;
  private final long contentHash;

  private final int blocksPerPartition;

  private PackedData(JavaRDD<Examples> rdd, RDD<RowSource> blocks, Placement placement, Runnable release, long rows,
      long[] firstIds, int features, int targetWidth, long bytes, long contentHash, int blocksPerPartition) {
    this.blocksPerPartition = blocksPerPartition;
    this.contentHash = contentHash;
    this.rdd = rdd;
    this.blocks = blocks;
    this.placement = placement;
    this.release = release;
    this.rows = rows;
    this.firstIds = firstIds;
    this.features = features;
    this.targetWidth = targetWidth;
    this.bytes = bytes;
  }

  /**
   * Packs, validates against {@code network} and caches {@code set}.
   *
   * @throws IllegalArgumentException when the set is empty or a value breaks a rule (naming the
   *     example id, the column and the value)
   */
  public static PackedData pack(ExampleSet set, NetworkSpec network, StorageLevel level) {
    return pack(set, network, level, Placement.MEMORY);
  }

  /**
   * Packs, validates against {@code network} and caches {@code set} in memory (at {@code level})
   * or in files on the executors' local disks ({@link Placement#DISK}; {@code level} unused).
   *
   * @param placement MEMORY or DISK (AUTO is decided by {@link DataCheck#checkPlaced})
   * @throws IllegalArgumentException when the set is empty, a value breaks a rule (naming the
   *     example id, the column and the value) or a local disk is too small
   */
  public static PackedData pack(ExampleSet set, NetworkSpec network, StorageLevel level, Placement placement) {
    return pack(set, network, level, placement, DEFAULT_DISK_RESERVE);
  }

  /** As {@link #pack(ExampleSet, NetworkSpec, StorageLevel, Placement)}, leaving {@code diskReserve} bytes free on local disks. */
  public static PackedData pack(ExampleSet set, NetworkSpec network, StorageLevel level, Placement placement, long diskReserve) {
    return pack(set, network, level, placement, diskReserve, 1);
  }

  /**
   * As {@link #pack(ExampleSet, NetworkSpec, StorageLevel, Placement, long)}, grouping the
   * blocks {@code threadsPerTask} to a Spark partition (memory placement): the set's partitions
   * 0..P-1 become blocks, and partition g holds blocks [g T, g T + T), so that a step runs one task
   * per group whose T threads take one block each ({@link #blocksPerPartition()}). The rows and
   * their ids do not change. The file placement groups its files the same way in local mode
   * (every file is on the one executor) and keeps one block per partition on a cluster (a group's
   * files would have to be written on one executor).
   */
  public static PackedData pack(ExampleSet set, NetworkSpec network, StorageLevel level, Placement placement, long diskReserve,
      int threadsPerTask) {
    return pack(set, network, level, placement, diskReserve, threadsPerTask, null);
  }

  /**
   * As {@link #pack(ExampleSet, NetworkSpec, StorageLevel, Placement, long, int)}, with
   * {@code prepare} run by every packing task before it packs: training passes the loop's
   * preparation, which readies the executor's engine (BLAS, and the step's code for the run's spec)
   * on a background thread while the data loads, so that a fresh JVM's first steps run compiled.
   */
  public static PackedData pack(ExampleSet set, NetworkSpec network, StorageLevel level, Placement placement, long diskReserve,
      int threadsPerTask, ExecutorPreparation prepare) {
    if (threadsPerTask < 1) throw new IllegalArgumentException("threads per task must be >= 1, got " + threadsPerTask);
    try {
      checkShape(set, network);
      if (placement == Placement.AUTO) throw new IllegalArgumentException("decide the placement before packing");
      return placement == Placement.DISK ? packToFiles(set, network, diskReserve, threadsPerTask, prepare)
          : packUnchecked(set, network, level, threadsPerTask, prepare);
    } catch (Exception e) { // Spark's job failures are checked SparkExceptions thrown undeclared
      throw SparkFailures.unwrapArgumentError(e);
    }
  }

  private static void checkShape(ExampleSet set, NetworkSpec network) {
    int d = set.features();
    int tw = set.targetWidth();
    if (d != network.inputSize()) {
      throw new IllegalArgumentException(set.description() + " has " + d + " features but the network's input layer has "
          + network.inputSize() + "; set the first entry of model.layers to " + d);
    }
    if (!network.head().acceptsTargetWidth(tw, network.outputSize())) {
      throw new IllegalArgumentException(set.description() + " has targets of width " + tw + ", which do not fit the "
          + network.head().configName() + " output with " + network.outputSize() + " units");
    }
  }

  private static PackedData packUnchecked(ExampleSet set, NetworkSpec network, StorageLevel level, int threads, ExecutorPreparation warm) {
    int d = set.features();
    int tw = set.targetWidth();
    int t = Math.min(threads, set.blocks().getNumPartitions()); // blocks per task: one per source partition
    JavaRDD<Examples> concat = Rdds.mapPartitions(set.blocks(), true, (p, it) -> {
      if (warm != null) warm.prepare(t);
      return List.of(concat(it, d, tw)).iterator();
    });
    concat.persist(level);
    List<Integer> counts;
    try {
      counts = Rdds.collect(Rdds.map(concat, Examples::rows));
    } catch (Exception e) { // SparkException included
      JobFailures.cleanUpAfter(e, () -> concat.unpersist(false));
      throw e;
    }
    long[] first = new long[counts.size()];
    long total = 0;
    for (int p = 0; p < counts.size(); p++) {
      first[p] = total;
      total += counts.get(p);
    }
    if (total == 0) {
      concat.unpersist(false);
      throw new IllegalArgumentException(set.description() + " holds no examples; check the path and the filters");
    }
    final long[] ids = first;
    JavaRDD<Examples> grouped = t == 1 ? concat
        : JavaRDD.fromRDD(concat.rdd().coalesce((first.length + t - 1) / t, false,
            scala.Option.apply(new ContiguousCoalescer(t)), null), ClassTag$.MODULE$.apply(Examples.class));
    JavaRDD<Examples> packed = Rdds.mapPartitions(grouped, true, (g, it) -> {
      List<Examples> out = new ArrayList<>(t);
      for (int b = g * t; it.hasNext(); b++) { // block b of the set: one per source partition, in order
        Examples e = it.next();
        out.add(new Examples(ids[b], e.rows(), e.features(), e.targetWidth(), e.x(), e.y(), e.w()));
      }
      return out.iterator();
    });
    packed.persist(level);
    long bytes;
    long hash;
    try {
      // a broken rule comes back as the partition's result (no task fails, nothing is retried)
      List<scala.Tuple2<long[], String>> parts = Rdds.collect(Rdds.map(packed, e -> {
        try {
          e.validate(network.head(), network.inputSize(), network.outputSize());
          return new scala.Tuple2<long[], String>(new long[] {e.bytes(), e.contentHash()}, null);
        } catch (IllegalArgumentException bad) {
          return new scala.Tuple2<long[], String>(new long[2], bad.getMessage());
        }
      }));
      bytes = 0;
      hash = 0;
      for (scala.Tuple2<long[], String> p : parts) {
        if (p._2() != null) throw new IllegalArgumentException(set.description() + ": " + p._2());
        bytes += p._1()[0];
        hash += p._1()[1];
      }
    } catch (Exception e) {
      JobFailures.cleanUpAfter(e, () -> {
        packed.unpersist(false);
        concat.unpersist(false);
      });
      throw SparkFailures.unwrapArgumentError(e);
    }
    concat.unpersist(false);
    LOG.info("packed {}: {} examples x {} features in {} partitions, {} MB cached ({} bytes per example)",
        set.description(), total, d, first.length, String.format("%.1f", bytes / 1e6), bytes / total);
    CachedBlocksRDD blocks = new CachedBlocksRDD(packed.rdd());
    return new PackedData(packed, blocks, Placement.MEMORY, () -> {
      blocks.release();
      packed.unpersist(false);
    }, total, first, d, tw, bytes, hash, t);
  }

  /**
   * Threads per step task when not given: in local mode, where the driver's JVM is the one
   * executor, all blocks in one task (one thread per block); on a cluster {@code spark.task.cpus}
   * (one task per executor when it equals {@code spark.executor.cores}).
   */
  public static int autoThreadsPerTask(org.apache.spark.SparkContext sc) {
    return sc.isLocal() ? Integer.MAX_VALUE : Math.max(1, sc.getConf().getInt("spark.task.cpus", 1));
  }

  /** Rows per in-heap slice when a file is read in order (validation, reports, prediction). */
  static final int SLICE_ROWS = 4096;

  private static PackedData packToFiles(ExampleSet set, NetworkSpec network, long reserve, int threads, ExecutorPreparation warm) {
    int d = set.features();
    int tw = set.targetWidth();
    String key = "sparkprop-packed-" + java.util.UUID.randomUUID();
    // grouped only in local mode, where every file is on the one executor; on a cluster a group's
    // blocks were written wherever their packing tasks ran, so a task keeps one block
    int t = set.blocks().context().isLocal() ? Math.min(threads, set.blocks().getNumPartitions()) : 1;
    JavaRDD<PackedFile> handles = Rdds.mapPartitions(set.blocks(), true, (p, it) -> {
      if (warm != null) warm.prepare(t);
      return List.of(LocalPackedFiles.write(key, p, it, d, tw, reserve)).iterator();
    });
    handles.persist(StorageLevel.MEMORY_AND_DISK());
    Runnable delete = () -> {
      LocalFilesRDD.deleteFiles(handles.rdd(), key);
      handles.unpersist(false);
    };
    try {
      List<PackedFile> hs = Rdds.collect(handles);
      long[] first = new long[hs.size()];
      long total = 0;
      for (int p = 0; p < hs.size(); p++) {
        if (hs.get(p).problem() != null) throw new IllegalArgumentException(set.description() + ": " + hs.get(p).problem());
        first[p] = total;
        total += hs.get(p).rows();
      }
      if (total == 0) throw new IllegalArgumentException(set.description() + " holds no examples; check the path and the filters");
      LocalFilesRDD files = new LocalFilesRDD(handles.rdd(), first, t);
      Runnable release = () -> {
        files.release();
        delete.run();
      };
      JavaRDD<RowSource> rows = JavaRDD.fromRDD(files, ClassTag$.MODULE$.apply(RowSource.class));
      List<scala.Tuple2<long[], String>> parts;
      try {
        parts = Rdds.collect(Rdds.map(rows, rs -> {
          long[] sums = new long[2];
          try {
            for (Examples e : slices((MappedExamples) rs)) {
              e.validate(network.head(), network.inputSize(), network.outputSize());
              sums[1] += e.contentHash();
            }
            sums[0] = (long) rs.rows() * MappedExamples.recordBytes(rs.features(), rs.targetWidth());
            return new scala.Tuple2<long[], String>(sums, null);
          } catch (IllegalArgumentException bad) {
            return new scala.Tuple2<long[], String>(sums, bad.getMessage());
          }
        }));
      } catch (Exception e) { // SparkException included
        JobFailures.cleanUpAfter(e, files::release);
        throw e;
      }
      long bytes = 0;
      long hash = 0;
      for (scala.Tuple2<long[], String> p : parts) {
        if (p._2() != null) {
          files.release();
          throw new IllegalArgumentException(set.description() + ": " + p._2());
        }
        bytes += p._1()[0];
        hash += p._1()[1];
      }
      LOG.info("packed {}: {} examples x {} features in {} partitions, {} MB in files on the executors' local disks "
          + "({} bytes per example), memory-mapped", set.description(), total, d, first.length,
          String.format("%.1f", bytes / 1e6), bytes / total);
      JavaRDD<Examples> view = Rdds.flatMap(rows, rs -> slices((MappedExamples) rs).iterator());
      return new PackedData(view, files, Placement.DISK, release, total, first, d, tw, bytes, hash, t);
    } catch (Exception e) { // SparkException included: the files written so far go
      JobFailures.cleanUpAfter(e, delete);
      throw SparkFailures.unwrapArgumentError(e);
    }
  }

  /** A mapped file's rows in order, as in-heap slices of {@link #SLICE_ROWS} (made as iterated). */
  private static Iterable<Examples> slices(MappedExamples m) {
    return () -> new java.util.Iterator<Examples>() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < m.rows();
      }

      @Override
      public Examples next() {
        int n = Math.min(SLICE_ROWS, m.rows() - next);
        Examples e = m.slice(next, n);
        next += n;
        return e;
      }
    };
  }

  private static Examples concat(Iterator<Examples> it, int d, int tw) {
    List<Examples> parts = new ArrayList<>();
    long n = 0;
    boolean weighted = false;
    while (it.hasNext()) {
      Examples e = it.next();
      if (e.features() != d || e.targetWidth() != tw) {
        throw new IllegalArgumentException("a block has " + e.features() + " features and target width "
            + e.targetWidth() + ", expected " + d + " and " + tw);
      }
      parts.add(e);
      n += e.rows();
      weighted |= e.w() != null;
    }
    if (parts.size() == 1) return parts.get(0);
    if (n * Math.max(d, tw) > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a partition holds " + n + " rows of " + d
          + " features, more than one Java array takes; use more partitions (training.partitions)");
    }
    int rows = (int) n;
    float[] x = new float[rows * d];
    float[] y = new float[rows * tw];
    float[] w = weighted ? new float[rows] : null;
    int r = 0;
    for (Examples e : parts) {
      System.arraycopy(e.x(), 0, x, r * d, e.rows() * d);
      System.arraycopy(e.y(), 0, y, r * tw, e.rows() * tw);
      if (w != null) {
        if (e.w() == null) java.util.Arrays.fill(w, r, r + e.rows(), 1f);
        else System.arraycopy(e.w(), 0, w, r, e.rows());
      }
      r += e.rows();
    }
    return new Examples(0, rows, d, tw, x, y, w);
  }

  /**
   * The packed examples as in-heap blocks, for passes over every row (reports, prediction):
   * with {@link Placement#MEMORY} the cached blocks (one per partition, with their full lineage),
   * with {@link Placement#DISK} slices of the files read in order.
   */
  public JavaRDD<Examples> rdd() { return rdd; }

  /** Where the rows live on the executors. */
  public Placement placement() { return placement; }

  /**
   * The rows for per-step jobs, one {@link RowSource} per partition: an RDD without parents that
   * reads the cached blocks ({@link CachedBlocksRDD}) or maps the local files
   * ({@link LocalFilesRDD}) and recomputes a lost one from the broadcast lineage, so a step's
   * task binary does not carry the sources' lineage.
   */
  public RDD<RowSource> blocks() { return blocks; }
  public long rows() { return rows; }
  /** Spark partitions of the packed data: one task each per step. */
  public int partitions() { return (firstIds.length + blocksPerPartition - 1) / blocksPerPartition; }
  /** Blocks (the set's partitions, contiguous id ranges); a partition holds up to {@link #blocksPerPartition()}. */
  public int blockCount() { return firstIds.length; }
  /** Blocks per Spark partition: the threads a step's task runs. */
  public int blocksPerPartition() { return blocksPerPartition; }
  public int features() { return features; }
  public int targetWidth() { return targetWidth; }
  /** Bytes of the packed arrays (about 4 x (features + targets) x rows), or of the files on disk. */
  public long bytes() { return bytes; }

  /** Rows, shape and content hash: what checkpoints and registry records compare. */
  public DataFingerprint fingerprint() {
    return new DataFingerprint(rows, features, targetWidth, contentHash);
  }

  /** First example id of block p. */
  public long firstId(int p) {
    return firstIds[p];
  }

  /** Drops the cached blocks, or deletes the local files (and their cached handles). */
  public void unpersist() {
    release.run();
  }
}
