package io.sparkprop.trainer.optim;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * A first-order optimizer over one flat float32 parameter array. Immutable: the mutable part
 * lives in an {@link OptimizerState}.
 *
 * <p>Call order: {@link #initialise(int)} once per parameter array, then for every minibatch
 * {@link #stepFromSum} (or {@link #step} with an already averaged gradient). There is no
 * finalise; the state can be snapshotted between any two steps.
 *
 * <p>Update rules, with g the mean gradient, t the 0-based step, lr = baseRate x schedule(t),
 * lambda the weight decay, and the same conventions as PyTorch's torch.optim:
 * <ul>
 *   <li>SGD: w -= lr (g + lambda w)
 *   <li>MOMENTUM: v = mu v + (g + lambda w); w -= lr v
 *   <li>NESTEROV: v = mu v + g'; w -= lr (g' + mu v), g' = g + lambda w
 *   <li>ADAM: g' = g + lambda w (coupled L2); m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
 *       w -= lr (m / (1 - b1^(t+1))) / (sqrt(v / (1 - b2^(t+1))) + eps)
 *   <li>ADAMW: w -= lr lambda w (decoupled), then ADAM with lambda = 0
 *   <li>LAMB (You et al., "Large batch optimization for deep learning", 2019): ADAM's moments
 *       with lambda = 0, r = m^ / (sqrt(v^) + eps) + lambda w, then per tensor (each layer's
 *       weights, each layer's biases: {@link #withSegments}) w -= lr (||w|| / ||r||) r, the ratio
 *       1 where either norm is 0. The norms are summed in index order in double, so a pass split
 *       into ranges is bitwise the serial one.
 * </ul>
 * Weight decay applies to every parameter, biases included (PyTorch's default). With
 * {@code clipNorm > 0}, g is first scaled by min(1, clipNorm / ||g||_2) over the whole array.
 */
public final class Optimizer implements Serializable {
  private static final long serialVersionUID = 1L;

  public enum Kind { SGD, MOMENTUM, NESTEROV, ADAM, ADAMW, LAMB }

  private final Kind kind;
  private final double learningRate;
  private final double momentum;
  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private final double weightDecay;
  private final double clipNorm;
  private final LrSchedule schedule;
  /** LAMB's tensors: {@code [bounds[k], bounds[k + 1])} is tensor k; null for the whole array as one. */
  private final int[] bounds;

  private Optimizer(Kind kind, double learningRate, double momentum, double beta1, double beta2, double epsilon,
      double weightDecay, double clipNorm, LrSchedule schedule) {
    this(kind, learningRate, momentum, beta1, beta2, epsilon, weightDecay, clipNorm, schedule, null);
  }

  private Optimizer(Kind kind, double learningRate, double momentum, double beta1, double beta2, double epsilon,
      double weightDecay, double clipNorm, LrSchedule schedule, int[] bounds) {
    this.kind = Objects.requireNonNull(kind, "kind");
    this.schedule = Objects.requireNonNull(schedule, "schedule");
    check("learning rate", learningRate, learningRate > 0, "> 0");
    check("momentum", momentum, momentum >= 0 && momentum < 1, "in [0, 1)");
    check("beta1", beta1, beta1 >= 0 && beta1 < 1, "in [0, 1)");
    check("beta2", beta2, beta2 >= 0 && beta2 < 1, "in [0, 1)");
    check("epsilon", epsilon, epsilon > 0, "> 0");
    check("weight decay", weightDecay, weightDecay >= 0, ">= 0");
    check("clip norm", clipNorm, clipNorm >= 0, ">= 0 (0 turns clipping off)");
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
    this.clipNorm = clipNorm;
    this.bounds = bounds == null ? null : checkedBounds(bounds);
  }

  private static int[] checkedBounds(int[] b) {
    if (b.length < 2 || b[0] != 0) throw new IllegalArgumentException("tensor bounds must start at 0 and hold at least one tensor");
    for (int k = 1; k < b.length; k++) {
      if (b[k] <= b[k - 1]) throw new IllegalArgumentException("tensor bounds must increase, got " + java.util.Arrays.toString(b));
    }
    return b.clone();
  }

  private static void check(String name, double v, boolean ok, String rule) {
    if (!ok || !Double.isFinite(v)) {
      throw new IllegalArgumentException(name + " must be finite and " + rule + ", got " + v);
    }
  }

  /** The defaults of each kind: momentum 0.9 for the momentum kinds, Adam's betas 0.9 and 0.999, eps 1e-8. */
  public static Optimizer of(Kind kind, double learningRate) {
    double mu = kind == Kind.MOMENTUM || kind == Kind.NESTEROV ? 0.9 : 0;
    return new Optimizer(kind, learningRate, mu, 0.9, 0.999, 1e-8, 0, 0, LrSchedule.constant());
  }

  public static Optimizer sgd(double learningRate) {
    return of(Kind.SGD, learningRate);
  }

  public static Optimizer adam(double learningRate) {
    return of(Kind.ADAM, learningRate);
  }

  /** Parses sgd, momentum, nesterov, adam, adamw, lamb. */
  public static Kind parseKind(String name) {
    try {
      return Kind.valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown optimizer '" + name + "'; expected sgd, momentum, nesterov, adam, adamw or lamb");
    }
  }

  public Optimizer withLearningRate(double v) {
    return new Optimizer(kind, v, momentum, beta1, beta2, epsilon, weightDecay, clipNorm, schedule, bounds);
  }

  public Optimizer withMomentum(double v) {
    return new Optimizer(kind, learningRate, v, beta1, beta2, epsilon, weightDecay, clipNorm, schedule, bounds);
  }

  public Optimizer withBetas(double b1, double b2) {
    return new Optimizer(kind, learningRate, momentum, b1, b2, epsilon, weightDecay, clipNorm, schedule, bounds);
  }

  public Optimizer withEpsilon(double v) {
    return new Optimizer(kind, learningRate, momentum, beta1, beta2, v, weightDecay, clipNorm, schedule, bounds);
  }

  public Optimizer withWeightDecay(double v) {
    return new Optimizer(kind, learningRate, momentum, beta1, beta2, epsilon, v, clipNorm, schedule, bounds);
  }

  public Optimizer withClipNorm(double v) {
    return new Optimizer(kind, learningRate, momentum, beta1, beta2, epsilon, weightDecay, v, schedule, bounds);
  }

  public Optimizer withSchedule(LrSchedule s) {
    return new Optimizer(kind, learningRate, momentum, beta1, beta2, epsilon, weightDecay, clipNorm, s, bounds);
  }

  /**
   * The tensors LAMB takes its trust ratios over, as bounds: tensor k is {@code [bounds[k],
   * bounds[k + 1])}, from 0 to the parameter count. Other kinds ignore them.
   */
  public Optimizer withSegments(int[] tensorBounds) {
    return new Optimizer(kind, learningRate, momentum, beta1, beta2, epsilon, weightDecay, clipNorm, schedule, tensorBounds);
  }

  /** The tensor bounds of {@link #withSegments}, or null. */
  public int[] segments() { return bounds == null ? null : bounds.clone(); }

  public Kind kind() { return kind; }
  public double learningRate() { return learningRate; }
  public double momentum() { return momentum; }
  public double beta1() { return beta1; }
  public double beta2() { return beta2; }
  public double epsilon() { return epsilon; }
  public double weightDecay() { return weightDecay; }
  public double clipNorm() { return clipNorm; }
  public LrSchedule schedule() { return schedule; }

  /** Slot floats per parameter: 0 (SGD), 1 (momentum kinds), 2 (Adam kinds). */
  public int slotsPerParam() {
    switch (kind) {
      case SGD: return 0;
      case MOMENTUM: case NESTEROV: return 1;
      default: return 2;
    }
  }

  /** Fresh state (step 0, zero slots) for a parameter array of this length. */
  public OptimizerState initialise(int paramCount) {
    if (paramCount < 1) throw new IllegalArgumentException("parameter count must be >= 1, got " + paramCount);
    return new OptimizerState(Math.multiplyExact(paramCount, slotsPerParam()));
  }

  /** The learning rate used at 0-based step t. */
  public double learningRateAt(long t) {
    return learningRate * schedule.factor(t);
  }

  /**
   * Divides a summed gradient by the global example weight, then steps. A weight of 0 (a batch
   * in which every example has weight 0) leaves the parameters unchanged but still counts the step.
   *
   * @param gradSum summed gradient; left as it is, unless clipping is on, which first divides it
   *     by the weight and clips it in place
   */
  public void stepFromSum(float[] params, float[] gradSum, double weightSum, OptimizerState state) {
    stepFromSum(params, gradSum, weightSum, state, Ranges.SERIAL);
  }

  /**
   * As {@link #stepFromSum(float[], float[], double, OptimizerState)}, with the elementwise passes
   * split by {@code ranges} (for example over the threads of an executor task): bitwise the same
   * parameters and state. The clipping norm, when clipping is on, is still summed in index order
   * on the calling thread.
   */
  public void stepFromSum(float[] params, float[] gradSum, double weightSum, OptimizerState state, Ranges ranges) {
    if (!(weightSum >= 0) || Double.isInfinite(weightSum)) {
      throw new IllegalArgumentException("example weight sum must be finite and >= 0, got " + weightSum);
    }
    checkLengths(params, gradSum, state);
    if (weightSum == 0) {
      state.advance();
      return;
    }
    float inv = (float) (1.0 / weightSum);
    if (clipNorm > 0) {
      ranges.run(gradSum.length, (from, to) -> {
        for (int i = from; i < to; i++) gradSum[i] *= inv;
      });
      step(params, gradSum, state, ranges);
      return;
    }
    update(params, gradSum, state, inv, ranges); // the scaling fused into the update's pass
    state.advance();
  }

  /**
   * One update with the mean gradient {@code grad} (clipped in place when clipping is on).
   *
   * @throws IllegalArgumentException on mismatched lengths or a non-finite gradient norm
   */
  public void step(float[] params, float[] grad, OptimizerState state) {
    checkLengths(params, grad, state);
    step(params, grad, state, Ranges.SERIAL);
  }

  private void checkLengths(float[] params, float[] grad, OptimizerState state) {
    int n = params.length;
    if (grad.length != n) {
      throw new IllegalArgumentException("gradient has length " + grad.length + ", parameters " + n);
    }
    if (state.slotLength() != (long) n * slotsPerParam()) {
      throw new IllegalArgumentException("optimizer state holds " + state.slotLength() + " slots; " + kind + " on " + n
          + " parameters needs " + (long) n * slotsPerParam());
    }
  }

  private void step(float[] params, float[] grad, OptimizerState state, Ranges ranges) {
    int n = params.length;
    long t = state.step();
    if (clipNorm > 0) {
      double sq = 0;
      for (float g : grad) sq += (double) g * g;
      double norm = Math.sqrt(sq);
      if (!Double.isFinite(norm)) {
        throw new IllegalArgumentException("gradient norm is " + norm + " at step " + t
            + "; training diverged (lower the learning rate)");
      }
      if (norm > clipNorm) {
        float c = (float) (clipNorm / norm);
        ranges.run(n, (from, to) -> {
          for (int i = from; i < to; i++) grad[i] *= c;
        });
      }
    }
    update(params, grad, state, 1f, ranges);
    state.advance();
  }

  /**
   * The update rule of this kind at the state's step, with the gradient {@code grad[i] * scale}:
   * the mean gradient when {@code grad} is a sum and scale 1/weight. {@code grad} is only read:
   * writing the scaled values back added a memory stream to the pass (Adam's: one of seven) for
   * values no caller reads. A scale of exactly 1 changes no value, so the unscaled path is the same
   * arithmetic.
   */
  private void update(float[] params, float[] grad, OptimizerState state, float scale, Ranges ranges) {
    int n = params.length;
    float[][] planes = slotsPerParam() == 0 ? null : state.planes(slotsPerParam()); // one array per slot: vectorized loops
    long t = state.step();
    float lr = (float) learningRateAt(t);
    float wd = (float) weightDecay;
    float mu = (float) momentum;
    switch (kind) {
      case SGD:
        ranges.run(n, (from, to) -> {
          for (int i = from; i < to; i++) {
            float g = grad[i] * scale;
            params[i] -= lr * (g + wd * params[i]);
          }
        });
        break;
      case MOMENTUM: {
        float[] s = planes[0];
        ranges.run(n, (from, to) -> {
          for (int i = from; i < to; i++) {
            float g = grad[i] * scale;
            float v = mu * s[i] + (g + wd * params[i]);
            s[i] = v;
            params[i] -= lr * v;
          }
        });
        break;
      }
      case NESTEROV: {
        float[] s = planes[0];
        ranges.run(n, (from, to) -> {
          for (int i = from; i < to; i++) {
            float g0 = grad[i] * scale;
            float g = g0 + wd * params[i];
            float v = mu * s[i] + g;
            s[i] = v;
            params[i] -= lr * (g + mu * v);
          }
        });
        break;
      }
      case ADAM:
      case ADAMW: {
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        long tb = state.priorSteps() + t; // bias correction counts the steps that built the slots
        float c1 = (float) (1.0 / (1.0 - Math.pow(beta1, tb + 1)));
        float c2 = (float) (1.0 / (1.0 - Math.pow(beta2, tb + 1)));
        float eps = (float) epsilon;
        boolean decoupled = kind == Kind.ADAMW;
        float shrink = decoupled ? 1f - lr * wd : 1f;
        float coupled = decoupled ? 0f : wd;
        float[] ms = planes[0];
        float[] vs = planes[1];
        ranges.run(n, (from, to) -> {
          for (int i = from; i < to; i++) {
            float w = params[i];
            float g0 = grad[i] * scale;
            float g = g0 + coupled * w;
            float m = b1 * ms[i] + (1f - b1) * g;
            float v = b2 * vs[i] + (1f - b2) * g * g;
            ms[i] = m;
            vs[i] = v;
            params[i] = w * shrink - lr * (m * c1) / ((float) Math.sqrt(v * c2) + eps);
          }
        });
        break;
      }
      case LAMB:
        lamb(params, grad, state, scale, ranges, planes, lr);
        break;
      default: throw new AssertionError(kind);
    }
  }

  /** LAMB's step: the moments elementwise, each tensor's two norms in index order, then the update elementwise. */
  private void lamb(float[] params, float[] grad, OptimizerState state, float scale, Ranges ranges, float[][] planes, float lr) {
    int n = params.length;
    int[] b = bounds != null ? bounds : new int[] {0, n};
    if (b[b.length - 1] != n) {
      throw new IllegalArgumentException("LAMB's tensors end at " + b[b.length - 1] + " but there are " + n + " parameters");
    }
    float b1 = (float) beta1;
    float b2 = (float) beta2;
    long tb = state.priorSteps() + state.step();
    float c1 = (float) (1.0 / (1.0 - Math.pow(beta1, tb + 1)));
    float c2 = (float) (1.0 / (1.0 - Math.pow(beta2, tb + 1)));
    float eps = (float) epsilon;
    float wd = (float) weightDecay;
    float[] ms = planes[0];
    float[] vs = planes[1];
    ranges.run(n, (from, to) -> {
      for (int i = from; i < to; i++) {
        float g = grad[i] * scale;
        ms[i] = b1 * ms[i] + (1f - b1) * g;
        vs[i] = b2 * vs[i] + (1f - b2) * g * g;
      }
    });
    float[] rate = new float[b.length - 1];
    for (int k = 0; k < rate.length; k++) {
      double ww = 0;
      double rr = 0;
      for (int i = b[k]; i < b[k + 1]; i++) {
        float w = params[i];
        float r = (ms[i] * c1) / ((float) Math.sqrt(vs[i] * c2) + eps) + wd * w;
        ww += (double) w * w;
        rr += (double) r * r;
      }
      double ratio = ww > 0 && rr > 0 ? Math.sqrt(ww) / Math.sqrt(rr) : 1.0;
      rate[k] = (float) (lr * ratio);
    }
    ranges.run(n, (from, to) -> {
      if (from >= to) return;
      int k = 0;
      while (b[k + 1] <= from) k++;
      for (int i = from; i < to; i++) {
        if (i == b[k + 1]) k++;
        float w = params[i];
        float r = (ms[i] * c1) / ((float) Math.sqrt(vs[i] * c2) + eps) + wd * w;
        params[i] = w - rate[k] * r;
      }
    });
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(kind.name().toLowerCase(Locale.ROOT)).append("(lr ").append(learningRate);
    if (kind == Kind.MOMENTUM || kind == Kind.NESTEROV) b.append(", momentum ").append(momentum);
    if (kind == Kind.ADAM || kind == Kind.ADAMW || kind == Kind.LAMB) b.append(", betas ").append(beta1).append('/').append(beta2);
    if (weightDecay > 0) b.append(", weight decay ").append(weightDecay);
    if (clipNorm > 0) b.append(", clip ").append(clipNorm);
    return b.append(", ").append(schedule).append(')').toString();
  }
}
