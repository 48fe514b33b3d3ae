package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.datasets.LocalExamples;
import io.sparkprop.driver.SparkTestContext;
import io.sparkprop.driver.TestSets;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.Optimizer;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

class LoopBehaviourTest {
  static final NetworkSpec NET = NetworkSpec.of(new int[] {12, 16, 3}, Activation.TANH, Head.SOFTMAX_CROSS_ENTROPY);
  static final TrainingSpec SPEC = new TrainingSpec(NET, Init.of(Init.Kind.XAVIER_NORMAL), Optimizer.adam(0.05), 50, false, 1, 64);

  @Test
  void badValueInAPartition_isReportedWithItsGlobalIdBeforeTraining() {
    JavaSparkContext sc = SparkTestContext.get();
    Examples all = TestSets.blobs(300, 12, 3, false, 1);
    all.x()[(250 * 12) + 7] = Float.NaN; // example 250 lies in the third of three partitions
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DistributedTrainer.pack(LocalExamples.distribute(sc, all, 3, "blobs"), SPEC));
    assertTrue(e.getMessage().contains("example 250 feature 7 is NaN"), e.getMessage());

    Examples labels = TestSets.blobs(300, 12, 3, false, 1);
    labels.y()[120] = 3;
    e = assertThrows(IllegalArgumentException.class,
        () -> DistributedTrainer.pack(LocalExamples.distribute(sc, labels, 3, "blobs"), SPEC));
    assertTrue(e.getMessage().contains("example 120 has label 3.0"), e.getMessage());
  }

  @Test
  void emptyDataAndWrongFeatureCount_areRejectedBeforeTraining() {
    JavaSparkContext sc = SparkTestContext.get();
    Examples none = new Examples(0, 0, 12, 1, new float[0], new float[0], null);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DistributedTrainer.pack(LocalExamples.distribute(sc, none, 2, "nothing"), SPEC));
    assertTrue(e.getMessage().contains("nothing holds no examples"), e.getMessage());
    Examples wide = TestSets.blobs(10, 13, 3, false, 1);
    e = assertThrows(IllegalArgumentException.class,
        () -> DistributedTrainer.pack(LocalExamples.distribute(sc, wide, 2, "wide"), SPEC));
    assertTrue(e.getMessage().contains("13 features") && e.getMessage().contains("12"), e.getMessage());
  }

  @Test
  void earlyStopping_stopsAfterPatienceAndKeepsTheBestWeights() {
    JavaSparkContext sc = SparkTestContext.get();
    Examples train = TestSets.blobs(1000, 12, 3, false, 2);
    Examples val = TestSets.blobs(300, 12, 3, false, 2); // same centres: separable, accuracy saturates at 1
    PackedData t = DistributedTrainer.pack(LocalExamples.distribute(sc, train, 2, "train"), SPEC);
    PackedData v = DistributedTrainer.pack(LocalExamples.distribute(sc, val, 2, "val"), SPEC);
    DistributedTrainer trainer = new DistributedTrainer(sc, SPEC, t, "early");
    List<EpochReport> seen = new ArrayList<>();
    FitResult r = trainer.fit(new FitOptions(50, v, 1, 2), seen::add);
    assertTrue(r.stoppedEarly(), "stopped early");
    assertEquals(r.bestEpoch() + 3, r.history().size(), "best epoch, then two without improvement");
    assertEquals(seen, r.history());
    double best = r.history().get(r.bestEpoch()).validation().accuracy();
    assertEquals(best, Evaluator.evaluate(sc, SPEC, r.params(), v, "check").accuracy(), 0);
    assertArrayEquals(r.params(), trainer.params(), 0f);
    t.unpersist();
    v.unpersist();
  }

  @Test
  void everyStep_isOneJobInTheRunsJobGroup() {
    JavaSparkContext sc = SparkTestContext.get();
    PackedData d = DistributedTrainer.pack(LocalExamples.distribute(sc, TestSets.blobs(400, 12, 3, false, 3), 4, "b"), SPEC);
    DistributedTrainer trainer = new DistributedTrainer(sc, SPEC, d, "jobs");
    for (int i = 0; i < 7; i++) trainer.step();
    assertEquals(7, sc.statusTracker().getJobIdsForGroup(trainer.jobGroup()).length);
    d.unpersist();
  }
}
