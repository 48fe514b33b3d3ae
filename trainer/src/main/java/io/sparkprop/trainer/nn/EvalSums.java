package io.sparkprop.trainer.nn;

import java.io.Serializable;

/**
 * Addable evaluation sums over a set of examples, unweighted (example weights steer training,
 * not the reported metrics).
 *
 * @param loss summed loss (cross-entropy for classification heads, 1/2 squared error for linear)
 * @param correct classification: examples whose arg-max class equals the label (softmax), or
 *     label entries on the right side of 0.5 (sigmoid); 0 for regression
 * @param squaredError summed squared error over all outputs (regression; 0 otherwise)
 * @param absError summed absolute error over all outputs (regression; 0 otherwise)
 * @param count examples seen
 * @param units count x (entries judged per example): count for softmax, count x k otherwise
 */
public record EvalSums(double loss, double correct, double squaredError, double absError, long count, long units)
    implements Serializable {
  public static final EvalSums ZERO = new EvalSums(0, 0, 0, 0, 0, 0);
  /** How many values {@link #toArray()} holds. */
  public static final int LENGTH = 6;

  public EvalSums plus(EvalSums o) {
    return new EvalSums(loss + o.loss, correct + o.correct, squaredError + o.squaredError,
        absError + o.absError, count + o.count, units + o.units);
  }

  /** The six sums as an array (for shipping through serializers that cannot handle records). */
  public double[] toArray() {
    return new double[] {loss, correct, squaredError, absError, count, units};
  }

  /** Inverse of {@link #toArray()}. */
  public static EvalSums fromArray(double[] a) {
    if (a.length != LENGTH) throw new IllegalArgumentException("evaluation sums need " + LENGTH + " values, got " + a.length);
    return new EvalSums(a[0], a[1], a[2], a[3], (long) a[4], (long) a[5]);
  }

  /** Mean loss per example (log loss for classification). */
  public double meanLoss() {
    return count > 0 ? loss / count : Double.NaN;
  }

  /** Fraction correct (per example for softmax, per label for sigmoid). */
  public double accuracy() {
    return units > 0 ? correct / units : Double.NaN;
  }

  /** Mean squared error per output value. */
  public double mse() {
    return units > 0 ? squaredError / units : Double.NaN;
  }

  /** Mean absolute error per output value. */
  public double mae() {
    return units > 0 ? absError / units : Double.NaN;
  }
}
