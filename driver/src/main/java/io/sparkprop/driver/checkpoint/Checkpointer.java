package io.sparkprop.driver.checkpoint;

import io.sparkprop.driver.loop.CheckpointHook;
import io.sparkprop.driver.loop.TrainingState;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The training loop's checkpoint policy: save at the end of every epoch (or every
 * {@code everySteps} steps, when set), and also between two steps of an epoch once
 * {@code everySeconds} have passed since the last save, so a long epoch loses at most that much
 * work. Keeps the last saved state in memory (also without a store), which is what a divergence
 * rollback returns to.
 *
 * <p>Writes run off the training path: {@link #save} takes the loop's immutable snapshot and hands
 * it to one background writer, so the next steps run while it is written (a write to HDFS or an
 * object store costs far more than a step). At most one write is in flight: a save that comes due
 * while the previous one is still being written waits for it first, and {@link #finish} waits for
 * the last. A write that fails is reported on stderr and the previous checkpoint stays the newest
 * valid one (a checkpoint becomes visible only once complete).
 */
public final class Checkpointer implements CheckpointHook, AutoCloseable {
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
  private int failures;
  private double waitSeconds;
  private ExecutorService writer; // started by the first save to a store
  private Future<CheckpointStore.Saved> pending;

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
    awaitPending();
    if (writer == null) {
      writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sparkprop-checkpoint-writer");
        t.setDaemon(true); // a killed run leaves at most a hidden temporary, which the next write prunes
        return t;
      });
    }
    pending = writer.submit(() -> store.write(state, identity));
  }

  /** Waits for the write in flight, if any, and records how it went. */
  private void awaitPending() {
    if (pending == null) return;
    long t0 = System.nanoTime();
    try {
      CheckpointStore.Saved s = pending.get();
      lastPath = s.path();
      writes++;
      writeSeconds += s.seconds();
      writeBytes = s.bytes();
    } catch (ExecutionException e) {
      failures++;
      System.err.println("sparkprop: warning: " + e.getCause().getMessage() + "; "
          + (lastPath != null ? lastPath + " stays the newest checkpoint" : "no checkpoint of this run is complete yet"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a checkpoint write", e);
    } finally {
      pending = null;
      waitSeconds += (System.nanoTime() - t0) / 1e9;
    }
  }

  /** Waits for the last write to finish (the run's final checkpoint included); the writer may be used again. */
  public void finish() {
    awaitPending();
  }

  /** Finishes the write in flight and stops the writer thread. */
  @Override
  public void close() {
    try {
      finish();
    } finally {
      if (writer != null) writer.shutdown();
      writer = null;
    }
  }

  /** The last state saved (or the initial one): where a divergence rollback restarts. */
  public TrainingState lastGood() {
    return lastGood;
  }

  /** The path of the last checkpoint completely written (or resumed from), or null; a write in flight is not counted. */
  public String lastPath() {
    return lastPath;
  }

  /**
   * Checkpoints completely written by this policy, their total write time (in the background),
   * the time training waited for writes, the writes that failed and the size of the last.
   */
  public int writes() { return writes; }
  public double writeSeconds() { return writeSeconds; }
  public double waitSeconds() { return waitSeconds; }
  public int failures() { return failures; }
  public long lastBytes() { return writeBytes; }
}
