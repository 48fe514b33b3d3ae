package io.sparkprop.driver.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkprop.driver.EpochReport;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Per-epoch output of a run: one human line per epoch (epoch, steps, train loss, validation
 * metric, examples/s, elapsed, ETA) and one JSON line per epoch in {@code metrics.jsonl}.
 */
final class RunOutput implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final PrintStream out;
  private final int epochs;
  private final boolean classification;
  private final BufferedWriter metrics;
  private final long start = System.nanoTime();
  private int seen;

  RunOutput(String dir, PrintStream out, int epochs, boolean classification) {
    this.out = out;
    this.epochs = epochs;
    this.classification = classification;
    try {
      Path d = Path.of(dir);
      Files.createDirectories(d);
      this.metrics = Files.newBufferedWriter(d.resolve("metrics.jsonl"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the run folder " + dir + ": " + e.getMessage(), e);
    }
  }

  void epoch(EpochReport r) {
    seen++;
    double elapsed = (System.nanoTime() - start) / 1e9;
    double eta = elapsed / seen * (epochs - seen);
    String val = "";
    if (r.validation() != null) {
      val = classification ? String.format("  val acc %.4f  val loss %.4f", r.validation().accuracy(), r.validation().meanLoss())
          : String.format("  val MSE %.5f  val MAE %.5f", r.validation().mse(), r.validation().mae());
    }
    out.printf("epoch %3d/%d  steps %5d  train loss %.4f%s  %,.0f ex/s  elapsed %.1fs  ETA %.1fs%n", r.epoch() + 1, epochs,
        r.steps(), r.trainLoss(), val, r.examplesPerSecond(), elapsed, eta);
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
    try {
      metrics.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
