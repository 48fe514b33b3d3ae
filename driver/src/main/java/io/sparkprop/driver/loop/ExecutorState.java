package io.sparkprop.driver.loop;

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

  private static final java.util.concurrent.atomic.AtomicBoolean BLAS_LOADING = new java.util.concurrent.atomic.AtomicBoolean();
  private static final java.util.concurrent.atomic.AtomicBoolean WARMING = new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Prepares this JVM for training on a daemon thread, so that an executor's first training steps
   * do not pay for it: the packing tasks call this while the data loads. It loads the BLAS
   * implementation (the native library and its classes; docs/benchmarks.md has its cost in a
   * fresh JVM), once per JVM, then, given a run's spec, runs the step's code on synthetic data
   * ({@link EngineWarmup}), once per JVM, so that the JIT compiles it. A failure is left for the
   * first step to report.
   *
   * @param warm the run's training spec, or null for no warm-up (prediction, evaluation)
   * @param threads the blocks each training task computes on its threads
   */
  static void prepareInBackground(TrainingSpec warm, int threads) {
    boolean blas = BLAS_LOADING.compareAndSet(false, true);
    boolean warmUp = warm != null && WARMING.compareAndSet(false, true);
    if (!blas && !warmUp) return;
    Thread t = new Thread(() -> {
      try {
        if (blas) io.sparkprop.trainer.nn.Blas.get();
        if (warmUp) EngineWarmup.runUnlessStopped(warm, threads);
      } catch (RuntimeException | LinkageError e) {
        // a BLAS failure comes again from the first step's Blas.get(), in the task, where Spark
        // reports it; the warm-up's would come again from the same step's code
        org.slf4j.LoggerFactory.getLogger(ExecutorState.class).debug("preparing the engine failed", e);
      }
    }, "sparkprop-prepare");
    t.setDaemon(true);
    t.start();
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
    encodeParams(params, b, 0);
    return b;
  }

  /** The parameters as little-endian float32 bytes, written into {@code into} from {@code offset}. */
  static void encodeParams(float[] params, byte[] into, int offset) {
    java.nio.ByteBuffer.wrap(into, offset, 4 * params.length).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(params);
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

  /** What a thread does with one block: add its members' gradient into a zeroed buffer. */
  interface BlockWork {
    LossSum accumulate(RowSource block, float[] grad);
  }

  /**
   * A task's gradient buffers for its blocks (one per block, owned by the task's thread,
   * not by the helper threads, which other tasks may use as soon as they are done) and the sum of
   * their results in block order.
   */
  static final class Group {
    private float[][] grads = new float[0][];
    private static final int UNCHECKED = -2;
    private final int n;
    private float[] sum;
    private int firstBad = UNCHECKED;

    Group(int n) {
      this.n = n;
    }

    /**
     * Runs {@code work} for every non-empty block, the first on this thread and the rest on helper
     * threads, each into its own zeroed buffer; returns the summed loss, weight and count in block
     * order. The gradient sum (the first non-empty buffer, then the others added in block order:
     * the driver's {@link OrderedSum} exactly) is then {@link #sum()}; {@code ranges} splits that
     * addition over the task's threads (each element is added in block order whichever thread
     * takes it).
     *
     * @param checkSum also find the sum's first non-finite index while adding ({@link #firstNonFiniteOfSum})
     */
    LossSum accumulate(List<RowSource> blocks, BlockWork work, io.sparkprop.trainer.optim.Ranges ranges, boolean checkSum) {
      int b = blocks.size();
      if (grads.length < b) grads = java.util.Arrays.copyOf(grads, b);
      LossSum[] sums = new LossSum[b];
      List<RowSource> busy = new ArrayList<>(b);
      List<float[]> bufs = new ArrayList<>(b);
      for (int i = 0; i < b; i++) {
        if (blocks.get(i).rows() == 0) continue;
        if (grads[i] == null || grads[i].length != n) grads[i] = new float[n];
        busy.add(blocks.get(i));
        bufs.add(grads[i]);
      }
      List<LossSum> done = eachOnItsThread(busy.size(), j -> {
        float[] g = bufs.get(j);
        java.util.Arrays.fill(g, 0f); // zeroed by the thread that fills it
        return work.accumulate(busy.get(j), g);
      });
      for (int i = 0, j = 0; i < b; i++) sums[i] = blocks.get(i).rows() == 0 ? LossSum.ZERO : done.get(j++);
      double loss = 0;
      double weight = 0;
      long count = 0;
      List<float[]> add = new ArrayList<>(b);
      for (int i = 0, j = 0; i < b; i++) {
        loss += sums[i].loss();
        weight += sums[i].weight();
        count += sums[i].count();
        if (blocks.get(i).rows() == 0) continue;
        float[] g = bufs.get(j++);
        if (sums[i].count() > 0) add.add(g);
      }
      sum = add.isEmpty() ? null : add.get(0);
      firstBad = UNCHECKED;
      if (add.size() > 1) {
        float[] a = sum;
        NonFiniteScan scan = checkSum ? new NonFiniteScan(a) : null; // each slice checked just after it was added
        dev.ludovic.netlib.blas.BLAS blas = io.sparkprop.trainer.nn.Blas.get();
        (scan == null ? ranges : scan.after(ranges)).run(n, (from, to) -> {
          // a += g as saxpy with alpha 1: 1 * g is exact, so every implementation's a + 1 * g (an
          // FMA or not) is the a + g of a Java loop, bit for bit; native code from the first step
          // of a fresh JVM, where the loop ran interpreted, then in C1's code, and took two C2
          // compiles during the first epoch (docs/benchmarks.md)
          for (int k = 1; k < add.size(); k++) blas.saxpy(to - from, 1f, add.get(k), from, 1, a, from, 1);
        });
        if (scan != null) firstBad = scan.first();
      }
      return new LossSum(loss, weight, count);
    }

    /** The summed gradient of the last {@link #accumulate} (null when no block held a member). */
    float[] sum() {
      return sum;
    }

    /**
     * The first NaN or infinite index of {@link #sum()} (-1 for none): found while adding when
     * several blocks were added, else scanned now by {@code ranges}.
     */
    int firstNonFiniteOfSum(io.sparkprop.trainer.optim.Ranges ranges) {
      if (firstBad == UNCHECKED) firstBad = sum == null ? -1 : firstNonFinite(sum, ranges);
      return firstBad;
    }
  }

  /**
   * Runs {@code work(0..count-1)}, item 0 on this thread and the others on {@link StepThreads}'
   * helpers; returns the results in item order. A failure of any item is rethrown here once every
   * item has ended.
   */
  static <T> List<T> eachOnItsThread(int count, java.util.function.IntFunction<T> work) {
    return StepThreads.each(count, work);
  }

  /**
   * Ranges over {@code threads} threads (this one and helper threads): contiguous slices, one per
   * thread, for the elementwise passes after a task's blocks are computed (the gradient sum, the
   * finite checks, the optimizer update). One thread, or arrays too small to share, run in one piece.
   */
  static io.sparkprop.trainer.optim.Ranges ranges(int threads) {
    if (threads <= 1) return io.sparkprop.trainer.optim.Ranges.SERIAL;
    return (n, task) -> {
      int parts = (int) Math.min(threads, Math.max(1, n / 16_384));
      if (parts <= 1) {
        task.run(0, n);
        return;
      }
      int chunk = ((n + parts - 1) / parts + 15) & ~15; // whole 64-byte lines per slice
      eachOnItsThread(parts, j -> {
        int from = Math.min(n, j * chunk);
        task.run(from, Math.min(n, from + chunk));
        return null;
      });
    };
  }

  /**
   * The first NaN or infinite index of an array, found slice by slice: {@link #after} runs a pass
   * in ranges and scans each range of the array right after the pass's work on it (while it is in
   * the thread's cache); {@link #first} is the smallest index any range found.
   */
  static final class NonFiniteScan {
    private final float[] a;
    private final java.util.concurrent.atomic.AtomicInteger first = new java.util.concurrent.atomic.AtomicInteger(Integer.MAX_VALUE);

    NonFiniteScan(float[] a) {
      this.a = a;
    }

    /** {@code ranges} that scan each range of the array after the range's work. */
    io.sparkprop.trainer.optim.Ranges after(io.sparkprop.trainer.optim.Ranges ranges) {
      return (n, task) -> ranges.run(n, (from, to) -> {
        task.run(from, to);
        int at = DistributedTrainer.firstNonFinite(a, from, Math.min(to, a.length));
        if (at >= 0) first.accumulateAndGet(at, Math::min);
      });
    }

    /** The smallest non-finite index found so far, or -1. */
    int first() {
      int f = first.get();
      return f == Integer.MAX_VALUE ? -1 : f;
    }
  }

  /** {@link DistributedTrainer#firstNonFinite(float[])} scanned in slices by {@code ranges}: the first index whichever slice finds it. */
  static int firstNonFinite(float[] a, io.sparkprop.trainer.optim.Ranges ranges) {
    NonFiniteScan scan = new NonFiniteScan(a);
    scan.after(ranges).run(a.length, (from, to) -> { });
    return scan.first();
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
