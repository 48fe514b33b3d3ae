package io.sparkprop.driver.job;

import io.sparkprop.driver.checkpoint.CheckpointStore;
import io.sparkprop.driver.checkpoint.Checkpointer;
import io.sparkprop.driver.checkpoint.RunIdentity;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.failure.JobFailures;
import io.sparkprop.driver.loop.DistributedTrainer;
import io.sparkprop.driver.loop.DivergenceException;
import io.sparkprop.driver.loop.EpochReport;
import io.sparkprop.driver.loop.FitOptions;
import io.sparkprop.driver.loop.FitResult;
import io.sparkprop.driver.loop.TrainingState;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.optim.OptimizerState;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Training on packed data with everything that makes a long run safe, shared by the command line
 * and the Spark ML estimators: resume from the newest checkpoint that matches the run (or start
 * over on request), checkpoints written in the background, the divergence guard (stop with the
 * last good checkpoint named, or roll back to it with a lower learning rate), and a run that
 * Spark loses ending in one line that says how a rerun resumes.
 */
public final class CheckpointedFit {
  private CheckpointedFit() {}

  /** How the run trains beyond its {@link TrainingSpec}. */
  public record Settings(String runName, FitOptions options, DistributedTrainer.Reduce reduce, int stepsPerJob, boolean rollback,
      double divergenceLrFactor, int maxRollbacks) {}

  /**
   * Where and how often checkpoints are written ({@code dir} empty: none; {@code everySteps} 0:
   * at the end of every epoch; {@code everySeconds} 0: never by time).
   */
  public record Checkpoints(String dir, int keep, long everySteps, double everySeconds) {
    public static final Checkpoints NONE = new Checkpoints("", 1, 0, 0);
  }

  /**
   * The caller's words in messages: its names for the settings an operator changes, and how it
   * reruns. {@code divergenceFixes} has one {@code %s}, the learning rate in use;
   * {@code startOver} one, the checkpoint folder.
   */
  public record Wording(String divergenceFixes, String setCheckpoints, String startOver, String rerun) {}

  /**
   * What the fit did: {@code trainingWait} is the time training waited for checkpoint writes;
   * {@link #checkpointer} is closed, its counters final.
   */
  public record Outcome(FitResult result, OptimizerState optimizer, String resumedFrom, long resumedStep, double trainSeconds,
      double trainingWait, Checkpointer checkpointer) {}

  /** Where a fit starts: resumed from a checkpoint ({@code resumedFrom}, its step), or from the caller's state. */
  public record Start(CheckpointStore store, RunIdentity identity, Checkpoints checkpoints, TrainingState state, String resumedFrom,
      long resumedStep) {}

  /**
   * Finds where the fit starts: the newest checkpoint in {@code checkpoints.dir()} that matches
   * {@code identity}, else {@code initial}.
   *
   * @param fresh delete the checkpoints in {@code checkpoints.dir()} and start over instead of resuming
   * @param initial the state a run that does not resume starts from (initial or warm-start weights)
   * @param say where to say that the run resumes or starts over (a line each)
   */
  public static Start start(JavaSparkContext sc, TrainingSpec spec, PackedData train, RunIdentity identity, Checkpoints checkpoints,
      Wording wording, boolean fresh, Supplier<TrainingState> initial, Consumer<String> say) {
    long spe = spec.plan(train.rows()).stepsPerEpoch();
    CheckpointStore store = checkpoints.dir().isEmpty() ? null
        : new CheckpointStore(checkpoints.dir(), sc.hadoopConfiguration(), checkpoints.keep());
    if (store != null && fresh) {
      int n = store.clear();
      if (n > 0) say.accept("--fresh: deleted " + n + " checkpoint(s) in " + checkpoints.dir());
    } else if (store != null) {
      CheckpointStore.Loaded c = store.resumable(identity, w -> System.err.println("sparkprop: warning: " + w),
          String.format(wording.startOver(), checkpoints.dir()));
      if (c != null) {
        TrainingState state = c.state();
        say.accept(String.format("resuming from %s at epoch %d, step %d (global step %d)%s", c.path(), state.step() / spe + 1,
            state.step() % spe, state.step(), state.rollbacks() > 0 ? ", learning rate x" + state.lrScale() : ""));
        return new Start(store, identity, checkpoints, state, c.path(), state.step());
      }
    }
    return new Start(store, identity, checkpoints, initial.get(), null, -1);
  }

  /**
   * Runs the fit from {@code from}.
   *
   * @param epochs called after each epoch, may be null
   * @param steps called after each step, may be null
   * @param overlapping given the result once training ended, runs while the final checkpoint is
   *     written (the evaluation; may be null)
   */
  public static Outcome run(JavaSparkContext sc, TrainingSpec spec, PackedData train, Start from, Settings settings,
      Wording wording, Consumer<EpochReport> epochs, DistributedTrainer.StepListener steps, Consumer<FitResult> overlapping) {
    CheckpointStore store = from.store();
    TrainingState state = from.state();
    Checkpointer checkpointer = new Checkpointer(store, from.identity(), from.checkpoints().everySteps(),
        from.checkpoints().everySeconds(), state, from.resumedFrom());
    FitResult result;
    DistributedTrainer trainer;
    long t0 = System.nanoTime();
    try {
      while (true) {
        TrainingSpec s = spec.withOptimizer(spec.optimizer().withLearningRate(spec.optimizer().learningRate() * state.lrScale()));
        trainer = new DistributedTrainer(sc, s, train, settings.runName(), state.params(), state.optimizer())
            .reduce(settings.reduce()).stepsPerJob(settings.stepsPerJob());
        try {
          result = trainer.fit(settings.options(), epochs, steps, state, checkpointer);
          break;
        } catch (DivergenceException e) {
          checkpointer.finish(); // the message names the last checkpoint that is complete
          TrainingState good = checkpointer.lastGood();
          String where = checkpointer.lastPath() != null ? "the last good checkpoint is " + checkpointer.lastPath()
              + " (global step " + good.step() + ")"
              : store != null ? "no checkpoint was written yet" : "no checkpoints are written (" + wording.setCheckpoints() + ")";
          if (!settings.rollback() || good.rollbacks() >= settings.maxRollbacks()) {
            throw new DivergenceException(e.globalStep(), e.what(), "; " + where
                + (settings.rollback() ? "; gave up after " + good.rollbacks() + " rollback(s)" : "")
                + ". Likely fixes: " + String.format(wording.divergenceFixes(), s.optimizer().learningRate()));
          }
          state = good.rolledBack(settings.divergenceLrFactor());
          System.err.printf("sparkprop: warning: %s; rolling back to global step %d with learning rate x%s (rollback %d of %d)%n",
              e.getMessage(), good.step(), state.lrScale(), state.rollbacks(), settings.maxRollbacks());
          checkpointer.save(state); // so that a resume continues with the lowered rate
        }
      }
    } catch (Throwable e) { // the last snapshot is still worth writing: a rerun resumes from it
      JobFailures.cleanUpAfter(e, checkpointer::close);
      if (e instanceof Exception x && JobFailures.runLost(e, sc.sc())) {
        String resume = checkpointer.lastPath() != null
            ? wording.rerun() + " resumes from the last checkpoint, " + checkpointer.lastPath() + " (global step "
                + checkpointer.lastGood().step() + ")"
            : store != null ? "no checkpoint was complete yet, so " + wording.rerun() + " starts over"
            : "no checkpoints are written (" + wording.setCheckpoints() + " so that a rerun resumes)";
        throw new RunLostException("Spark could not finish training: " + JobFailures.summary(e) + "; " + resume, x);
      }
      throw e;
    }
    double trainSeconds = (System.nanoTime() - t0) / 1e9;
    double trainingWait = checkpointer.waitSeconds();
    try {
      if (overlapping != null) overlapping.accept(result);
    } catch (Throwable e) {
      JobFailures.cleanUpAfter(e, checkpointer::close);
      throw e;
    }
    checkpointer.close();
    return new Outcome(result, trainer.state(), from.resumedFrom(), from.resumedStep(), trainSeconds, trainingWait, checkpointer);
  }
}
