package io.sparkprop.trainer.nn;

import java.util.Locale;

/**
 * The output layer fused with its loss, so that the output delta dL/dz is computed directly from
 * the logits z (the last layer's pre-activation) without ever forming a Jacobian.
 *
 * <p>All three pairs have the same delta form, {@code delta = w * (prediction - target)}, where w
 * is the example weight (1 when absent). Losses are summed over the block in double; the caller
 * divides once by the global weight sum.
 *
 * <p>Targets are a row-major matrix {@code rows x targetWidth}:
 * <ul>
 *   <li>{@link #SOFTMAX_CROSS_ENTROPY}: width 1 holds a class index in [0, k) (stored as a float;
 *       exact below 2^24), width k a target distribution (one-hot or soft, each row summing to 1).
 *       With a distribution the loss is the cross-entropy -sum y log y_hat, which is the KL
 *       divergence KL(y || y_hat) plus the (constant) entropy of y.
 *   <li>{@link #SIGMOID_BINARY_CROSS_ENTROPY}: width k, each entry in [0, 1]; binary (k = 1) or
 *       multi-label targets.
 *   <li>{@link #LINEAR_SQUARED_ERROR}: width k, any finite values; loss 1/2 ||y - d||^2.
 * </ul>
 */
public enum Head {
  /** Softmax output, cross-entropy loss; requires at least 2 outputs. */
  SOFTMAX_CROSS_ENTROPY,
  /** Sigmoid output per unit, binary cross-entropy loss, computed stably from the logits. */
  SIGMOID_BINARY_CROSS_ENTROPY,
  /** Identity output, squared-error loss 1/2 ||y - d||^2 (regression). */
  LINEAR_SQUARED_ERROR;

  /** Parses a config name: softmax, sigmoid, linear (also the enum names). */
  public static Head parse(String name) {
    String s = name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
    switch (s) {
      case "softmax": case "softmax_cross_entropy": return SOFTMAX_CROSS_ENTROPY;
      case "sigmoid": case "sigmoid_binary_cross_entropy": return SIGMOID_BINARY_CROSS_ENTROPY;
      case "linear": case "identity": case "linear_squared_error": return LINEAR_SQUARED_ERROR;
      default:
        throw new IllegalArgumentException("unknown output '" + name + "'; expected softmax, sigmoid or linear");
    }
  }

  /** The config name {@link #parse} reads back. */
  public String configName() {
    switch (this) {
      case SOFTMAX_CROSS_ENTROPY: return "softmax";
      case SIGMOID_BINARY_CROSS_ENTROPY: return "sigmoid";
      default: return "linear";
    }
  }

  /** True for the heads whose targets are class labels (accuracy is meaningful). */
  public boolean isClassification() {
    return this != LINEAR_SQUARED_ERROR;
  }

  /** Whether a target matrix of this width is valid for k outputs. */
  public boolean acceptsTargetWidth(int targetWidth, int k) {
    return targetWidth == k || (this == SOFTMAX_CROSS_ENTROPY && targetWidth == 1);
  }

  /**
   * Computes the summed (weighted) loss of a block and writes dL/dz into {@code delta}.
   *
   * @param z logits, rows x k row-major, not modified
   * @param targets rows x targetWidth row-major
   * @param weights per-row example weights, or null for weight 1
   * @param delta output, rows x k row-major; fully overwritten
   * @return the summed loss, sum_r w_r * loss_r, in double
   */
  public double lossAndDelta(float[] z, int rows, int k, float[] targets, int targetWidth,
      float[] weights, float[] delta) {
    // one small method per row and head: each is compiled on its own, once, after a few steps; a
    // loop over a whole block was compiled on stack first, then again whole (docs/benchmarks.md)
    double total = 0;
    for (int r = 0; r < rows; r++) {
      float w = weights == null ? 1f : weights[r];
      double loss = switch (this) {
        case SOFTMAX_CROSS_ENTROPY -> softmaxRow(z, r * k, k, targets, r * targetWidth, targetWidth, w, delta);
        case SIGMOID_BINARY_CROSS_ENTROPY -> sigmoidRow(z, r * k, k, targets, r * targetWidth, w, delta);
        case LINEAR_SQUARED_ERROR -> squaredErrorRow(z, r * k, k, targets, r * targetWidth, w, delta);
      };
      total += w * loss;
    }
    return total;
  }

  /** One row's cross-entropy of softmax(z) and its delta (times w); targets a class index or k probabilities. */
  private static double softmaxRow(float[] z, int zo, int k, float[] targets, int to, int targetWidth, float w, float[] delta) {
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < k; j++) max = Math.max(max, z[zo + j]);
    double sum = 0;
    for (int j = 0; j < k; j++) sum += Math.exp(z[zo + j] - max);
    double lse = max + Math.log(sum); // log sum_j e^{z_j}; sum >= 1, so no log(0)
    double loss = 0;
    if (targetWidth == 1) {
      int t = (int) targets[to];
      loss = lse - z[zo + t];
      for (int j = 0; j < k; j++) {
        double p = Math.exp(z[zo + j] - lse);
        delta[zo + j] = w * (float) (j == t ? p - 1.0 : p);
      }
    } else {
      for (int j = 0; j < k; j++) {
        double y = targets[to + j];
        if (y != 0) loss += y * (lse - z[zo + j]);
        delta[zo + j] = w * (float) (Math.exp(z[zo + j] - lse) - y);
      }
    }
    return loss;
  }

  /** One row's binary cross-entropy of sigmoid(z) per label and its delta (times w). */
  private static double sigmoidRow(float[] z, int zo, int k, float[] targets, int to, float w, float[] delta) {
    double loss = 0;
    for (int j = 0; j < k; j++) {
      double x = z[zo + j];
      double y = targets[to + j];
      // -[y log s(x) + (1-y) log(1-s(x))] = max(x,0) - x y + log(1 + e^{-|x|})
      loss += Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
      delta[zo + j] = w * (float) (Activation.sigmoid((float) x) - y);
    }
    return loss;
  }

  /** One row's half squared error and its delta (times w). */
  private static double squaredErrorRow(float[] z, int zo, int k, float[] targets, int to, float w, float[] delta) {
    double loss = 0;
    for (int j = 0; j < k; j++) {
      double e = (double) z[zo + j] - targets[to + j];
      loss += 0.5 * e * e;
      delta[zo + j] = w * (float) e;
    }
    return loss;
  }

  /**
   * Turns logits into predictions in place: class probabilities (softmax), per-label
   * probabilities (sigmoid), or the regression outputs themselves (linear).
   */
  public void predictInPlace(float[] z, int rows, int k) {
    if (this == LINEAR_SQUARED_ERROR) {
      return;
    }
    for (int r = 0; r < rows; r++) {
      if (this == SIGMOID_BINARY_CROSS_ENTROPY) {
        sigmoidInPlace(z, r * k, k);
      } else {
        softmaxInPlace(z, r * k, k);
      }
    }
  }

  private static void sigmoidInPlace(float[] z, int o, int k) {
    for (int j = 0; j < k; j++) z[o + j] = Activation.sigmoid(z[o + j]);
  }

  private static void softmaxInPlace(float[] z, int o, int k) {
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < k; j++) max = Math.max(max, z[o + j]);
    double sum = 0;
    for (int j = 0; j < k; j++) sum += Math.exp(z[o + j] - max);
    for (int j = 0; j < k; j++) z[o + j] = (float) (Math.exp(z[o + j] - max) / sum);
  }
}
