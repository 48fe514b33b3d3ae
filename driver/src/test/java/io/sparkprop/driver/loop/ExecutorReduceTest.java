package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.datasets.LocalExamples;
import io.sparkprop.driver.SparkTestContext;
import io.sparkprop.driver.TestSets;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.driver.data.Placement;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.Optimizer;
import java.util.HashSet;
import java.util.Set;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/**
 * The reduce-scatter against the driver's sum (the reference) in one JVM: every slice fetched
 * from the local block manager, bitwise the same weights, with partitions that hold no member of
 * some batches (empty results are skipped as the driver skips them). The cross-JVM path and a
 * killed executor: {@link LocalClusterTest}.
 */
class ExecutorReduceTest {
  static final NetworkSpec NET = NetworkSpec.of(new int[] {10, 33, 4}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);

  private static float[] train(JavaSparkContext sc, PackedData data, DistributedTrainer.Reduce r, int batch) {
    TrainingSpec spec = new TrainingSpec(NET, Init.of(Init.Kind.HE_NORMAL), Optimizer.adam(0.01), batch, false, 9, 16);
    DistributedTrainer t = new DistributedTrainer(sc, spec, data, "reduce").reduce(r);
    for (int s = 0; s < 25; s++) t.step();
    assertEquals(r == DistributedTrainer.Reduce.EXECUTORS, t.reducesOnExecutors());
    t.close();
    return t.params();
  }

  private static PackedData blobs(JavaSparkContext sc, int rows, int partitions, boolean weighted) {
    return PackedData.pack(LocalExamples.distribute(sc, TestSets.blobs(rows, 10, 4, weighted, 5), partitions, "blobs"), NET,
        StorageLevel.MEMORY_AND_DISK(), Placement.MEMORY);
  }

  @Test
  void reduceScatterGivesBitwiseTheDriversSum() {
    JavaSparkContext sc = SparkTestContext.get();
    PackedData data = blobs(sc, 700, 5, true);
    try {
      for (int batch : new int[] {64, 3}) { // batch 3: most partitions hold no member of a batch
        float[] driver = train(sc, data, DistributedTrainer.Reduce.DRIVER, batch);
        float[] executors = train(sc, data, DistributedTrainer.Reduce.EXECUTORS, batch);
        assertArrayEquals(driver, executors, 0f, "batch " + batch);
      }
    } finally {
      data.unpersist();
    }
  }

  @Test
  void autoKeepsTheDriversSumInLocalMode() {
    JavaSparkContext sc = SparkTestContext.get();
    PackedData data = blobs(sc, 200, 2, false);
    try {
      TrainingSpec spec = new TrainingSpec(NET, Init.of(Init.Kind.HE_NORMAL), Optimizer.adam(0.01), 32, false, 9, 16);
      assertFalse(new DistributedTrainer(sc, spec, data, "auto").reducesOnExecutors());
    } finally {
      data.unpersist();
    }
    assertThrows(IllegalArgumentException.class, () -> DistributedTrainer.Reduce.parse("everywhere"));
  }

  @Test
  void slicesCoverTheGradientAndBlockIdsAreDistinct() {
    for (int n : new int[] {1, 7, 235146}) {
      for (int s : new int[] {1, 2, 3, 8, 64}) {
        assertEquals(0, ExecutorReduce.sliceStart(n, s, 0));
        assertEquals(n, ExecutorReduce.sliceStart(n, s, s));
        for (int j = 0; j < s; j++) assertTrue(ExecutorReduce.sliceStart(n, s, j) <= ExecutorReduce.sliceStart(n, s, j + 1));
      }
    }
    Set<String> names = new HashSet<>();
    for (long step : new long[] {0, 1, 8_388_607}) {
      for (int p = 0; p < 4; p++) {
        for (int j = 0; j < 4; j++) assertTrue(names.add(ExecutorReduce.blockId(7, step, p, j).name()));
      }
    }
  }
}
