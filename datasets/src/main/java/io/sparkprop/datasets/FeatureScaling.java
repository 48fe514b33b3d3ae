package io.sparkprop.datasets;

import io.sparkprop.trainer.data.Examples;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;

/**
 * A per-feature affine transform x' = (x - offset) * scale, fitted on training data and stored
 * with the model so that prediction applies exactly the same transform.
 *
 * <ul>
 *   <li>NONE: identity;
 *   <li>MIN_MAX: to [0, 1], offset = min, scale = 1 / (max - min);
 *   <li>STANDARD: to mean 0 and variance 1, offset = mean, scale = 1 / std (population).
 * </ul>
 * A constant feature gets scale 1 (it maps to 0). Statistics are computed in double in one
 * distributed pass and added in partition order, so a refit on the same data gives the same bits.
 */
public final class FeatureScaling implements Serializable {
  private static final long serialVersionUID = 1L;

  public enum Kind { NONE, MIN_MAX, STANDARD }

  private final Kind kind;
  private final float[] offset;
  private final float[] scale;

  public FeatureScaling(Kind kind, float[] offset, float[] scale) {
    if (offset.length != scale.length) {
      throw new IllegalArgumentException(offset.length + " offsets but " + scale.length + " scales");
    }
    for (int i = 0; i < scale.length; i++) {
      if (!Float.isFinite(offset[i]) || !Float.isFinite(scale[i]) || scale[i] == 0) {
        throw new IllegalArgumentException("feature " + i + " has offset " + offset[i] + " and scale " + scale[i]
            + "; both must be finite and the scale non-zero");
      }
    }
    this.kind = kind;
    this.offset = offset.clone();
    this.scale = scale.clone();
  }

  public static Kind parseKind(String s) {
    switch (s.trim().toLowerCase(Locale.ROOT).replace('_', '-')) {
      case "none": return Kind.NONE;
      case "min-max": case "minmax": return Kind.MIN_MAX;
      case "standard": case "standardize": case "z-score": return Kind.STANDARD;
      default: throw new IllegalArgumentException("unknown feature scaling '" + s + "'; expected none, min-max or standard");
    }
  }

  /** Fits on the set's blocks (one job; NONE fits without a job). */
  public static FeatureScaling fit(Kind kind, ExampleSet set) {
    int d = set.features();
    if (kind == Kind.NONE) {
      float[] ones = new float[d];
      java.util.Arrays.fill(ones, 1f);
      return new FeatureScaling(kind, new float[d], ones);
    }
    // per partition: n, then sum[d], sumsq[d], min[d], max[d]
    List<double[]> parts = Rdds.collect(Rdds.mapPartitions(set.blocks(), false, (p, it) -> {
      double[] s = new double[1 + 4 * d];
      java.util.Arrays.fill(s, 1 + 2 * d, 1 + 3 * d, Double.POSITIVE_INFINITY);
      java.util.Arrays.fill(s, 1 + 3 * d, 1 + 4 * d, Double.NEGATIVE_INFINITY);
      while (it.hasNext()) {
        Examples e = it.next();
        float[] x = e.x();
        for (int r = 0; r < e.rows(); r++) {
          for (int i = 0; i < d; i++) {
            double v = x[r * d + i];
            s[1 + i] += v;
            s[1 + d + i] += v * v;
            s[1 + 2 * d + i] = Math.min(s[1 + 2 * d + i], v);
            s[1 + 3 * d + i] = Math.max(s[1 + 3 * d + i], v);
          }
        }
        s[0] += e.rows();
      }
      return List.of(s).iterator();
    }));
    double[] t = parts.get(0).clone();
    for (int p = 1; p < parts.size(); p++) {
      double[] s = parts.get(p);
      t[0] += s[0];
      for (int i = 0; i < d; i++) {
        t[1 + i] += s[1 + i];
        t[1 + d + i] += s[1 + d + i];
        t[1 + 2 * d + i] = Math.min(t[1 + 2 * d + i], s[1 + 2 * d + i]);
        t[1 + 3 * d + i] = Math.max(t[1 + 3 * d + i], s[1 + 3 * d + i]);
      }
    }
    double n = t[0];
    if (n == 0) throw new IllegalArgumentException(set.description() + " holds no examples to fit the feature scaling on");
    float[] off = new float[d];
    float[] sc = new float[d];
    for (int i = 0; i < d; i++) {
      if (kind == Kind.MIN_MAX) {
        double lo = t[1 + 2 * d + i];
        double range = t[1 + 3 * d + i] - lo;
        off[i] = (float) lo;
        sc[i] = range > 0 ? (float) (1 / range) : 1f;
      } else {
        double mean = t[1 + i] / n;
        double var = Math.max(0, t[1 + d + i] / n - mean * mean);
        off[i] = (float) mean;
        sc[i] = var > 0 ? (float) (1 / Math.sqrt(var)) : 1f;
      }
    }
    return new FeatureScaling(kind, off, sc);
  }

  /** The set with every block scaled (new arrays; the source blocks are untouched). */
  public ExampleSet apply(ExampleSet set) {
    if (set.features() != offset.length) {
      throw new IllegalArgumentException(set.description() + " has " + set.features() + " features but the scaling was fitted on "
          + offset.length);
    }
    if (kind == Kind.NONE) return set;
    FeatureScaling self = this;
    return set.withBlocks(Rdds.map(set.blocks(), e -> {
      float[] x = e.x().clone();
      self.applyInPlace(x, e.rows());
      return new Examples(e.firstId(), e.rows(), e.features(), e.targetWidth(), x, e.y(), e.w());
    }), set.description() + " (" + kind.name().toLowerCase(Locale.ROOT) + " scaled)");
  }

  /** Scales {@code rows} row-major rows of x in place. */
  public void applyInPlace(float[] x, int rows) {
    int d = offset.length;
    for (int r = 0; r < rows; r++) {
      int o = r * d;
      for (int i = 0; i < d; i++) x[o + i] = (x[o + i] - offset[i]) * scale[i];
    }
  }

  public Kind kind() { return kind; }
  public float[] offset() { return offset.clone(); }
  public float[] scale() { return scale.clone(); }
}
