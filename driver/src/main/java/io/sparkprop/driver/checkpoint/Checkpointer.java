package io.sparkprop.driver.checkpoint;

import io.sparkprop.driver.CheckpointHook;
import io.sparkprop.driver.TrainingState;

/**
 * The training loop's checkpoint policy: save at the end of every epoch (or every
 * {@code everySteps} steps, when set), and also between two steps of an epoch once
 * {@code everySeconds} have passed since the last save, so a long epoch loses at most that much
 * work. Keeps the last saved state in memory (also without a store), which is what a divergence
 * rollback returns to.
 */
public final class Checkpointer implements CheckpointHook {
  private final CheckpointStore store;
  private final RunIdentity identity;
  private final long everySteps;
  private final double everySeconds;
  private TrainingState lastGood;
  private String lastPath;
  private long lastSavedAt = System.nanoTime();
  private long savedStep;
  private double writeSeconds;
  private long writeBytes;
  private int writes;

  /**
   * @param store where to write (null: keep snapshots in memory only)
   * @param everySteps save every this many steps (0: at the end of every epoch)
   * @param everySeconds also save inside an epoch after this many seconds (0: never)
   * @param initial the state the run starts from: the first rollback target
   * @param initialPath the checkpoint {@code initial} was read from, or null
   */
  public Checkpointer(CheckpointStore store, RunIdentity identity, long everySteps, double everySeconds, TrainingState initial,
      String initialPath) {
    this.store = store;
    this.identity = identity;
    this.everySteps = everySteps;
    this.everySeconds = everySeconds;
    this.lastGood = initial;
    this.lastPath = initialPath;
    this.savedStep = initial.step();
  }

  @Override
  public boolean due(long globalStep, boolean epochEnd) {
    if (globalStep == savedStep) return false;
    if (everySteps > 0) {
      if (globalStep - savedStep >= everySteps) return true;
    } else if (epochEnd) {
      return true;
    }
    return everySeconds > 0 && (System.nanoTime() - lastSavedAt) / 1e9 >= everySeconds;
  }

  @Override
  public void save(TrainingState state) {
    lastGood = state;
    savedStep = state.step();
    lastSavedAt = System.nanoTime();
    if (store == null) return;
    CheckpointStore.Saved s = store.write(state, identity);
    lastPath = s.path();
    writes++;
    writeSeconds += s.seconds();
    writeBytes = s.bytes();
  }

  /** The last state saved (or the initial one): where a divergence rollback restarts. */
  public TrainingState lastGood() {
    return lastGood;
  }

  /** The path of the last checkpoint written or resumed from, or null. */
  public String lastPath() {
    return lastPath;
  }

  /** Checkpoints written by this policy, their total write time and the size of the last. */
  public int writes() { return writes; }
  public double writeSeconds() { return writeSeconds; }
  public long lastBytes() { return writeBytes; }
}
