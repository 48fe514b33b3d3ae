package io.sparkprop.trainer.optim;

import java.util.Arrays;

/**
 * The mutable state of an {@link Optimizer} on one parameter array: the number of steps taken
 * and the slot arrays (momentum velocity, or Adam's first and second moments), all in one flat
 * float array. {@link #snapshot()} and {@link #restore} copy it exactly, so a checkpointed run
 * continues bit for bit.
 *
 * <p>The slots' exchange layout ({@link #snapshot()}, {@link #restore}, checkpoints) interleaves
 * them per parameter: slot j of parameter i at {@code i * k + j} for k slots per parameter. The
 * update loops work on the same values split into k arrays of one slot each ({@code planes}),
 * which the JIT vectorizes (Adam's update measured 4-5x faster than on the interleaved array);
 * the state splits itself on the first update and joins again for a snapshot.
 *
 * <p>A warm start that keeps a previous run's optimizer ({@link #warm}) starts the run's step
 * count (which drives the learning-rate schedule and the batch order) at 0 but remembers the
 * steps that built the slots ({@link #priorSteps()}), so Adam's bias correction stays that of
 * a long-running average instead of inflating the first updates tenfold.
 */
public final class OptimizerState {
  private final int length;
  private float[] slots; // interleaved (the exchange layout); null while split into planes
  private float[][] planes; // slot j of parameter i at planes[j][i]; null until the first update
  private final long priorSteps;
  private long step;

  OptimizerState(int slotLength) {
    this(slotLength, 0);
  }

  private OptimizerState(int slotLength, long priorSteps) {
    this(slotLength, priorSteps, new float[slotLength]);
  }

  private OptimizerState(int slotLength, long priorSteps, float[] slots) {
    this.length = slotLength;
    this.slots = slots;
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
    return restore(0, finished.snapshot(), finished.priorSteps + finished.step);
  }

  /** Steps taken by earlier runs whose slots this state continues (0 unless {@link #warm}). */
  public long priorSteps() {
    return priorSteps;
  }

  /**
   * A copy of this state (step, slots and prior steps), in this one's layout: a split state's
   * copy is split too, its planes copied whole rather than joined and split again (two strided
   * passes over the slots, and their compiles in a fresh JVM, at every chunk of steps that starts
   * from a copy).
   */
  public OptimizerState copy() {
    if (planes == null) return restore(step, slots, priorSteps);
    OptimizerState s = new OptimizerState(length, priorSteps, null);
    float[][] p = new float[planes.length][];
    for (int j = 0; j < p.length; j++) p[j] = planes[j].clone();
    s.planes = p;
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

  /**
   * The live slots as {@code k} arrays of one slot per parameter (modified in place by every
   * step), splitting the interleaved array on the first call ({@link #snapshot()} joins them again).
   */
  float[][] planes(int k) {
    if (planes == null) {
      if (k < 1 || length % k != 0) throw new IllegalArgumentException(length + " slots do not split into " + k + " per parameter");
      int n = length / k;
      float[][] p = new float[k][];
      if (k == 1) {
        p[0] = slots;
      } else {
        for (int j = 0; j < k; j++) {
          p[j] = new float[n];
          gather(slots, j, k, p[j]);
        }
      }
      planes = p;
      slots = null;
    } else if (planes.length != k) {
      throw new IllegalStateException("optimizer slots were split into " + planes.length + " per parameter, not " + k);
    }
    return planes;
  }

  /** A copy of the slot array, interleaved (slot j of parameter i at {@code i * k + j}), split or not. */
  public float[] snapshot() {
    if (planes == null) return slots.clone();
    int k = planes.length;
    float[] out = new float[length];
    for (int j = 0; j < k; j++) scatter(planes[j], out, j, k);
    return out;
  }

  // One strided loop per plane, each a method of its own: the JIT compiles each once, where a
  // nested loop over parameters and slots was compiled on stack at both loops and again whole.

  /** {@code dst[i] = src[i * stride + first]} for every i of dst. */
  private static void gather(float[] src, int first, int stride, float[] dst) {
    for (int i = 0; i < dst.length; i++) dst[i] = src[i * stride + first];
  }

  /** {@code dst[i * stride + first] = src[i]} for every i of src. */
  private static void scatter(float[] src, float[] dst, int first, int stride) {
    for (int i = 0; i < src.length; i++) dst[i * stride + first] = src[i];
  }

  public int slotLength() {
    return length;
  }

  /** True when step count, prior steps and every slot bit are equal. */
  public boolean sameAs(OptimizerState o) {
    return step == o.step && priorSteps == o.priorSteps && Arrays.equals(snapshot(), o.snapshot());
  }
}
