package io.sparkprop.driver.loop;

import java.util.List;

/**
 * @param params the final parameters: the best on the validation set when there was one
 * @param history one report per epoch run
 * @param bestEpoch epoch of the best validation metric, or -1 without validation
 * @param stoppedEarly whether early stopping ended the run
 */
public record FitResult(float[] params, List<EpochReport> history, int bestEpoch, boolean stoppedEarly) {}
