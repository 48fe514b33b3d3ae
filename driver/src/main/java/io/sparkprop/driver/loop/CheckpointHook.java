package io.sparkprop.driver.loop;

/**
 * Where {@link DistributedTrainer#fit} hands its state to be saved. The loop asks {@link #due}
 * after every step inside an epoch and after every epoch (once its evaluation and early-stopping
 * bookkeeping are done), and always saves after the last epoch; {@link #save} receives an
 * immutable snapshot from which the run continues exactly.
 */
public interface CheckpointHook {
  /**
   * @param globalStep steps taken so far
   * @param epochEnd true at the end of an epoch, false between two steps of one
   */
  boolean due(long globalStep, boolean epochEnd);

  void save(TrainingState state);
}
