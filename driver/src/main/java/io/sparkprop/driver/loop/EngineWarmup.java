package io.sparkprop.driver.loop;

import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.batch.BatchPlan;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.data.RowSource;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.OptimizerState;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fresh JVM runs its first training steps interpreted or in C1 code while the JIT compiles the
 * step's loops, on the same cores as the step, so a run's first epoch is slower than its later
 * ones, most of the difference in its first steps. So, while the data loads, each executor
 * runs the task's own step ({@link FusedSteps#run}: the blocks' gradients on the task's threads,
 * their sum, the finite checks, the optimizer's update) and the evaluation of its blocks on a few
 * rows of synthetic data, for the run's network, optimizer and threads; the JIT has compiled that
 * code when the first real step starts. It runs at most once per JVM, on the daemon thread that
 * loads the BLAS library ({@link ExecutorState#prepareInBackground}): {@link #STEPS} steps of
 * {@link #ROWS_PER_BLOCK} rows a block (fewer for large networks or wide inputs, none above
 * {@link #MAX_PARAMS} parameters), on its own thread beside the load, and it stops early when a
 * training task of the JVM starts ({@link #stop}): the JIT's work moves from the first epoch into
 * the load, which waits on I/O anyway (docs/benchmarks.md has the measurements).
 *
 * <p>Its arrays are its own: nothing a run computes depends on it, and the weights are the same
 * bits with or without it.
 */
final class EngineWarmup {
  private static final Logger LOG = LoggerFactory.getLogger(EngineWarmup.class);
  /** Steps of the warm-up: enough for the JIT's thresholds of the step's loops (conf/compile-commands.txt scales them). */
  static final int STEPS = 100;
  /** Rows per block and step: the JIT's thresholds count calls and loop iterations, and fewer rows cost less. */
  static final int ROWS_PER_BLOCK = 16;
  /** Steps per synthetic epoch; the blocks are evaluated after each. */
  static final int STEPS_PER_EPOCH = 4;
  /** At most this many parameter updates in all (a large network's loops reach the thresholds in fewer steps). */
  private static final long UPDATE_BUDGET = 20_000_000L;
  /** At most this many synthetic feature values (a wide input's rows are fewer). */
  private static final long FEATURE_BUDGET = 1L << 20;
  /**
   * No warm-up above this many parameters: such a network's epoch is seconds of sgemm, against
   * which the JIT's fraction of a second does not count, and the warm-up's own weights, optimizer
   * state and gradients (16 MB each at this size) would take memory that the load needs.
   */
  static final int MAX_PARAMS = 1 << 22;

  private static volatile boolean stopped;

  private EngineWarmup() {}

  /** Ends a running warm-up after its current step: a training task needs the cores. */
  static void stop() {
    stopped = true;
  }

  /** {@link #run} until {@link #stop} is called. */
  static int runUnlessStopped(TrainingSpec spec, int threads) {
    return run(spec, threads, () -> stopped);
  }

  /**
   * Runs the warm-up for {@code spec} with {@code threads} blocks per task on this thread, checking
   * {@code stop} before each synthetic epoch; returns the steps run.
   */
  static int run(TrainingSpec spec, int threads, BooleanSupplier stop) {
    long t0 = System.nanoTime();
    NetworkSpec net = spec.network();
    int blocks = Math.max(1, threads);
    int rows = rowsPerBlock(net, blocks);
    int steps = steps(net);
    if (steps == 0) return 0;
    int batch = rows * blocks;
    TrainingSpec warm = new TrainingSpec(net, spec.init(), spec.optimizer(), batch, false, spec.seed(), spec.blockRows());
    List<RowSource> data = syntheticBlocks(net, blocks, STEPS_PER_EPOCH * rows, spec.seed());
    BatchPlan plan = warm.plan((long) blocks * STEPS_PER_EPOCH * rows);
    float[] params = warm.initialParams();
    OptimizerState state = warm.optimizer().initialise(net.paramCount());
    int done = 0;
    while (done < steps && !stop.getAsBoolean()) {
      int n = Math.min(STEPS_PER_EPOCH - (int) (state.step() % STEPS_PER_EPOCH), steps - done);
      FusedSteps.Steps r = FusedSteps.run(null, warm, plan, data, params, state, n);
      done += r.done;
      if (r.kind != FusedSteps.NONE) break; // diverged on random data: enough has run
      Evaluator.evaluateBlocks(warm, params, data, false);
    }
    LOG.debug("warmed the step's code for {}: {} steps of {} rows on {} thread(s) in {} ms", net, done, batch, blocks,
        (System.nanoTime() - t0) / 1_000_000);
    return done;
  }

  /** The warm-up's rows per block: {@link #ROWS_PER_BLOCK}, fewer for inputs so wide that they would pass the feature budget. */
  static int rowsPerBlock(NetworkSpec net, int blocks) {
    return (int) Math.max(1, Math.min(ROWS_PER_BLOCK, FEATURE_BUDGET / ((long) net.inputSize() * blocks)));
  }

  /**
   * The warm-up's steps: {@link #STEPS}, fewer for networks so large that they would pass the update
   * budget, none above {@link #MAX_PARAMS} parameters.
   */
  static int steps(NetworkSpec net) {
    if (net.paramCount() > MAX_PARAMS) return 0;
    return (int) Math.max(STEPS_PER_EPOCH, Math.min(STEPS, UPDATE_BUDGET / Math.max(1, net.paramCount())));
  }

  /** {@code blocks} blocks of {@code rows} rows each, ids contiguous, with targets the network's head accepts. */
  static List<RowSource> syntheticBlocks(NetworkSpec net, int blocks, int rows, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int d = net.inputSize();
    int k = net.outputSize();
    Head head = net.head();
    int tw = head == Head.SOFTMAX_CROSS_ENTROPY ? 1 : k;
    List<RowSource> out = new ArrayList<>(blocks);
    for (int b = 0; b < blocks; b++) {
      float[] x = new float[rows * d];
      for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
      float[] y = new float[rows * tw];
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < tw; j++) {
          y[i * tw + j] = head == Head.SOFTMAX_CROSS_ENTROPY ? r.nextInt(k)
              : head == Head.LINEAR_SQUARED_ERROR ? (float) r.nextGaussian() : r.nextInt(2);
        }
      }
      out.add(new Examples((long) b * rows, rows, d, tw, x, y, null));
    }
    return out;
  }
}
