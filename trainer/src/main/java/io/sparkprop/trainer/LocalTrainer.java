package io.sparkprop.trainer;

import io.sparkprop.trainer.batch.BatchPlan;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.EvalSums;
import io.sparkprop.trainer.nn.LossSum;
import io.sparkprop.trainer.optim.OptimizerState;
import java.util.Arrays;

/**
 * Single-process minibatch training with exactly the batch definition, gradient arithmetic and
 * update of the Spark loop: the reference the distributed trainer must equal, and a trainer for
 * small data in its own right.
 *
 * <p>Owns the current parameters, the optimizer state and one gradient buffer, all mutated by
 * {@link #step()}. Global step t is batch {@code t % stepsPerEpoch} of epoch
 * {@code t / stepsPerEpoch}; t is the optimizer state's step count, so a trainer rebuilt from
 * (params, state) continues exactly where the old one stopped.
 */
public final class LocalTrainer {
  private final TrainingSpec spec;
  private final Examples data;
  private final BatchPlan plan;
  private final ShardStep shard;
  private final float[] params;
  private final OptimizerState state;
  private final float[] grad;

  /** Starts from the spec's seeded initial weights. */
  public LocalTrainer(TrainingSpec spec, Examples data) {
    this(spec, data, spec.initialParams(), spec.optimizer().initialise(spec.network().paramCount()));
  }

  /**
   * Continues from given parameters and optimizer state (warm start or resume). Both are copied.
   *
   * @throws IllegalArgumentException if the data do not fit the network (see {@link Examples#validate})
   */
  public LocalTrainer(TrainingSpec spec, Examples data, float[] params, OptimizerState state) {
    this.spec = spec;
    spec.network().checkParams(params, "initial parameters");
    for (int i = 0; i < params.length; i++) {
      if (!Float.isFinite(params[i])) {
        throw new IllegalArgumentException("initial parameter " + i + " is " + params[i]);
      }
    }
    data.validate(spec.network().head(), spec.network().inputSize(), spec.network().outputSize());
    if (data.firstId() != 0) {
      throw new IllegalArgumentException("the local trainer needs example ids starting at 0, got " + data.firstId());
    }
    this.data = data;
    this.plan = spec.plan(data.rows());
    this.shard = new ShardStep(spec);
    this.params = params.clone();
    this.state = OptimizerState.restore(state.step(), state.snapshot());
    if (this.state.slotLength() != (long) params.length * spec.optimizer().slotsPerParam()) {
      throw new IllegalArgumentException("optimizer state has " + state.slotLength() + " slots, "
          + spec.optimizer().kind() + " needs " + (long) params.length * spec.optimizer().slotsPerParam());
    }
    this.grad = new float[params.length];
  }

  public BatchPlan plan() {
    return plan;
  }

  /** The global step about to run (= steps taken so far). */
  public long stepCount() {
    return state.step();
  }

  /** One minibatch step; returns the batch's summed loss, weight and count. */
  public LossSum step() {
    long t = state.step();
    int spe = plan.stepsPerEpoch();
    int epoch = Math.toIntExact(t / spe);
    int k = (int) (t % spe);
    Arrays.fill(grad, 0f);
    LossSum s = shard.accumulate(params, data, plan, epoch, k, grad);
    spec.optimizer().stepFromSum(params, grad, s.weight(), state);
    return s;
  }

  /** Runs n steps; returns their summed losses. */
  public LossSum steps(long n) {
    LossSum total = LossSum.ZERO;
    for (long i = 0; i < n; i++) total = total.plus(step());
    return total;
  }

  /** Runs to the end of the current epoch (a full epoch when called at an epoch boundary). */
  public LossSum epoch() {
    int spe = plan.stepsPerEpoch();
    long left = spe - state.step() % spe;
    return steps(left);
  }

  /** Evaluation sums of the current parameters on a data set. */
  public EvalSums evaluate(Examples eval) {
    return shard.network().evaluate(params, eval, shard.workspace());
  }

  /** A copy of the current parameters. */
  public float[] params() {
    return params.clone();
  }

  /** A copy of the optimizer state. */
  public OptimizerState state() {
    return OptimizerState.restore(state.step(), state.snapshot());
  }
}
