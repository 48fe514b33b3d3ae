package io.sparkprop.driver;

import io.sparkprop.trainer.data.Examples;
import java.util.SplittableRandom;

/** Seeded in-memory data for the loop's tests. */
public final class TestSets {
  private TestSets() {}

  /** k Gaussian blobs in d dimensions, class-index targets, optional random example weights. */
  public static Examples blobs(int n, int d, int k, boolean weighted, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] centres = new double[k][d];
    for (double[] c : centres) for (int i = 0; i < d; i++) c[i] = r.nextGaussian() * 2;
    float[] x = new float[n * d];
    float[] y = new float[n];
    float[] w = weighted ? new float[n] : null;
    for (int e = 0; e < n; e++) {
      int c = r.nextInt(k);
      y[e] = c;
      for (int i = 0; i < d; i++) x[e * d + i] = (float) (centres[c][i] + r.nextGaussian());
      if (w != null) w[e] = (float) (0.5 + r.nextDouble());
    }
    return new Examples(0, n, d, 1, x, y, w);
  }
}
