package io.sparkprop.datasets;

import io.sparkprop.trainer.data.Examples;
import java.util.Arrays;

/**
 * Accumulates rows into float arrays and hands them out as one {@link Examples} block. Arrays
 * double when full; a caller that knows how many rows are coming sizes them once
 * ({@link #BlockBuilder(int, int, boolean, int)}), and {@link #build()} then hands over the
 * arrays themselves instead of copying them: no array of a block's size is allocated twice.
 */
final class BlockBuilder {
  private final int d;
  private final int tw;
  private final boolean weighted;
  private float[] x;
  private float[] y;
  private float[] w;
  private int rows;

  BlockBuilder(int features, int targetWidth, boolean weighted) {
    this(features, targetWidth, weighted, 16);
  }

  /** A builder with room for {@code rows} rows before its arrays grow. */
  BlockBuilder(int features, int targetWidth, boolean weighted, int rows) {
    if (rows < 0) throw new IllegalArgumentException("expected rows must be >= 0, got " + rows);
    checkFits(rows, features, targetWidth);
    this.d = features;
    this.tw = targetWidth;
    this.weighted = weighted;
    this.x = new float[rows * features];
    this.y = new float[rows * targetWidth];
    this.w = weighted ? new float[rows] : null;
  }

  /** Space for one more row; returns its index. The caller fills x()/y()/w() at that row. */
  int addRow() {
    if (rows * (long) d + d > x.length || rows * (long) tw + tw > y.length) {
      long cap = Math.max(16, rows * 2L);
      checkFits(cap, d, tw);
      x = Arrays.copyOf(x, (int) cap * d);
      y = Arrays.copyOf(y, (int) cap * tw);
      if (weighted) w = Arrays.copyOf(w, (int) cap);
    }
    return rows++;
  }

  /** Rows of that width must fit one Java array each. */
  private static void checkFits(long rows, int features, int targetWidth) {
    if (rows * Math.max(features, targetWidth) > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a partition of " + rows + " rows of " + features
          + " features needs more than one Java array holds; use more partitions");
    }
  }

  /** Forgets the last row (a row found bad after it was started). */
  void dropLast() {
    rows--;
  }

  float[] x() { return x; }
  float[] y() { return y; }
  float[] w() { return w; }
  int rows() { return rows; }

  /** The rows so far as a block; the builder is spent (its arrays may now be the block's). */
  Examples build() {
    return new Examples(0, rows, d, tw, exact(x, rows * d), exact(y, rows * tw), weighted ? exact(w, rows) : null);
  }

  private static float[] exact(float[] a, int n) {
    return a.length == n ? a : Arrays.copyOf(a, n);
  }
}
