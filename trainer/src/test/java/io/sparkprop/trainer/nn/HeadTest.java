package io.sparkprop.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Each head's loss and delta on hand-worked examples, plus the extreme-logit cases. */
class HeadTest {

  @Test
  void softmaxCrossEntropy_classIndex_handWorked() {
    // z = [1, 2, 3]: softmax = [0.09003057, 0.24472847, 0.66524096]; label 2: loss = -ln 0.66524096
    float[] z = {1f, 2f, 3f};
    float[] delta = new float[3];
    double loss = Head.SOFTMAX_CROSS_ENTROPY.lossAndDelta(z, 1, 3, new float[] {2f}, 1, null, delta);
    assertEquals(0.40760596, loss, 1e-7);
    assertEquals(0.09003057f, delta[0], 1e-7f);
    assertEquals(0.24472847f, delta[1], 1e-7f);
    assertEquals(0.66524096f - 1f, delta[2], 1e-7f); // delta = y_hat - y
  }

  @Test
  void softmaxCrossEntropy_distribution_equalsOneHotAndSoftTargets() {
    float[] z = {1f, 2f, 3f};
    float[] d1 = new float[3];
    float[] d2 = new float[3];
    double l1 = Head.SOFTMAX_CROSS_ENTROPY.lossAndDelta(z, 1, 3, new float[] {2f}, 1, null, d1);
    double l2 = Head.SOFTMAX_CROSS_ENTROPY.lossAndDelta(z, 1, 3, new float[] {0f, 0f, 1f}, 3, null, d2);
    assertEquals(l1, l2, 1e-12);
    for (int j = 0; j < 3; j++) assertEquals(d1[j], d2[j], 0f);
    // soft target [0.5, 0.5, 0]: loss = -0.5 ln 0.09003057 - 0.5 ln 0.24472847 = 1.90760596
    double l3 = Head.SOFTMAX_CROSS_ENTROPY.lossAndDelta(z, 1, 3, new float[] {0.5f, 0.5f, 0f}, 3, null, d2);
    assertEquals(1.90760596, l3, 1e-7);
    assertEquals(0.09003057f - 0.5f, d2[0], 1e-7f);
    assertEquals(0.66524096f, d2[2], 1e-7f);
  }

  @Test
  void softmax_atLogitsOfPlusMinus1000_staysFinite() {
    float[] z = {1000f, -1000f, 0f, 1000f};
    float[] delta = new float[4];
    double loss = Head.SOFTMAX_CROSS_ENTROPY.lossAndDelta(z, 1, 4, new float[] {1f}, 1, null, delta);
    assertEquals(2000 + Math.log(2), loss, 1e-9); // lse = 1000 + ln 2, z_1 = -1000
    assertEquals(0.5f, delta[0], 0f);
    assertEquals(-1f, delta[1], 0f);
    assertEquals(0f, delta[2], 0f);
    for (float d : delta) assertTrue(Float.isFinite(d));
    double right = Head.SOFTMAX_CROSS_ENTROPY.lossAndDelta(z, 1, 4, new float[] {0f}, 1, null, delta);
    assertEquals(Math.log(2), right, 1e-12);
    Head.SOFTMAX_CROSS_ENTROPY.predictInPlace(z, 1, 4);
    assertEquals(0.5f, z[0], 0f);
    assertEquals(0f, z[1], 0f);
  }

  @Test
  void sigmoidBinaryCrossEntropy_handWorkedAndExtreme() {
    float[] delta = new float[1];
    assertEquals(Math.log(2), Head.SIGMOID_BINARY_CROSS_ENTROPY.lossAndDelta(new float[] {0f}, 1, 1,
        new float[] {1f}, 1, null, delta), 1e-12);
    assertEquals(-0.5f, delta[0], 0f); // y_hat - y = 0.5 - 1
    // z = 2, y = 0: loss = -ln(1 - 0.8807971) = 2.12692801
    assertEquals(2.12692801, Head.SIGMOID_BINARY_CROSS_ENTROPY.lossAndDelta(new float[] {2f}, 1, 1,
        new float[] {0f}, 1, null, delta), 1e-7);
    assertEquals(0.8807971f, delta[0], 1e-7f);
    assertEquals(1000, Head.SIGMOID_BINARY_CROSS_ENTROPY.lossAndDelta(new float[] {1000f}, 1, 1,
        new float[] {0f}, 1, null, delta), 1e-9);
    assertEquals(1f, delta[0], 0f);
    assertEquals(1000, Head.SIGMOID_BINARY_CROSS_ENTROPY.lossAndDelta(new float[] {-1000f}, 1, 1,
        new float[] {1f}, 1, null, delta), 1e-9);
    assertEquals(-1f, delta[0], 0f);
    assertEquals(0, Head.SIGMOID_BINARY_CROSS_ENTROPY.lossAndDelta(new float[] {-1000f}, 1, 1,
        new float[] {0f}, 1, null, delta), 1e-12);
  }

  @Test
  void squaredError_handWorkedMultiOutput() {
    float[] delta = new float[2];
    double loss = Head.LINEAR_SQUARED_ERROR.lossAndDelta(new float[] {1f, 2f}, 1, 2, new float[] {0f, 4f}, 2, null, delta);
    assertEquals(2.5, loss, 0); // 1/2 (1 + 4)
    assertEquals(1f, delta[0], 0f); // y - d
    assertEquals(-2f, delta[1], 0f);
  }

  @Test
  void exampleWeights_scaleLossAndDelta() {
    float[] z = {1f, 2f, 3f, 1f, 2f, 3f};
    float[] y = {2f, 0f};
    float[] d = new float[6];
    float[] dw = new float[6];
    double l = Head.SOFTMAX_CROSS_ENTROPY.lossAndDelta(z, 2, 3, y, 1, null, d);
    double lw = Head.SOFTMAX_CROSS_ENTROPY.lossAndDelta(z, 2, 3, y, 1, new float[] {2f, 0f}, dw);
    assertEquals(2 * 0.40760596, lw, 1e-7);
    assertTrue(l > lw / 2);
    for (int j = 0; j < 3; j++) {
      assertEquals(2 * d[j], dw[j], 1e-7f);
      assertEquals(0f, dw[3 + j], 0f);
    }
  }
}
