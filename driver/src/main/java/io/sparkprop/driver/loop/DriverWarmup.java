package io.sparkprop.driver.loop;

import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.optim.OptimizerState;
import java.util.function.BooleanSupplier;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's half of a cluster's step, warmed while the data loads: on a cluster the driver
 * adds the tasks' gradients ({@link OrderedSum}), checks them and applies the optimizer, code that
 * a fresh driver JVM has never run (in local mode the executors' {@link EngineWarmup} runs it in
 * the same JVM). Left cold, a run's first steps take several times a later one's while the JIT
 * compiles it. A daemon thread runs {@link #STEPS} such steps on synthetic gradients of the run's
 * network and optimizer, and stops early when the first real step starts ({@link #stop}). Its
 * arrays are its own: the weights are the same bits with or without it.
 */
public final class DriverWarmup {
  private static final Logger LOG = LoggerFactory.getLogger(DriverWarmup.class);
  /** Enough steps for the JIT's thresholds of the driver's per-step loops. */
  static final int STEPS = 200;
  private static volatile boolean stopped;

  private DriverWarmup() {}

  /** Starts the warm-up for {@code spec} on a daemon thread, unless the master is local or the network is past {@link EngineWarmup#MAX_PARAMS}. */
  public static void startInBackground(JavaSparkContext sc, TrainingSpec spec) {
    if (sc.sc().isLocal() || spec.network().paramCount() > EngineWarmup.MAX_PARAMS || stopped) return;
    Thread t = new Thread(() -> {
      try {
        run(spec, STEPS, () -> stopped);
      } catch (RuntimeException | LinkageError e) {
        LOG.debug("warming the driver's step failed", e); // the first real step reports any real failure
      }
    }, "sparkprop-driver-warmup");
    t.setDaemon(true);
    t.start();
  }

  /** Ends a running warm-up after its current step: the run's first step has started. */
  static void stop() {
    stopped = true;
  }

  /** Runs up to {@code steps} of the driver's step on synthetic gradients of two tasks; returns the steps run. */
  static int run(TrainingSpec spec, int steps, BooleanSupplier stop) {
    long t0 = System.nanoTime();
    int n = spec.network().paramCount();
    float[] params = spec.initialParams();
    OptimizerState state = spec.optimizer().initialise(n);
    float[] grad = new float[n];
    java.util.SplittableRandom r = new java.util.SplittableRandom(spec.seed());
    for (int i = 0; i < n; i++) grad[i] = (float) (r.nextGaussian() * 1e-3);
    byte[] result = StepResult.encode(grad, 1.0, 1.0, 1, 0, 0);
    float[] sum = new float[n];
    float[] addend = new float[n];
    byte[] bytes = new byte[4 * n];
    int done = 0;
    for (; done < steps && !stop.getAsBoolean(); done++) {
      ExecutorState.encodeParams(params, bytes);
      OrderedSum s = new OrderedSum(2, sum, addend);
      s.apply(0, result);
      s.apply(1, result);
      if (DistributedTrainer.firstNonFinite(s.grad()) >= 0) break;
      spec.optimizer().stepFromSum(params, s.grad(), s.weight(), state);
      if (DistributedTrainer.firstNonFinite(params) >= 0) break;
    }
    LOG.debug("warmed the driver's step for {}: {} steps in {} ms", spec.network(), done, (System.nanoTime() - t0) / 1_000_000);
    return done;
  }
}
