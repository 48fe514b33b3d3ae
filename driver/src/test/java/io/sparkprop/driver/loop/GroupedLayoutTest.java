package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.datasets.LocalExamples;
import io.sparkprop.driver.SparkTestContext;
import io.sparkprop.driver.TestSets;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.data.Placement;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.Optimizer;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/**
 * Blocks grouped T to a task, one thread each (training.threads-per-task), against one block per
 * task (the reference): with every block in one task, bitwise the same weights (the task adds
 * the blocks' gradients as the driver would); with several groups, the same to float32 summation
 * order and bitwise reproducible, on either reduce path.
 */
class GroupedLayoutTest {
  static final NetworkSpec NET = NetworkSpec.of(new int[] {12, 40, 3}, Activation.TANH, Head.SOFTMAX_CROSS_ENTROPY);
  static final TrainingSpec SPEC = new TrainingSpec(NET, Init.of(Init.Kind.XAVIER_NORMAL), Optimizer.adam(0.01), 96, false, 4, 16);

  private static float[] train(JavaSparkContext sc, int threads, DistributedTrainer.Reduce reduce) {
    Examples all = TestSets.blobs(1000, 12, 3, true, 8);
    PackedData data = PackedData.pack(LocalExamples.distribute(sc, all, 4, "blobs"), NET, StorageLevel.MEMORY_AND_DISK(),
        Placement.MEMORY, 64L << 20, threads);
    try {
      assertEquals(4, data.blockCount());
      assertEquals((4 + threads - 1) / threads, data.partitions());
      assertEquals(1000L, data.rdd().map(Examples::rows).reduce(Integer::sum).longValue());
      DistributedTrainer t = new DistributedTrainer(sc, SPEC, data, "grouped-" + threads).reduce(reduce);
      for (int s = 0; s < 30; s++) t.step();
      assertEquals(1000L, Evaluator.evaluate(sc, SPEC, t.params(), data, "e").count());
      t.close();
      return t.params();
    } finally {
      data.unpersist();
    }
  }

  @Test
  void oneTaskOfFourThreads_isBitwiseFourTasks() {
    JavaSparkContext sc = SparkTestContext.get();
    float[] tasks = train(sc, 1, DistributedTrainer.Reduce.DRIVER);
    assertArrayEquals(tasks, train(sc, 4, DistributedTrainer.Reduce.DRIVER), 0f);
    assertArrayEquals(tasks, train(sc, 8, DistributedTrainer.Reduce.DRIVER), 0f, "more threads than blocks");
  }

  @Test
  void twoGroups_agreeToSummationOrder_andRepeatBitwise_onEitherReducePath() {
    JavaSparkContext sc = SparkTestContext.get();
    float[] tasks = train(sc, 1, DistributedTrainer.Reduce.DRIVER);
    float[] grouped = train(sc, 2, DistributedTrainer.Reduce.DRIVER);
    double maxW = 0;
    double maxD = 0;
    for (int i = 0; i < tasks.length; i++) {
      maxW = Math.max(maxW, Math.abs(tasks[i]));
      maxD = Math.max(maxD, Math.abs(tasks[i] - grouped[i]));
    }
    assertTrue(maxD / maxW <= 1e-5, "max |dw| / max |w| = " + maxD / maxW);
    assertArrayEquals(grouped, train(sc, 2, DistributedTrainer.Reduce.DRIVER), 0f, "the same layout twice");
    assertArrayEquals(grouped, train(sc, 2, DistributedTrainer.Reduce.EXECUTORS), 0f, "reduced on the executors");
  }
}
