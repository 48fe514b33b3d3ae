package io.sparkprop.driver.loop;

import java.io.Serializable;
import org.apache.spark.broadcast.Broadcast;

/**
 * How a step's weights reach its tasks. Small weights travel inside the task's closure, so with
 * the task binary that Spark broadcasts for every job anyway: an executor then fetches one
 * broadcast per step instead of two, and each broadcast fetch is three round trips to the driver
 * (ask where the piece is, fetch it, report the copy). Larger weights go in a broadcast of their
 * own, which executors fetch once each and share among their tasks, and which peers can serve.
 */
abstract class StepWeights implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The weights as float32, for this task (read only). */
  abstract float[] get();

  /** Weights carried by the task itself, as little-endian float32 bytes; decoded by each task. */
  static StepWeights inline(byte[] bytes) {
    return new Inline(bytes);
  }

  /** Weights in a broadcast of little-endian float32 bytes, decoded once per executor ({@link ExecutorState#params}). */
  static StepWeights broadcast(Broadcast<byte[]> bc) {
    return new Broadcasted(bc);
  }

  private static final class Inline extends StepWeights {
    private static final long serialVersionUID = 1L;
    private final byte[] bytes;

    Inline(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    float[] get() {
      float[] p = new float[bytes.length / 4];
      java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(p);
      return p;
    }
  }

  private static final class Broadcasted extends StepWeights {
    private static final long serialVersionUID = 1L;
    private final Broadcast<byte[]> bc;

    Broadcasted(Broadcast<byte[]> bc) {
      this.bc = bc;
    }

    @Override
    float[] get() {
      return ExecutorState.params(bc);
    }
  }
}
