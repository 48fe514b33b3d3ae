package io.sparkprop.driver.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.datasets.ExampleSet;
import io.sparkprop.datasets.LocalExamples;
import io.sparkprop.driver.SparkTestContext;
import io.sparkprop.driver.TestSets;
import io.sparkprop.driver.loop.DistributedTrainer;
import io.sparkprop.driver.loop.Evaluator;
import io.sparkprop.driver.loop.FitOptions;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.EvalSums;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.Optimizer;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.RDDBlockId;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/**
 * Packed data in memory-mapped local files against the same data in Spark's block cache (the
 * reference): same batches, bitwise the same weights, evaluation and fingerprint; files gone
 * after unpersist; a lost file handle repacked from the source without changing the weights.
 */
class PlacementTest {
  static final NetworkSpec NET = NetworkSpec.of(new int[] {12, 24, 3}, Activation.TANH, Head.SOFTMAX_CROSS_ENTROPY);
  static final TrainingSpec SPEC = new TrainingSpec(NET, Init.of(Init.Kind.XAVIER_NORMAL), Optimizer.adam(0.01), 100, false, 5, 32);

  private static ExampleSet set(JavaSparkContext sc, boolean weighted) {
    return LocalExamples.distribute(sc, TestSets.blobs(1500, 12, 3, weighted, 21), 3, "blobs");
  }

  private static PackedData pack(JavaSparkContext sc, Placement placement, boolean weighted) {
    return PackedData.pack(set(sc, weighted), NET, StorageLevel.MEMORY_AND_DISK(), placement);
  }

  /** Packed files in this JVM's Spark local directories. */
  private static long packedFiles() throws IOException {
    long n = 0;
    for (File dir : SparkEnv.get().blockManager().diskBlockManager().localDirs()) {
      try (Stream<Path> s = Files.walk(dir.toPath())) {
        n += s.filter(p -> p.getFileName().toString().startsWith("temp_local_")).count();
      }
    }
    return n;
  }

  private static float[] train(JavaSparkContext sc, PackedData data, int steps, Runnable midway) {
    DistributedTrainer t = new DistributedTrainer(sc, SPEC, data, "placement");
    for (int s = 0; s < steps; s++) {
      if (s == steps / 2 && midway != null) midway.run();
      t.step();
    }
    return t.params();
  }

  @Test
  void diskGivesBitwiseTheWeightsEvaluationAndFingerprintOfMemory() throws IOException {
    JavaSparkContext sc = SparkTestContext.get();
    for (boolean weighted : new boolean[] {false, true}) {
      PackedData mem = pack(sc, Placement.MEMORY, weighted);
      PackedData disk = pack(sc, Placement.DISK, weighted);
      try {
        assertEquals(Placement.DISK, disk.placement());
        assertTrue(packedFiles() >= 3, "one file per partition");
        assertEquals(mem.fingerprint(), disk.fingerprint());
        assertEquals(mem.rows(), disk.rows());
        assertEquals(mem.rdd().map(Examples::rows).reduce(Integer::sum), disk.rdd().map(Examples::rows).reduce(Integer::sum));
        float[] a = train(sc, mem, 40, null);
        float[] b = train(sc, disk, 40, null);
        assertArrayEquals(a, b, 0f, "weighted " + weighted);
        EvalSums ea = Evaluator.evaluate(sc, SPEC, a, mem, "m");
        EvalSums eb = Evaluator.evaluate(sc, SPEC, a, disk, "d");
        assertEquals(ea.loss(), eb.loss());
        assertEquals(ea.accuracy(), eb.accuracy());
      } finally {
        mem.unpersist();
        disk.unpersist();
      }
      assertEquals(0, packedFiles(), "unpersist deletes the files");
    }
  }

  @Test
  void filesGroupedInOneTask_trainBitwiseAsMemory_stepByStepAndSeveralStepsPerJob_evenWithALostHandle() throws IOException {
    JavaSparkContext sc = SparkTestContext.get();
    PackedData mem = pack(sc, Placement.MEMORY, true);
    PackedData grouped = PackedData.pack(set(sc, true), NET, StorageLevel.MEMORY_AND_DISK(), Placement.DISK, 64L << 20, 3);
    try {
      assertEquals(1, grouped.partitions(), "three files in one task (local mode)");
      assertEquals(3, grouped.blockCount());
      assertEquals(mem.rdd().map(Examples::rows).reduce(Integer::sum), grouped.rdd().map(Examples::rows).reduce(Integer::sum));
      float[] expected = train(sc, mem, 40, null);
      assertArrayEquals(expected, train(sc, grouped, 40, null), 0f, "one job per step");
      DistributedTrainer fused = new DistributedTrainer(sc, SPEC, grouped, "grouped-files");
      assertTrue(fused.fusesSteps());
      LocalFilesRDD files = (LocalFilesRDD) grouped.blocks();
      SparkEnv.get().blockManager().removeBlock(new RDDBlockId(files.handlesId(), 2), true); // lost: repacked inside the group
      float[] epochs = fused.fit(FitOptions.epochs(3), null).params();
      DistributedTrainer perStep = new DistributedTrainer(sc, SPEC, mem, "memory").stepsPerJob(1);
      assertArrayEquals(perStep.fit(FitOptions.epochs(3), null).params(), epochs, 0f, "an epoch per job from files");
    } finally {
      mem.unpersist();
      grouped.unpersist();
    }
    assertEquals(0, packedFiles(), "unpersist deletes the files, the repacked one too");
  }

  @Test
  void aLostHandleIsRepackedFromTheSourceWithTheSameWeights() throws IOException {
    JavaSparkContext sc = SparkTestContext.get();
    PackedData reference = pack(sc, Placement.MEMORY, false);
    PackedData disk = pack(sc, Placement.DISK, false);
    try {
      float[] expected = train(sc, reference, 30, null);
      LocalFilesRDD files = (LocalFilesRDD) disk.blocks();
      float[] got = train(sc, disk, 30, () -> { // as if the executor holding partition 1 were lost
        SparkEnv.get().blockManager().removeBlock(new RDDBlockId(files.handlesId(), 1), true);
      });
      assertArrayEquals(expected, got, 0f);
    } finally {
      reference.unpersist();
      disk.unpersist();
    }
    assertEquals(0, packedFiles(), "the repacked file is deleted too");
  }

  @Test
  void autoKeepsSmallDataInMemoryAndSendsLargeDataToDisk() {
    JavaSparkContext sc = SparkTestContext.get();
    StorageBudget roomy = new StorageBudget(1L << 30, 2L << 30, 1, 2, false);
    DataCheck.Placed small = DataCheck.checkPlaced(set(sc, false), NET, "training", Placement.AUTO, roomy);
    assertEquals(Placement.MEMORY, small.placement());
    DataCheck.release(small.set());
    // 1500 rows x 16 floats = 96 kB: over half of 100 kB in total, and over a partition's share
    StorageBudget tight = new StorageBudget(100_000, 2L << 30, 1, 2, false);
    DataCheck.Placed large = DataCheck.checkPlaced(set(sc, false), NET, "training", Placement.AUTO, tight);
    assertEquals(Placement.DISK, large.placement());
    StorageBudget fitsPartitionsOnly = new StorageBudget(150_000, 2L << 30, 1, 1, false);
    assertEquals(Placement.DISK, DataCheck.checkPlaced(set(sc, false), NET, "training", Placement.AUTO, fitsPartitionsOnly).placement());
  }

  @Test
  void aStepThatCannotFitTheHeapIsRefusedWithTheSizes() {
    StorageBudget small = new StorageBudget(100L << 20, 400L << 20, 1, 2, false);
    TrainingSpec huge = new TrainingSpec(NetworkSpec.of(new int[] {4096, 4096, 10}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY),
        Init.of(Init.Kind.HE_NORMAL), Optimizer.adam(0.01), 100, false, 5, 4096);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> small.checkStepFits(huge));
    assertTrue(e.getMessage().contains("lower training.block-rows") && e.getMessage().contains("MB"), e.getMessage());
    new StorageBudget(100L << 20, 4L << 30, 1, 2, false).checkStepFits(SPEC);
  }
}
