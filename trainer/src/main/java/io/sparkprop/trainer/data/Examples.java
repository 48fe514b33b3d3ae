package io.sparkprop.trainer.data;

import io.sparkprop.trainer.nn.Head;
import java.io.Serializable;
import java.util.Objects;

/**
 * A packed block of training examples with stable ids {@code firstId .. firstId + rows - 1}.
 *
 * <p>Features are one row-major {@code rows x features} float32 matrix, targets one
 * {@code rows x targetWidth} matrix (see {@link Head} for what a target row means), and example
 * weights an optional {@code rows} vector. This is the executor-side representation of one Spark
 * partition and the local trainer's whole data set; the arrays are shared, not copied, and must
 * not be modified after construction.
 */
public final class Examples implements Serializable, RowSource {
  private static final long serialVersionUID = 1L;

  private final long firstId;
  private final int rows;
  private final int features;
  private final int targetWidth;
  private final float[] x;
  private final float[] y;
  private final float[] w;

  /**
   * Wraps packed arrays after checking their lengths (not their values: see {@link #validate}).
   *
   * @param w example weights, or null for all ones
   */
  public Examples(long firstId, int rows, int features, int targetWidth, float[] x, float[] y, float[] w) {
    Objects.requireNonNull(x, "features");
    Objects.requireNonNull(y, "targets");
    if (firstId < 0) throw new IllegalArgumentException("first example id must be >= 0, got " + firstId);
    if (rows < 0) throw new IllegalArgumentException("rows must be >= 0, got " + rows);
    if (features < 1) throw new IllegalArgumentException("feature count must be >= 1, got " + features);
    if (targetWidth < 1) throw new IllegalArgumentException("target width must be >= 1, got " + targetWidth);
    if (x.length != (long) rows * features) {
      throw new IllegalArgumentException("feature array has " + x.length + " floats, expected rows x features = "
          + rows + " x " + features);
    }
    if (y.length != (long) rows * targetWidth) {
      throw new IllegalArgumentException("target array has " + y.length + " floats, expected rows x targetWidth = "
          + rows + " x " + targetWidth);
    }
    if (w != null && w.length != rows) {
      throw new IllegalArgumentException("weight array has " + w.length + " values for " + rows + " rows");
    }
    this.firstId = firstId;
    this.rows = rows;
    this.features = features;
    this.targetWidth = targetWidth;
    this.x = x;
    this.y = y;
    this.w = w;
  }

  /** An empty block (a partition with no rows). */
  public static Examples empty(long firstId, int features, int targetWidth) {
    return new Examples(firstId, 0, features, targetWidth, new float[0], new float[0], null);
  }

  @Override
  public long firstId() { return firstId; }
  @Override
  public int rows() { return rows; }
  @Override
  public int features() { return features; }
  @Override
  public int targetWidth() { return targetWidth; }
  /** Row-major features; shared, do not modify. */
  public float[] x() { return x; }
  /** Row-major targets; shared, do not modify. */
  public float[] y() { return y; }
  /** Example weights, or null. */
  public float[] w() { return w; }

  @Override
  public boolean weighted() { return w != null; }

  @Override
  public void gather(int[] idx, int start, int m, float[] xOut, float[] yOut, float[] wOut) {
    for (int r = 0; r < m; r++) {
      int src = idx[start + r];
      System.arraycopy(x, src * features, xOut, r * features, features);
      System.arraycopy(y, src * targetWidth, yOut, r * targetWidth, targetWidth);
      if (w != null) wOut[r] = w[src];
    }
  }

  /**
   * A cheap content hash (one multiply per value): the sum (mod 2^64) over rows of a 64-bit
   * mix of the row's feature, target and weight bits. A sum does not depend on the order of rows, so the same data gives
   * the same hash however it is partitioned; sums of blocks add.
   */
  public long contentHash() {
    long total = 0;
    for (int r = 0; r < rows; r++) {
      long h = 1;
      for (int i = r * features, end = i + features; i < end; i++) h = (h + Float.floatToIntBits(x[i])) * GOLDEN;
      for (int i = r * targetWidth, end = i + targetWidth; i < end; i++) h = (h + Float.floatToIntBits(y[i])) * GOLDEN;
      if (w != null) h = (h + Float.floatToIntBits(w[r])) * GOLDEN;
      total += mix(h);
    }
    return total;
  }

  private static final long GOLDEN = 0x9E3779B97F4A7C15L; // odd: multiplying by it is a bijection mod 2^64

  /** The SplitMix64 finaliser. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Bytes of the packed arrays. */
  public long bytes() {
    return 4L * (x.length + y.length + (w == null ? 0 : w.length));
  }

  /**
   * Checks every value against the rules for a head with {@code k} outputs: finite features;
   * class indices integral and in [0, k); distributions non-negative and summing to 1 (within
   * 1e-4); binary targets in [0, 1]; finite regression targets; weights finite and >= 0.
   *
   * @throws IllegalArgumentException naming the example id, the column and the value
   */
  public void validate(Head head, int inputSize, int k) {
    if (features != inputSize) {
      throw new IllegalArgumentException("examples have " + features + " features but the network's input layer has "
          + inputSize + "; set the first entry of model.layers to " + features);
    }
    if (!head.acceptsTargetWidth(targetWidth, k)) {
      throw new IllegalArgumentException("targets have width " + targetWidth + " but the " + head.configName()
          + " output with " + k + " units takes width " + k
          + (head == Head.SOFTMAX_CROSS_ENTROPY ? " (a distribution) or 1 (a class index)" : ""));
    }
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < features; i++) {
        float v = x[r * features + i];
        if (!Float.isFinite(v)) {
          throw new IllegalArgumentException("example " + (firstId + r) + " feature " + i + " is " + v
              + "; features must be finite (drop or impute such rows)");
        }
      }
      int o = r * targetWidth;
      if (head == Head.SOFTMAX_CROSS_ENTROPY && targetWidth == 1) {
        float t = y[o];
        if (!(t >= 0 && t < k && t == Math.rint(t))) {
          throw new IllegalArgumentException("example " + (firstId + r) + " has label " + t
              + "; labels must be integers in [0, " + k + ") for a softmax output with " + k + " units");
        }
      } else {
        double sum = 0;
        for (int j = 0; j < targetWidth; j++) {
          float t = y[o + j];
          boolean ok = head == Head.LINEAR_SQUARED_ERROR ? Float.isFinite(t) : (t >= 0 && t <= 1);
          if (!ok) {
            throw new IllegalArgumentException("example " + (firstId + r) + " target " + j + " is " + t + "; "
                + (head == Head.LINEAR_SQUARED_ERROR ? "regression targets must be finite"
                    : "targets of a " + head.configName() + " output must lie in [0, 1]"));
          }
          sum += t;
        }
        if (head == Head.SOFTMAX_CROSS_ENTROPY && Math.abs(sum - 1) > 1e-4) {
          throw new IllegalArgumentException("example " + (firstId + r) + " target distribution sums to " + sum
              + "; a softmax target row must sum to 1");
        }
      }
      if (w != null && !(w[r] >= 0 && Float.isFinite(w[r]))) {
        throw new IllegalArgumentException("example " + (firstId + r) + " has weight " + w[r]
            + "; example weights must be finite and >= 0");
      }
    }
  }
}
