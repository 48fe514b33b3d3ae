package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.datasets.LocalExamples;
import io.sparkprop.driver.SparkTestContext;
import io.sparkprop.driver.TestSets;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.data.Placement;
import io.sparkprop.trainer.LocalTrainer;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.data.RowSource;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.Optimizer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/**
 * The engine's warm-up ({@link EngineWarmup}): it runs the task's step on synthetic blocks the
 * run's head accepts, for every head and optimizer; it stops when asked; it bounds its work for
 * large networks; and a run after it has the bits of the single-process trainer.
 */
class EngineWarmupTest {
  private static TrainingSpec spec(Head head, int outputs, Optimizer o) {
    NetworkSpec net = NetworkSpec.of(new int[] {20, 16, 8, outputs}, Activation.RELU, head);
    return new TrainingSpec(net, Init.of(Init.Kind.HE_NORMAL), o, 64, false, 3, 256);
  }

  @Test
  void run_takesEveryStep_forEveryHeadAndOptimizer() {
    for (Head head : Head.values()) {
      for (Optimizer.Kind kind : Optimizer.Kind.values()) {
        Optimizer o = Optimizer.of(kind, 0.01);
        TrainingSpec s = spec(head, head == Head.LINEAR_SQUARED_ERROR ? 1 : 3, o);
        for (int threads : new int[] {1, 2, 3}) {
          List<RowSource> blocks = EngineWarmup.syntheticBlocks(s.network(), threads, 8, 1);
          for (RowSource b : blocks) ((Examples) b).validate(head, s.network().inputSize(), s.network().outputSize());
          assertEquals(EngineWarmup.STEPS, EngineWarmup.run(s, threads, () -> false), head + " " + kind + " x" + threads);
        }
      }
    }
  }

  @Test
  void run_stopsBeforeItsNextSyntheticEpoch_whenAsked() {
    AtomicInteger asked = new AtomicInteger();
    int done = EngineWarmup.run(spec(Head.SOFTMAX_CROSS_ENTROPY, 3, Optimizer.adam(0.01)), 2, () -> asked.getAndIncrement() > 0);
    assertEquals(EngineWarmup.STEPS_PER_EPOCH, done);
    assertEquals(2, asked.get());
  }

  @Test
  void work_isBounded_forLargeNetworks() {
    NetworkSpec small = NetworkSpec.of(new int[] {784, 128, 128, 10}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);
    assertEquals(EngineWarmup.STEPS, EngineWarmup.steps(small));
    assertEquals(EngineWarmup.ROWS_PER_BLOCK, EngineWarmup.rowsPerBlock(small, 2));
    NetworkSpec large = NetworkSpec.of(new int[] {784, 2048, 1024, 10}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);
    assertEquals(5, EngineWarmup.steps(large), "3.7M parameters: 20M updates in 5 steps");
    NetworkSpec wideLarge = NetworkSpec.of(new int[] {100_000, 40, 10}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);
    assertEquals(EngineWarmup.STEPS_PER_EPOCH, EngineWarmup.steps(wideLarge), "4M parameters: one synthetic epoch");
    assertEquals(5, EngineWarmup.rowsPerBlock(wideLarge, 2), "2^20 feature values over 2 blocks of 100,000 features");
    NetworkSpec big = NetworkSpec.of(new int[] {100_000, 512, 10}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);
    assertEquals(0, EngineWarmup.steps(big), "51M parameters: no warm-up");
    assertEquals(0, EngineWarmup.run(new TrainingSpec(big, Init.of(Init.Kind.HE_NORMAL), Optimizer.adam(0.01), 64, false, 1, 256), 2,
        () -> false), "nothing allocated or run");
    NetworkSpec wide = NetworkSpec.of(new int[] {3_000_000, 2, 2}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);
    assertEquals(1, EngineWarmup.rowsPerBlock(wide, 4), "at least one row");
  }

  @Test
  void aRunAfterTheWarmup_hasTheLocalTrainersBits() throws Exception {
    TrainingSpec s = FusedStepsTest.SPEC;
    Thread warm = new Thread(() -> EngineWarmup.run(s, 2, () -> false)); // leaves the pool's helpers, as in a run
    warm.start();
    warm.join();
    JavaSparkContext sc = SparkTestContext.get();
    Examples all = TestSets.blobs(700, 12, 3, true, 3);
    PackedData data = PackedData.pack(LocalExamples.distribute(sc, all, 1, "blobs"), s.network(), StorageLevel.MEMORY_AND_DISK(),
        Placement.MEMORY, 64L << 20, 1, ExecutorPreparations.forTraining(s));
    try {
      float[] trained = new DistributedTrainer(sc, s, data, "after-warmup").fit(FitOptions.epochs(2), null).params();
      LocalTrainer local = new LocalTrainer(s, all);
      for (int e = 0; e < 2; e++) local.epoch();
      assertArrayEquals(local.params(), trained, 0f);
      assertTrue(EngineWarmup.steps(s.network()) > 0);
    } finally {
      data.unpersist();
    }
  }
}
