package io.sparkprop.driver;

import java.io.Serializable;

/**
 * What one task returns for one step: its partition's summed gradient (null when the partition
 * held no member of the batch, so nothing is shipped), summed loss, summed weight and count.
 */
final class StepResult implements Serializable {
  private static final long serialVersionUID = 1L;
  static final StepResult EMPTY = new StepResult(null, 0, 0, 0);

  final float[] grad;
  final double loss;
  final double weight;
  final long count;

  StepResult(float[] grad, double loss, double weight, long count) {
    this.grad = grad;
    this.loss = loss;
    this.weight = weight;
    this.count = count;
  }
}
