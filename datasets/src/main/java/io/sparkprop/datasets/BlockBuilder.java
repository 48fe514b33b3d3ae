package io.sparkprop.datasets;

import io.sparkprop.trainer.data.Examples;
import java.util.Arrays;

/** Accumulates rows into growable float arrays and hands them out as one {@link Examples} block. */
final class BlockBuilder {
  private final int d;
  private final int tw;
  private final boolean weighted;
  private float[] x;
  private float[] y;
  private float[] w;
  private int rows;

  BlockBuilder(int features, int targetWidth, boolean weighted) {
    this.d = features;
    this.tw = targetWidth;
    this.weighted = weighted;
    this.x = new float[16 * features];
    this.y = new float[16 * targetWidth];
    this.w = weighted ? new float[16] : null;
  }

  /** Space for one more row; returns its index. The caller fills x()/y()/w() at that row. */
  int addRow() {
    if (rows * (long) d + d > x.length || rows * (long) tw + tw > y.length) {
      long cap = Math.max(16, rows * 2L);
      if (cap * Math.max(d, tw) > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("a partition holds more than " + rows + " rows of " + d
            + " features, more than one Java array takes; use more partitions");
      }
      x = Arrays.copyOf(x, (int) cap * d);
      y = Arrays.copyOf(y, (int) cap * tw);
      if (weighted) w = Arrays.copyOf(w, (int) cap);
    }
    return rows++;
  }

  /** Forgets the last row (a row found bad after it was started). */
  void dropLast() {
    rows--;
  }

  float[] x() { return x; }
  float[] y() { return y; }
  float[] w() { return w; }
  int rows() { return rows; }

  Examples build() {
    return new Examples(0, rows, d, tw, Arrays.copyOf(x, rows * d), Arrays.copyOf(y, rows * tw),
        weighted ? Arrays.copyOf(w, rows) : null);
  }
}
