package io.sparkprop.driver.ml;

import io.sparkprop.driver.loop.EpochReport;
import io.sparkprop.driver.loop.FitResult;
import java.io.Serializable;
import java.util.List;

/**
 * What a fit reported, kept on the fitted model as MLlib's training summaries are (not saved with
 * it): the training loss of every epoch, the validation metric of every epoch that had one
 * (accuracy for classifiers, MSE for regressors; with {@code validationIndicatorCol}), the best
 * epoch, whether early stopping ended the run, and the checkpoint a fit with
 * {@code checkpointDir} resumed from.
 */
public final class TrainingSummary implements Serializable {
  private static final long serialVersionUID = 1L;
  private final double[] lossHistory;
  private final double[] validationHistory;
  private final int bestEpoch;
  private final boolean stoppedEarly;
  private final String resumedFrom;
  private final long resumedFromStep;

  TrainingSummary(TrainParams.Fitted f, boolean classification) {
    FitResult r = f.result();
    List<EpochReport> h = r.history();
    this.lossHistory = h.stream().mapToDouble(EpochReport::trainLoss).toArray();
    this.validationHistory = h.stream().filter(e -> e.validation() != null)
        .mapToDouble(e -> classification ? e.validation().accuracy() : e.validation().mse()).toArray();
    this.bestEpoch = r.bestEpoch();
    this.stoppedEarly = r.stoppedEarly();
    this.resumedFrom = f.resumedFrom();
    this.resumedFromStep = f.resumedStep();
  }

  /** Mean training loss per epoch. */
  public double[] lossHistory() { return lossHistory.clone(); }
  /** Validation accuracy (classifier) or MSE (regressor) per evaluated epoch; empty without validation. */
  public double[] validationHistory() { return validationHistory.clone(); }
  /** The 0-based epoch whose weights the model holds when validation picked them, else -1. */
  public int bestEpoch() { return bestEpoch; }
  public boolean stoppedEarly() { return stoppedEarly; }
  public int totalIterations() { return lossHistory.length; }
  /** The checkpoint this fit resumed from, or null when it started fresh. */
  public String resumedFrom() { return resumedFrom; }
  /** The global step this fit resumed at, or -1 when it started fresh. */
  public long resumedFromStep() { return resumedFromStep; }
}
