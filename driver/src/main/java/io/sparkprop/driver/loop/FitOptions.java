package io.sparkprop.driver.loop;

import io.sparkprop.driver.data.PackedData;

/**
 * How {@link DistributedTrainer#fit} runs.
 *
 * @param epochs epochs to train, >= 1
 * @param validation packed validation data, or null
 * @param evalEvery evaluate every this many epochs (and after the last), >= 1
 * @param patience stop after this many evaluations without improvement; 0 never stops early
 */
public record FitOptions(int epochs, PackedData validation, int evalEvery, int patience) {
  public FitOptions {
    if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
    if (evalEvery < 1) throw new IllegalArgumentException("evaluation interval must be >= 1 epoch, got " + evalEvery);
    if (patience < 0) throw new IllegalArgumentException("patience must be >= 0, got " + patience);
  }

  public static FitOptions epochs(int epochs) {
    return new FitOptions(epochs, null, 1, 0);
  }
}
