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
