package io.sparkprop.datasets;

import io.sparkprop.trainer.data.Examples;
import java.util.List;

/** Runs a set's blocks on the driver as one block, unwrapping task failures to the user's error. */
final class Collect {
  private Collect() {}

  static Examples all(ExampleSet set) {
    List<Examples> parts;
    try {
      parts = set.blocks().collect();
    } catch (Exception e) {
      throw SparkFailures.unwrapArgumentError(e);
    }
    int n = parts.stream().mapToInt(Examples::rows).sum();
    int d = set.features();
    int tw = set.targetWidth();
    boolean weighted = parts.stream().anyMatch(p -> p.w() != null);
    float[] x = new float[n * d];
    float[] y = new float[n * tw];
    float[] w = weighted ? new float[n] : null;
    int r = 0;
    for (Examples p : parts) {
      System.arraycopy(p.x(), 0, x, r * d, p.rows() * d);
      System.arraycopy(p.y(), 0, y, r * tw, p.rows() * tw);
      if (w != null) System.arraycopy(p.w(), 0, w, r, p.rows());
      r += p.rows();
    }
    return new Examples(0, n, d, tw, x, y, w);
  }
}
