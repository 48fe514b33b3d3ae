package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.datasets.LocalExamples;
import io.sparkprop.driver.SparkTestContext;
import io.sparkprop.driver.TestSets;
import io.sparkprop.driver.data.PackedData;
import io.sparkprop.trainer.LocalTrainer;
import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.LossSum;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.optim.LrSchedule;
import io.sparkprop.trainer.optim.Optimizer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Spark loop adds no semantics of its own (in the style of PyTorch DDP's tests): for every
 * optimizer, 10 steps on 1, 2 and 8 partitions match the single-process LocalTrainer, bitwise on
 * one partition and within float32 summation order otherwise. The 10 steps cross an epoch
 * boundary (450 examples, batch 100: 5 steps per epoch, the last of 50).
 */
class DistributedEqualsLocalTest {
  static final NetworkSpec NET = NetworkSpec.of(new int[] {12, 16, 8, 3}, Activation.TANH, Head.SOFTMAX_CROSS_ENTROPY);

  static TrainingSpec spec(Optimizer.Kind kind) {
    double lr = kind == Optimizer.Kind.ADAM || kind == Optimizer.Kind.ADAMW ? 0.01 : 0.1;
    Optimizer o = Optimizer.of(kind, lr).withWeightDecay(1e-3).withSchedule(LrSchedule.cosine(10, 0.1).withWarmup(2));
    return new TrainingSpec(NET, Init.of(Init.Kind.XAVIER_NORMAL), o, 100, false, 42, 32);
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Optimizer.Kind k : Optimizer.Kind.values()) for (int p : new int[] {1, 2, 8}) out.add(Arguments.of(k, p));
    return out.stream();
  }

  @ParameterizedTest(name = "{0} on {1} partitions")
  @MethodSource("cases")
  void tenSteps_matchLocalTrainer(Optimizer.Kind kind, int partitions) {
    JavaSparkContext sc = SparkTestContext.get();
    Examples all = TestSets.blobs(450, 12, 3, kind == Optimizer.Kind.NESTEROV, 5);
    TrainingSpec spec = spec(kind);
    LocalTrainer local = new LocalTrainer(spec, all);
    PackedData data = DistributedTrainer.pack(LocalExamples.distribute(sc, all, partitions, "blobs"), spec);
    DistributedTrainer dist = new DistributedTrainer(sc, spec, data, "eq-" + kind + "-" + partitions);
    DistributedTrainer reduced = new DistributedTrainer(sc, spec, data, "eq-reduced-" + kind + "-" + partitions)
        .reduce(DistributedTrainer.Reduce.EXECUTORS);
    // weights in a broadcast of their own, as networks above StepWeights' limit get them
    DistributedTrainer broadcast = new DistributedTrainer(sc, spec, data, "eq-broadcast-" + kind + "-" + partitions)
        .weightsInTaskBytes(0);
    for (int t = 0; t < 10; t++) {
      LossSum l = local.step();
      LossSum d = dist.step();
      reduced.step();
      broadcast.step();
      assertEquals(l.count(), d.count(), "examples in step " + t);
      assertEquals(l.weight(), d.weight(), 1e-9 * l.weight(), "weight of step " + t);
    }
    reduced.close();
    data.unpersist();
    float[] wl = local.params();
    float[] wd = dist.params();
    assertArrayEquals(wd, reduced.params(), 0f, "reduced on the executors vs the driver's sum");
    assertArrayEquals(wd, broadcast.params(), 0f, "weights broadcast vs carried in the task");
    if (partitions == 1) {
      assertArrayEquals(wl, wd, 0f, "one partition must equal the local trainer bit for bit");
      assertTrue(local.state().sameAs(dist.state()), "optimizer state");
    } else {
      double rel = relDiff(wl, wd);
      assertTrue(rel <= 1e-5, "max |dw| / max |w| = " + rel);
    }
  }

  @Test
  void sameSettingsTwice_giveByteIdenticalWeights() {
    JavaSparkContext sc = SparkTestContext.get();
    Examples all = TestSets.blobs(2000, 12, 3, false, 6);
    TrainingSpec spec = spec(Optimizer.Kind.ADAM);
    float[][] runs = new float[2][];
    for (int run = 0; run < 2; run++) {
      PackedData data = DistributedTrainer.pack(LocalExamples.distribute(sc, all, 8, "blobs"), spec);
      DistributedTrainer t = new DistributedTrainer(sc, spec, data, "repeat-" + run);
      for (int s = 0; s < 25; s++) t.step();
      runs[run] = t.params();
      data.unpersist();
    }
    assertArrayEquals(runs[0], runs[1], 0f);
  }

  @Test
  void skewedPartitions_emptyOneAndOneWith90Percent_matchBalanced() {
    JavaSparkContext sc = SparkTestContext.get();
    Examples all = TestSets.blobs(1000, 12, 3, false, 7);
    TrainingSpec spec = spec(Optimizer.Kind.MOMENTUM);
    PackedData balanced = DistributedTrainer.pack(LocalExamples.distribute(sc, all, 4, "blobs"), spec);
    PackedData skewed = DistributedTrainer.pack(LocalExamples.distribute(sc, all, new int[] {0, 900, 60, 40}, "skewed"), spec);
    assertEquals(0, skewed.firstId(1));
    assertEquals(900, skewed.firstId(2));
    DistributedTrainer a = new DistributedTrainer(sc, spec, balanced, "balanced");
    DistributedTrainer b = new DistributedTrainer(sc, spec, skewed, "skewed");
    for (int s = 0; s < 15; s++) {
      LossSum la = a.step();
      LossSum lb = b.step();
      assertEquals(la.count(), lb.count());
    }
    assertTrue(relDiff(a.params(), b.params()) <= 1e-5, "rel diff " + relDiff(a.params(), b.params()));
    balanced.unpersist();
    skewed.unpersist();
  }

  @Test
  void evaluate_matchesLocalEvaluation() {
    JavaSparkContext sc = SparkTestContext.get();
    Examples all = TestSets.blobs(777, 12, 3, false, 8);
    TrainingSpec spec = spec(Optimizer.Kind.SGD);
    PackedData data = DistributedTrainer.pack(LocalExamples.distribute(sc, all, 3, "blobs"), spec);
    DistributedTrainer d = new DistributedTrainer(sc, spec, data, "eval");
    LocalTrainer l = new LocalTrainer(spec, all);
    var ed = d.evaluate(data);
    var el = l.evaluate(all);
    assertEquals(el.count(), ed.count());
    assertEquals(el.correct(), ed.correct(), 0);
    assertEquals(el.loss(), ed.loss(), 1e-9 * Math.abs(el.loss()));
    data.unpersist();
  }

  static double relDiff(float[] a, float[] b) {
    double diff = 0;
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      max = Math.max(max, Math.abs(a[i]));
    }
    return diff / max;
  }
}
