package io.sparkprop.driver.ml;

import io.sparkprop.driver.loop.EpochReport;
import io.sparkprop.driver.loop.FitResult;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a fit reported, kept on the fitted model as MLlib's training summaries are (not saved with
 * it): the training loss of every epoch, the validation metric of every epoch that had one
 * (accuracy for classifiers, MSE for regressors; with {@code validationIndicatorCol}), the best
 * epoch, whether early stopping ended the run, and the checkpoint a fit with
 * {@code checkpointDir} resumed from.
 *
 * <p>It is Spark's {@code TrainingSummary} too, so a Spark Connect client reads the loss history
 * as {@code objectiveHistory}, and it survives the Connect server moving its model to local disk
 * ({@link #saveTo}, {@link #loadFrom}).
 */
public final class TrainingSummary implements Serializable, org.apache.spark.ml.util.Summary,
    org.apache.spark.ml.classification.TrainingSummary {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();
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

  private TrainingSummary(double[] lossHistory, double[] validationHistory, int bestEpoch, boolean stoppedEarly,
      String resumedFrom, long resumedFromStep) {
    this.lossHistory = lossHistory;
    this.validationHistory = validationHistory;
    this.bestEpoch = bestEpoch;
    this.stoppedEarly = stoppedEarly;
    this.resumedFrom = resumedFrom;
    this.resumedFromStep = resumedFromStep;
  }

  /** Writes this summary as one JSON file at {@code file} on the local disk. */
  void saveTo(String file) {
    ObjectNode o = JSON.createObjectNode();
    o.set("lossHistory", JSON.valueToTree(lossHistory));
    o.set("validationHistory", JSON.valueToTree(validationHistory));
    o.put("bestEpoch", bestEpoch);
    o.put("stoppedEarly", stoppedEarly);
    o.put("resumedFrom", resumedFrom);
    o.put("resumedFromStep", resumedFromStep);
    try {
      Path p = Path.of(file);
      if (p.getParent() != null) Files.createDirectories(p.getParent());
      Files.write(p, JSON.writeValueAsBytes(o));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the training summary to " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads a summary {@link #saveTo} wrote. */
  static TrainingSummary loadFrom(String file) {
    try {
      var o = JSON.readTree(Files.readAllBytes(Path.of(file)));
      return new TrainingSummary(JSON.treeToValue(o.get("lossHistory"), double[].class),
          JSON.treeToValue(o.get("validationHistory"), double[].class), o.get("bestEpoch").asInt(),
          o.get("stoppedEarly").asBoolean(), o.get("resumedFrom").isNull() ? null : o.get("resumedFrom").asText(),
          o.get("resumedFromStep").asLong());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the training summary at " + file + ": " + e.getMessage(), e);
    }
  }

  /** Mean training loss per epoch. */
  public double[] lossHistory() { return lossHistory.clone(); }
  /** The same as {@link #lossHistory()}: the name Spark's summaries (and Spark Connect clients) use. */
  @Override
  public double[] objectiveHistory() { return lossHistory.clone(); }
  /** Validation accuracy (classifier) or MSE (regressor) per evaluated epoch; empty without validation. */
  public double[] validationHistory() { return validationHistory.clone(); }
  /** The 0-based epoch whose weights the model holds when validation picked them, else -1. */
  public int bestEpoch() { return bestEpoch; }
  public boolean stoppedEarly() { return stoppedEarly; }
  @Override
  public int totalIterations() { return lossHistory.length; }
  /** The checkpoint this fit resumed from, or null when it started fresh. */
  public String resumedFrom() { return resumedFrom; }
  /** The global step this fit resumed at, or -1 when it started fresh. */
  public long resumedFromStep() { return resumedFromStep; }
}
