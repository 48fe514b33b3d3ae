package io.sparkprop.driver.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkprop.driver.loop.EpochReport;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Output of a run: one human line per epoch (epoch, steps, train loss, validation metric,
 * examples/s, elapsed, ETA), a progress bar over all steps when a terminal is attached, and one
 * JSON line per epoch (and, with output.step-metrics, per step) in {@code metrics.jsonl}.
 */
final class RunOutput implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final PrintStream out;
  private final int epochs;
  private final boolean classification;
  private final BufferedWriter metrics;
  private final long start = System.nanoTime();
  private final boolean stepMetrics;
  private final me.tongfei.progressbar.ProgressBar bar;
  private int seen;

  /**
   * @param stepsPerEpoch for the terminal progress bar, shown only when a console is attached
   *     and output goes to the real standard output
   * @param append continue metrics.jsonl (a resumed run) instead of starting it anew
   */
  RunOutput(String dir, PrintStream out, int epochs, boolean classification, boolean stepMetrics, long stepsPerEpoch,
      boolean append) {
    this.out = out;
    this.epochs = epochs;
    this.classification = classification;
    this.stepMetrics = stepMetrics;
    this.bar = System.console() != null && out == System.out
        ? new me.tongfei.progressbar.ProgressBarBuilder().setTaskName("training").setInitialMax(stepsPerEpoch * epochs)
            .setUnit(" steps", 1).setUpdateIntervalMillis(200).setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
            .build()
        : null;
    try {
      Path d = Path.of(dir);
      Files.createDirectories(d);
      this.metrics = append
          ? Files.newBufferedWriter(d.resolve("metrics.jsonl"), StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
              java.nio.file.StandardOpenOption.APPEND)
          : Files.newBufferedWriter(d.resolve("metrics.jsonl"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the run folder " + dir + ": " + e.getMessage(), e);
    }
  }

  /** After every step: advances the bar; writes a step line to metrics.jsonl when asked to. */
  void step(long globalStep, int epoch, io.sparkprop.trainer.nn.LossSum sums, io.sparkprop.driver.loop.StepStats stats) {
    if (bar != null) bar.stepTo(Math.min(bar.getMax(), globalStep));
    if (!stepMetrics) return;
    ObjectNode j = JSON.createObjectNode();
    j.put("step", globalStep);
    j.put("epoch", epoch);
    j.put("loss", sums.meanLoss());
    j.put("examples", sums.count());
    j.put("stepMillis", stats.wallNanos() / 1e6);
    j.put("slowestTaskMillis", stats.maxTaskComputeNanos() / 1e6);
    j.put("updateMillis", stats.updateNanos() / 1e6);
    j.put("broadcastMillis", stats.broadcastNanos() / 1e6);
    j.put("weightsFetchMillis", stats.maxParamsNanos() / 1e6);
    write(j);
  }

  void epoch(EpochReport r) {
    seen++;
    double elapsed = (System.nanoTime() - start) / 1e9;
    double eta = elapsed / seen * Math.max(0, epochs - (r.epoch() + 1)); // epochs left, also after a resume or rollback
    String val = "";
    if (r.validation() != null) {
      val = classification ? String.format("  val acc %.4f  val loss %.4f", r.validation().accuracy(), r.validation().meanLoss())
          : String.format("  val MSE %.5f  val MAE %.5f", r.validation().mse(), r.validation().mae());
    }
    String line = String.format("epoch %3d/%d  steps %5d  train loss %.4f%s  %,.0f ex/s  elapsed %.1fs  ETA %.1fs", r.epoch() + 1, epochs,
        r.steps(), r.trainLoss(), val, r.examplesPerSecond(), elapsed, eta);
    if (bar != null) {
      bar.setExtraMessage(String.format(" loss %.4f", r.trainLoss()));
      System.err.print("\r\033[K"); // clear the bar's line, print the epoch line, let the bar redraw below it
    }
    out.println(line);
    ObjectNode j = JSON.createObjectNode();
    j.put("epoch", r.epoch());
    j.put("steps", r.steps());
    j.put("globalStep", r.globalStep());
    j.put("trainLoss", r.trainLoss());
    if (r.validation() != null) {
      j.put("validationLoss", r.validation().meanLoss());
      if (classification) j.put("validationAccuracy", r.validation().accuracy());
      else {
        j.put("validationMse", r.validation().mse());
        j.put("validationMae", r.validation().mae());
      }
    }
    j.put("seconds", r.seconds());
    j.put("examplesPerSecond", r.examplesPerSecond());
    j.put("elapsedSeconds", elapsed);
    write(j);
  }

  private void write(ObjectNode j) {
    try {
      metrics.write(JSON.writeValueAsString(j));
      metrics.newLine();
      metrics.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (bar != null) bar.close();
    try {
      metrics.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
