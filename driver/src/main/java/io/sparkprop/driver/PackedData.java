package io.sparkprop.driver;

import io.sparkprop.datasets.ExampleSet;
import io.sparkprop.datasets.SparkFailures;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.NetworkSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;
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
  private static final Logger LOG = LoggerFactory.getLogger(PackedData.class);

  private final JavaRDD<Examples> rdd;
  private final CachedBlocksRDD blocks;
  private final long rows;
  private final long[] firstIds;
  private final int features;
  private final int targetWidth;
  private final long bytes;
  private final long contentHash;

  private PackedData(JavaRDD<Examples> rdd, long rows, long[] firstIds, int features, int targetWidth, long bytes,
      long contentHash) {
    this.contentHash = contentHash;
    this.rdd = rdd;
    this.blocks = new CachedBlocksRDD(rdd.rdd());
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
    try {
      return packUnchecked(set, network, level);
    } catch (Exception e) { // Spark's job failures are checked SparkExceptions thrown undeclared
      throw SparkFailures.unwrapArgumentError(e);
    }
  }

  private static PackedData packUnchecked(ExampleSet set, NetworkSpec network, StorageLevel level) {
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
    JavaRDD<Examples> concat = set.blocks().mapPartitions(it -> List.of(concat(it, d, tw)).iterator(), true);
    concat.persist(level);
    List<Integer> counts;
    try {
      counts = concat.map(Examples::rows).collect();
    } catch (RuntimeException e) {
      concat.unpersist(false);
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
    JavaRDD<Examples> packed = concat.mapPartitionsWithIndex((p, it) -> {
      Examples e = it.next();
      return List.of(new Examples(ids[p], e.rows(), e.features(), e.targetWidth(), e.x(), e.y(), e.w())).iterator();
    }, true);
    packed.persist(level);
    long bytes;
    long hash;
    try {
      // a broken rule comes back as the partition's result (no task fails, nothing is retried)
      List<scala.Tuple2<long[], String>> parts = packed.map(e -> {
        try {
          e.validate(network.head(), network.inputSize(), network.outputSize());
          return new scala.Tuple2<long[], String>(new long[] {e.bytes(), e.contentHash()}, null);
        } catch (IllegalArgumentException bad) {
          return new scala.Tuple2<long[], String>(new long[2], bad.getMessage());
        }
      }).collect();
      bytes = 0;
      hash = 0;
      for (scala.Tuple2<long[], String> p : parts) {
        if (p._2() != null) throw new IllegalArgumentException(set.description() + ": " + p._2());
        bytes += p._1()[0];
        hash += p._1()[1];
      }
    } catch (Exception e) {
      packed.unpersist(false);
      concat.unpersist(false);
      throw SparkFailures.unwrapArgumentError(e);
    }
    concat.unpersist(false);
    LOG.info("packed {}: {} examples x {} features in {} partitions, {} MB cached ({} bytes per example)",
        set.description(), total, d, first.length, String.format("%.1f", bytes / 1e6), bytes / total);
    return new PackedData(packed, total, first, d, tw, bytes, hash);
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

  /** The cached packed RDD (with its full lineage). */
  public JavaRDD<Examples> rdd() { return rdd; }

  /**
   * The same blocks for per-step jobs: an RDD without parents that reads the cached blocks and
   * recomputes a lost one from the broadcast lineage ({@link CachedBlocksRDD}), so a step's
   * task binary does not carry the sources' lineage.
   */
  public org.apache.spark.rdd.RDD<Examples> blocks() { return blocks; }
  public long rows() { return rows; }
  public int partitions() { return firstIds.length; }
  public int features() { return features; }
  public int targetWidth() { return targetWidth; }
  /** Bytes of the packed arrays (about 4 x (features + targets) x rows). */
  public long bytes() { return bytes; }

  /** Rows, shape and content hash: what checkpoints and registry records compare. */
  public DataFingerprint fingerprint() {
    return new DataFingerprint(rows, features, targetWidth, contentHash);
  }

  /** First example id of partition p. */
  public long firstId(int p) {
    return firstIds[p];
  }

  public void unpersist() {
    blocks.release();
    rdd.unpersist(false);
  }
}
