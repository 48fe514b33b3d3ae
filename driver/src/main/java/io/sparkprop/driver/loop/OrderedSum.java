package io.sparkprop.driver.loop;

import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * Spark result handler that adds the partitions' step results in partition order, whatever order
 * the tasks finish in, so that a step's gradient is bitwise reproducible. A result that arrives
 * early waits until every lower partition has been added; memory is one gradient plus the early
 * arrivals. Called by Spark's scheduler on the driver, one partition at a time.
 */
final class OrderedSum extends AbstractFunction2<Object, byte[], BoxedUnit> {
  private final byte[][] pending;
  private final String[] locations;
  private int next;
  private final float[] acc;
  private float[] grad;
  private float[] addend; // a later partition's gradient, decoded for the addition
  private double loss;
  private double weight;
  private long count;
  private long maxComputeNanos;
  private long maxParamsNanos;

  OrderedSum(int partitions) {
    this(partitions, null);
  }

  /**
   * @param acc the buffer the sum is written into (overwritten, reused across steps by the
   *     caller), or null to allocate one on the first contribution
   */
  OrderedSum(int partitions, float[] acc) {
    this(partitions, acc, null);
  }

  /** @param scratch where a later partition's gradient is decoded (reused across steps by the caller), or null */
  OrderedSum(int partitions, float[] acc, float[] scratch) {
    this.pending = new byte[partitions][];
    this.locations = new String[partitions];
    this.acc = acc;
    this.addend = scratch;
  }

  @Override
  public synchronized BoxedUnit apply(Object partition, byte[] r) {
    pending[(Integer) partition] = r;
    while (next < pending.length && pending[next] != null) {
      StepResult s = StepResult.decode(pending[next]);
      locations[next] = s.location;
      add(s);
      pending[next] = null;
      next++;
    }
    return BoxedUnit.UNIT;
  }

  private void add(StepResult r) {
    maxComputeNanos = Math.max(maxComputeNanos, r.computeNanos);
    maxParamsNanos = Math.max(maxParamsNanos, r.paramsNanos);
    loss += r.loss;
    weight += r.weight;
    count += r.count;
    if (r.grad == null) return;
    if (grad == null) {
      int n = r.grad.remaining();
      if (acc != null && acc.length != n) {
        throw new IllegalStateException("a partition returned " + n + " gradient values, expected " + acc.length);
      }
      grad = acc != null ? acc : new float[n]; // the first contribution is copied as is: with one
      r.grad.get(grad);                       // partition, bitwise the local sum
      return;
    }
    float[] g = grad;
    java.nio.FloatBuffer h = r.grad;
    if (h.remaining() != g.length) {
      throw new IllegalStateException("a partition returned " + h.remaining() + " gradient values, expected " + g.length);
    }
    if (addend == null || addend.length != g.length) addend = new float[g.length];
    h.get(addend);
    // g += addend as saxpy with alpha 1: 1 * x is exact, so every implementation's g + 1 * x (an
    // FMA or not) is the g + x of a Java loop, bit for bit; native code from a fresh driver's
    // first step, where the loop ran interpreted
    io.sparkprop.trainer.nn.Blas.get().saxpy(g.length, 1f, addend, 0, 1, g, 0, 1);
  }

  /** The summed gradient, or null when no partition held a member of the batch. */
  synchronized float[] grad() {
    check();
    return grad;
  }

  /** Where each partition's gradient slices are stored (null: none, or shipped here). */
  synchronized String[] locations() { check(); return locations.clone(); }

  /** Whether any partition stored its gradient on its executor. */
  synchronized boolean stored() {
    check();
    for (String l : locations) if (l != null) return true;
    return false;
  }

  synchronized double loss() { check(); return loss; }
  synchronized double weight() { check(); return weight; }
  synchronized long count() { check(); return count; }
  /** The slowest task's compute time. */
  synchronized long maxComputeNanos() { check(); return maxComputeNanos; }

  /** The longest any task took to get the step's weights (fetch and decode of the broadcast). */
  synchronized long maxParamsNanos() { check(); return maxParamsNanos; }

  private void check() {
    if (next != pending.length) {
      throw new IllegalStateException("only " + next + " of " + pending.length + " partitions have been added");
    }
  }
}
