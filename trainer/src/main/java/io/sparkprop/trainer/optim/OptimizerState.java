package io.sparkprop.trainer.optim;

import java.util.Arrays;

/**
 * The mutable state of an {@link Optimizer} on one parameter array: the number of steps taken
 * and the slot arrays (momentum velocity, or Adam's first and second moments), all in one flat
 * float array. {@link #snapshot()} and {@link #restore} copy it exactly, so a checkpointed run
 * continues bit for bit.
 */
public final class OptimizerState {
  private final float[] slots;
  private long step;

  OptimizerState(int slotLength) {
    this.slots = new float[slotLength];
  }

  /** Restores a snapshot taken with {@link #snapshot()} (for checkpoints). */
  public static OptimizerState restore(long step, float[] slots) {
    if (step < 0) throw new IllegalArgumentException("optimizer step must be >= 0, got " + step);
    OptimizerState s = new OptimizerState(slots.length);
    System.arraycopy(slots, 0, s.slots, 0, slots.length);
    s.step = step;
    return s;
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

  /** True when step count and every slot bit are equal. */
  public boolean sameAs(OptimizerState o) {
    return step == o.step && Arrays.equals(slots, o.slots);
  }
}
