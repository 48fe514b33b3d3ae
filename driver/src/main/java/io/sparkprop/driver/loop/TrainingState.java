package io.sparkprop.driver.loop;

import io.sparkprop.trainer.nn.LossSum;
import io.sparkprop.trainer.optim.OptimizerState;
import java.util.List;
import java.util.Objects;

/**
 * Everything {@link DistributedTrainer#fit} needs to continue a run exactly where it was: the
 * parameters and optimizer state, the early-stopping state, the losses of the epoch under way
 * and the epochs already reported. A checkpoint is this plus what identifies the run (config
 * hash, data fingerprint, seed). Immutable: arrays and the optimizer state are copied in and out.
 *
 * @param params current parameters (the step {@code optimizer.step()} is next)
 * @param optimizer optimizer slots and step count
 * @param firstEpoch the epoch the run started at (0 for a fresh run)
 * @param best best validation metric so far (accuracy, or -MSE for regression); NaN before the
 *     first evaluation
 * @param bestParams parameters at the best evaluation, or null before the first evaluation
 * @param bestEpoch epoch of the best evaluation, or -1
 * @param sinceBest evaluations since the best one
 * @param stoppedEarly whether early stopping has ended the run
 * @param epochSums summed losses of the current epoch's steps taken so far
 * @param history one report per finished epoch
 * @param lrScale factor on the configured learning rate (below 1 after divergence rollbacks)
 * @param rollbacks divergence rollbacks taken so far
 */
public record TrainingState(float[] params, OptimizerState optimizer, int firstEpoch, double best, float[] bestParams,
    int bestEpoch, int sinceBest, boolean stoppedEarly, LossSum epochSums, List<EpochReport> history, double lrScale,
    int rollbacks) {

  public TrainingState {
    params = Objects.requireNonNull(params, "params").clone();
    optimizer = Objects.requireNonNull(optimizer, "optimizer").copy();
    bestParams = bestParams == null ? null : bestParams.clone();
    Objects.requireNonNull(epochSums, "epoch sums");
    history = List.copyOf(history);
    if (bestParams != null && bestParams.length != params.length) {
      throw new IllegalArgumentException("best parameters have " + bestParams.length + " values, parameters " + params.length);
    }
    if (!(lrScale > 0) || Double.isInfinite(lrScale)) throw new IllegalArgumentException("learning-rate scale must be > 0, got " + lrScale);
    if (rollbacks < 0) throw new IllegalArgumentException("rollbacks must be >= 0, got " + rollbacks);
  }

  /** A fresh run's state: the given start, no evaluations, no history. */
  public static TrainingState start(float[] params, OptimizerState optimizer) {
    return new TrainingState(params, optimizer, 0, Double.NaN, null, -1, 0, false, LossSum.ZERO, List.of(),
        1.0, 0);
  }

  @Override
  public float[] params() {
    return params.clone();
  }

  @Override
  public OptimizerState optimizer() {
    return optimizer.copy();
  }

  @Override
  public float[] bestParams() {
    return bestParams == null ? null : bestParams.clone();
  }

  /** Global step: the number of optimizer steps taken in this run. */
  public long step() {
    return optimizer.step();
  }

  /** The same state with another first epoch. */
  public TrainingState withFirstEpoch(int epoch) {
    return new TrainingState(params, optimizer, epoch, best, bestParams, bestEpoch, sinceBest, stoppedEarly, epochSums,
        history, lrScale, rollbacks);
  }

  /** The same state after a divergence rollback: learning rate times {@code factor}, one more rollback. */
  public TrainingState rolledBack(double factor) {
    return new TrainingState(params, optimizer, firstEpoch, best, bestParams, bestEpoch, sinceBest, stoppedEarly, epochSums,
        history, lrScale * factor, rollbacks + 1);
  }
}
