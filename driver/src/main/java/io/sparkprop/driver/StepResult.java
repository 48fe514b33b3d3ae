package io.sparkprop.driver;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The wire form of one task's step result: a single byte array, so that any
 * {@code spark.serializer} (Java or Kryo) moves it as one bulk copy. (Java serialization writes a
 * float[] element by element; Kryo's default field serializer would drop a custom encoding.)
 *
 * <p>Layout, little-endian: loss (double), weight (double), count (long), compute nanoseconds
 * (long), gradient length (int, -1 when the partition held no member of the batch, so nothing is
 * shipped), then the gradient floats in the parameter layout.
 */
final class StepResult {
  static final int HEADER = 8 * 4 + 4;

  final double loss;
  final double weight;
  final long count;
  final long computeNanos;
  /** View of the gradient inside the wire bytes, or null. */
  final FloatBuffer grad;

  private StepResult(ByteBuffer b) {
    loss = b.getDouble();
    weight = b.getDouble();
    count = b.getLong();
    computeNanos = b.getLong();
    int n = b.getInt();
    grad = n < 0 ? null : b.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    if (grad != null && grad.remaining() != n) {
      throw new IllegalStateException("step result declares " + n + " gradient values but holds " + grad.remaining());
    }
  }

  static byte[] encode(float[] grad, double loss, double weight, long count, long computeNanos) {
    int n = grad == null ? 0 : grad.length;
    ByteBuffer b = ByteBuffer.allocate(HEADER + 4 * n).order(ByteOrder.LITTLE_ENDIAN);
    b.putDouble(loss).putDouble(weight).putLong(count).putLong(computeNanos).putInt(grad == null ? -1 : n);
    if (grad != null) b.asFloatBuffer().put(grad);
    return b.array();
  }

  static byte[] empty(long computeNanos) {
    return encode(null, 0, 0, 0, computeNanos);
  }

  static StepResult decode(byte[] bytes) {
    return new StepResult(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
  }
}
