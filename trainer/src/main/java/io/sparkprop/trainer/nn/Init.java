package io.sparkprop.trainer.nn;

import java.io.Serializable;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A weight initialisation scheme. Immutable; {@link #initialise} is a pure function of the
 * network spec and the seed (layer l draws from its own stream, so adding a layer does not change
 * the draws of the layers before it). Biases start at zero.
 */
public final class Init implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The schemes; fan_in = n_l, fan_out = n_{l+1} of the layer. */
  public enum Kind {
    /** N(0, sigma^2 / fan_in), the lecture's scheme (LeCun normal for sigma = 1). */
    NORMAL_FAN_IN,
    /** U(-a, a), a = sqrt(6 / (fan_in + fan_out)). */
    XAVIER_UNIFORM,
    /** N(0, 2 / (fan_in + fan_out)). */
    XAVIER_NORMAL,
    /** N(0, 2 / fan_in), for ReLU layers. */
    HE_NORMAL,
    /** U(-a, a), a = sqrt(6 / fan_in). */
    HE_UNIFORM,
    /** Spark MLlib's MultilayerPerceptronClassifier: U(-2.4 / sqrt(fan_in), 2.4 / sqrt(fan_in)). */
    MLLIB_UNIFORM
  }

  private final Kind kind;
  private final double sigma;

  private Init(Kind kind, double sigma) {
    this.kind = kind;
    this.sigma = sigma;
  }

  /** N(0, sigma^2 / fan_in); sigma must be finite and positive. */
  public static Init normalFanIn(double sigma) {
    if (!(sigma > 0) || Double.isInfinite(sigma)) {
      throw new IllegalArgumentException("init sigma must be finite and > 0, got " + sigma);
    }
    return new Init(Kind.NORMAL_FAN_IN, sigma);
  }

  public static Init of(Kind kind) {
    return kind == Kind.NORMAL_FAN_IN ? normalFanIn(1.0) : new Init(kind, 1.0);
  }

  /**
   * Parses a config name: normal, normal(SIGMA), xavier-uniform, xavier-normal, he-normal,
   * he-uniform, mllib-uniform (case-insensitive, '_' or '-').
   */
  public static Init parse(String name) {
    String s = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    if (s.startsWith("normal(") && s.endsWith(")")) {
      String arg = s.substring(7, s.length() - 1);
      try {
        return normalFanIn(Double.parseDouble(arg));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("init sigma '" + arg + "' in '" + name + "' is not a number");
      }
    }
    switch (s) {
      case "normal": case "lecun-normal": return normalFanIn(1.0);
      case "xavier-uniform": case "glorot-uniform": return of(Kind.XAVIER_UNIFORM);
      case "xavier-normal": case "glorot-normal": return of(Kind.XAVIER_NORMAL);
      case "he-normal": case "kaiming-normal": return of(Kind.HE_NORMAL);
      case "he-uniform": case "kaiming-uniform": return of(Kind.HE_UNIFORM);
      case "mllib-uniform": return of(Kind.MLLIB_UNIFORM);
      default:
        throw new IllegalArgumentException("unknown init '" + name + "'; expected normal, normal(SIGMA), "
            + "xavier-uniform, xavier-normal, he-normal, he-uniform or mllib-uniform");
    }
  }

  public Kind kind() {
    return kind;
  }

  /** sigma of NORMAL_FAN_IN; 1 otherwise. */
  public double sigma() {
    return sigma;
  }

  /** A fresh parameter array for the spec, weights drawn per this scheme, biases zero. */
  public float[] initialise(NetworkSpec spec, long seed) {
    float[] p = new float[spec.paramCount()];
    for (int l = 0; l < spec.layers(); l++) {
      int fanIn = spec.size(l);
      int fanOut = spec.size(l + 1);
      SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L * (l + 1));
      int off = spec.weightOffset(l);
      int n = fanIn * fanOut;
      switch (kind) {
        case NORMAL_FAN_IN: gaussian(rnd, p, off, n, sigma / Math.sqrt(fanIn)); break;
        case XAVIER_NORMAL: gaussian(rnd, p, off, n, Math.sqrt(2.0 / (fanIn + fanOut))); break;
        case HE_NORMAL: gaussian(rnd, p, off, n, Math.sqrt(2.0 / fanIn)); break;
        case XAVIER_UNIFORM: uniform(rnd, p, off, n, Math.sqrt(6.0 / (fanIn + fanOut))); break;
        case HE_UNIFORM: uniform(rnd, p, off, n, Math.sqrt(6.0 / fanIn)); break;
        case MLLIB_UNIFORM: uniform(rnd, p, off, n, 2.4 / Math.sqrt(fanIn)); break;
        default: throw new AssertionError(kind);
      }
    }
    return p;
  }

  private static void gaussian(SplittableRandom rnd, float[] p, int off, int n, double std) {
    for (int i = 0; i < n; i++) p[off + i] = (float) (rnd.nextGaussian() * std);
  }

  private static void uniform(SplittableRandom rnd, float[] p, int off, int n, double a) {
    for (int i = 0; i < n; i++) p[off + i] = (float) ((rnd.nextDouble() * 2 - 1) * a);
  }

  /** The config name {@link #parse} reads back. */
  public String configName() {
    return kind == Kind.NORMAL_FAN_IN ? "normal(" + sigma + ")" : kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Init && ((Init) o).kind == kind && ((Init) o).sigma == sigma;
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + Double.hashCode(sigma);
  }

  @Override
  public String toString() {
    return configName();
  }
}
