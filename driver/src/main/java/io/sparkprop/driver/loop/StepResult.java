package io.sparkprop.driver.loop;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The wire form of one task's step result: a single byte array, so that any
 * {@code spark.serializer} (Java or Kryo) moves it as one bulk copy. (Java serialization writes a
 * float[] element by element; Kryo's default field serializer would drop a custom encoding.)
 *
 * <p>Layout, little-endian: loss (double), weight (double), count (long), compute nanoseconds
 * (long), nanoseconds the task took to get the step's weights (the broadcast's fetch and decode,
 * long), gradient length (int, -1 when the partition held no member of the batch, so nothing is
 * shipped; -2 when the gradient stays on the executor for {@link ExecutorReduce}, followed by
 * where, as UTF-8), then the gradient floats in the parameter layout.
 */
final class StepResult {
  static final int HEADER = 8 * 5 + 4;

  final double loss;
  final double weight;
  final long count;
  final long computeNanos;
  final long paramsNanos;
  /** View of the gradient inside the wire bytes, or null. */
  final FloatBuffer grad;
  /** Where the gradient's slices are stored ("host:port:executorId"), or null. */
  final String location;

  private StepResult(ByteBuffer b) {
    loss = b.getDouble();
    weight = b.getDouble();
    count = b.getLong();
    computeNanos = b.getLong();
    paramsNanos = b.getLong();
    int n = b.getInt();
    grad = n < 0 ? null : b.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    location = n == -2 ? java.nio.charset.StandardCharsets.UTF_8.decode(b.slice()).toString() : null;
    if (grad != null && grad.remaining() != n) {
      throw new IllegalStateException("step result declares " + n + " gradient values but holds " + grad.remaining());
    }
  }

  static byte[] encode(float[] grad, double loss, double weight, long count, long computeNanos, long paramsNanos) {
    return encode(grad, loss, weight, count, computeNanos, paramsNanos, null);
  }

  /** As {@link #encode(float[], double, double, long, long, long)}, into {@code into} when it has the result's length. */
  static byte[] encode(float[] grad, double loss, double weight, long count, long computeNanos, long paramsNanos, byte[] into) {
    int n = grad == null ? 0 : grad.length;
    ByteBuffer b = (into != null && into.length == HEADER + 4 * n ? ByteBuffer.wrap(into) : ByteBuffer.allocate(HEADER + 4 * n))
        .order(ByteOrder.LITTLE_ENDIAN);
    b.putDouble(loss).putDouble(weight).putLong(count).putLong(computeNanos).putLong(paramsNanos).putInt(grad == null ? -1 : n);
    if (grad != null) b.asFloatBuffer().put(grad);
    return b.array();
  }

  /** A result whose gradient stays on the executor, sliced, at {@code location}. */
  static byte[] stored(String location, double loss, double weight, long count, long computeNanos, long paramsNanos) {
    byte[] where = location.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(HEADER + where.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putDouble(loss).putDouble(weight).putLong(count).putLong(computeNanos).putLong(paramsNanos).putInt(-2).put(where);
    return b.array();
  }

  static byte[] empty(long computeNanos, long paramsNanos) {
    return encode(null, 0, 0, 0, computeNanos, paramsNanos);
  }

  static StepResult decode(byte[] bytes) {
    return new StepResult(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
  }
}
