package io.sparkprop.driver;

import io.sparkprop.trainer.ShardStep;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.data.RowSource;
import io.sparkprop.trainer.nn.LossSum;
import io.sparkprop.trainer.nn.NetworkSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Per task-thread reuse of the engine's buffers on executors: Spark runs tasks on pooled threads,
 * so one {@link ShardStep} (workspace + member buffer) per thread and a task thread's gradient
 * buffers ({@link Group}) serve every step of a run without allocating (a task's gradient is
 * encoded into its result bytes before the thread takes another task). Rebuilt when a task
 * arrives for another network or block size.
 */
final class ExecutorState {
  private static final class Slot {
    final NetworkSpec network;
    final int blockRows;
    final ShardStep step;

    Slot(TrainingSpec spec) {
      this.network = spec.network();
      this.blockRows = spec.blockRows();
      this.step = new ShardStep(spec);
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

  /** Threads that compute a group's blocks beside the task's own thread; idle ones end after a minute. */
  private static final java.util.concurrent.ExecutorService POOL = new java.util.concurrent.ThreadPoolExecutor(0,
      Integer.MAX_VALUE, 60, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(), r -> {
        Thread t = new Thread(r, "sparkprop-step");
        t.setDaemon(true);
        return t;
      });

  /** What a thread does with one block: add its members' gradient into a zeroed buffer. */
  interface BlockWork {
    LossSum accumulate(RowSource block, float[] grad);
  }

  /**
   * A task's gradient buffers for its blocks (one per block, owned by the task's thread,
   * not by the pool threads, which other tasks may use as soon as they are done) and the sum of
   * their results in block order.
   */
  static final class Group {
    private float[][] grads = new float[0][];
    private final int n;
    private float[] sum;

    Group(int n) {
      this.n = n;
    }

    /**
     * Runs {@code work} for every non-empty block, the first on this thread and the rest on pool
     * threads, each into its own zeroed buffer; returns the summed loss, weight and count in block
     * order. The gradient sum (the first non-empty buffer, then the others added in block order:
     * the driver's {@link OrderedSum} exactly) is then {@link #sum()}.
     */
    LossSum accumulate(List<RowSource> blocks, BlockWork work) {
      int b = blocks.size();
      if (grads.length < b) grads = java.util.Arrays.copyOf(grads, b);
      LossSum[] sums = new LossSum[b];
      List<java.util.concurrent.Future<LossSum>> futures = new ArrayList<>();
      for (int i = b - 1; i >= 0; i--) { // the others first, then this thread takes block 0
        RowSource block = blocks.get(i);
        if (block.rows() == 0) {
          sums[i] = LossSum.ZERO;
          continue;
        }
        if (grads[i] == null || grads[i].length != n) grads[i] = new float[n];
        float[] g = grads[i];
        java.util.Arrays.fill(g, 0f);
        if (i == 0) sums[0] = work.accumulate(block, g);
        else futures.add(POOL.submit(() -> work.accumulate(block, g)));
      }
      try {
        int f = futures.size() - 1; // submitted from the last block down
        for (int i = 1; i < b; i++) {
          if (sums[i] == null) sums[i] = futures.get(f--).get();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while a group's threads computed", e);
      } catch (java.util.concurrent.ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof RuntimeException r) throw r;
        if (c instanceof Error er) throw er;
        throw new IllegalStateException(c);
      }
      double loss = 0;
      double weight = 0;
      long count = 0;
      sum = null;
      for (int i = 0; i < b; i++) {
        loss += sums[i].loss();
        weight += sums[i].weight();
        count += sums[i].count();
        if (sums[i].count() == 0) continue;
        if (sum == null) {
          sum = grads[i];
        } else {
          float[] a = sum;
          float[] g = grads[i];
          for (int j = 0; j < n; j++) a[j] += g[j];
        }
      }
      return new LossSum(loss, weight, count);
    }

    /** The summed gradient of the last {@link #accumulate} (null when no block held a member). */
    float[] sum() {
      return sum;
    }
  }

  private static final ThreadLocal<Group> GROUP = new ThreadLocal<>();

  /** This task thread's gradient buffers for the spec's network. */
  static Group group(TrainingSpec spec) {
    Group g = GROUP.get();
    int n = spec.network().paramCount();
    if (g == null || g.n != n) {
      g = new Group(n);
      GROUP.set(g);
    }
    return g;
  }

  static ShardStep shardStep(TrainingSpec spec) {
    return slot(spec).step;
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
