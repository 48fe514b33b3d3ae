package io.sparkprop.trainer.nn;

/**
 * Reusable buffers for forward and backward over blocks of at most {@link #capacity()} rows.
 *
 * <p>Owned by one thread at a time (one per Spark task thread, or the local trainer); modified in
 * place by every {@link Network} call. Allocated once; nothing is allocated per step. Holds, all
 * row-major with one example per row:
 * <ul>
 *   <li>{@code act[0]}: the gathered input rows, capacity x n0;
 *   <li>{@code pre[l]}, {@code act[l+1]}: layer l's pre-activation z and activation f(z),
 *       capacity x n_{l+1} (the last layer's act is unused: the head reads pre[L-1]);
 *   <li>{@code deltaA}, {@code deltaB}: dL/dz ping-pong buffers, capacity x max width;
 *   <li>{@code targets}, {@code weights}: the gathered targets and example weights;
 *   <li>{@code ones}: a vector of ones for bias gradients (sgemv).
 * </ul>
 */
public final class Workspace {
  final NetworkSpec spec;
  final int capacity;
  final float[][] act;
  final float[][] pre;
  final float[] deltaA;
  final float[] deltaB;
  final float[] targets;
  final float[] weights;
  final float[] ones;

  /**
   * @param capacity rows per block; larger blocks make larger GEMMs (faster) but use
   *     capacity x (sum of widths x 2) floats
   */
  public Workspace(NetworkSpec spec, int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("workspace capacity must be >= 1 row, got " + capacity);
    }
    this.spec = spec;
    this.capacity = capacity;
    int layers = spec.layers();
    act = new float[layers + 1][];
    pre = new float[layers][];
    act[0] = new float[Math.multiplyExact(capacity, spec.inputSize())];
    for (int l = 0; l < layers; l++) {
      pre[l] = new float[Math.multiplyExact(capacity, spec.size(l + 1))];
      act[l + 1] = l + 1 < layers ? new float[pre[l].length] : pre[l];
    }
    int w = spec.maxWidth();
    deltaA = new float[Math.multiplyExact(capacity, w)];
    deltaB = new float[deltaA.length];
    targets = new float[Math.multiplyExact(capacity, spec.outputSize())];
    weights = new float[capacity];
    ones = new float[capacity];
    java.util.Arrays.fill(ones, 1f);
  }

  public NetworkSpec spec() {
    return spec;
  }

  public int capacity() {
    return capacity;
  }
}
