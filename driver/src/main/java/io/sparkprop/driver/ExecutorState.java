package io.sparkprop.driver;

import io.sparkprop.trainer.ShardStep;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.nn.NetworkSpec;

/**
 * Per task-thread reuse of the engine's buffers on executors: Spark runs tasks on pooled threads,
 * so one {@link ShardStep} (workspace + member buffer) and one gradient buffer per thread serve
 * every step of a run without allocating (a task's gradient is encoded into its result bytes
 * before the thread takes another task). Rebuilt when a task arrives for another network or block size.
 */
final class ExecutorState {
  private static final class Slot {
    final NetworkSpec network;
    final int blockRows;
    final ShardStep step;
    final float[] grad;

    Slot(TrainingSpec spec) {
      this.network = spec.network();
      this.blockRows = spec.blockRows();
      this.step = new ShardStep(spec);
      this.grad = new float[spec.network().paramCount()];
    }
  }

  private static final ThreadLocal<Slot> SLOT = new ThreadLocal<>();
  /** The last decoded parameter broadcast: every task of a step on this executor shares it. */
  private static long paramsId = -1;
  private static float[] paramsValue;
  private static final java.util.concurrent.atomic.AtomicBoolean CHECKED = new java.util.concurrent.atomic.AtomicBoolean();

  private ExecutorState() {}

  /**
   * Spark already runs one task per core; OpenBLAS left to its default starts a thread per core
   * inside every task as well, which measured twice as slow on two cores. Warn once per JVM.
   */
  private static void checkBlasThreads() {
    String impl = io.sparkprop.trainer.nn.Blas.describe();
    if (impl.contains("JNI") && System.getenv("OPENBLAS_NUM_THREADS") == null && System.getenv("OMP_NUM_THREADS") == null) {
      org.slf4j.LoggerFactory.getLogger(ExecutorState.class).warn("native BLAS ({}) with OPENBLAS_NUM_THREADS unset: "
          + "each task may start one BLAS thread per core on top of Spark's one task per core; set "
          + "spark.executorEnv.OPENBLAS_NUM_THREADS=1 (and OPENBLAS_NUM_THREADS=1 for the driver in local mode)", impl);
    }
  }

  /**
   * The parameters as little-endian float32 bytes, for broadcasting: a byte[] is written and read
   * in bulk by Spark's serializers, where a float[] goes through a call per element (measured as
   * much driver time per step as the optimizer update).
   *
   * @param into reused when it has the right length (the trainer's buffer), else a new array
   */
  static byte[] encodeParams(float[] params, byte[] into) {
    byte[] b = into != null && into.length == 4 * params.length ? into : new byte[4 * params.length];
    java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(params);
    return b;
  }

  /**
   * The parameters of a step's broadcast, decoded once per executor and step: the tasks of one
   * step on one executor share the array (read only). Each broadcast gets a new array, never a
   * reused one, so a task of another run in the same application (or a straggler of an earlier
   * step) keeps reading the values it was given.
   */
  static synchronized float[] params(org.apache.spark.broadcast.Broadcast<byte[]> bc) {
    if (bc.id() != paramsId) {
      byte[] b = bc.value();
      float[] p = new float[b.length / 4];
      java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(p);
      paramsValue = p;
      paramsId = bc.id();
    }
    return paramsValue;
  }

  static ShardStep shardStep(TrainingSpec spec) {
    return slot(spec).step;
  }

  /** This thread's gradient buffer for the spec's network, zeroed. */
  static float[] zeroedGradient(TrainingSpec spec) {
    float[] g = slot(spec).grad;
    java.util.Arrays.fill(g, 0f);
    return g;
  }

  private static Slot slot(TrainingSpec spec) {
    if (CHECKED.compareAndSet(false, true)) checkBlasThreads();
    Slot s = SLOT.get();
    if (s == null || s.blockRows != spec.blockRows() || !s.network.equals(spec.network())) {
      s = new Slot(spec);
      SLOT.set(s);
    }
    return s;
  }
}
