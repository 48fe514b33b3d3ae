package io.sparkprop.datasets;

import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.Network;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.nn.Workspace;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Seeded synthetic data sets, generated on the executors: each partition makes its own rows, and
 * row {@code id} draws from its own random stream seeded by (seed, id), so the data do not depend
 * on the partition count. Class targets are indices; they suit a softmax output, and a sigmoid
 * output with one unit for the two-class sets.
 */
public final class Generators {
  private Generators() {}

  /** Makes one row: features into x[xo..xo+d), targets into y[yo..yo+tw). */
  interface RowMaker extends Serializable {
    void row(SplittableRandom r, float[] x, int xo, float[] y, int yo);
  }

  /** Labels a whole block after its features are made (the teacher network). */
  interface BlockLabeller extends Serializable {
    void label(float[] x, int rows, float[] y);
  }

  static ExampleSet generate(JavaSparkContext sc, long n, int partitions, int d, int tw, long seed, String description,
      RowMaker maker, BlockLabeller labeller) {
    if (n < 1) throw new IllegalArgumentException("a generated data set needs at least 1 row, got " + n);
    if (partitions < 1) throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
    if (n / partitions * (long) d > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(n + " rows of " + d + " features in " + partitions
          + " partitions exceed one Java array per partition; use more partitions");
    }
    List<long[]> ranges = new ArrayList<>();
    for (int p = 0; p < partitions; p++) ranges.add(new long[] {n * p / partitions, n * (p + 1) / partitions});
    return new ExampleSet(Rdds.flatMap(sc.parallelize(ranges, partitions), range -> new java.util.Iterator<Examples>() {
      private long next = range[0];

      @Override
      public boolean hasNext() {
        return next < range[1];
      }

      @Override
      public Examples next() {
        int rows = (int) Math.min(BLOCK_ROWS, range[1] - next);
        float[] x = new float[rows * d];
        float[] y = new float[rows * tw];
        for (int r = 0; r < rows; r++) {
          SplittableRandom rnd = new SplittableRandom(Splits.mix(seed ^ Splits.mix(next + r + 0x9E3779B97F4A7C15L)));
          maker.row(rnd, x, r * d, y, r * tw);
        }
        if (labeller != null) labeller.label(x, rows, y);
        next += rows;
        return new Examples(0, rows, d, tw, x, y, null);
      }
    }), d, tw, description);
  }

  /**
   * Rows per generated block: a partition streams out in blocks of this size, so a reader of a
   * large generated set holds one block at a time. A multiple of the labeller's 256-row GEMM
   * blocks, so every row is labelled in the same position as in one whole-partition block.
   */
  static final int BLOCK_ROWS = 8192;

  /** XOR: four Gaussian clusters at the corners of the unit square, label = x0 xor x1. */
  public static ExampleSet xor(JavaSparkContext sc, long n, double noise, int partitions, long seed) {
    checkNoise(noise);
    return generate(sc, n, partitions, 2, 1, seed, "xor(" + n + ", noise " + noise + ")", (r, x, xo, y, yo) -> {
      int a = r.nextInt(2);
      int b = r.nextInt(2);
      x[xo] = (float) (a + noise * r.nextGaussian());
      x[xo + 1] = (float) (b + noise * r.nextGaussian());
      y[yo] = a ^ b;
    }, null);
  }

  /** Two interleaved half circles (scikit-learn's make_moons layout). */
  public static ExampleSet moons(JavaSparkContext sc, long n, double noise, int partitions, long seed) {
    checkNoise(noise);
    return generate(sc, n, partitions, 2, 1, seed, "moons(" + n + ", noise " + noise + ")", (r, x, xo, y, yo) -> {
      boolean upper = r.nextBoolean();
      double t = Math.PI * r.nextDouble();
      x[xo] = (float) ((upper ? Math.cos(t) : 1 - Math.cos(t)) + noise * r.nextGaussian());
      x[xo + 1] = (float) ((upper ? Math.sin(t) : 0.5 - Math.sin(t)) + noise * r.nextGaussian());
      y[yo] = upper ? 0 : 1;
    }, null);
  }

  /**
   * K interleaved spiral arms (the classic backprop teaching set): arm j at radius t in [0, 1]
   * and angle 2 pi (j / K + turns * t), plus Gaussian noise on the angle.
   */
  public static ExampleSet spirals(JavaSparkContext sc, long n, int arms, double turns, double noise, int partitions,
      long seed) {
    checkNoise(noise);
    if (arms < 2) throw new IllegalArgumentException("spirals need at least 2 arms, got " + arms);
    if (!(turns > 0) || Double.isInfinite(turns)) throw new IllegalArgumentException("turns must be > 0, got " + turns);
    return generate(sc, n, partitions, 2, 1, seed, "spirals(" + n + ", " + arms + " arms)", (r, x, xo, y, yo) -> {
      int j = r.nextInt(arms);
      double t = Math.sqrt(r.nextDouble()); // uniform density over the disc
      double angle = 2 * Math.PI * ((double) j / arms + turns * t) + noise * r.nextGaussian();
      x[xo] = (float) (t * Math.cos(angle));
      x[xo + 1] = (float) (t * Math.sin(angle));
      y[yo] = j;
    }, null);
  }

  /** K Gaussian blobs in d dimensions, centres drawn from N(0, spread^2) by the seed, unit variance. */
  public static ExampleSet blobs(JavaSparkContext sc, long n, int d, int k, double spread, int partitions, long seed) {
    return blobs(sc, n, d, k, spread, partitions, seed, seed);
  }

  /** As above, the rows drawn from {@code rowSeed}: other rows around the same centres (validation, test sets). */
  public static ExampleSet blobs(JavaSparkContext sc, long n, int d, int k, double spread, int partitions, long seed,
      long rowSeed) {
    if (d < 1 || k < 2) throw new IllegalArgumentException("blobs need d >= 1 and k >= 2, got d=" + d + ", k=" + k);
    SplittableRandom c = new SplittableRandom(seed);
    float[] centres = new float[k * d];
    for (int i = 0; i < centres.length; i++) centres[i] = (float) (c.nextGaussian() * spread);
    return generate(sc, n, partitions, d, 1, rowSeed, "blobs(" + n + " x " + d + ", " + k + " classes)", (r, x, xo, y, yo) -> {
      int j = r.nextInt(k);
      for (int i = 0; i < d; i++) x[xo + i] = centres[j * d + i] + (float) r.nextGaussian();
      y[yo] = j;
    }, null);
  }

  /**
   * Inputs uniform in [-1, 1]^d labelled by a random tanh teacher network d-hidden-k (weights
   * N(0, 2/fan_in), from the seed): class = arg-max of its outputs, or for regression its outputs
   * themselves. Uniform draws keep it fast enough for millions of 784-feature rows.
   */
  public static ExampleSet teacher(JavaSparkContext sc, long n, int d, int hidden, int k, boolean regression,
      int partitions, long seed) {
    return teacher(sc, n, d, hidden, k, regression, partitions, seed, seed);
  }

  /** As above, the inputs drawn from {@code rowSeed}: the same teacher labelling other inputs. */
  public static ExampleSet teacher(JavaSparkContext sc, long n, int d, int hidden, int k, boolean regression,
      int partitions, long seed, long rowSeed) {
    if (d < 1 || hidden < 1 || k < 1 || (!regression && k < 2)) {
      throw new IllegalArgumentException("teacher needs d, hidden >= 1 and k >= " + (regression ? 1 : 2) + ", got " + d
          + ", " + hidden + ", " + k);
    }
    NetworkSpec spec = NetworkSpec.of(new int[] {d, hidden, k}, Activation.TANH, Head.LINEAR_SQUARED_ERROR);
    float[] params = Init.normalFanIn(Math.sqrt(2)).initialise(spec, seed);
    int tw = regression ? k : 1;
    return generate(sc, n, partitions, d, tw, rowSeed, "teacher(" + n + " x " + d + ", " + hidden + " hidden, " + k
        + (regression ? " outputs)" : " classes)"), (r, x, xo, y, yo) -> {
          for (int i = 0; i < d; i++) x[xo + i] = (float) (r.nextDouble() * 2 - 1);
        }, (x, rows, y) -> {
          float[] out = regression ? y : new float[rows * k];
          new Network(spec).predict(params, x, 0, rows, new Workspace(spec, 256), out, 0);
          if (!regression) {
            for (int row = 0; row < rows; row++) y[row] = Network.argmax(out, row * k, k);
          }
        });
  }

  private static void checkNoise(double noise) {
    if (!(noise >= 0) || Double.isInfinite(noise)) {
      throw new IllegalArgumentException("noise must be finite and >= 0, got " + noise);
    }
  }
}
