package io.sparkprop.trainer;

import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.Network;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.nn.Workspace;
import java.util.SplittableRandom;

/** Small seeded data sets for engine tests (the product's generators live in datasets/). */
final class TestData {
  private TestData() {}

  /** The four XOR points, binary targets. */
  static Examples xor() {
    return new Examples(0, 4, 2, 1, new float[] {0, 0, 0, 1, 1, 0, 1, 1}, new float[] {0, 1, 1, 0}, null);
  }

  /** Two interleaved half circles with Gaussian noise; class index targets. */
  static Examples moons(int n, double noise, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[2 * n];
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      double t = Math.PI * r.nextDouble();
      boolean upper = (i & 1) == 0;
      double px = upper ? Math.cos(t) : 1 - Math.cos(t);
      double py = upper ? Math.sin(t) : 0.5 - Math.sin(t);
      x[2 * i] = (float) (px + noise * r.nextGaussian());
      x[2 * i + 1] = (float) (py + noise * r.nextGaussian());
      y[i] = upper ? 0 : 1;
    }
    return new Examples(0, n, 2, 1, x, y, null);
  }

  /** Regression data labelled by a random tanh teacher network d-h-k. */
  static Examples teacher(int n, int d, int h, int k, long seed) {
    NetworkSpec spec = NetworkSpec.of(new int[] {d, h, k}, Activation.TANH, Head.LINEAR_SQUARED_ERROR);
    float[] p = Init.normalFanIn(1.5).initialise(spec, seed);
    SplittableRandom r = new SplittableRandom(seed + 1);
    float[] x = new float[n * d];
    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
    float[] y = new float[n * k];
    new Network(spec).predict(p, x, 0, n, new Workspace(spec, 256), y, 0);
    return new Examples(0, n, d, k, x, y, null);
  }
}
