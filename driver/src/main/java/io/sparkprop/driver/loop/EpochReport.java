package io.sparkprop.driver.loop;

import io.sparkprop.trainer.nn.EvalSums;

/**
 * What one epoch of distributed training produced.
 *
 * @param epoch 0-based epoch
 * @param steps steps run in this epoch
 * @param globalStep optimizer steps taken so far in the run
 * @param trainLoss mean training loss over the epoch's batches (per unit of example weight)
 * @param validation evaluation on the validation set, or null when none was run this epoch
 * @param seconds wall time of the epoch's steps (evaluation excluded)
 * @param examplesPerSecond training examples processed per second of step time
 */
public record EpochReport(int epoch, int steps, long globalStep, double trainLoss, EvalSums validation,
    double seconds, double examplesPerSecond) {}
