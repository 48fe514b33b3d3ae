package io.sparkprop.driver.loop;

import io.sparkprop.trainer.nn.EvalSums;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.LossSum;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The epochs of one {@link DistributedTrainer#fit}: steps (one job each, or chunks of fused
 * steps), the validation pass, the best parameters and early stopping, and the snapshots a
 * {@link CheckpointHook} saves, taken at the same steps whichever way the steps ran.
 */
final class FitLoop {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);
  private final DistributedTrainer t;

  FitLoop(DistributedTrainer trainer) {
    this.t = trainer;
  }

  FitResult run(FitOptions options, Consumer<EpochReport> listener, DistributedTrainer.StepListener steps, TrainingState start,
      CheckpointHook hook) {
    int spe = t.plan().stepsPerEpoch();
    if (start == null) start = TrainingState.start(t.liveParams(), t.optimizerState()).withFirstEpoch(Math.toIntExact(t.optimizerState().step() / spe));
    if (start.step() != t.optimizerState().step()) {
      throw new IllegalStateException("resume state is at step " + start.step() + " but the trainer at step " + t.optimizerState().step());
    }
    t.stream().begin(options.validation(), t.optimizerState().step());
    List<EpochReport> history = new ArrayList<>(start.history());
    Head head = t.spec().network().head();
    double best = start.best();
    float[] bestParams = start.bestParams();
    int bestEpoch = start.bestEpoch();
    int sinceBest = start.sinceBest();
    boolean stoppedEarly = start.stoppedEarly();
    LossSum s = start.epochSums();
    int first = start.firstEpoch();
    int end = first + options.epochs();
    for (int e = Math.toIntExact(t.optimizerState().step() / spe); !stoppedEarly && e < end; e++) {
      long t0 = System.nanoTime();
      long left = spe - t.optimizerState().step() % spe;
      boolean fused = t.fusesSteps();
      for (long i = 0; i < left; ) {
        int n = fused ? t.chunkLength(left - i, hook) : 1;
        if (n == 1) {
          LossSum one = t.step();
          s = s.plus(one);
          if (steps != null) steps.step(t.optimizerState().step(), e, one, t.lastStepStats());
        } else {
          FusedSteps.Chunk c = FusedSteps.chunk(t, n);
          for (int j = 0; j < c.sums().length; j++) {
            s = s.plus(c.sums()[j]);
            if (steps != null) steps.step(c.firstStep() + j + 1, e, c.sums()[j], c.stats()[j]);
          }
          if (c.failure() != null) throw c.failure();
        }
        i += n;
        if (hook != null && i < left && hook.due(t.optimizerState().step(), false)) {
          hook.save(snapshot(start, best, bestParams, bestEpoch, sinceBest, false, s, history));
        }
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      EvalSums val = null;
      boolean evalNow = options.validation() != null && ((e - first + 1) % options.evalEvery() == 0 || e == end - 1);
      if (evalNow) {
        val = t.evaluate(options.validation());
        double metric = head.isClassification() ? val.accuracy() : -val.mse();
        if (bestParams == null || metric > best) {
          best = metric;
          bestParams = t.liveParams().clone();
          bestEpoch = e;
          sinceBest = 0;
        } else {
          sinceBest++;
        }
      }
      EpochReport r = new EpochReport(e, (int) left, t.optimizerState().step(), s.meanLoss(), val, secs, s.count() / secs);
      history.add(r);
      s = LossSum.ZERO;
      if (listener != null) listener.accept(r);
      if (options.patience() > 0 && sinceBest >= options.patience()) {
        LOG.info("{}: no validation improvement in {} evaluations; stopping after epoch {} (best epoch {})",
            t.runName(), sinceBest, e, bestEpoch);
        stoppedEarly = true;
      }
      if (hook != null && (stoppedEarly || e == end - 1 || hook.due(t.optimizerState().step(), true))) {
        hook.save(snapshot(start, best, bestParams, bestEpoch, sinceBest, stoppedEarly, s, history));
      }
    }
    if (bestParams != null) {
      System.arraycopy(bestParams, 0, t.liveParams(), 0, t.liveParams().length);
    }
    return new FitResult(t.liveParams().clone(), history, bestEpoch, stoppedEarly);
  }

  private TrainingState snapshot(TrainingState start, double best, float[] bestParams, int bestEpoch, int sinceBest,
      boolean stopped, LossSum epochSums, List<EpochReport> history) {
    return new TrainingState(t.liveParams(), t.optimizerState(), start.firstEpoch(), best, bestParams, bestEpoch, sinceBest, stopped, epochSums,
        history, start.lrScale(), start.rollbacks());
  }
}
