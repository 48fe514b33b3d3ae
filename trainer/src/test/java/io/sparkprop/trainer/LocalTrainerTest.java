package io.sparkprop.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkprop.trainer.data.Examples;
import io.sparkprop.trainer.nn.Activation;
import io.sparkprop.trainer.nn.Head;
import io.sparkprop.trainer.nn.Init;
import io.sparkprop.trainer.nn.LossSum;
import io.sparkprop.trainer.nn.Network;
import io.sparkprop.trainer.nn.NetworkSpec;
import io.sparkprop.trainer.nn.Workspace;
import io.sparkprop.trainer.optim.Optimizer;
import io.sparkprop.trainer.optim.OptimizerState;
import org.junit.jupiter.api.Test;

class LocalTrainerTest {
  static final NetworkSpec SPEC = NetworkSpec.of(new int[] {2, 8, 2}, Activation.TANH, Head.SOFTMAX_CROSS_ENTROPY);

  @Test
  void sameSettings_giveIdenticalWeights() {
    Examples d = TestData.moons(300, 0.1, 1);
    TrainingSpec ts = TrainingSpec.of(SPEC, Init.of(Init.Kind.XAVIER_UNIFORM), Optimizer.adam(0.01), 32, 7);
    LocalTrainer a = new LocalTrainer(ts, d);
    LocalTrainer b = new LocalTrainer(ts, d);
    a.steps(25);
    b.steps(25);
    assertArrayEquals(a.params(), b.params(), 0f);
  }

  @Test
  void resumeFromParamsAndState_continuesBitForBit() {
    Examples d = TestData.moons(300, 0.1, 1);
    TrainingSpec ts = TrainingSpec.of(SPEC, Init.of(Init.Kind.XAVIER_UNIFORM), Optimizer.of(Optimizer.Kind.NESTEROV, 0.05), 32, 7);
    LocalTrainer a = new LocalTrainer(ts, d);
    a.steps(13); // mid-epoch (10 steps per epoch)
    LocalTrainer b = new LocalTrainer(ts, d, a.params(), a.state());
    a.steps(17);
    b.steps(17);
    assertArrayEquals(a.params(), b.params(), 0f);
    assertEquals(30, b.stepCount());
  }

  @Test
  void blockSize_changesOnlySummationOrder() {
    Examples d = TestData.moons(500, 0.1, 1);
    TrainingSpec ts = TrainingSpec.of(SPEC, Init.of(Init.Kind.XAVIER_UNIFORM), Optimizer.sgd(0.1), 100, 7);
    LocalTrainer a = new LocalTrainer(ts, d);
    LocalTrainer b = new LocalTrainer(ts.withBlockRows(7), d);
    a.steps(10);
    b.steps(10);
    float[] pa = a.params();
    float[] pb = b.params();
    float max = 0;
    float diff = 0;
    for (int i = 0; i < pa.length; i++) {
      max = Math.max(max, Math.abs(pa[i]));
      diff = Math.max(diff, Math.abs(pa[i] - pb[i]));
    }
    assertTrue(diff / max <= 1e-5, "relative difference " + diff / max);
  }

  @Test
  void gradientSums_areAddableAcrossBlocks() {
    Examples d = TestData.moons(100, 0.1, 1);
    Network net = new Network(SPEC);
    float[] p = Init.of(Init.Kind.XAVIER_UNIFORM).initialise(SPEC, 1);
    float[] whole = new float[p.length];
    LossSum all = net.accumulateGradient(p, d, new Workspace(SPEC, 256), whole);
    float[] parts = new float[p.length];
    int[] first = new int[60];
    int[] second = new int[40];
    for (int i = 0; i < 60; i++) first[i] = i;
    for (int i = 0; i < 40; i++) second[i] = 60 + i;
    Workspace ws = new Workspace(SPEC, 16);
    LossSum s = net.accumulateGradient(p, d, first, 60, ws, parts).plus(net.accumulateGradient(p, d, second, 40, ws, parts));
    assertEquals(all.loss(), s.loss(), 1e-9);
    assertEquals(100, s.count());
    for (int i = 0; i < p.length; i++) assertEquals(whole[i], parts[i], 1e-4f * Math.max(1, Math.abs(whole[i])));
  }

  @Test
  void badInput_isRejectedWithTheValue() {
    Examples nan = new Examples(0, 2, 2, 1, new float[] {0, Float.NaN, 1, 1}, new float[] {0, 1}, null);
    TrainingSpec ts = TrainingSpec.of(SPEC, Init.of(Init.Kind.XAVIER_UNIFORM), Optimizer.sgd(0.1), 2, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LocalTrainer(ts, nan));
    assertTrue(e.getMessage().contains("example 0 feature 1 is NaN"), e.getMessage());

    Examples badLabel = new Examples(0, 2, 2, 1, new float[] {0, 0, 1, 1}, new float[] {0, 2}, null);
    e = assertThrows(IllegalArgumentException.class, () -> new LocalTrainer(ts, badLabel));
    assertTrue(e.getMessage().contains("example 1 has label 2.0") && e.getMessage().contains("[0, 2)"), e.getMessage());

    Examples wide = new Examples(0, 1, 3, 1, new float[] {0, 0, 1}, new float[] {0}, null);
    e = assertThrows(IllegalArgumentException.class, () -> new LocalTrainer(ts, wide));
    assertTrue(e.getMessage().contains("3 features") && e.getMessage().contains("2"), e.getMessage());

    Examples negWeight = new Examples(0, 1, 2, 1, new float[] {0, 0}, new float[] {0}, new float[] {-1});
    e = assertThrows(IllegalArgumentException.class, () -> new LocalTrainer(ts, negWeight));
    assertTrue(e.getMessage().contains("weight -1.0"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> new Examples(0, 2, 2, 1, new float[3], new float[2], null));
    assertTrue(e.getMessage().contains("3 floats"), e.getMessage());

    float[] p = new float[SPEC.paramCount()];
    p[3] = Float.POSITIVE_INFINITY;
    e = assertThrows(IllegalArgumentException.class,
        () -> new LocalTrainer(ts, TestData.moons(10, 0.1, 1), p,
            Optimizer.sgd(0.1).initialise(SPEC.paramCount())));
    assertTrue(e.getMessage().contains("parameter 3 is Infinity"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> new Network(SPEC).accumulateGradient(new float[5],
        TestData.moons(10, 0.1, 1), new Workspace(SPEC, 4), new float[SPEC.paramCount()]));
    assertTrue(e.getMessage().contains("length 5"), e.getMessage());
  }

  @Test
  void networkSpec_rejectsInvalidShapesNamingLayerAndValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NetworkSpec.of(new int[] {4, 0, 2}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY));
    assertTrue(e.getMessage().contains("layer 1 has size 0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> NetworkSpec.of(new int[] {4, 1}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY));
    assertTrue(e.getMessage().contains("output layer size 1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> NetworkSpec.of(new int[] {4}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY));
    assertTrue(e.getMessage().contains("[4]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> NetworkSpec.of(new int[] {100000, 100000, 10}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY));
    assertTrue(e.getMessage().contains("more than"), e.getMessage());
    // zero hidden layers: logistic regression
    NetworkSpec lr = NetworkSpec.of(new int[] {4, 1}, Activation.RELU, Head.SIGMOID_BINARY_CROSS_ENTROPY);
    assertEquals(5, lr.paramCount());
  }

  @Test
  void layout_isDocumentedRowMajorWeightsThenBias() {
    NetworkSpec s = NetworkSpec.of(new int[] {784, 256, 128, 10}, Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);
    assertEquals(235146, s.paramCount());
    assertEquals(0, s.weightOffset(0));
    assertEquals(784 * 256, s.biasOffset(0));
    assertEquals(784 * 256 + 256, s.weightOffset(1));
    assertEquals(784 * 256 + 256 + 256 * 128, s.biasOffset(1));
  }

  @Test
  void optimizerStateOfWrongSize_isRejected() {
    Examples d = TestData.moons(10, 0.1, 1);
    TrainingSpec ts = TrainingSpec.of(SPEC, Init.of(Init.Kind.XAVIER_UNIFORM), Optimizer.adam(0.1), 2, 1);
    OptimizerState wrong = Optimizer.sgd(0.1).initialise(SPEC.paramCount());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new LocalTrainer(ts, d, ts.initialParams(), wrong));
    assertTrue(e.getMessage().contains("0 slots"), e.getMessage());
  }
}
