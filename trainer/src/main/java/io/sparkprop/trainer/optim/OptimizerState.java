package io.sparkprop.trainer.optim;

import java.util.Arrays;

/**
 * The mutable state of an {@link Optimizer} on one parameter array: the number of steps taken
 * and the slot arrays (momentum velocity, or Adam's first and second moments), all in one flat
 * float array. {@link #snapshot()} and {@link #restore} copy it exactly, so a checkpointed run
 * continues bit for bit.
 *
 * <p>A warm start that keeps a previous run's optimizer ({@link #warm}) starts the run's step
 * count (which drives the learning-rate schedule and the batch order) at 0 but remembers the
 * steps that built the slots ({@link #priorSteps()}), so Adam's bias correction stays that of
 * a long-running average instead of inflating the first updates tenfold.
 */
public final class OptimizerState {
  private final float[] slots;
  private final long priorSteps;
  private long step;

  OptimizerState(int slotLength) {
    this(slotLength, 0);
  }

  private OptimizerState(int slotLength, long priorSteps) {
    this.slots = new float[slotLength];
    this.priorSteps = priorSteps;
  }

  /** Restores a snapshot taken with {@link #snapshot()} (for checkpoints). */
  public static OptimizerState restore(long step, float[] slots) {
    return restore(step, slots, 0);
  }

  /** Restores a snapshot of a state that was itself warm-started after {@code priorSteps} steps. */
  public static OptimizerState restore(long step, float[] slots, long priorSteps) {
    if (step < 0) throw new IllegalArgumentException("optimizer step must be >= 0, got " + step);
    if (priorSteps < 0) throw new IllegalArgumentException("optimizer prior steps must be >= 0, got " + priorSteps);
    OptimizerState s = new OptimizerState(slots.length, priorSteps);
    System.arraycopy(slots, 0, s.slots, 0, slots.length);
    s.step = step;
    return s;
  }

  /**
   * A new run's state (step 0) that continues the slots of a finished one: the slots are copied
   * and the finished run's total steps become {@link #priorSteps()}.
   */
  public static OptimizerState warm(OptimizerState finished) {
    return restore(0, finished.slots, finished.priorSteps + finished.step);
  }

  /** Steps taken by earlier runs whose slots this state continues (0 unless {@link #warm}). */
  public long priorSteps() {
    return priorSteps;
  }

  /** A copy of this state (step, slots and prior steps). */
  public OptimizerState copy() {
    return restore(step, slots, priorSteps);
  }

  /** Steps taken so far; the next step's 0-based index. */
  public long step() {
    return step;
  }

  void advance() {
    step++;
  }

  /** The live slot array (modified in place by every step). */
  float[] slots() {
    return slots;
  }

  /** A copy of the slot array. */
  public float[] snapshot() {
    return slots.clone();
  }

  public int slotLength() {
    return slots.length;
  }

  /** True when step count, prior steps and every slot bit are equal. */
  public boolean sameAs(OptimizerState o) {
    return step == o.step && priorSteps == o.priorSteps && Arrays.equals(slots, o.slots);
  }
}
