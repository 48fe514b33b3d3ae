package io.sparkprop.trainer.nn;

import java.io.Serializable;

/**
 * What a backward pass over a block reports beside its gradient: the summed weighted loss, the
 * summed example weight (the normaliser), and the example count. Addable across blocks and
 * partitions; only the driver divides.
 */
public record LossSum(double loss, double weight, long count) implements Serializable {
  public static final LossSum ZERO = new LossSum(0, 0, 0);

  public LossSum plus(LossSum o) {
    return new LossSum(loss + o.loss, weight + o.weight, count + o.count);
  }

  /** Mean loss per unit of weight; NaN when nothing was seen. */
  public double meanLoss() {
    return weight > 0 ? loss / weight : Double.NaN;
  }
}
