package io.sparkprop.trainer.nn;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * A hidden-layer activation f, applied elementwise, with its derivative written next to it.
 *
 * <p>Immutable. The kind is an enum so executor code switches on it once per block, never on a
 * string. The derivative is expressed through the pre-activation {@code z} and/or the activation
 * {@code a = f(z)}, whichever is cheaper: sigma' = a(1 - a), tanh' = 1 - a^2.
 *
 * <p><b>ReLU at exactly 0:</b> the derivative is taken as 0 (the subgradient PyTorch and
 * TensorFlow use). Leaky ReLU at 0 uses its slope. Both are checked in the tests.
 */
public final class Activation implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The supported functions. */
  public enum Kind {
    SIGMOID, TANH, RELU, LEAKY_RELU, IDENTITY, SOFTPLUS,
    /** GELU in its tanh approximation (as in GPT-2). */
    GELU
  }

  public static final Activation SIGMOID = new Activation(Kind.SIGMOID, 0f);
  public static final Activation TANH = new Activation(Kind.TANH, 0f);
  public static final Activation RELU = new Activation(Kind.RELU, 0f);
  public static final Activation IDENTITY = new Activation(Kind.IDENTITY, 0f);
  public static final Activation SOFTPLUS = new Activation(Kind.SOFTPLUS, 0f);
  public static final Activation GELU = new Activation(Kind.GELU, 0f);
  /** Leaky ReLU with the customary slope 0.01. */
  public static final Activation LEAKY_RELU = new Activation(Kind.LEAKY_RELU, 0.01f);

  private static final float GELU_S = (float) Math.sqrt(2.0 / Math.PI);
  private static final float GELU_C = 0.044715f;

  private final Kind kind;
  private final float slope;

  private Activation(Kind kind, float slope) {
    this.kind = kind;
    this.slope = slope;
  }

  /** Leaky ReLU, f(z) = z for z > 0 and slope * z otherwise; 0 < slope < 1. */
  public static Activation leakyRelu(double slope) {
    if (!(slope > 0 && slope < 1)) {
      throw new IllegalArgumentException(
          "leaky ReLU slope must be in (0, 1), got " + slope + "; use relu for slope 0");
    }
    return new Activation(Kind.LEAKY_RELU, (float) slope);
  }

  /**
   * Parses a name as written in configs: sigmoid, tanh, relu, leaky-relu, leaky-relu(0.2),
   * identity (or linear), softplus, gelu. Case-insensitive; '_' and '-' are interchangeable.
   */
  public static Activation parse(String name) {
    Objects.requireNonNull(name, "activation name");
    String s = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    if (s.startsWith("leaky-relu(") && s.endsWith(")")) {
      String arg = s.substring("leaky-relu(".length(), s.length() - 1);
      try {
        return leakyRelu(Double.parseDouble(arg));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("leaky ReLU slope '" + arg + "' in '" + name + "' is not a number");
      }
    }
    switch (s) {
      case "sigmoid": return SIGMOID;
      case "tanh": return TANH;
      case "relu": return RELU;
      case "leaky-relu": return LEAKY_RELU;
      case "identity": case "linear": return IDENTITY;
      case "softplus": return SOFTPLUS;
      case "gelu": return GELU;
      default:
        throw new IllegalArgumentException("unknown activation '" + name
            + "'; expected one of sigmoid, tanh, relu, leaky-relu, leaky-relu(SLOPE), identity, softplus, gelu");
    }
  }

  public Kind kind() {
    return kind;
  }

  /** The negative-side slope of leaky ReLU; 0 for every other kind. */
  public float slope() {
    return slope;
  }

  /** f(z) for one value. */
  public float value(float z) {
    switch (kind) {
      case SIGMOID: return sigmoid(z);
      case TANH: return (float) Math.tanh(z);
      case RELU: return z > 0 ? z : 0f;
      case LEAKY_RELU: return z > 0 ? z : slope * z;
      case IDENTITY: return z;
      case SOFTPLUS: return (float) softplus(z);
      case GELU: return gelu(z);
      default: throw new AssertionError(kind);
    }
  }

  /** f'(z), given z and a = f(z). */
  public float derivative(float z, float a) {
    switch (kind) {
      case SIGMOID: return a * (1f - a);
      case TANH: return 1f - a * a;
      case RELU: return z > 0 ? 1f : 0f;
      case LEAKY_RELU: return z > 0 ? 1f : slope;
      case IDENTITY: return 1f;
      case SOFTPLUS: return sigmoid(z);
      case GELU: return geluDerivative(z);
      default: throw new AssertionError(kind);
    }
  }

  private static float gelu(float z) {
    return 0.5f * z * (1f + (float) Math.tanh(GELU_S * (z + GELU_C * z * z * z)));
  }

  private static float geluDerivative(float z) {
    float t = (float) Math.tanh(GELU_S * (z + GELU_C * z * z * z));
    return 0.5f * (1f + t) + 0.5f * z * (1f - t * t) * GELU_S * (1f + 3f * GELU_C * z * z);
  }

  /** a[off..off+n) = f(z[off..off+n)). */
  public void forward(float[] z, float[] a, int off, int n) {
    int end = off + n;
    switch (kind) {
      case RELU:
        for (int i = off; i < end; i++) a[i] = Math.max(z[i], 0f);
        return;
      case IDENTITY:
        System.arraycopy(z, off, a, off, n);
        return;
      case SIGMOID:
        for (int i = off; i < end; i++) a[i] = sigmoid(z[i]);
        return;
      case TANH:
        for (int i = off; i < end; i++) a[i] = (float) Math.tanh(z[i]);
        return;
      case LEAKY_RELU: // z times 1 or the slope, chosen by a mask (z * 1 is z): no branch to mispredict
        for (int i = off; i < end; i++) a[i] = z[i] * leakyFactor(z[i]);
        return;
      case SOFTPLUS:
        for (int i = off; i < end; i++) a[i] = (float) softplus(z[i]);
        return;
      case GELU:
        for (int i = off; i < end; i++) a[i] = gelu(z[i]);
        return;
      default:
        throw new AssertionError(kind);
    }
  }

  /** d[off..off+n) *= f'(z), the local derivative applied to an incoming gradient in place. */
  public void backward(float[] z, float[] a, float[] d, int off, int n) {
    int end = off + n;
    switch (kind) {
      case RELU: // d where z > 0, else +0: as a bit mask, since a branch on z's sign mispredicts on about half of the units
        for (int i = off; i < end; i++) d[i] = Float.intBitsToFloat(Float.floatToRawIntBits(d[i]) & positiveMask(z[i]));
        return;
      case IDENTITY:
        return;
      case SIGMOID:
        for (int i = off; i < end; i++) d[i] *= a[i] * (1f - a[i]);
        return;
      case TANH:
        for (int i = off; i < end; i++) d[i] *= 1f - a[i] * a[i];
        return;
      case LEAKY_RELU:
        for (int i = off; i < end; i++) d[i] *= leakyFactor(z[i]);
        return;
      case SOFTPLUS:
        for (int i = off; i < end; i++) d[i] *= sigmoid(z[i]);
        return;
      case GELU:
        for (int i = off; i < end; i++) d[i] *= geluDerivative(z[i]);
        return;
      default:
        throw new AssertionError(kind);
    }
  }

  /**
   * All ones when {@code z > 0} (NaN is not), else 0, without a branch: z > 0 exactly when its bits,
   * read as an int, lie in [1, bits of +infinity].
   */
  static int positiveMask(float z) {
    int b = Float.floatToRawIntBits(z);
    return ~(((b - 1) | (0x7f800000 - b)) >> 31);
  }

  /** 1 where z > 0, else the leaky slope, chosen by {@link #positiveMask} without a branch. */
  private float leakyFactor(float z) {
    int one = Float.floatToRawIntBits(1f);
    return Float.intBitsToFloat(one ^ ((one ^ Float.floatToRawIntBits(slope)) & ~positiveMask(z)));
  }

  /** The logistic function, evaluated without overflow for any finite or infinite z. */
  static float sigmoid(float z) {
    if (z >= 0) {
      return (float) (1.0 / (1.0 + Math.exp(-z)));
    }
    double e = Math.exp(z);
    return (float) (e / (1.0 + e));
  }

  /** log(1 + e^z) without overflow. */
  static double softplus(double z) {
    return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
  }

  /** The config name, which {@link #parse} reads back. */
  public String name() {
    switch (kind) {
      case LEAKY_RELU: return "leaky-relu(" + slope + ")";
      default: return kind.name().toLowerCase(Locale.ROOT);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Activation && ((Activation) o).kind == kind
        && Float.compare(((Activation) o).slope, slope) == 0;
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + Float.hashCode(slope);
  }

  @Override
  public String toString() {
    return name();
  }
}
