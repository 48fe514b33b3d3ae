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
import io.sparkprop.trainer.LocalTrainer;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.LrSchedule;
import io.sparkprop.trainer.optim.Optimizer;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/**
 * Several steps per Spark job when one task computes the whole batch ({@link FusedSteps},
 * {@code training.steps-per-job}) against one job per step, the reference: the same parameters,
 * optimizer state, per-step losses, epoch reports, checkpoints and divergence, bit for bit; and
 * with one block, the single-process {@link LocalTrainer}'s weights.
 */
class FusedStepsTest {
  static final NetworkSpec NET = NetworkSpec.of(new int[] {12, 40, 3}, Activation.TANH, Head.SOFTMAX_CROSS_ENTROPY);
  static final TrainingSpec SPEC = new TrainingSpec(NET, Init.of(Init.Kind.XAVIER_NORMAL),
      Optimizer.adam(0.01).withSchedule(LrSchedule.cosine(60, 0.1).withWarmup(5)), 96, false, 4, 16);

  private static PackedData pack(JavaSparkContext sc, Examples all, int blocks, int threads) {
    return PackedData.pack(LocalExamples.distribute(sc, all, blocks, "blobs"), NET, StorageLevel.MEMORY_AND_DISK(),
        Placement.MEMORY, 64L << 20, threads);
  }

  private static RecordedFit fit(JavaSparkContext sc, TrainingSpec spec, int stepsPerJob, int epochs, long checkpointEvery) {
    return fit(sc, spec, stepsPerJob, epochs, checkpointEvery, false);
  }

  private static RecordedFit fit(JavaSparkContext sc, TrainingSpec spec, int stepsPerJob, int epochs, long checkpointEvery, boolean broadcast) {
    Examples all = TestSets.blobs(1000, 12, 3, true, 8);
    PackedData data = pack(sc, all, 4, 4);
    PackedData val = pack(sc, TestSets.blobs(200, 12, 3, false, 9), 1, 1);
    try {
      assertEquals(1, data.partitions(), "one task of four blocks");
      DistributedTrainer t = new DistributedTrainer(sc, spec, data, "fused-" + stepsPerJob).stepsPerJob(stepsPerJob)
          .broadcastState(broadcast);
      assertEquals(stepsPerJob != 1, t.fusesSteps());
      return RecordedFit.of(t, epochs, val, checkpointEvery);
    } finally {
      data.unpersist();
      val.unpersist();
    }
  }

  @Test
  void chunksOfAnyLength_areBitwiseOneJobPerStep() {
    JavaSparkContext sc = SparkTestContext.get();
    RecordedFit perStep = fit(sc, SPEC, 1, 3, 0);
    assertEquals(3 * 11, perStep.steps().size(), "1000 rows, batch 96: 11 steps an epoch");
    for (int k : new int[] {0, 4, 11, 50}) { // to the epoch's end, chunks that do not divide it, one epoch, more than one
      RecordedFit fused = fit(sc, SPEC, k, 3, 0);
      fused.assertSameAs(perStep, "steps per job " + k);
    }
  }

  @Test
  void checkpointsFallOnTheSameSteps_withTheSameState() {
    JavaSparkContext sc = SparkTestContext.get();
    RecordedFit perStep = fit(sc, SPEC, 1, 2, 5);
    RecordedFit fused = fit(sc, SPEC, 0, 2, 5);
    assertEquals(List.of(5L, 10L, 15L, 20L, 22L), perStep.saves().stream().map(s -> Long.parseLong(s.split(" ")[0])).toList(),
        "every 5 steps (across the epoch boundary at 11) and after the last: " + perStep.saves());
    assertEquals(perStep.saves(), fused.saves());
    assertArrayEquals(perStep.params(), fused.params(), 0f);
  }

  @Test
  void divergence_endsTheChunkWhereTheStepLoopEnds() {
    JavaSparkContext sc = SparkTestContext.get();
    TrainingSpec wild = SPEC.withOptimizer(Optimizer.sgd(1e38));
    DivergenceException a = assertThrows(DivergenceException.class, () -> fit(sc, wild, 1, 2, 0));
    DivergenceException b = assertThrows(DivergenceException.class, () -> fit(sc, wild, 0, 2, 0));
    assertEquals(a.globalStep(), b.globalStep());
    assertEquals(a.getMessage(), b.getMessage());
  }

  /**
   * A local master passes a chunk's state by reference ({@link FusedSteps.Handoff}); a cluster's
   * way (a broadcast, the floats in the result's bytes) gives the same bits, and no handoff stays
   * open after a run, a checkpointed one or a diverged one.
   */
  @Test
  void stateByReference_isBitwiseTheBroadcast_andLeavesNothingOpen() {
    JavaSparkContext sc = SparkTestContext.get();
    RecordedFit byReference = fit(sc, SPEC, 0, 3, 7, false);
    RecordedFit broadcast = fit(sc, SPEC, 0, 3, 7, true);
    assertTrue(byReference.trainer().stateByReference());
    assertFalse(broadcast.trainer().stateByReference());
    byReference.assertSameAs(broadcast, "the state by reference");
    TrainingSpec wild = SPEC.withOptimizer(Optimizer.sgd(1e38));
    DivergenceException a = assertThrows(DivergenceException.class, () -> fit(sc, wild, 0, 2, 0, true));
    DivergenceException b = assertThrows(DivergenceException.class, () -> fit(sc, wild, 0, 2, 0, false));
    assertEquals(a.getMessage(), b.getMessage());
    assertEquals(0, FusedSteps.Handoff.openCount());
  }

  @Test
  void aHandoffThatIsNotOpen_failsTheTaskByName() {
    FusedSteps.Handoff h = FusedSteps.Handoff.open(new float[3], Optimizer.adam(0.1).initialise(3));
    assertTrue(FusedSteps.Handoff.of(h.id) == h);
    h.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> FusedSteps.Handoff.of(h.id));
    assertTrue(e.getMessage().contains("chunk state " + h.id + " is not open in this JVM"), e.getMessage());
  }

  @Test
  void oneBlock_equalsTheLocalTrainer() {
    JavaSparkContext sc = SparkTestContext.get();
    Examples all = TestSets.blobs(700, 12, 3, true, 3);
    PackedData data = pack(sc, all, 1, 1);
    try {
      DistributedTrainer t = new DistributedTrainer(sc, SPEC, data, "fused-local");
      assertTrue(t.fusesSteps(), "auto: one task");
      float[] fused = t.fit(FitOptions.epochs(3), null).params();
      LocalTrainer local = new LocalTrainer(SPEC, all);
      for (int e = 0; e < 3; e++) local.epoch();
      assertArrayEquals(local.params(), fused, 0f);
      assertTrue(local.state().sameAs(t.state()));
    } finally {
      data.unpersist();
    }
  }

  @Test
  void severalTasks_keepOneJobPerStep() {
    JavaSparkContext sc = SparkTestContext.get();
    PackedData data = pack(sc, TestSets.blobs(300, 12, 3, false, 3), 2, 1);
    try {
      assertEquals(2, data.partitions());
      assertFalse(new DistributedTrainer(sc, SPEC, data, "two").fusesSteps());
      assertThrows(IllegalArgumentException.class, () -> new DistributedTrainer(sc, SPEC, data, "bad").stepsPerJob(-1));
    } finally {
      data.unpersist();
    }
  }
}
