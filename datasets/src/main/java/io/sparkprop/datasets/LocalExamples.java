package io.sparkprop.datasets;

import io.sparkprop.trainer.data.Examples;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/** Distributing examples that already sit in the driver's memory. */
public final class LocalExamples {
  private LocalExamples() {}

  /** Splits {@code all} into {@code partitions} contiguous, nearly equal slices. */
  public static ExampleSet distribute(JavaSparkContext sc, Examples all, int partitions, String description) {
    if (partitions < 1) throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
    int[] sizes = new int[partitions];
    for (int p = 0; p < partitions; p++) {
      sizes[p] = (int) (((long) all.rows() * (p + 1)) / partitions - ((long) all.rows() * p) / partitions);
    }
    return distribute(sc, all, sizes, description);
  }

  /**
   * Splits {@code all} into contiguous slices of the given sizes, one partition each (sizes may be
   * 0; they must add up to the row count).
   */
  public static ExampleSet distribute(JavaSparkContext sc, Examples all, int[] sizes, String description) {
    long total = Arrays.stream(sizes).asLongStream().sum();
    if (total != all.rows()) {
      throw new IllegalArgumentException("slice sizes " + Arrays.toString(sizes) + " add up to " + total
          + ", not the " + all.rows() + " rows");
    }
    List<int[]> ranges = new ArrayList<>(sizes.length);
    int start = 0;
    for (int s : sizes) {
      if (s < 0) throw new IllegalArgumentException("negative slice size in " + Arrays.toString(sizes));
      ranges.add(new int[] {start, s});
      start += s;
    }
    // The rows travel once, in a broadcast; partitions hold only their bounds. (Putting the rows
    // in the partitions, as parallelize(rows) does, ships them again with every task that touches
    // an RDD derived from them: every training step.)
    Broadcast<Examples> rows = sc.broadcast(all);
    JavaRDD<Examples> blocks = Rdds.map(sc.parallelize(ranges, sizes.length), r -> slice(rows.value(), r[0], r[1]));
    return new ExampleSet(blocks, all.features(), all.targetWidth(), description);
  }

  /** Rows [start, start + n) of a block as a new block (arrays copied). */
  public static Examples slice(Examples all, int start, int n) {
    int d = all.features();
    int tw = all.targetWidth();
    float[] x = Arrays.copyOfRange(all.x(), start * d, (start + n) * d);
    float[] y = Arrays.copyOfRange(all.y(), start * tw, (start + n) * tw);
    float[] w = all.w() == null ? null : Arrays.copyOfRange(all.w(), start, start + n);
    return new Examples(0, n, d, tw, x, y, w);
  }
}
